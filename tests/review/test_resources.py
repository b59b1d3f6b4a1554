"""Resource diff and risk findings on small hand-made graphs."""

from __future__ import annotations

from dataclasses import replace

from blueprint.review.resources import diff_graphs, input_changes
from blueprint.review.risk import ENCRYPTION, IAM, PUBLIC, findings

from .conftest import graph, resource

SG = "aws:ec2/securityGroup:SecurityGroup"


def test_added_changed_removed_with_dotted_paths():
    old = graph(
        resource("web", SG, ingress=[{"cidrBlocks": ["10.0.0.0/8"], "fromPort": 443}], tags={"team": "a"}),
        resource("gone", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", blockPublicAcls=True),
        resource("same", "aws:ec2/vpc:Vpc", cidrBlock="10.40.0.0/16"),
    )
    new = graph(
        resource("web", SG, ingress=[{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 443}], tags={"team": "a", "workbench:org": "acme"}),
        resource("same", "aws:ec2/vpc:Vpc", cidrBlock="10.40.0.0/16"),
        resource("role", "aws:iam/role:Role", assumeRolePolicy="{}"),
    )
    diff = diff_graphs(old, new)
    assert [c.name for c in diff.added] == ["role"]
    assert [c.name for c in diff.removed] == ["gone"]
    assert [c.name for c in diff.changed] == ["web"]
    assert diff.changed[0].paths == ("ingress[0].cidrBlocks[0]", 'tags["workbench:org"]')
    assert diff.summary() == {"add": 1, "change": 1, "remove": 1, "same": 1}

    found = {(f.kind, f.change.name, f.why) for f in findings(diff)}
    assert (PUBLIC, "web", "reachable from the whole internet") in found
    assert (PUBLIC, "gone", "S3 public-access block removed") in found
    assert (IAM, "role", "IAM/RBAC resource added") in found
    kinds = [f.kind for f in findings(diff)]
    assert kinds == sorted(kinds, key=[PUBLIC, IAM, ENCRYPTION].index)


def test_graphs_of_two_projects_match_by_logical_urn():
    old = graph(resource("vpc", "aws:ec2/vpc:Vpc", project="a", cidrBlock="10.0.0.0/16"))
    new = graph(resource("vpc", "aws:ec2/vpc:Vpc", project="b", cidrBlock="10.1.0.0/16"))
    diff = diff_graphs(old, new)
    assert not diff.added and not diff.removed
    assert diff.changed[0].paths == ("cidrBlock",)


def test_options_and_types_count_as_changes():
    before = resource("key", "aws:kms/key:Key", enableKeyRotation=True)
    after = replace(resource("key", "aws:kms/key:Key", enableKeyRotation=False), protect=True)
    diff = diff_graphs(graph(before), graph(after))
    assert diff.changed[0].paths == ("enableKeyRotation", "(options).protect")
    assert [(f.kind, f.why) for f in findings(diff)] == [(ENCRYPTION, "KMS resource changed")]
    assert [c.path for c in input_changes({"a": True}, {"a": 1})] == ["a"]


def test_public_endpoint_and_world_egress():
    old = graph(resource("eks", "aws:eks/cluster:Cluster", vpcConfig={"endpointPublicAccess": False}))
    new = graph(
        resource("eks", "aws:eks/cluster:Cluster", vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}),
        resource("out", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", cidrIpv4="0.0.0.0/0"),
        resource("nat", "aws:ec2/route:Route", destinationCidrBlock="0.0.0.0/0"),
    )
    whys = {(f.change.name, f.why) for f in findings(diff_graphs(old, new))}
    assert ("eks", "public Kubernetes API endpoint") in whys
    assert ("eks", "public API reachable from anywhere") in whys
    assert ("nat", "default route to the internet") in whys
    assert ("out", "egress to anywhere") in whys
    assert not any(name == "out" and why == "reachable from the whole internet" for name, why in whys)


def test_the_equal_resources_shortcut_still_tells_a_flag_from_a_number():
    """Resources of one program run's names equal as they stand are counted unchanged without a walk; `True == 1` in
    Python, so that shortcut must not take a flag turned number for equal. Graphs of one preview key are equal outright."""
    old = graph(resource("key", "aws:kms/key:Key", enableKeyRotation=True), resource("same", "aws:ec2/vpc:Vpc", cidrBlock="10.0.0.0/16"))
    new = graph(resource("key", "aws:kms/key:Key", enableKeyRotation=1), resource("same", "aws:ec2/vpc:Vpc", cidrBlock="10.0.0.0/16"))
    diff = diff_graphs(old, new)
    assert [c.name for c in diff.changed] == ["key"] and diff.changed[0].paths == ("enableKeyRotation",) and diff.unchanged == 1
    keyed = replace(old, key="k")
    assert diff_graphs(keyed, replace(old, key="k")).summary() == {"add": 0, "change": 0, "remove": 0, "same": 2}
