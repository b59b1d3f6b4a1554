"""Team namespace rules: quotas, limits, isolation and pod security (resource-hijacking, data-theft-insider)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from ...model import Concern, TeamSpec
from ...model.stance import TEAM_QUOTA_CONTROLS
from ...model.units import parse_quantity
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig, k8s_name, k8s_namespace, known, stack_urn

rules = RuleSet()
# The controls a team's ResourceQuota carries, from the model (`control(team_field="quota.<field>")`).
QUOTA_CONTROLS = tuple(TEAM_QUOTA_CONTROLS.values())
POD_SECURITY_ENFORCE = "pod-security.kubernetes.io/enforce"

# ResourceQuota `hard` keys that carry each quota field; the first one found is compared.
QUOTA_KEYS = {
    "cpu": ("requests.cpu", "cpu"),
    "memory": ("requests.memory", "memory"),
    "gpu": ("requests.nvidia.com/gpu",),
    "storage": ("requests.storage",),
    "pods": ("pods",),
}


class TeamIndex:
    """A graph's team namespaces and the Kubernetes objects in each, built once per check."""

    def __init__(self, graph: ResourceGraph, ctx: Context) -> None:
        names = {t.name for t in ctx.teams}
        self.namespaces: dict[str, Resource] = {}
        self.objects: dict[str, dict[str, list[Resource]]] = {name: {} for name in names}
        for resource in graph:
            if resource.type == T.NAMESPACE and k8s_name(resource) in names:
                self.namespaces[k8s_name(resource)] = resource  # type: ignore[index]
            namespace = k8s_namespace(resource)
            if namespace in self.objects:
                self.objects[namespace].setdefault(resource.type, []).append(resource)

    def of(self, team: str, token: str) -> list[Resource]:
        return self.objects.get(team, {}).get(token, [])


def _where(index: TeamIndex, team: str, graph: ResourceGraph) -> str | None:
    namespace = index.namespaces.get(team)
    return namespace.urn if namespace else stack_urn(graph)


@rules.graph(
    "teams.quota-and-limits",
    concern=Concern.RESOURCE_HIJACKING,
    severity=Severity.HIGH,
    controls=QUOTA_CONTROLS,
    types=(T.NAMESPACE, T.RESOURCE_QUOTA, T.LIMIT_RANGE),
    description="Every team has its own namespace with a ResourceQuota and a LimitRange, so no team can take the whole cluster.",
)
def quota_and_limits(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    index = TeamIndex(graph, ctx)
    for team in ctx.teams:
        if team.name not in index.namespaces:
            yield Finding(f"team {team.name} has no namespace {team.name!r}", stack_urn(graph))
            continue
        for token, kind in ((T.RESOURCE_QUOTA, "ResourceQuota"), (T.LIMIT_RANGE, "LimitRange")):
            if not index.of(team.name, token):
                yield Finding(f"namespace {team.name!r} has no {kind}", _where(index, team.name, graph))


def _quantity(value: Any) -> Decimal | None:
    try:
        return parse_quantity(str(value))
    except ValueError:
        return None


def quota_problems(hard: Mapping[str, Any], team: TeamSpec, exact: bool) -> Iterator[str]:
    for field, keys in QUOTA_KEYS.items():
        wanted = getattr(team.quota, field)
        key = next((k for k in keys if k in hard), None)
        if key is None:
            yield f"hard has no {keys[0]} (team {team.name} may use {wanted})"
            continue
        if not known(hard[key]):
            continue
        have, limit = _quantity(hard[key]), _quantity(wanted)
        if have is None or limit is None:
            yield f"hard.{key} {hard[key]!r} is not a quantity"
        elif have > limit:
            yield f"hard.{key} is {hard[key]}, above team {team.name}'s {wanted}"
        elif exact and have != limit:
            yield f"hard.{key} is {hard[key]}, not team {team.name}'s {wanted}"


@rules.resource(
    "teams.quota-matches-spec",
    concern=Concern.RESOURCE_HIJACKING,
    severity=Severity.HIGH,
    controls=QUOTA_CONTROLS,
    types={T.RESOURCE_QUOTA},
    description="A team's ResourceQuota states exactly the team's resolved quota (CPU, memory, GPU, storage, pods).",
)
def quota_matches_spec(quota: Resource, ctx: Context) -> Iterator[str]:
    team = ctx.team(k8s_namespace(quota) or "")
    if team is None:
        return
    hard = dig(quota.inputs, "spec", "hard")
    if not isinstance(hard, Mapping):
        yield "spec.hard is missing"
        return
    # Judged by another stance (--against), a smaller quota than that stance's is fine.
    problems = list(quota_problems(hard, team, exact=ctx.own))
    if problems:
        yield "; ".join(problems)


def _default_deny(policy: Resource, egress_too: bool) -> bool:
    spec = dig(policy.inputs, "spec") or {}
    selector = spec.get("podSelector")
    selects_all = isinstance(selector, Mapping) and not selector.get("matchLabels") and not selector.get("matchExpressions")
    types = set(as_list(spec.get("policyTypes")))
    wanted = {"Ingress", "Egress"} if egress_too else {"Ingress"}
    allows = any(as_list(spec.get(direction.lower())) for direction in wanted)
    return selects_all and wanted <= types and not allows


@rules.graph(
    "teams.default-deny-network",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.HIGH,
    controls=("identity.group_rbac", "network.egress"),
    types=(T.NAMESPACE, T.NETWORK_POLICY),
    description="Every team namespace starts from a default-deny NetworkPolicy (ingress, and egress unless egress is open).",
)
def default_deny_network(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    index = TeamIndex(graph, ctx)
    egress_too = ctx.stance.network.egress != "open"
    for team in ctx.teams:
        if team.name not in index.namespaces:
            continue  # teams.quota-and-limits reports the missing namespace
        if not any(_default_deny(p, egress_too) for p in index.of(team.name, T.NETWORK_POLICY)):
            what = "ingress and egress" if egress_too else "ingress"
            yield Finding(
                f"namespace {team.name!r} has no default-deny NetworkPolicy (empty podSelector, policyTypes {what}, no rules)",
                _where(index, team.name, graph),
            )


@rules.resource(
    "teams.pod-security-restricted",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.HIGH,
    controls=("compute.sessions.root_allowed",),
    types={T.NAMESPACE},
    description="Team namespaces where root is not allowed enforce the 'restricted' Pod Security Standard.",
)
def pod_security_restricted(namespace: Resource, ctx: Context) -> Iterator[str]:
    team = ctx.team(k8s_name(namespace) or "")
    if team is None or team.root_allowed:
        return
    level = dig(namespace.inputs, "metadata", "labels", POD_SECURITY_ENFORCE)
    if level != "restricted":
        yield f"label {POD_SECURITY_ENFORCE} is {level!r}, not 'restricted'; team {team.name} may not run as root"


RULES = tuple(rules.rules)
