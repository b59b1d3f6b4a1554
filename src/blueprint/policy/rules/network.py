"""Network rules: how data could leave the VPC (data-theft-outsider)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from ...facts.ci_runner import runner_domains
from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig, known, linked

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


def hub_signs_in_over_the_internet(ctx: Context) -> bool:
    """The hub needs an internet path to the IdP (its hosts: spec.idp_hosts): true unless the blueprint says the IdP is
    reached over the organisation's network. Without a blueprint it cannot be known, so the sign-in path is allowed
    and `network.sessions-no-route-out` still proves nothing but the hub tier uses it."""
    return ctx.spec is None or ctx.spec.idp.reachable_via == "internet"


def ci_runner_goes_out(ctx: Context) -> bool:
    """The CodeBuild CI runner needs its own path out through the firewall (spec.ci_egress); unknown without a
    blueprint, so allowed, and `network.firewall-allowlist` still bounds what that tier reaches."""
    return ctx.spec is None or ctx.spec.ci_egress == "firewall"


@rules.resource(
    "network.no-internet-gateways",
    concern=OUTSIDER,
    severity=Severity.CRITICAL,
    controls=("network.egress",),
    types={T.NAT_GATEWAY, T.INTERNET_GATEWAY, T.EGRESS_ONLY_GATEWAY},
    applies=lambda ctx: ctx.stance.network.egress == "mirror",
    description="With egress 'mirror' there is no NAT or internet gateway, except on the hub's sign-in path to an IdP on the internet, the CI runner's path, or for SSO ingress.",
)
def no_internet_gateways(resource: Resource, ctx: Context) -> Iterator[str]:
    if resource.type == T.INTERNET_GATEWAY and ctx.stance.network.ingress == "internet-sso":
        return  # the internet-facing SSO load balancer needs one; NAT is what would let sessions out
    if resource.type in (T.NAT_GATEWAY, T.INTERNET_GATEWAY) and (hub_signs_in_over_the_internet(ctx) or ci_runner_goes_out(ctx)):
        return  # the hub's path to the IdP, the CI runner's: network.sessions-no-route-out proves only those tiers reach it
    kind = {T.NAT_GATEWAY: "a NAT gateway", T.INTERNET_GATEWAY: "an internet gateway"}.get(resource.type, "an egress-only internet gateway")
    why = " and the IdP is reached over the organisation's network (idp.reachable_via: on-premises)" if ctx.spec and resource.type != T.EGRESS_ONLY_GATEWAY else ""
    yield f"{kind} opens a path to the internet, but egress is 'mirror' (VPC endpoints and the package mirror only){why}"


# Under egress 'mirror', which tier's route tables may hold a default route, and to what (the hub's sign-in path and
# the CI runner's: hub/ci -> firewall endpoint -> NAT -> internet gateway; plus the SSO load balancers' public tier).
_DEFAULT_ROUTE_TARGETS = {"hub": "vpcEndpointId", "ci": "vpcEndpointId", "firewall": "natGatewayId", "nat": "gatewayId", "public": "gatewayId"}
# The tiers whose default route must go through the firewall wherever egress is restricted.
_GUARDED_TIERS = ("private", "hub", "ci")
_WORLD = ("destinationCidrBlock", "destinationIpv6CidrBlock")


def default_routes(graph: ResourceGraph) -> Iterator[tuple[Resource, Mapping[str, Any], Resource]]:
    """(route table, route, the resource that declares it) for every route to 0.0.0.0/0 or ::/0."""
    for route in graph.of_type(T.ROUTE):
        if any(is_world(route.inputs.get(key)) for key in _WORLD):
            for table in linked(graph, route, T.ROUTE_TABLE):
                yield table, route.inputs, route
    for table in graph.of_type(T.ROUTE_TABLE):
        for inline in as_list(table.inputs.get("routes")):
            if isinstance(inline, Mapping) and any(is_world(inline.get(key)) for key in ("cidrBlock", "ipv6CidrBlock")):
                yield table, inline, table


def table_subnets(graph: ResourceGraph, table: Resource) -> list[Resource]:
    """The subnets associated with a route table (through its RouteTableAssociations)."""
    return [
        subnet
        for association in graph.of_type(T.ROUTE_TABLE_ASSOCIATION)
        if table in linked(graph, association, T.ROUTE_TABLE)
        for subnet in linked(graph, association, T.SUBNET)
    ]


def tier_of(subnet: Resource) -> str:
    """The tier PrivateNetwork tags a subnet with (`tier`); an untagged subnet counts as a private (session) one."""
    return str(dig(subnet.inputs, "tags", T.TIER_TAG) or "private")


@rules.graph(
    "network.sessions-no-route-out",
    concern=OUTSIDER,
    severity=Severity.CRITICAL,
    controls=("network.egress",),
    types=(T.ROUTE, T.ROUTE_TABLE, T.ROUTE_TABLE_ASSOCIATION, T.SUBNET),
    applies=lambda ctx: ctx.stance.network.egress == "mirror",
    description="With egress 'mirror' no session subnet has a default route; only the hub's and the CI runner's tiers go out, through the egress firewall.",
)
def sessions_no_route_out(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    for table, route, declared in default_routes(graph):
        subnets = table_subnets(graph, table)
        for subnet in subnets:
            tier = tier_of(subnet)
            wanted = _DEFAULT_ROUTE_TARGETS.get(tier)
            if tier == "ci" and not ci_runner_goes_out(ctx):
                yield Finding(f"subnet {subnet.name} (ci) has a default route out of the VPC, but the blueprint has no CodeBuild CI runner that needs one", declared.urn)
            elif wanted is None:
                yield Finding(f"subnet {subnet.name} ({tier}) has a default route out of the VPC, but egress is 'mirror': sessions have no way out", declared.urn)
            elif wanted not in route:
                target = next((key for key in ("vpcEndpointId", "natGatewayId", "gatewayId", "transitGatewayId", "networkInterfaceId") if key in route), "a target")
                yield Finding(f"the {tier} tier's default route goes to {target}; under egress 'mirror' it may only go to {wanted}", declared.urn)


def stance_pattern(target: str) -> str:
    """A Network Firewall domain target in the stance's syntax: `.example.com` (any subdomain) is `*.example.com`."""
    return f"*{target}" if target.startswith(".") else target


