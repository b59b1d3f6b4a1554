"""Works rules for reaching the hub: its name resolves to its load balancer, and someone has a route to it."""

from __future__ import annotations

from collections.abc import Iterator

from ...model import Concern
from ...preview.graph import ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig
from .workbench import is_jupyterhub

rules = RuleSet()
INTERNAL = "service.beta.kubernetes.io/aws-load-balancer-internal"


@rules.graph(
    "works.ingress.hub-reachable",
    concern=Concern.USER_EXPERIENCE,
    severity=Severity.HIGH,
    controls=(),
    types=(T.HELM_RELEASE, T.ROUTE53_RECORD),
    family="works",
    warns=True,
    description="A DNS alias points the hub's name at its load balancer; an internal one has on-premises networks (else a warning).",
)
def hub_reachable(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    aliases = {
        str(r.inputs.get("name", "")).rstrip(".")
        for r in graph.of_type(T.ROUTE53_RECORD)
        if r.inputs.get("type") == "A" and r.inputs.get("aliases")
    }
    for release in graph.of_type(T.HELM_RELEASE):
        if not is_jupyterhub(release):
            continue
        values = release.inputs.get("values")
        for host in as_list(dig(values, "proxy", "https", "hosts")):
            if str(host) not in aliases:
                yield Finding(
                    f"no DNS record points {host} at the hub's load balancer, so users' browsers cannot resolve it; "
                    "the HubEndpoint component writes it (tls.hub_zone_id, or the zone it creates)",
                    release.urn,
                )
        internal = str(dig(values, "proxy", "service", "annotations", INTERNAL, default="")).lower() == "true"
        if internal and ctx.spec is not None and not ctx.spec.network.on_premises_cidrs:
            yield Finding(
                "the hub's load balancer is internal and network.on_premises_cidrs names no network, so nobody outside the VPC "
                "can reach the hub; list your office/VPN ranges routed to the VPC (Direct Connect, VPN or Transit Gateway) in "
                "network.on_premises_cidrs",
                release.urn,
                warning=True,
            )


RULES = tuple(rules.rules)
