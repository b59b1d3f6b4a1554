"""The resource graph is plain, stable data that policy checks and reviews can read without the Pulumi SDK."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blueprint.preview.graph import Resource, ResourceGraph, normalise

STACK = "urn:pulumi:dev::acme-dsw::pulumi:pulumi:Stack::acme-dsw-dev"
NETWORK = "urn:pulumi:dev::acme-dsw::workbench:network:Network::network"
VPC = "urn:pulumi:dev::acme-dsw::workbench:network:Network$aws:ec2/vpc:Vpc::network-vpc"
BUCKET = "urn:pulumi:dev::acme-dsw::aws:s3/bucket:Bucket::data"


def resource(urn: str, parent: str | None = STACK, **inputs: object) -> Resource:
    kind, name = urn.split("::")[2].split("$")[-1], urn.split("::")[3]
    return Resource(urn=urn, type=kind, name=name, parent=parent, inputs=inputs, custom=not kind.startswith(("pulumi:pulumi", "workbench:")))


@pytest.fixture
def graph() -> ResourceGraph:
    return ResourceGraph(
        (
            resource(VPC, parent=NETWORK, cidrBlock="10.40.0.0/16"),
            resource(BUCKET, tags={"team": "genomics"}),
            resource(NETWORK),
            resource(STACK, parent=None),
        )
    )


def test_resources_are_sorted_by_urn_whatever_the_registration_order(graph):
    assert [r.urn for r in graph] == sorted([STACK, NETWORK, VPC, BUCKET])
    assert graph == ResourceGraph(tuple(reversed(graph.resources)))


def test_lookup_by_urn_type_parent_and_root(graph):
    assert graph[VPC].inputs == {"cidrBlock": "10.40.0.0/16"}
    assert graph.get("urn:missing") is None and "urn:missing" not in graph and VPC in graph
    assert [r.urn for r in graph.of_type("aws:ec2/vpc:Vpc")] == [VPC]
    assert [r.urn for r in graph.children(NETWORK)] == [VPC]
    assert {r.urn for r in graph.children(STACK)} == {NETWORK, BUCKET}
    assert [r.urn for r in graph.roots()] == [STACK]
    assert graph.children(BUCKET) == ()


def test_json_has_a_stable_shape_and_key_order(graph):
    data = graph.to_json()
    assert list(data) == ["resources", "outputs", "summary"]
    assert data["summary"] == {"create": 4}
    assert list(data["resources"][0])[:5] == ["urn", "type", "name", "parent", "inputs"]
    assert json.dumps(data) == json.dumps(ResourceGraph(tuple(reversed(graph.resources))).to_json())


def test_json_round_trips_every_field():
    protected = Resource(
        urn=BUCKET,
        type="aws:s3/bucket:Bucket",
        name="data",
        parent=STACK,
        inputs={"bucket": "data"},
        protect=True,
        retain_on_delete=True,
        provider="urn:pulumi:dev::acme-dsw::pulumi:providers:aws::eu::eu-id",
        dependencies=(VPC,),
    )
    graph = ResourceGraph((protected, resource(STACK, parent=None)))
    assert ResourceGraph.from_json(json.loads(json.dumps(graph.to_json()))) == graph


def test_duplicate_urns_are_rejected():
    with pytest.raises(ValueError, match="duplicate resource URNs"):
        ResourceGraph((resource(BUCKET), resource(BUCKET)))


def test_integral_floats_become_ints_and_keys_are_sorted():
    assert normalise({"b": 3600.0, "a": [1.0, 0.5, {"d": True, "c": None}]}) == {"a": [1, 0.5, {"c": None, "d": True}], "b": 3600}
    assert list(normalise({"b": 1, "a": 2})) == ["a", "b"]
    assert type(normalise(3600.0)) is int and normalise(True) is True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12,
)


@given(st.dictionaries(st.from_regex(r"[a-z]{1,8}", fullmatch=True), json_values, max_size=4))
def test_any_json_inputs_round_trip_unchanged(inputs):
    data = {"resources": [{"urn": BUCKET, "type": "aws:s3/bucket:Bucket", "name": "data", "parent": STACK, "inputs": inputs}], "summary": {"create": 1}}
    graph = ResourceGraph.from_json(data)
    assert ResourceGraph.from_json(json.loads(json.dumps(graph.to_json()))) == graph


@pytest.mark.parametrize("module", ["blueprint.preview", "blueprint.preview.graph", "blueprint.cli.preview"])
def test_importing_does_not_load_the_pulumi_sdk(module):
    code = f"import sys, {module}; sys.exit('pulumi' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