def _home_net(group: Resource) -> list[str]:
    for ip_set in as_list(dig(group.inputs, "ruleGroup", "ruleVariables", "ipSets")):
        if isinstance(ip_set, Mapping) and ip_set.get("key") == "HOME_NET":
            return [str(c) for c in as_list(dig(ip_set, "ipSet", "definitions"))]
    return []


def _covers(sources: list[str], cidr: str) -> bool:
    """True when `cidr` lies within one of `sources`; no sources means the whole VPC (Network Firewall's default HOME_NET)."""
    if not sources:
        return True
    try:
        network = ipaddress.ip_network(cidr, strict=False)
        return any(network.subnet_of(ipaddress.ip_network(s, strict=False)) for s in sources)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@rules.graph(
    "network.firewall-allowlist",
    concern=OUTSIDER,
    severity=Severity.HIGH,
    controls=("network.egress", "network.egress_allowlist"),
    types=(T.FIREWALL, T.FIREWALL_RULE_GROUP, T.ROUTE, T.ROUTE_TABLE, T.ROUTE_TABLE_ASSOCIATION, T.SUBNET),
    applies=lambda ctx: ctx.stance.network.egress != "open",
    description="The firewall admits exactly egress_allowlist from sessions, the IdP from the hub tier, the runner's hosts from the CI tier.",
)
def firewall_allowlist(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    allowlist = set(ctx.stance.network.egress_allowlist) if ctx.stance.network.egress == "allowlist" else set()
    idp = set(ctx.spec.idp_hosts) if ctx.spec else None
    runner = set(runner_domains(ctx.spec.region)) if ctx.spec else None
    subnets = [s for s in graph.of_type(T.SUBNET) if known(s.inputs.get("cidrBlock"))]
    hub_cidrs = [str(s.inputs["cidrBlock"]) for s in subnets if tier_of(s) == "hub"]
    ci_cidrs = [str(s.inputs["cidrBlock"]) for s in subnets if tier_of(s) == "ci"]
    session_cidrs = [str(s.inputs["cidrBlock"]) for s in subnets if tier_of(s) == "private"]
    sessions_reach: set[str] = set()
    hub_reach: set[str] = set()
    for group in graph.of_type(T.FIREWALL_RULE_GROUP):
        source = dig(group.inputs, "ruleGroup", "rulesSource", "rulesSourceList")
        if not isinstance(source, Mapping):
            continue
        if source.get("generatedRulesType") != "ALLOWLIST":
            continue  # a deny list only takes away
        targets = {stance_pattern(str(t)) for t in as_list(source.get("targets"))}
        sources = _home_net(group)
        for_hub = any(_covers(sources, c) for c in hub_cidrs)
        for_sessions = any(_covers(sources, c) for c in session_cidrs) or not (hub_cidrs or session_cidrs)
        if for_sessions:
            sessions_reach |= targets
            extra = sorted(targets - allowlist)
            if extra:
                yield Finding(f"the firewall admits {', '.join(extra)} from the session subnets, which is not in network.egress_allowlist", group.urn)
        if for_hub:
            hub_reach |= targets
            extra = sorted(targets - idp) if idp is not None else []
            if extra:
                yield Finding(f"the firewall admits {', '.join(extra)} from the hub tier, which only signs users in at {', '.join(sorted(idp or ()))}", group.urn)
        if any(_covers(sources, c) for c in ci_cidrs):
            extra = sorted(targets - runner) if runner is not None else []
            if extra:
                yield Finding(f"the firewall admits {', '.join(extra)} from the CI runner's tier, which needs only facts.ci_runner's hosts", group.urn)
    firewalls = graph.of_type(T.FIREWALL)
    where = firewalls[0].urn if firewalls else None
    through_firewall = False
    for table, route, declared in default_routes(graph):
        for subnet in table_subnets(graph, table):
            tier = tier_of(subnet)
            if tier in _GUARDED_TIERS and "vpcEndpointId" not in route:
                yield Finding(f"subnet {subnet.name} ({tier}) has a default route that bypasses the egress firewall", declared.urn)
            through_firewall |= tier == "private" and "vpcEndpointId" in route
    # Missing hosts matter where sessions do go out through the firewall (not under strict's no-route sessions).
    missing = sorted(allowlist - sessions_reach)
    if missing and through_firewall:
        yield Finding(f"network.egress_allowlist names {', '.join(missing)}, but no firewall rule admits it from the session subnets", where)
    if idp is not None and hub_cidrs:
        missing_idp = sorted(idp - hub_reach)
        if missing_idp:
            yield Finding(f"the hub tier cannot reach the IdP host(s) {', '.join(missing_idp)} through the firewall, so nobody can sign in", where)


# Interface/gateway endpoints any private cluster needs to reach AWS without the internet: image pulls (ECR API,
# registry, layers on S3) and IRSA (STS). CloudWatch Logs is not among them: AWS itself writes control-plane, flow and
# firewall logs, so a logs endpoint is needed only by an in-cluster log shipper, which facts.aws_apis lists and
# works.network.aws-apis-reachable then checks. Every endpoint is also a door for credentials from anywhere.
REQUIRED_ENDPOINTS = ("s3", "sts", "ecr.api", "ecr.dkr")


@rules.graph(
    "network.vpc-endpoints",
    concern=OUTSIDER,
    severity=Severity.MEDIUM,
    controls=("network.vpc_endpoints",),
    types=(T.VPC, T.VPC_ENDPOINT),
    applies=lambda ctx: ctx.stance.network.vpc_endpoints,
    description="S3, STS and ECR are reached through VPC endpoints with private DNS, keeping AWS API traffic off the internet.",
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
    types=(T.FLOW_LOG, T.LOG_GROUP, T.VPC),
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
