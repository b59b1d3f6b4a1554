"""Mermaid drawing of a resource graph."""

from blueprint.diagram import mermaid
from blueprint.preview.graph import Resource, ResourceGraph

STACK = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"


def resource(name, type_, parent, custom=True):
    return Resource(urn=f"urn:pulumi:dev::p::{type_}::{name}", type=type_, name=name, parent=parent, inputs={}, custom=custom)


def sample():
    stack = resource("p-dev", "pulumi:pulumi:Stack", None, custom=False)
    stack = Resource(urn=STACK, type=stack.type, name=stack.name, parent=None, inputs={}, custom=False)
    network = resource("acme-network", "workbench:network:PrivateNetwork", STACK, custom=False)
    subnets = [resource(f"acme-network-private-{i}", "aws:ec2/subnet:Subnet", network.urn) for i in range(3)]
    vpc = resource("acme-network-vpc", "aws:ec2/vpc:Vpc", network.urn)
    evil = resource('team"]-->x', "workbench:teams:TeamSpace", STACK, custom=False)
    return ResourceGraph((stack, network, vpc, *subnets, evil))


def test_components_are_nodes_and_resources_are_counted():
    text = mermaid(sample())
    assert text.startswith("flowchart LR\n")
    assert "acme-network<br/>" in text
    assert "3 × aws:ec2:Subnet" in text and "1 × aws:ec2:Vpc" in text
    assert "acme-network-private-0" not in text


def test_every_resource_mode_lists_each_one():
    text = mermaid(sample(), every_resource=True)
    for i in range(3):
        assert f"acme-network-private-{i}" in text


def test_names_cannot_break_out_of_labels():
    text = mermaid(sample())
    assert 'team"]' not in text
    assert "team__--_x" in text
