"""works.ci.reaches-cluster: the workflow's cluster jobs run where the API endpoint admits them.

(1) every built-in stance passes on its real generated graph; (2) mutations of a real graph (the SG rule, the
runner's VPC configuration, the webhook removed; the blueprint naming a runner outside the VPC) fire it.
"""

from __future__ import annotations

import pytest

from blueprint.model.spec import CiSpec
from blueprint.policy import BY_ID, evaluate

from .conftest import find, mutate, without

RULE = BY_ID["works.ci.reaches-cluster"]
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"
CLUSTER = "aws:eks/cluster:Cluster"


def messages(spec, graph) -> list[str]:
    result = evaluate(spec, graph, rules=[RULE])
    assert all(v.rule == RULE.id for v in result.violations)
    return [v.message for v in result.violations]


def test_is_a_works_rule():
    assert RULE.family == "works" and RULE.concern.value == "lost-time"


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_every_stance_passes_on_its_real_graph(real, stance):
    project = real(stance)
    assert project.spec.ci.runner == "codebuild"
    assert messages(project.spec, project.graph) == []


def test_without_the_rule_to_the_api_the_runner_times_out(real):
    project = real("strict")
    graph = without(project.graph, find(project.graph, INGRESS, "ci-api"))
    assert any("no ingress rule admits 443 from the CodeBuild runner" in m for m in messages(project.spec, graph))


def test_a_rule_from_elsewhere_does_not_count(real):
    project = real("balanced")
    rule = find(project.graph, INGRESS, "ci-api")
    # Same port, but on a group that is not the cluster's (the endpoints' group): no dependency on the cluster.
    endpoints = find(project.graph, "aws:ec2/securityGroup:SecurityGroup", "network-endpoints")
    others = tuple(d for d in rule.dependencies if project.graph[d].type != CLUSTER)
    graph = mutate(project.graph, rule, lambda inputs: inputs.update(securityGroupId="sg-endpoints"), dependencies=(*others, endpoints.urn))
    assert any("no ingress rule admits 443" in m for m in messages(project.spec, graph))


def test_a_runner_outside_the_vpc_cannot_reach_a_private_endpoint(real):
    project = real("strict")
    graph = mutate(project.graph, find(project.graph, PROJECT, "-ci-"), lambda inputs: inputs.pop("vpcConfig"))
    assert any("has no vpcConfig" in m for m in messages(project.spec, graph))


def test_without_the_webhook_no_runner_takes_the_jobs(real):
    project = real("strict")
    graph = without(project.graph, find(project.graph, WEBHOOK))
    assert any("no webhook on WORKFLOW_JOB_QUEUED" in m for m in messages(project.spec, graph))


def test_without_a_repository_there_is_no_runner_project(real):
    project = real("balanced")
    spec = project.spec.model_copy(update={"ci": CiSpec()})  # no repository: CiRunner makes no project
    graph = without(project.graph, find(project.graph, PROJECT, "-ci-"), find(project.graph, WEBHOOK))
    assert any("set ci.repository" in m for m in messages(spec, graph))


@pytest.mark.parametrize("stance", ["strict", "open"])
def test_github_hosted_runners_reach_neither_endpoint(real, stance):
    project = real(stance)
    spec = project.spec.model_copy(update={"ci": CiSpec(runner="github-hosted")})
    expected = "the API endpoint is private" if stance == "strict" else "no narrow publicAccessCidrs list includes"
    assert any(expected in m for m in messages(spec, project.graph))


def test_the_private_endpoint_turned_off_strands_the_runner(real):
    project = real("open")
    graph = mutate(project.graph, find(project.graph, CLUSTER), lambda inputs: inputs["vpcConfig"].update(endpointPrivateAccess=False))
    assert any("endpointPrivateAccess is not true" in m for m in messages(project.spec, graph))


def test_self_hosted_runners_need_a_route_and_the_rule(real):
    project = real("strict")
    rule = find(project.graph, INGRESS, "ci-api")
    on_site = CiSpec(runner="self-hosted", runner_label="workbench", runner_cidrs=("10.40.0.0/24",))
    # The real rule admits the CodeBuild group, not these runners' network.
    assert any("admits 443 from the self-hosted runners in 10.40.0.0/24" in m for m in messages(project.spec.model_copy(update={"ci": on_site}), project.graph))
    admitted = mutate(project.graph, rule, lambda inputs: (inputs.pop("referencedSecurityGroupId"), inputs.update(cidrIpv4="10.40.0.0/24")))
    assert messages(project.spec.model_copy(update={"ci": on_site}), admitted) == []
    elsewhere = on_site.model_copy(update={"runner_cidrs": ("198.51.100.0/24",)})
    assert any("neither in the VPC nor in on_premises_cidrs" in m for m in messages(project.spec.model_copy(update={"ci": elsewhere}), admitted))
