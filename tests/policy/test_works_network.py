"""works.network.aws-apis-reachable on the real graphs: every stance passes; removing the endpoint or the route that
makes a caller's API reachable fires it (issue 11.6: the EFS CSI controller with no elasticfilesystem endpoint)."""

from __future__ import annotations

import pytest

from blueprint.facts.aws_apis import API_CALLERS
from blueprint.policy import BY_ID, evaluate
from blueprint.policy.rules.works_network import installed_callers
from blueprint.preview import ResourceGraph

from .conftest import Real, added, find, mutate, without

RULE = BY_ID["works.network.aws-apis-reachable"]
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROUTE = "aws:ec2/route:Route"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def judge(real: Real, graph: ResourceGraph) -> list[str]:
    result = evaluate(real.spec, graph, rules=[RULE])
    assert all(v.rule == RULE.id for v in result.violations)
    return [f"{v.urn.rsplit('::', 1)[-1]}: {v.message}" for v in result.violations]


def test_it_is_a_works_rule_about_lost_time():
    assert RULE.family == "works" and RULE.concern.value == "lost-time"


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_every_stance_reaches_every_api_its_callers_call(real, stance):
    project = real(stance)
    callers = installed_callers(project.graph)
    assert {"node", "aws-efs-csi-driver", "workload:hub", "workload:session"} <= set(callers), callers
    assert set(callers) <= set(API_CALLERS), "every installed caller is in the facts table"
    assert judge(project, project.graph) == []


@pytest.mark.parametrize("stance", ["strict", "balanced"])
def test_no_elasticfilesystem_endpoint_leaves_the_efs_csi_controller_timing_out(real, stance):
    project = real(stance)
    graph = without(project.graph, find(project.graph, ENDPOINT, "elasticfilesystem"))
    found = judge(project, graph)
    assert len(found) == 1 and found[0].startswith("acme-addons-efs-csi: aws-efs-csi-driver calls elasticfilesystem"), found
    assert "no open NAT route" in found[0]


def test_no_s3_gateway_endpoint_leaves_nodes_without_image_layers(real):
    project = real("strict")
    found = judge(project, without(project.graph, find(project.graph, ENDPOINT, "network-s3")))
    # One finding per unreachable API, naming the first caller (the CI runner in the VPC, the nodes, sessions...).
    assert any(" calls s3 from nodes in " in f and "acme-network-private-0" in f and "neither the s3 gateway endpoint nor a NAT route" in f for f in found), found


def test_a_node_group_in_a_subnet_off_the_s3_gateway_is_caught(real):
    """The hub's pool in the hub tier: its route tables must carry the S3 gateway endpoint (ECR layers come from S3)."""
    project = real("strict")
    graph = project.graph
    hub_subnets = [s for s in graph.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["tier"] == "hub"]
    cpu = find(graph, NODE_GROUP, "cpu-m6i-xlarge")
    moved = mutate(graph, cpu, lambda i: i.update(subnetIds=[f"{s.name}-id" for s in hub_subnets]), dependencies=tuple(s.urn for s in hub_subnets))
    assert judge(project, moved) == [], "the hub tier's route tables are on the S3 gateway endpoint"
    s3 = find(moved, ENDPOINT, "network-s3")
    private_only = mutate(moved, s3, dependencies=tuple(d for d in s3.dependencies if "-hub-" not in d))
    found = judge(project, private_only)
    assert any(" calls s3 from nodes in acme-network-hub-0, acme-network-hub-1, acme-network-hub-2" in f for f in found), found


def test_open_reaches_aws_through_nat_and_not_without_it(real):
    project = real("open")
    graph = project.graph
    egress = [r for r in graph.of_type(ROUTE) if r.name.endswith("-egress")]
    found = judge(project, without(graph, *egress))
    assert any(f.startswith("acme-cluster-cpu-") and "node calls ec2, but the VPC has no ec2 interface endpoint" in f for f in found), found
    assert any("aws-efs-csi-driver calls elasticfilesystem" in f for f in found), found


def test_an_installed_autoscaler_needs_the_autoscaling_endpoint(real):
    project = real("strict")
    graph = project.graph
    assert "cluster-autoscaler" in installed_callers(graph), "ClusterAddons installs it"
    found = judge(project, without(graph, find(graph, ENDPOINT, "autoscaling")))
    assert [f.split(":", 1)[0] for f in found] == ["acme-addons-autoscaler"] and "calls autoscaling" in found[0], found


def test_an_add_on_the_facts_table_does_not_know_is_a_finding(real):
    project = real("balanced")
    graph = project.graph
    like = find(graph, ADDON, "efs-csi")
    found = judge(project, added(graph, like, ADDON, "acme-cluster-observability", {"addonName": "amazon-cloudwatch-observability", "clusterName": "acme-dev"}))
    assert found == [
        "acme-cluster-observability: amazon-cloudwatch-observability is installed, but facts.aws_apis.API_CALLERS does not say which AWS APIs it calls; add it there"
    ]


def test_a_ci_runner_in_the_vpc_needs_the_logs_endpoint(real):
    project = real("strict")
    graph = project.graph
    like = find(graph, "aws:ec2/vpc:Vpc", "vpc")
    inputs = {"name": "acme-dev-ci", "vpcConfig": {"vpcId": "acme-network-vpc-id", "subnets": ["acme-network-private-0-id"], "securityGroupIds": ["sg"]}}
    with_runner = added(graph, like, "aws:codebuild/project:Project", "acme-ci-runner", inputs)
    assert "workload:ci-runner" in installed_callers(with_runner)
    assert judge(project, with_runner) == []
    found = judge(project, without(with_runner, find(with_runner, ENDPOINT, "network-logs")))
    assert found and all(f.split(":", 1)[0] in ("acme-ci-runner", "acme-ci-project") and "workload:ci-runner calls logs" in f for f in found), found
