"""EC2 instance types a stance may run, and what the kubelet leaves allocatable on them (shared data, no Pulumi).

Covered: every size (no `metal`) of the families the built-in stances name or allow (m6i, r6i, c6i, g5: read
blueprints/*.yaml; `open` allows '*', so the current generation's other general-purpose, memory, compute and
NVIDIA families are here too: m7i, r7i, c7i, g6, g4dn). A type not in `INSTANCES` is refused at the model
boundary (`model.fit`), with the list of known types: add its row here, with its source, to use it.

Sources:
- vCPUs, memory and GPUs: AWS "Amazon EC2 instance types" specifications (general purpose, compute optimized,
  memory optimized, accelerated computing tables); `accelerator` is the GPU model as Cluster Autoscaler's AWS
  README asks nodes to be labelled (`k8s.amazonaws.com/accelerator`, "Special note on GPU instances").
- max pods: awslabs/amazon-eks-ami `nodeadm/internal/kubelet/instance-info.jsonl` (the data behind the old
  `eni-max-pods.txt`), default network card ENIs x (IPv4 addresses per ENI - 1) + 2, as `CalcMaxPods` computes
  it for the VPC CNI without prefix delegation (commit 81fec2e8).
- reservations: amazon-eks-ami `nodeadm/internal/kubelet/config.go`: `getCPUMillicoresToReserve` (6 % of the
  first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % of the rest), `getMemoryMebibytesToReserve`
  (255 MiB + 11 MiB per max pod) and `evictionHard: memory.available 100Mi`. Bottlerocket (the GPU pools)
  computes kube-reserved with the same formula (bottlerocket-os `pluto`/`kube-reserved` defaults).
  Managed node groups may cap max pods lower (110 below 30 vCPUs); using the ENI number reserves more memory,
  so the fit check errs on the safe side.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MIB = 2**20
EVICTION_HARD_MEMORY_MIB = 100
# The memory the kernel reports (node capacity) is less than the type's nominal GiB: the firmware, kernel and
# hypervisor keep some. Karpenter models it as 7.5 % (`VM_MEMORY_OVERHEAD_PERCENT`, default 0.075, in
# aws/karpenter-provider-aws); the same figure here keeps the fit check from promising memory a node lacks.
VM_MEMORY_OVERHEAD = Decimal("0.075")
_CPU_TIERS = ((1000, 600), (2000, 100), (4000, 50), (None, 25))  # (upper bound in millicores, basis points)


@dataclass(frozen=True)
class InstanceType:
    """One EC2 instance type as the kubelet sees it."""

    name: str
    vcpus: int
    memory_mib: int
    max_pods: int
    gpus: int = 0
    accelerator: str | None = None

    @property
    def kube_reserved_cpu_millicores(self) -> int:
        total, reserved, start = self.vcpus * 1000, 0, 0
        for end, basis_points in _CPU_TIERS:
            top = total if end is None else min(total, end)
            if top > start:
                reserved += (top - start) * basis_points // 10000
            start = end or total
        return reserved

    @property
    def kube_reserved_memory_mib(self) -> int:
        return 255 + 11 * self.max_pods

    @property
    def allocatable_cpu(self) -> Decimal:
        """Cores the scheduler can place pods on (capacity minus kube-reserved)."""
        return Decimal(self.vcpus * 1000 - self.kube_reserved_cpu_millicores) / 1000

    @property
    def allocatable_memory(self) -> int:
        """Bytes the scheduler can place pods on: capacity (nominal memory less `VM_MEMORY_OVERHEAD`) minus
        kube-reserved minus the hard eviction threshold."""
        capacity = int(self.memory_mib * (1 - VM_MEMORY_OVERHEAD))
        return (capacity - self.kube_reserved_memory_mib - EVICTION_HARD_MEMORY_MIB) * MIB


def _family(family: str, sizes: dict[str, tuple[int, int, int] | tuple[int, int, int, int]], accelerator: str | None = None) -> dict[str, InstanceType]:
    """`sizes`: size -> (vCPUs, memory GiB, max pods[, GPUs])."""
    rows = {}
    for size, row in sizes.items():
        vcpus, gib, max_pods, *gpus = row
        name = f"{family}.{size}"
        rows[name] = InstanceType(name, vcpus, gib * 1024, max_pods, gpus[0] if gpus else 0, accelerator if gpus else None)
    return rows


# Sizes shared by the 6th-generation Intel families (max pods identical across m6i, r6i and c6i).
_GEN6 = {"large": (2, 29), "xlarge": (4, 58), "2xlarge": (8, 58), "4xlarge": (16, 234), "8xlarge": (32, 234), "12xlarge": (48, 234), "16xlarge": (64, 737), "24xlarge": (96, 737), "32xlarge": (128, 737)}
_GEN7 = {"large": (2, 29), "xlarge": (4, 58), "2xlarge": (8, 58), "4xlarge": (16, 234), "8xlarge": (32, 234), "12xlarge": (48, 234), "16xlarge": (64, 737), "24xlarge": (96, 737), "48xlarge": (192, 737)}


def _sized(sizes: dict[str, tuple[int, int]], gib_per_vcpu: int) -> dict[str, tuple[int, int, int]]:
    return {size: (vcpus, vcpus * gib_per_vcpu, pods) for size, (vcpus, pods) in sizes.items()}


INSTANCES: dict[str, InstanceType] = {
    **_family("m6i", _sized(_GEN6, 4)),
    **_family("r6i", _sized(_GEN6, 8)),
    **_family("c6i", _sized(_GEN6, 2)),
    **_family("m7i", _sized(_GEN7, 4)),
    **_family("r7i", _sized(_GEN7, 8)),
    **_family("c7i", _sized(_GEN7, 2)),
    **_family(
        "g5",
        {
            "xlarge": (4, 16, 58, 1),
            "2xlarge": (8, 32, 58, 1),
            "4xlarge": (16, 64, 234, 1),
            "8xlarge": (32, 128, 234, 1),
            "12xlarge": (48, 192, 737, 4),
            "16xlarge": (64, 256, 234, 1),
            "24xlarge": (96, 384, 737, 4),
            "48xlarge": (192, 768, 345, 8),
        },
        accelerator="nvidia-a10g",
    ),
    **_family(
        "g6",
        {
            "xlarge": (4, 16, 58, 1),
            "2xlarge": (8, 32, 58, 1),
            "4xlarge": (16, 64, 234, 1),
            "8xlarge": (32, 128, 234, 1),
            "12xlarge": (48, 192, 234, 4),
            "16xlarge": (64, 256, 737, 1),
            "24xlarge": (96, 384, 737, 4),
            "48xlarge": (192, 768, 737, 8),
        },
        accelerator="nvidia-l4",
    ),
    **_family(
        "g4dn",
        {
            "xlarge": (4, 16, 29, 1),
            "2xlarge": (8, 32, 29, 1),
            "4xlarge": (16, 64, 29, 1),
            "8xlarge": (32, 128, 58, 1),
            "12xlarge": (48, 192, 234, 4),
            "16xlarge": (64, 256, 58, 1),
        },
        accelerator="nvidia-t4",
    ),
}

# What every node runs before any session: the DaemonSets of the add-ons the cluster installs, with the
# requests of their upstream manifests, rounded up: aws-node (VPC CNI) 25m CPU plus 25m for its
# network-policy agent container (aws-eks-nodeagent); kube-proxy 100m CPU; ebs-csi-node 10m / 40Mi for each
# of its 3 containers (kubernetes-sigs/aws-ebs-csi-driver charts values.yaml `node.resources`);
# efs-csi-node 10m / 40Mi for efs-plugin and 10m / 32Mi for each of its 2 sidecars
# (kubernetes-sigs/aws-efs-csi-driver deploy/kubernetes/base/node-daemonset.yaml). The NVIDIA device plugin
# on the GPU pools is part of Bottlerocket's NVIDIA variant, a host service, not a pod.
DAEMONSET_REQUESTS = {
    "aws-node": (Decimal("0.050"), 0),
    "kube-proxy": (Decimal("0.100"), 0),
    "ebs-csi-node": (Decimal("0.030"), 120 * MIB),
    "efs-csi-node": (Decimal("0.030"), 104 * MIB),
}


def daemonset_reserve() -> tuple[Decimal, int]:
    """(cores, bytes) every node's DaemonSets request."""
    return sum((cpu for cpu, _ in DAEMONSET_REQUESTS.values()), Decimal(0)), sum(memory for _, memory in DAEMONSET_REQUESTS.values())


def instance(name: str) -> InstanceType | None:
    return INSTANCES.get(name)
