"""Works rules for CI: the generated workflow's cluster jobs can reach the Kubernetes API (lost time).

The workflow is generated from `ci` in blueprint.yaml (`generate.workflow.cluster_runs_on`): `pulumi preview` and
`pulumi up` run on the runner `ci.runner` names. Those jobs call the cluster's API through the Kubernetes
provider; if the endpoint does not admit the runner, every pull request's preview hangs and fails on a timeout.

- private endpoint: the runner must be inside the VPC (or a network routed to it) and 443 admitted on the cluster
  security group, which the endpoint's ENIs carry
  (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html#cluster-endpoint-private);
- public endpoint: `publicAccessCidrs` must include the runner's egress address, or the runner is in the VPC
  (with private access on) as above. GitHub-hosted runners leave from GitHub's large, changing address pools,
  which no narrow admin_cidrs list covers.

`works.ci.runner-egress`: before it can run a step, the CodeBuild runner registers with GitHub for the job; then it
checks out, installs Python packages and the Pulumi CLI, and the provider calls the AWS APIs of every resource the
program manages (`facts.ci_runner.runner_domains`). A runner with no way to those hosts takes no job at all: the
pull request waits "for a runner to pick up this job" until GitHub gives up after 24 hours.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from ...facts.ci_runner import runner_domains
from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig, linked, stack_of, stack_urn
from .network import default_routes, table_subnets
from .works_crosscut import FIREWALL_POLICY, networks, sni_admitted

rules = RuleSet()

HTTPS = 443
CODEBUILD_PROJECT = "aws:codebuild/project:Project"
CODEBUILD_WEBHOOK = "aws:codebuild/webhook:Webhook"
WORKFLOW_JOB_EVENT = "WORKFLOW_JOB_QUEUED"


def _admits_https(rule: Resource) -> bool:
    inputs = rule.inputs
    protocol = str(inputs.get("ipProtocol", ""))
    if protocol == "-1":
        return True
    return protocol == "tcp" and inputs.get("fromPort", HTTPS + 1) <= HTTPS <= inputs.get("toPort", -1)


def _api_rules(graph: ResourceGraph, cluster: Resource) -> list[Resource]:
    """Ingress rules on the cluster's security group (they take its id from the cluster) that admit 443."""
    return [r for r in graph.of_type(T.SG_INGRESS_RULE) if cluster in linked(graph, r, T.EKS_CLUSTER) and _admits_https(r)]


def _covers(outer: str, inner: str) -> bool:
    a, b = ipaddress.ip_network(outer, strict=False), ipaddress.ip_network(inner, strict=False)
    return a.version == b.version and b.subnet_of(a)  # type: ignore[arg-type]


def runner_project(graph: ResourceGraph, ctx: Context) -> Resource | None:
    """The CodeBuild project hosting the workflow's runner (named `spec.ci_runner_project(<the graph's stack>)`), if the program has it."""
    assert ctx.spec is not None
    name = ctx.spec.ci_runner_project(stack_of(graph))
    return next((p for p in graph.of_type(CODEBUILD_PROJECT) if p.inputs.get("name") == name), None)


def _vpcs(graph: ResourceGraph, subnets: list[Resource]) -> set[str]:
    return {vpc.urn for subnet in subnets for vpc in linked(graph, subnet, T.VPC)}


def _codebuild_path(graph: ResourceGraph, cluster: Resource, ctx: Context) -> Iterator[str]:
    """Why the CodeBuild runner does not reach the API from inside the VPC (nothing: it does)."""
    assert ctx.spec is not None
    name = ctx.spec.ci_runner_project(stack_of(graph))
    project = runner_project(graph, ctx)
    if project is None:
        fix = "set ci.repository (owner/name) in blueprint.yaml" if ctx.spec.ci.repository is None else "restore the CiRunner component"
        yield f"the workflow's cluster jobs run on `codebuild-{name}-…`, but the program has no CodeBuild project {name!r}; {fix}"
        return
    subnets = as_list(dig(project.inputs, "vpcConfig", "subnets"))
    groups = as_list(dig(project.inputs, "vpcConfig", "securityGroupIds"))
    if not subnets or not groups:
        yield f"CodeBuild project {name!r} has no vpcConfig with subnets and security groups: its runner starts outside the VPC, where the private API does not answer"
        return
    # Any subnet of the cluster's VPC reaches the endpoint's ENIs by the VPC's local route (the runner has a tier of
    # its own under a restricted stance); a subnet of another VPC does not.
    cluster_vpcs = _vpcs(graph, linked(graph, cluster, T.SUBNET))
    runner_vpcs = _vpcs(graph, linked(graph, project, T.SUBNET))
    if cluster_vpcs and runner_vpcs and not runner_vpcs <= cluster_vpcs:
        yield f"CodeBuild project {name!r} runs in subnets of another VPC than the cluster's, where the private endpoint does not answer"
    runner_groups = set(linked(graph, project, T.SECURITY_GROUP))
    from_runner = [r for r in _api_rules(graph, cluster) if runner_groups & set(linked(graph, r, T.SECURITY_GROUP))]
    if not from_runner:
        yield "no ingress rule admits 443 from the CodeBuild runner's security group to the cluster security group: `pulumi preview` times out connecting to the API"
    hooks = [h for h in graph.of_type(CODEBUILD_WEBHOOK) if project in linked(graph, h, CODEBUILD_PROJECT)]
    if not any(WORKFLOW_JOB_EVENT in str(dig(h.inputs, "filterGroups", default="")) for h in hooks):
        yield f"CodeBuild project {name!r} has no webhook on {WORKFLOW_JOB_EVENT}: GitHub queues the cluster jobs and no runner ever takes them"


