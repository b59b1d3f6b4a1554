"""Profiles fit nodes: every server size a team is offered can be scheduled on a node the cluster can add.

A profile's guarantee (KubeSpawner `cpu_guarantee` / `mem_guarantee`, the pod's requests) must fit what the
kubelet leaves allocatable on one node (`facts.instances`: capacity minus kube-reserved and the eviction
threshold) after the DaemonSets every node runs; otherwise the pod is Pending forever and the autoscaler adds
no node, because no node of any group would fit it. GPU profiles need a GPU pool type with enough GPUs.
Checked only for the profiles some team is offered and only the pools the program creates (GPU pools exist
only when a team has GPU quota), at the model boundary, so `blueprint new/check/preview` refuse before Pulumi.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from ..errors import Problem, shown
from ..facts.instances import INSTANCES, InstanceType, daemonset_reserve
from ..facts.kubernetes import CLUSTER_AUTOSCALER_RELEASES
from .spec import TeamSpec
from .stance import Profile, Stance
from .units import GIB, parse_quantity


def room(instance_type: InstanceType) -> tuple[Decimal, Decimal]:
    """(cores, bytes) one node of the type offers a session: allocatable minus the DaemonSets' requests."""
    cpu, memory = daemonset_reserve()
    return instance_type.allocatable_cpu - cpu, Decimal(instance_type.allocatable_memory - memory)


def fits(profile: Profile, instance_type: InstanceType) -> bool:
    cpu, memory = room(instance_type)
    return parse_quantity(profile.cpu) <= cpu and parse_quantity(profile.memory) <= memory and profile.gpu <= instance_type.gpus


def _cores(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _gib(value: Decimal) -> str:
    return f"{(value / GIB).quantize(Decimal('0.1'))}Gi"


def fit_problems(stance: Stance, teams: Sequence[TeamSpec], prefix: str = "stance") -> list[Problem]:
    """Problems (field paths under `prefix`, the stance's place in the file) for pools and offered profiles."""
    nodes = stance.compute.nodes
    any_gpu = any(team.quota.gpu > 0 for team in teams)
    problems: list[Problem] = []
    if stance.stability.kubernetes_version not in CLUSTER_AUTOSCALER_RELEASES:
        problems.append(
            Problem(
                f"{prefix}.stability.kubernetes_version",
                f"{stance.stability.kubernetes_version} has no known Cluster Autoscaler release (the autoscaler supports only its own minor)",
                f"use one of {', '.join(CLUSTER_AUTOSCALER_RELEASES)}, or add the release to blueprint/facts/kubernetes.py",
            )
        )
    pools: list[tuple[str, tuple[str, ...], int, str]] = [("instance_types", nodes.instance_types, nodes.max_nodes, "max_nodes")]
    if any_gpu:
        pools.append(("gpu_instance_types", nodes.gpu_instance_types, nodes.max_gpu_nodes, "max_gpu_nodes"))
    known: dict[str, list[InstanceType]] = {}
    for field, types, cap, cap_field in pools:
        unknown = [t for t in types if t not in INSTANCES]
        if unknown:
            families = sorted({name.split(".")[0] for name in INSTANCES})
            problems.append(
                Problem(
                    f"{prefix}.compute.nodes.{field}",
                    f"{', '.join(unknown)} not in the instance table, so no profile can be proven to fit",
                    f"use sizes of {', '.join(families)}, or add the type's row (vCPUs, memory, max pods, GPUs) to blueprint/facts/instances.py",
                )
            )
        if types and cap < len(types):
            problems.append(
                Problem(
                    f"{prefix}.compute.nodes.{cap_field}",
                    f"is {cap} but there is one node group per type in {field} ({len(types)}), each needing at least one node of the cap",
                    f"raise {cap_field} to at least {len(types)} or list fewer types",
                )
            )
        known[field] = [INSTANCES[t] for t in types if t in INSTANCES]
    offered = {profile.name for team in teams for profile in team.profiles}
    for i, profile in enumerate(stance.compute.profiles):
        if profile.name not in offered:
            continue
        field = "gpu_instance_types" if profile.gpu else "instance_types"
        candidates = known.get(field, [])
        if not candidates or any(fits(profile, t) for t in candidates):
            continue  # no pool to judge against (already reported) or it fits one
        problems.append(Problem(f"{prefix}.compute.profiles[{i}]", *_explain(profile, candidates, field)))
    return problems


def _explain(profile: Profile, candidates: Iterable[InstanceType], field: str) -> tuple[str, str]:
    best = max(candidates, key=lambda t: (t.gpus >= profile.gpu, room(t)))
    cpu, memory = room(best)
    wants = f"{profile.cpu} CPU, {profile.memory}" + (f", {profile.gpu} GPU" if profile.gpu else "")
    offers = f"{_cores(cpu)} CPU, {_gib(memory)}" + (f", {best.gpus} GPU" if profile.gpu else "")
    message = (
        f"profile {shown(profile.name)} guarantees {wants} but no type in compute.nodes.{field} fits it: the roomiest, "
        f"{best.name}, leaves {offers} after the kubelet's reservations and the node DaemonSets"
    )
    fix = f"lower cpu/memory to at most {_cores(cpu)} CPU and {_gib(memory)}, or add a larger type to compute.nodes.{field}"
    return message, fix
