"""Works rules for the cluster: volumes bind, network policies are enforced, node groups that must grow have an
autoscaler, GPU nodes advertise their GPUs, and every profile fits a node (day 1, DESIGN.md).

Each rule reads the graph as a hand-edited program would leave it: our Kubernetes resources, the EKS add-ons
and node groups, and the JupyterHub chart as the real Helm engine renders it (`charts.z2jh.render_release`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any

from ...charts.z2jh import jupyterhub_release
from ...facts.instances import INSTANCES, InstanceType
from ...model import Concern
from ...model.fit import room
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig, known, rendered, stack_urn

rules = RuleSet()

ADDON = "aws:eks/addon:Addon"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
# The CSI provisioner each EKS add-on installs.
CSI_ADDONS = {"ebs.csi.aws.com": "aws-ebs-csi-driver", "efs.csi.aws.com": "aws-efs-csi-driver"}
GPU_RESOURCE = "nvidia.com/gpu"
DEVICE_PLUGIN_IMAGE = "k8s-device-plugin"  # nvcr.io/nvidia/k8s-device-plugin, the upstream DaemonSet's image


def _name(resource: Resource) -> str | None:
    return dig(resource.inputs, "metadata", "name")


def _addons(graph: ResourceGraph) -> dict[str, Resource]:
    return {str(a.inputs.get("addonName")): a for a in graph.of_type(ADDON)}


def _claims(graph: ResourceGraph) -> Iterator[tuple[str, str | None, str | None]]:
    """(what, storage class or None, urn) of every claim the workbench makes: our PVCs, the rendered chart's, and the
    claims KubeSpawner makes at spawn time from `singleuser.storage.dynamic.storageClass`."""
    for claim in graph.of_type(PVC):
        yield f"PersistentVolumeClaim {_name(claim)}", dig(claim.inputs, "spec", "storageClassName"), claim.urn
    release = jupyterhub_release(graph)
    if release is None:
        return
    chart = rendered(graph)
    for claim in chart.of_kind("PersistentVolumeClaim") if chart else ():
        yield f"the chart's PersistentVolumeClaim {claim['metadata']['name']}", dig(claim, "spec", "storageClassName"), release.urn
    values = release.inputs.get("values")
    if dig(values, "singleuser", "storage", "type") == "dynamic":
        yield "session home claims (singleuser.storage.dynamic)", dig(values, "singleuser", "storage", "dynamic", "storageClass"), release.urn


@rules.graph(
    "works.cluster.volumes-bind",
    family="works",
    needs_render=True,
    concern=Concern.LOST_TIME,
    severity=Severity.CRITICAL,
    controls=(),
    types=(STORAGE_CLASS, T.EKS_ADDON, T.EKS_CLUSTER, T.HELM_RELEASE),
    description="Every volume claim names a StorageClass the program creates, whose CSI driver add-on is installed (EKS >= 1.30 has no default class).",
)
def volumes_bind(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    classes = {_name(c): c for c in graph.of_type(STORAGE_CLASS)}
    addons = _addons(graph)
    for what, class_name, urn in _claims(graph):
        if class_name == "":
            continue  # binds to a pre-created volume by name, not through a class
        if class_name is None:
            yield Finding(f"{what} names no storageClassName: EKS >= 1.30 marks no class as default, so it stays Pending", urn)
            continue
        if not known(class_name):
            continue
        storage_class = classes.get(class_name)
        if storage_class is None:
            yield Finding(f"{what} asks for StorageClass {class_name!r}, which the program does not create", urn)
            continue
        provisioner = str(storage_class.inputs.get("provisioner"))
        addon = CSI_ADDONS.get(provisioner)
        if addon is not None and addon not in addons:
            yield Finding(f"StorageClass {class_name!r} provisions with {provisioner}, but the {addon} add-on is not installed", storage_class.urn)


def _discovered_tags(argument: str) -> set[str]:
    """Tag keys of `--node-group-auto-discovery=asg:tag=<key>[=<value>],...` (Cluster Autoscaler AWS README)."""
    flag, _, value = argument.partition("=")
    if flag != "--node-group-auto-discovery" or not value.startswith("asg:tag="):
        return set()
    return {pair.split("=", 1)[0] for pair in value.removeprefix("asg:tag=").split(",")}


def _autoscaler_discovers(graph: ResourceGraph, cluster_name: object) -> bool:
    wanted = f"k8s.io/cluster-autoscaler/{cluster_name}"
    for deployment in graph.of_type(T.DEPLOYMENT):
        for container in as_list(dig(deployment.inputs, "spec", "template", "spec", "containers")):
            if "cluster-autoscaler" not in str(container.get("image", "")):
                continue
            arguments = [str(a) for a in (*as_list(container.get("command")), *as_list(container.get("args")))]
            if any(wanted in _discovered_tags(a) for a in arguments):
                return True
    return False


@rules.graph(
    "works.cluster.node-groups-autoscaled",
    family="works",
    concern=Concern.USER_EXPERIENCE,
    severity=Severity.HIGH,
    controls=(),
    types=(T.DEPLOYMENT, T.EKS_CLUSTER, T.NODE_GROUP),
    description="Node groups that start at 0 or may grow past their minimum have a Cluster Autoscaler discovering this cluster's groups.",
)
def node_groups_autoscaled(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    clusters = graph.of_type(T.EKS_CLUSTER)
    cluster_name = clusters[0].inputs.get("name") if clusters else None
    growing = []
    for group in graph.of_type(T.NODE_GROUP):
        low, high = dig(group.inputs, "scalingConfig", "minSize"), dig(group.inputs, "scalingConfig", "maxSize")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and (low == 0 or high > low):
            growing.append(group)
    if growing and not _autoscaler_discovers(graph, cluster_name):
        for group in growing:
            yield Finding(
                f"scales between {dig(group.inputs, 'scalingConfig', 'minSize')} and {dig(group.inputs, 'scalingConfig', 'maxSize')} nodes but no "
                f"cluster-autoscaler Deployment discovers k8s.io/cluster-autoscaler/{cluster_name}: pods wait forever for nodes",
                group.urn,
            )


def _instance_types(group: Resource) -> list[str]:
    return [str(t) for t in as_list(group.inputs.get("instanceTypes"))]


def _gpu_group(group: Resource) -> bool:
    ami = str(group.inputs.get("amiType", "")).upper()
    return "NVIDIA" in ami or "GPU" in ami or any((INSTANCES.get(t) or _NO_GPU).gpus for t in _instance_types(group))


_NO_GPU = InstanceType("unknown", 0, 0, 0)


@rules.graph(
    "works.cluster.gpu-device-plugin",
    family="works",
    concern=Concern.USER_EXPERIENCE,
    severity=Severity.HIGH,
    controls=(),
    types=(T.NODE_GROUP,),
    description="GPU nodes advertise nvidia.com/gpu: a Bottlerocket NVIDIA AMI (which runs the device plugin) or the NVIDIA device plugin DaemonSet.",
)
def gpu_device_plugin(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    plugin = any(
        DEVICE_PLUGIN_IMAGE in str(c.get("image", ""))
        for ds in graph.of_type(T.DAEMON_SET)
        for c in as_list(dig(ds.inputs, "spec", "template", "spec", "containers"))
    )
    for group in graph.of_type(T.NODE_GROUP):
        if not _gpu_group(group) or plugin:
            continue
        ami = str(group.inputs.get("amiType", ""))
        if not fnmatchcase(ami.upper(), "BOTTLEROCKET_*_NVIDIA*"):
            yield Finding(f"GPU node group on {ami or 'the default AMI'} with no NVIDIA device plugin: nodes never advertise {GPU_RESOURCE}, GPU servers stay Pending", group.urn)


def _guarantee(override: Mapping[str, Any]) -> tuple[Decimal, Decimal, int] | None:
    cpu, memory = override.get("cpu_guarantee"), override.get("mem_guarantee")
    if not isinstance(cpu, (int, float)) or not isinstance(memory, (int, float)):
        return None
    gpus = dig(override, "extra_resource_guarantees", GPU_RESOURCE, default=0)
    try:
        gpu = int(gpus)
    except (TypeError, ValueError):
        gpu = 0
    return Decimal(str(cpu)), Decimal(str(memory)), gpu


def _tolerates(override: Mapping[str, Any], taints: list[Any]) -> bool:
    tolerations = as_list(override.get("tolerations"))
    for taint in taints:
        key = taint.get("key") if isinstance(taint, Mapping) else None
        if not any(isinstance(t, Mapping) and (t.get("key") == key or (t.get("key") is None and t.get("operator") == "Exists")) for t in tolerations):
            return False
    return True


@rules.graph(
    "works.cluster.profiles-fit",
    family="works",
    concern=Concern.USER_EXPERIENCE,
    severity=Severity.HIGH,
    controls=(),
    types=(T.HELM_RELEASE, T.NODE_GROUP),
    description="Every profile's guarantee (CPU, memory, GPUs) fits the allocatable room of a node group it may schedule on, after the node DaemonSets.",
)
def profiles_fit(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    release = jupyterhub_release(graph)
    teams = dig(release.inputs, "values", "custom", "workbench", "teams") if release is not None else None
    if not isinstance(teams, list):
        return
    groups = [(group, [INSTANCES[t] for t in _instance_types(group) if t in INSTANCES], as_list(group.inputs.get("taints"))) for group in graph.of_type(T.NODE_GROUP)]
    for team in teams:
        for profile in as_list(team.get("profiles") if isinstance(team, Mapping) else None):
            override = profile.get("kubespawner_override") if isinstance(profile, Mapping) else None
            wanted = _guarantee(override) if isinstance(override, Mapping) else None
            if wanted is None:
                continue
            cpu, memory, gpu = wanted
            ok = any(
                _tolerates(override, taints) and any(cpu <= room(t)[0] and memory <= room(t)[1] and gpu <= t.gpus for t in types)
                for _, types, taints in groups
            )
            if not ok:
                yield Finding(
                    f"profile {profile.get('slug')} guarantees {cpu} CPU, {memory / 2**30:.1f}Gi" + (f", {gpu} GPU" if gpu else "")
                    + ": no node group it tolerates has an instance type with that much allocatable room, so its servers never schedule",
                    release.urn if release is not None else stack_urn(graph),
                )


RULES = tuple(rules.rules)