def _self_hosted_path(graph: ResourceGraph, cluster: Resource, ctx: Context, public: bool) -> Iterator[str]:
    assert ctx.spec is not None
    spec = ctx.spec
    admitted = [str(r.inputs.get("cidrIpv4")) for r in _api_rules(graph, cluster) if r.inputs.get("cidrIpv4")]
    routed = (spec.network.vpc_cidr, *spec.network.on_premises_cidrs)
    public_cidrs = [str(c) for c in as_list(dig(cluster.inputs, "vpcConfig", "publicAccessCidrs"))] if public else []
    for cidr in spec.ci.runner_cidrs:
        if public and any(_covers(c, cidr) for c in public_cidrs):
            continue  # through the public endpoint
        if not any(_covers(r, cidr) for r in routed):
            yield f"self-hosted runners in {cidr} are neither in the VPC nor in on_premises_cidrs, so no route reaches the private endpoint" + (
                ", and the public endpoint's publicAccessCidrs do not include them" if public else ""
            )
        elif not any(_covers(a, cidr) for a in admitted):
            yield f"no ingress rule on the cluster security group admits 443 from the self-hosted runners in {cidr}"


@rules.graph(
    "works.ci.reaches-cluster",
    concern=Concern.LOST_TIME,
    severity=Severity.HIGH,
    controls=(),
    types=(CODEBUILD_WEBHOOK, T.CODEBUILD_PROJECT, T.EKS_CLUSTER, T.SECURITY_GROUP, T.SG_INGRESS_RULE, T.SUBNET, T.VPC),
    family="works",
    applies=lambda ctx: ctx.spec is not None,  # the runner is in blueprint.yaml's ci section
    description="The CI jobs that touch the cluster (pulumi preview/up) run where the Kubernetes API endpoint admits them.",
)
def reaches_cluster(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    assert ctx.spec is not None
    runner = ctx.spec.ci.runner
    for cluster in graph.of_type(T.EKS_CLUSTER):
        public = dig(cluster.inputs, "vpcConfig", "endpointPublicAccess", default=True) is not False
        private = dig(cluster.inputs, "vpcConfig", "endpointPrivateAccess", default=False) is True
        if runner == "github-hosted":
            if not public:
                yield Finding("ci.runner is github-hosted, but the API endpoint is private: GitHub's runners are outside the VPC; use runner: codebuild", cluster.urn)
            else:
                yield Finding(
                    "ci.runner is github-hosted: GitHub's runners leave from address pools no narrow publicAccessCidrs list includes; "
                    "use runner: codebuild (in the VPC) or self-hosted runners whose addresses admin_cidrs list",
                    cluster.urn,
                )
            continue
        if not private and runner == "codebuild":
            yield Finding("vpcConfig.endpointPrivateAccess is not true: a runner inside the VPC cannot reach the API privately", cluster.urn)
            continue
        problems = _codebuild_path(graph, cluster, ctx) if runner == "codebuild" else _self_hosted_path(graph, cluster, ctx, public)
        for message in problems:
            yield Finding(message, cluster.urn)  # at the cluster: its endpoint decides who gets in



@rules.graph(
    "works.ci.runner-egress",
    concern=Concern.LOST_TIME,
    severity=Severity.HIGH,
    controls=(),
    family="works",
    types=(
        T.CODEBUILD_PROJECT, T.SUBNET, T.ROUTE, T.ROUTE_TABLE, T.ROUTE_TABLE_ASSOCIATION, T.FIREWALL_RULE_GROUP, FIREWALL_POLICY, T.FIREWALL,
    ),
    applies=lambda ctx: ctx.spec is not None and ctx.spec.ci_egress != "none",
    description="The CodeBuild CI runner reaches GitHub, Pulumi, the package index and the AWS APIs, by NAT or the egress firewall.",
)
def runner_egress(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    assert ctx.spec is not None
    project = runner_project(graph, ctx)
    if project is None:
        return  # works.ci.reaches-cluster names the missing project
    hosts = runner_domains(ctx.spec.region)
    routes = {subnet.urn: (route, declared) for table, route, declared in default_routes(graph) for subnet in table_subnets(graph, table)}
    for subnet in linked(graph, project, T.SUBNET):
        route, declared = routes.get(subnet.urn, (None, None))
        if route is None:
            yield Finding(
                f"the CI runner's subnet {subnet.name} has no default route, so the runner cannot register with github.com for a job; "
                "run it where egress is open, in the network's CI tier (behind the firewall), or use ci.runner: self-hosted",
                project.urn,
            )
        elif "vpcEndpointId" in route:
            cidr = str(subnet.inputs.get("cidrBlock"))
            admitted = sni_admitted(graph, networks([cidr]), hosts)
            missing = [h for h in hosts if h not in admitted]
            if missing:
                shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
                yield Finding(
                    f"the CI runner's subnet {subnet.name} goes out through the firewall, but no TLS_SNI allowlist in use for {cidr} admits {shown}; "
                    "add a rule group with HOME_NET = the CI tier admitting facts.ci_runner.runner_domains",
                    declared.urn if declared else project.urn,
                )
        elif "natGatewayId" not in route and "gatewayId" not in route:
            yield Finding(f"the CI runner's subnet {subnet.name} has a default route to neither NAT nor the firewall", declared.urn if declared else stack_urn(graph))


RULES = tuple(rules.rules)
