"""Network rules: how data could leave the VPC (data-theft-outsider)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, known, linked

rules = RuleSet()
OUTSIDER = Concern.DATA_THEFT_OUTSIDER
SSO_PORT = 443


def is_world(cidr: Any) -> bool:
    """True for 0.0.0.0/0, ::/0 and any other CIDR that spans a whole address family."""
    if not isinstance(cidr, str) or not known(cidr):
        return False
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


@rules.resource(
    "network.no-public-subnets",
    concern=OUTSIDER,
    severity=Severity.HIGH,
    controls=("network.egress",),
    types={T.SUBNET},
    applies=lambda ctx: ctx.stance.network.egress != "open",
    description="Subnets never hand out public IP addresses unless the stance's egress is open.",
)
def no_public_subnets(subnet: Resource, ctx: Context) -> Iterator[str]:
    for field in ("mapPublicIpOnLaunch", "assignIpv6AddressOnCreation"):
        if subnet.inputs.get(field) is True:
            yield f"subnet sets {field}: true, so instances in it are reachable from the internet (egress is {ctx.stance.network.egress!r})"


def _world_ingress(rule: Mapping[str, Any], ctx: Context, where: str) -> Iterator[str]:
    sources = [c for key in ("cidrBlocks", "ipv6CidrBlocks") for c in as_list(rule.get(key))]
    sources += [rule[key] for key in ("cidrIpv4", "cidrIpv6") if key in rule]
    world = sorted({c for c in sources if is_world(c)})
    if not world:
        return
    protocol = str(rule.get("protocol", rule.get("ipProtocol", "-1"))).lower()
    ports = (rule.get("fromPort"), rule.get("toPort"))
    sso_door = ctx.stance.network.ingress == "internet-sso" and protocol in ("tcp", "6") and ports == (SSO_PORT, SSO_PORT)
    if not sso_door:
        span = "all ports" if protocol in ("-1", "all") else f"{protocol} {ports[0]}-{ports[1]}"
        yield f"{where} allows ingress from {', '.join(world)} on {span}; only the SSO door (tcp 443, ingress 'internet-sso') may face the internet"


@rules.resource(
    "network.no-world-ingress",
    concern=OUTSIDER,
    severity=Severity.CRITICAL,
    controls=("network.ingress",),
    types={T.SECURITY_GROUP, T.SECURITY_GROUP_RULE, T.SG_INGRESS_RULE},
    description="No security group admits 0.0.0.0/0 or ::/0, except HTTPS to the SSO-protected hub when ingress is 'internet-sso'.",
)
def no_world_ingress(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.type == T.SECURITY_GROUP:
        for i, rule in enumerate(as_list(resource.inputs.get("ingress"))):
            if isinstance(rule, Mapping):
                yield from _world_ingress(rule, ctx, f"ingress[{i}]")
    elif resource.type == T.SECURITY_GROUP_RULE:
        if resource.inputs.get("type") == "ingress":
            yield from _world_ingress(resource.inputs, ctx, "the rule")
    else:
        yield from _world_ingress(resource.inputs, ctx, "the rule")


@rules.resource(
    "network.no-internet-gateways",
    concern=OUTSIDER,
    severity=Severity.CRITICAL,
    controls=("network.egress",),
    types={T.NAT_GATEWAY, T.INTERNET_GATEWAY, T.EGRESS_ONLY_GATEWAY},
    applies=lambda ctx: ctx.stance.network.egress == "mirror",
    description="With egress 'mirror' there is no NAT or internet gateway: traffic leaves only through VPC endpoints and the mirror.",
)
def no_internet_gateways(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.type == T.INTERNET_GATEWAY and ctx.stance.network.ingress == "internet-sso":
        return  # the internet-facing SSO load balancer needs one; NAT is what would let sessions out
    kind = {T.NAT_GATEWAY: "a NAT gateway", T.INTERNET_GATEWAY: "an internet gateway"}.get(resource.type, "an egress-only internet gateway")
    yield f"{kind} opens a path to the internet, but egress is 'mirror' (VPC endpoints and the package mirror only)"


# Interface/gateway endpoints a private cluster needs to reach AWS without the internet.
REQUIRED_ENDPOINTS = ("s3", "sts", "ecr.api", "ecr.dkr", "logs")


@rules.graph(
    "network.vpc-endpoints",
    concern=OUTSIDER,
    severity=Severity.MEDIUM,
    controls=("network.vpc_endpoints",),
    applies=lambda ctx: ctx.stance.network.vpc_endpoints,
    description="S3, STS, ECR and CloudWatch Logs are reached through VPC endpoints, keeping AWS API traffic off the internet.",
)
def vpc_endpoints(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    services = set()
    for endpoint in graph.of_type(T.VPC_ENDPOINT):
        name = str(endpoint.inputs.get("serviceName", ""))
        services.add(name.split(".", 3)[-1])  # com.amazonaws.<region>.ecr.api -> ecr.api
        if endpoint.inputs.get("vpcEndpointType") == "Interface" and endpoint.inputs.get("privateDnsEnabled") is not True:
            yield Finding(f"interface endpoint {name} has privateDnsEnabled off, so SDKs still resolve the public endpoint", endpoint.urn)
    for vpc in graph.of_type(T.VPC):
        missing = [s for s in REQUIRED_ENDPOINTS if s not in services]
        if missing:
            yield Finding(f"no VPC endpoint for {', '.join(missing)}: that AWS API traffic would need a route to the internet", vpc.urn)


_TRAFFIC_STRENGTH = {"ALL": 2, "REJECT": 1, "ACCEPT": 1}


@rules.graph(
    "network.flow-logs",
    concern=OUTSIDER,
    severity=Severity.HIGH,
    controls=("network.flow_logs.traffic", "network.flow_logs.retention_days"),
    applies=lambda ctx: ctx.stance.network.flow_logs.traffic != "NONE",
    description="Every VPC has flow logs of the stance's traffic type, kept in a log group for the stance's retention.",
)
def flow_logs(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    wanted = ctx.stance.network.flow_logs
    logs = graph.of_type(T.FLOW_LOG)
    for vpc in graph.of_type(T.VPC):
        attached = [f for f in logs if vpc in linked(graph, f, T.VPC)]
        if not attached:
            yield Finding(f"no flow log records this VPC's traffic; the stance wants {wanted.traffic} kept {wanted.retention_days} days", vpc.urn)
            continue
        for flow in attached:
            traffic = flow.inputs.get("trafficType")
            if traffic != wanted.traffic and (wanted.traffic == "ALL" or traffic != "ALL"):
                yield Finding(f"flow log records {traffic!r} traffic; the stance wants {wanted.traffic!r}", flow.urn)
            destination = flow.inputs.get("logDestinationType", "cloud-watch-logs")
            if destination != "cloud-watch-logs":
                yield Finding(f"flow log goes to {destination!r}; retention can only be checked for a CloudWatch log group", flow.urn)
                continue
            groups = linked(graph, flow, T.LOG_GROUP)
            if not groups:
                yield Finding("flow log's destination is not a log group of this program, so its retention is unchecked", flow.urn)
            for group in groups:
                days = group.inputs.get("retentionInDays") or 0
                if known(days) and 0 < days < wanted.retention_days:
                    yield Finding(f"flow log group keeps logs {days} days; the stance wants at least {wanted.retention_days}", group.urn)


def flow_log_groups(graph: ResourceGraph) -> set[str]:
    """URNs of the log groups that VPC flow logs and Network Firewall logs write to (their retention follows network.flow_logs)."""
    writers = [*graph.of_type(T.FLOW_LOG), *graph.of_type(T.FIREWALL_LOGGING)]
    return {g.urn for writer in writers for g in linked(graph, writer, T.LOG_GROUP)}


RULES = tuple(rules.rules)
