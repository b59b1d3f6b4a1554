"""Governance rules: recorded exceptions to the org floor expire."""

from __future__ import annotations

from collections.abc import Iterator

from ...model import Concern
from ...model.overlay import expiring
from ...model.stance import META
from ...preview.graph import ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, k8s_name, stack_urn

rules = RuleSet()


@rules.graph(
    "governance.exceptions-current",
    concern=Concern.RESOURCE_HIJACKING,
    severity=Severity.HIGH,
    controls=(),
    types=(T.NAMESPACE,),
    warns=True,
    description="Every recorded exception to the org floor is still within its expiry date (warned 14 days ahead).",
)
def exceptions_current(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    expired, soon = expiring(ctx.exceptions, ctx.today)
    namespaces = {k8s_name(n): n.urn for n in graph.of_type(T.NAMESPACE)}
    fallback = stack_urn(graph)
    for exception in expired:
        yield Finding(
            f"the exception for team {exception.team} on {exception.control} (value {exception.value!r}, approved by "
            f"{exception.approved_by}) expired on {exception.expires.isoformat()}: renew it with a new approval, or remove it "
            "and bring the team back within the floor",
            namespaces.get(exception.team, fallback),
            concern=META[exception.control].concern,
        )
    for exception in soon:
        days = (exception.expires - ctx.today).days
        yield Finding(
            f"the exception for team {exception.team} on {exception.control} expires on {exception.expires.isoformat()} "
            f"(in {days} day{'s' if days != 1 else ''})",
            namespaces.get(exception.team, fallback),
            concern=META[exception.control].concern,
            warning=True,
        )


RULES = tuple(rules.rules)
