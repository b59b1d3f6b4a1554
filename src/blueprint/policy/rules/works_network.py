"""Works rules of the network: every AWS API an installed controller, add-on or workload calls is reachable."""

from __future__ import annotations

from collections.abc import Iterator

from ...facts.aws_apis import API_CALLERS, GATEWAY_SERVICES
from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig, k8s_name, linked
from .network import default_routes

rules = RuleSet()

AUTOSCALER = "cluster-autoscaler"
CURATOR_PREFIX = "curator"  # the package mirror's CronJobs are named curator-<job>


def _mentions_autoscaler(resource: Resource) -> bool:
    if AUTOSCALER in (k8s_name(resource) or "") or AUTOSCALER in str(resource.inputs.get("chart", "")):
        return True
    containers = as_list(dig(resource.inputs, "spec", "template", "spec", "containers"))
    return any(AUTOSCALER in str(dig(c, "image", default="")) for c in containers)


def installed_callers(graph: ResourceGraph) -> dict[str, Resource]:
    """facts.aws_apis caller id -> the resource that shows the graph installs it (node groups, EKS add-ons by
    addon_name, the Cluster Autoscaler Deployment or chart, JupyterHub's hub and sessions, the curator jobs, a
    CodeBuild project inside the VPC)."""
    found: dict[str, Resource] = {}
    for group in graph.of_type(T.NODE_GROUP):
        found.setdefault("node", group)
    for addon in graph.of_type(T.EKS_ADDON):
        found.setdefault(str(addon.inputs.get("addonName")), addon)
    for resource in (*graph.of_type(T.DEPLOYMENT), *graph.of_type(T.HELM_RELEASE)):
        if _mentions_autoscaler(resource):
            found.setdefault(AUTOSCALER, resource)
    for release in graph.of_type(T.HELM_RELEASE):
        if release.inputs.get("chart") == "jupyterhub" or str(release.inputs.get("chart", "")).endswith("/jupyterhub"):
            found.setdefault("workload:hub", release)
            found.setdefault("workload:session", release)
    for job in (*graph.of_type(T.CRON_JOB), *graph.of_type(T.JOB)):
        if (k8s_name(job) or "").startswith(CURATOR_PREFIX):
            found.setdefault("workload:curator", job)
    for project in graph.of_type(T.CODEBUILD_PROJECT):
        if project.inputs.get("vpcConfig"):  # a build inside the VPC (the CI runner); one outside reaches AWS itself
            found.setdefault("workload:ci-runner", project)
    return found


def _service(endpoint: Resource) -> str:
    return str(endpoint.inputs.get("serviceName", "")).split(".", 3)[-1]  # com.amazonaws.<region>.ecr.api -> ecr.api


@rules.graph(
    "works.network.aws-apis-reachable",
    concern=Concern.LOST_TIME,
    severity=Severity.HIGH,
    controls=("network.vpc_endpoints", "network.egress"),
    types=(T.CODEBUILD_PROJECT, T.CRON_JOB, T.DEPLOYMENT, T.EKS_ADDON, T.HELM_RELEASE, T.JOB, T.ROUTE, T.ROUTE_TABLE, T.VPC_ENDPOINT),
    family="works",
    description="Every AWS API an installed add-on, node or workload calls has a VPC endpoint (S3: a gateway route) or an open NAT path.",
)
def aws_apis_reachable(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    """Where the callers run: the node groups' subnets (DaemonSets such as the VPC CNI run on every node; controllers and
    sessions land on any pool that admits them). An interface endpoint with private DNS answers from anywhere in the VPC;
    the S3 gateway endpoint only for the route tables it is on; an open NAT route reaches every public AWS endpoint. The
    egress firewall's allowlist names no AWS API host, so a path through it does not count."""
    endpoints = graph.of_type(T.VPC_ENDPOINT)
    interface = {_service(e) for e in endpoints if e.inputs.get("vpcEndpointType") == "Interface" and e.inputs.get("privateDnsEnabled") is True}
    gateway_tables = {
        _service(e): {t.urn for t in linked(graph, e, T.ROUTE_TABLE)} for e in endpoints if e.inputs.get("vpcEndpointType") == "Gateway"
    }
    table_of: dict[str, str] = {}  # subnet urn -> route table urn
    for association in graph.of_type(T.ROUTE_TABLE_ASSOCIATION):
        for table in linked(graph, association, T.ROUTE_TABLE):
            for subnet in linked(graph, association, T.SUBNET):
                table_of[subnet.urn] = table.urn
    nat_tables = {table.urn for table, route, _ in default_routes(graph) if "natGatewayId" in route}
    node_subnets = sorted({s.urn: s for group in graph.of_type(T.NODE_GROUP) for s in linked(graph, group, T.SUBNET)}.values(), key=lambda s: s.name)
    if not node_subnets:
        return  # nothing runs, so nothing calls
    without_nat = [s for s in node_subnets if table_of.get(s.urn) not in nat_tables]
    for caller, shown_by in sorted(installed_callers(graph).items()):
        if caller not in API_CALLERS:
            yield Finding(f"{caller} is installed, but facts.aws_apis.API_CALLERS does not say which AWS APIs it calls; add it there", shown_by.urn)
            continue
        for api in sorted(API_CALLERS[caller]):
            if api in GATEWAY_SERVICES:
                cut_off = [s.name for s in without_nat if table_of.get(s.urn) not in gateway_tables.get(api, set())]
                if cut_off:
                    yield Finding(
                        f"{caller} calls {api} from nodes in {', '.join(cut_off)}, whose route table has neither the {api} gateway endpoint "
                        "nor a NAT route: the calls time out",
                        shown_by.urn,
                    )
            elif api not in interface and without_nat:
                yield Finding(
                    f"{caller} calls {api}, but the VPC has no {api} interface endpoint with private DNS and nodes in "
                    f"{', '.join(s.name for s in without_nat)} have no open NAT route: the calls time out",
                    shown_by.urn,
                )


RULES = tuple(rules.rules)
