"""The component tree summarised by type (`blueprint preview` on many teams) and as JSON (`blueprint graph --json`)."""

from blueprint.diagram import component_tree, summarise
from blueprint.preview.graph import Resource, ResourceGraph

STACK = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"


def resource(name, type_, parent, custom=True):
    return Resource(urn=f"urn:pulumi:dev::p::{type_}::{name}", type=type_, name=name, parent=parent, inputs={}, custom=custom)


def teams(count: int) -> ResourceGraph:
    stack = Resource(urn=STACK, type="pulumi:pulumi:Stack", name="p-dev", parent=None, inputs={}, custom=False)
    parts = [stack, resource("p-provider", "pulumi:providers:kubernetes", STACK)]
    for i in range(1, count + 1):
        team = resource(f"team-{i}", "workbench:teamspace:TeamSpace", STACK, custom=False)
        logs = resource(f"team-{i}-logs", "workbench:audit:AccessLogBucket", team.urn, custom=False)
        parts += [
            team,
            resource(f"team-{i}-ns", "kubernetes:core/v1:Namespace", team.urn),
            resource(f"team-{i}-deny", "kubernetes:networking.k8s.io/v1:NetworkPolicy", team.urn),
            resource(f"team-{i}-dns", "kubernetes:networking.k8s.io/v1:NetworkPolicy", team.urn),
            logs,
            resource(f"team-{i}-logs-bucket", "aws:s3/bucket:Bucket", logs.urn),
        ]
    return ResourceGraph(tuple(parts))


def test_components_of_one_type_are_one_kind_whatever_their_number():
    kinds = summarise(teams(50))
    assert [(k.depth, k.type, len(k.names)) for k in kinds] == [
        (0, "pulumi:pulumi:Stack", 1),
        (1, "workbench:teamspace:TeamSpace", 50),
        (2, "workbench:audit:AccessLogBucket", 50),
    ]
    stack, team, logs = kinds
    assert stack.resources == (("pulumi:providers:kubernetes", 1),)
    assert team.resources == (("kubernetes:core/v1:Namespace", 50), ("kubernetes:networking.k8s.io/v1:NetworkPolicy", 100))
    assert team.resource_count == 150 and logs.resource_count == 50  # a nested component's resources are its own
    assert team.names[:3] == ("team-1", "team-2", "team-3") and team.names[-1] == "team-50"  # natural order
    assert len(summarise(teams(5))) == len(kinds)


def test_component_tree_counts_or_lists_resources():
    (stack,) = component_tree(teams(2))
    assert stack["resources"] == {"pulumi:providers:kubernetes": 1}
    first = stack["components"][0]
    assert first["name"] == "team-1" and first["resources"] == {"kubernetes:core/v1:Namespace": 1, "kubernetes:networking.k8s.io/v1:NetworkPolicy": 2}
    assert first["components"][0]["type"] == "workbench:audit:AccessLogBucket"
    (listed,) = component_tree(teams(2), every_resource=True)
    assert sorted(r["name"] for r in listed["components"][0]["resources"]) == ["team-1-deny", "team-1-dns", "team-1-ns"]
