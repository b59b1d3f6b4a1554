"""Works rules for the cluster over real generated graphs (the real program, the real Helm engine): each passes
every built-in stance and fires on a mutation that removes or changes what makes it pass."""

from __future__ import annotations

import json

import pytest

from blueprint.components.naming import EBS_STORAGE_CLASS
from blueprint.policy import BY_ID, evaluate
from blueprint.preview import ResourceGraph

from .conftest import Real, find, mutate, setpath, without

ADDON = "aws:eks/addon:Addon"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE = "kubernetes:helm.sh/v3:Release"
RULE_IDS = (
    "works.cluster.volumes-bind",
    "works.cluster.node-groups-autoscaled",
    "works.cluster.gpu-device-plugin",
    "works.cluster.profiles-fit",
)


def hub_claims_the_class(graph: ResourceGraph) -> ResourceGraph:
    """The hub helper's half of item 2 (hub.db.pvc.storageClassName = naming.EBS_STORAGE_CLASS); a no-op once merged."""
    release = find(graph, RELEASE, "hub")
    if ((release.inputs["values"].get("hub") or {}).get("db") or {}).get("pvc", {}).get("storageClassName") == EBS_STORAGE_CLASS:
        return graph

    def claim(inputs):
        inputs["values"].setdefault("hub", {}).setdefault("db", {}).setdefault("pvc", {})["storageClassName"] = EBS_STORAGE_CLASS

    return mutate(graph, release, claim)


def findings(project: Real, graph: ResourceGraph, rule_id: str) -> list[str]:
    return [f"{v.urn}: {v.message}" for v in evaluate(project.spec, graph, rules=[BY_ID[rule_id]]).violations]


def test_rules_are_works_rules():
    assert all(BY_ID[r].family == "works" and BY_ID[r].controls == () for r in RULE_IDS)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_stance_passes(stance_name, real, rule_id):
    project = real(stance_name)
    assert findings(project, hub_claims_the_class(project.graph), rule_id) == []


def test_the_hub_claim_without_a_class_never_binds(real):
    project = real("strict")
    release = find(project.graph, RELEASE, "hub")
    graph = mutate(project.graph, release, lambda i: i["values"].setdefault("hub", {}).setdefault("db", {}).setdefault("pvc", {}).pop("storageClassName", None))
    (message,) = findings(project, graph, "works.cluster.volumes-bind")
    assert "hub-db-dir" in message and "no class as default" in message


def test_volumes_do_not_bind_without_the_class_or_its_driver(real):
    project = real("balanced")
    graph = hub_claims_the_class(project.graph)
    gp3 = find(graph, STORAGE_CLASS, "gp3")
    (message,) = findings(project, without(graph, gp3), "works.cluster.volumes-bind")
    assert f"StorageClass {EBS_STORAGE_CLASS!r}, which the program does not create" in message
    ebs = next(a for a in graph.of_type(ADDON) if a.inputs["addonName"] == "aws-ebs-csi-driver")
    (message,) = findings(project, without(graph, ebs), "works.cluster.volumes-bind")
    assert "aws-ebs-csi-driver add-on is not installed" in message
    efs = next(a for a in graph.of_type(ADDON) if a.inputs["addonName"] == "aws-efs-csi-driver")
    (message,) = findings(project, without(graph, efs), "works.cluster.volumes-bind")
    assert "efs.csi.aws.com" in message, "session homes use the EFS class"


def test_groups_that_grow_need_the_autoscaler(real):
    project = real("balanced")
    autoscaler = find(project.graph, DEPLOYMENT, "autoscaler")
    messages = findings(project, without(project.graph, autoscaler), "works.cluster.node-groups-autoscaled")
    assert len(messages) == len(project.graph.of_type(NODE_GROUP)) and all("pods wait forever" in m for m in messages)
    other_cluster = mutate(
        project.graph,
        autoscaler,
        lambda i: setpath(i, "spec.template.spec.containers.0.command.3", "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/someone-else"),
    )
    assert findings(project, other_cluster, "works.cluster.node-groups-autoscaled"), "discovering another cluster's groups scales nothing here"


def test_gpu_nodes_need_the_device_plugin(real):
    project = real("strict")
    gpu = next(g for g in project.graph.of_type(NODE_GROUP) if g.inputs["labels"]["workbench/pool"] == "gpu")
    graph = mutate(project.graph, gpu, lambda i: i.update(amiType="AL2023_x86_64_NVIDIA"))
    (message,) = findings(project, graph, "works.cluster.gpu-device-plugin")
    assert "AL2023_x86_64_NVIDIA" in message and "nvidia.com/gpu" in message


def test_profiles_must_fit_a_node_they_may_use(real):
    project = real("strict")
    gpu = next(g for g in project.graph.of_type(NODE_GROUP) if g.inputs["labels"]["workbench/pool"] == "gpu")
    # A hand edit to a smaller GPU size would not fit the profile's guarantee... nor would dropping the GPU group.
    (message,) = findings(project, without(project.graph, gpu), "works.cluster.profiles-fit")
    assert "genomics-gpu" in message and "1 GPU" in message
    release = find(project.graph, RELEASE, "hub")
    first = lambda i: i["values"]["custom"]["workbench"]["teams"][0]["profiles"][0]["kubespawner_override"]  # noqa: E731
    bigger = mutate(project.graph, release, lambda i: first(i).update(cpu_guarantee=8.0))
    (message,) = findings(project, bigger, "works.cluster.profiles-fit")
    assert "guarantees 8.0 CPU" in message, "m6i.2xlarge leaves 7.7 CPU after the kubelet and the DaemonSets"
