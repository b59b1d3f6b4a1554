"""EKS rules: the API endpoint, control-plane logs, node groups (outsider, insider, hijacking, lost time)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from fnmatch import fnmatchcase

from ...model import Concern
from ...preview.graph import Resource
from .. import tokens as T
from ..base import Context, RuleSet, Severity, as_list, dig, known
from .network import is_world

rules = RuleSet()

# What EKS does when an input is left out.
DEFAULT_PUBLIC_ACCESS = True
DEFAULT_PRIVATE_ACCESS = False
DEFAULT_INSTANCE_TYPE = "t3.medium"


def _public(cluster: Resource) -> bool:
    return dig(cluster.inputs, "vpcConfig", "endpointPublicAccess", default=DEFAULT_PUBLIC_ACCESS) is not False


@rules.resource(
    "cluster.api-endpoint-private",
    concern=Concern.DATA_THEFT_OUTSIDER,
    severity=Severity.CRITICAL,
    controls=("network.api_endpoint",),
    types={T.EKS_CLUSTER},
    applies=lambda ctx: ctx.stance.network.api_endpoint == "private",
    description="The Kubernetes API endpoint is private when the stance says so (EKS makes it public unless told otherwise).",
)
def api_endpoint_private(cluster: Resource, ctx: Context) -> Iterator[str]:
    if _public(cluster):
        yield "vpcConfig.endpointPublicAccess is not false: the Kubernetes API faces the internet, but the stance wants it private"
    if dig(cluster.inputs, "vpcConfig", "endpointPrivateAccess", default=DEFAULT_PRIVATE_ACCESS) is not True:
        yield "vpcConfig.endpointPrivateAccess is not true: nodes and admins inside the VPC cannot reach the API privately"


@rules.resource(
    "cluster.api-cidrs-not-world",
    concern=Concern.DATA_THEFT_OUTSIDER,
    severity=Severity.CRITICAL,
    controls=("network.api_endpoint",),
    types={T.EKS_CLUSTER},
    description="A public Kubernetes API is open only to the blueprint's admin_cidrs, never to 0.0.0.0/0 (the EKS default).",
)
def api_cidrs_not_world(cluster: Resource, ctx: Context) -> Iterator[str]:
    if not _public(cluster):
        return
    cidrs = as_list(dig(cluster.inputs, "vpcConfig", "publicAccessCidrs"))
    if not cidrs:
        yield "the API is public and vpcConfig.publicAccessCidrs is empty, which EKS treats as 0.0.0.0/0"
        return
    world = [c for c in cidrs if is_world(c)]
    if world:
        yield f"vpcConfig.publicAccessCidrs includes {', '.join(world)}: anyone on the internet can reach the API"
    if ctx.admin_cidrs is None:
        return  # judged by a bare stance: nobody said which ranges are the org's
    allowed = [ipaddress.ip_network(c) for c in ctx.admin_cidrs]
    for cidr in cidrs:
        if cidr in world or not known(cidr):
            continue
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            yield f"vpcConfig.publicAccessCidrs entry {cidr!r} is not a CIDR"
            continue
        if not any(network.version == a.version and network.subnet_of(a) for a in allowed):
            yield f"vpcConfig.publicAccessCidrs entry {cidr} is not within the blueprint's network.admin_cidrs"


@rules.resource(
    "audit.eks-control-plane-logs",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.HIGH,
    controls=("audit.eks_log_types",),
    types={T.EKS_CLUSTER},
    applies=lambda ctx: bool(ctx.stance.audit.eks_log_types),
    description="The cluster ships at least the stance's control-plane log types (audit, authenticator, ...) to CloudWatch.",
)
def eks_control_plane_logs(cluster: Resource, ctx: Context) -> Iterator[str]:
    enabled = set(as_list(cluster.inputs.get("enabledClusterLogTypes")))
    missing = [t for t in ctx.stance.audit.eks_log_types if t not in enabled]
    if missing:
        yield f"enabledClusterLogTypes lacks {', '.join(missing)}; the stance wants {', '.join(ctx.stance.audit.eks_log_types)}"


@rules.resource(
    "stability.kubernetes-version",
    concern=Concern.LOST_TIME,
    severity=Severity.LOW,
    controls=("stability.kubernetes_version",),
    types={T.EKS_CLUSTER},
    description="The cluster runs the stance's Kubernetes minor version, so upgrades happen in a reviewed change.",
)
def kubernetes_version(cluster: Resource, ctx: Context) -> Iterator[str]:
    version = cluster.inputs.get("version")
    if version is None:
        yield f"no version pinned: EKS picks its current default instead of {ctx.stance.stability.kubernetes_version}"
    elif known(version) and str(version) != ctx.stance.stability.kubernetes_version:
        yield f"version {version} is not the stance's {ctx.stance.stability.kubernetes_version}"


def _instance_types(group: Resource) -> list[str]:
    return [str(t) for t in as_list(group.inputs.get("instanceTypes"))] or [DEFAULT_INSTANCE_TYPE]


def is_gpu_group(group: Resource, ctx: Context) -> bool:
    ami = str(group.inputs.get("amiType", "")).upper()
    return "NVIDIA" in ami or "GPU" in ami or any(t in ctx.stance.compute.nodes.gpu_instance_types for t in _instance_types(group))


@rules.resource(
    "compute.instance-types-allowed",
    concern=Concern.RESOURCE_HIJACKING,
    severity=Severity.HIGH,
    controls=("compute.nodes.allowed_instance_types",),
    types={T.NODE_GROUP},
    description="Node groups use only instance types in the stance's allowlist; expensive types invite abuse.",
)
def instance_types_allowed(group: Resource, ctx: Context) -> Iterator[str]:
    allowed = ctx.stance.compute.nodes.allowed_instance_types
    outside = [t for t in _instance_types(group) if known(t) and not any(fnmatchcase(t, p) for p in allowed)]
    if outside:
        yield f"instance type(s) {', '.join(outside)} not in the allowlist {', '.join(allowed)}"


@rules.resource(
    "compute.node-group-max-size",
    concern=Concern.RESOURCE_HIJACKING,
    severity=Severity.MEDIUM,
    controls=("compute.nodes.max_nodes", "compute.nodes.max_gpu_nodes"),
    types={T.NODE_GROUP},
    description="A node group cannot scale past the stance's max_nodes (max_gpu_nodes for GPU groups).",
)
def node_group_max_size(group: Resource, ctx: Context) -> Iterator[str]:
    gpu = is_gpu_group(group, ctx)
    limit = ctx.stance.compute.nodes.max_gpu_nodes if gpu else ctx.stance.compute.nodes.max_nodes
    size = dig(group.inputs, "scalingConfig", "maxSize")
    if size is None:
        yield "scalingConfig.maxSize is not set"
    elif known(size) and size > limit:
        yield f"scalingConfig.maxSize is {size}; the stance allows at most {limit} {'GPU ' if gpu else ''}nodes"


@rules.resource(
    "stability.multi-az-nodes",
    concern=Concern.LOST_TIME,
    severity=Severity.LOW,
    controls=("stability.multi_az_nodes", "network.availability_zones"),
    types={T.NODE_GROUP},
    applies=lambda ctx: ctx.stance.stability.multi_az_nodes and ctx.stance.network.availability_zones > 1,
    description="Node groups span several availability zones so the loss of one does not stop the workbench.",
)
def multi_az_nodes(group: Resource, ctx: Context) -> Iterator[str]:
    if dig(group.inputs, "labels", T.POOL_LABEL) == T.HUB_POOL:
        # The hub's pool is one group per zone by design: its database volume (EBS) is zonal, and the autoscaler
        # can only bring the hub back in the volume's zone if each zone is its own group (Cluster Autoscaler FAQ,
        # "scale-up with volume topology"); together the groups span the zones.
        return
    subnets = as_list(group.inputs.get("subnetIds"))
    if len(set(map(str, subnets))) < 2:
        yield f"the node group is in {len(subnets)} subnet(s); the stance wants nodes across {ctx.stance.network.availability_zones} AZs"


RULES = tuple(rules.rules)
