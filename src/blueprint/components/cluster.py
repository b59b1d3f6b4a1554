"""WorkbenchCluster: the EKS control plane, its node groups, IRSA and the Kubernetes provider for in-cluster components.

Built on `aws.eks.Cluster` rather than pulumi-eks: one dependency fewer, and every input stays visible to the
stance policy rules (pulumi-eks hides the cluster behind its own component).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from blueprint.facts.instances import INSTANCES
from blueprint.model import BlueprintSpec

from .naming import (
    HUB_POOL,
    HUB_TAINT,
    POLICY_VERSION,
    POOL_LABEL,
    aws_managed_policy_arn,
    child,
    log_retention_days,
    service_trust_policy,
    tags,
    type_token,
)

# SHA-1 of the root CA (Starfield Services Root CA - G2) behind every EKS OIDC issuer, as AWS documents it for
# IRSA. IAM no longer checks thumbprints for EKS issuers (it trusts its own CA store), but older API paths
# required one; a fixed constant keeps the program offline and deterministic.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
STS_AUDIENCE = "sts.amazonaws.com"
CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")
CPU_AMI = "AL2023_x86_64_STANDARD"
# Bottlerocket's NVIDIA variant ships the NVIDIA driver and runs the Kubernetes device plugin as a host service
# (bottlerocket-os "NVIDIA GPU support": nodes advertise `nvidia.com/gpu` with no DaemonSet), so no device-plugin
# DaemonSet from nvcr.io is installed and nothing has to be pulled from NVIDIA's registry under strict egress.
GPU_AMI = "BOTTLEROCKET_x86_64_NVIDIA"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
CPU_POOL, GPU_POOL = "cpu", "gpu"
# Cluster Autoscaler reads this label (from the node group, through eks:DescribeNodegroup, while a group is at 0)
# to know a GPU node's accelerator before the device plugin advertises it (CA AWS README, "Special note on GPU instances").
ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
# Root volumes: AL2023 boots from /dev/xvda; Bottlerocket keeps its read-only OS image on /dev/xvda and images,
# containers and emptyDir on the data volume /dev/xvdb (bottlerocket-os README, "Storage").
ROOT_DEVICES = {CPU_AMI: ("/dev/xvda", 80), GPU_AMI: ("/dev/xvdb", 100)}
# Pods reach AWS through IRSA, never through the node's instance profile: IMDSv2 only, one hop, so a pod (one
# network hop further than the node) cannot read the node role's credentials (EKS best practices, "Restrict
# access to the instance profile assigned to the worker node").
IMDS_HOP_LIMIT = 1


@dataclass(frozen=True)
class NodePool:
    """One managed node group of one instance type (Cluster Autoscaler needs a group's nodes to be alike)."""

    pool: str
    """The `POOL_LABEL` value: `cpu`, `gpu` or `hub`."""
    name: str
    """Logical name part, e.g. `cpu-m6i-xlarge`."""
    instance_type: str
    min_size: int
    max_size: int
    ami_type: str
    taints: tuple[dict[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    zone: int | None = None
    """Index of the one subnet the group uses (hub groups are per zone, for the hub's zonal EBS volume); None: all."""

    @property
    def gpu(self) -> bool:
        return self.pool == GPU_POOL


def _split(total: int, parts: int) -> list[int]:
    """`total` nodes over `parts` groups, each at least 1 (model.fit refuses caps below the group count)."""
    return [max(1, total // parts + (1 if i < total % parts else 0)) for i in range(parts)]


def _slug(instance_type: str) -> str:
    return instance_type.replace(".", "-")


def pools_for(spec: BlueprintSpec, hub_zones: int) -> tuple[NodePool, ...]:
    """One CPU group per instance type (the first keeps one node for system pods), one GPU group per GPU type when
    a team has GPU quota (from zero), and `hub_zones` hub groups (the first keeps one node)."""
    nodes = spec.stance.compute.nodes
    pools = [
        NodePool(CPU_POOL, f"{CPU_POOL}-{_slug(t)}", t, 1 if i == 0 else 0, cap, CPU_AMI)
        for i, (t, cap) in enumerate(zip(nodes.instance_types, _split(nodes.max_nodes, len(nodes.instance_types)), strict=True))
    ]
    if spec.any_gpu:
        for t, cap in zip(nodes.gpu_instance_types, _split(nodes.max_gpu_nodes, len(nodes.gpu_instance_types)), strict=True):
            accelerator = INSTANCES[t].accelerator if t in INSTANCES else None
            labels = ((ACCELERATOR_LABEL, accelerator),) if accelerator else ()
            pools.append(NodePool(GPU_POOL, f"{GPU_POOL}-{_slug(t)}", t, 0, cap, GPU_AMI, taints=(GPU_TAINT,), labels=labels))
    if hub_zones:
        # The smallest CPU type: the hub, proxy and scheduler are small; the pool exists for its egress, not its size.
        hub_type = min(nodes.instance_types, key=lambda t: (INSTANCES[t].vcpus, INSTANCES[t].memory_mib) if t in INSTANCES else (0, 0))
        for zone in range(hub_zones):
            pools.append(NodePool(HUB_POOL, f"{HUB_POOL}-{zone}", hub_type, 1 if zone == 0 else 0, 2, CPU_AMI, taints=(HUB_TAINT,), zone=zone))
    return tuple(pools)


@dataclass(frozen=True)
class ClusterArgs:
    """Cluster settings from the stance (version, endpoint, logs, node pools) wired to the network and keys."""

    cluster_name: str
    kubernetes_version: str
    public_endpoint: bool
    admin_cidrs: tuple[str, ...]
    service_cidr: str
    log_types: tuple[str, ...]
    log_retention_days: int
    multi_az_nodes: bool
    pools: tuple[NodePool, ...]
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str] | None = None
    hub_subnet_ids: Sequence[pulumi.Input[str]] | None = None
    """Subnets of the hub's own pool (`PrivateNetwork.hub_subnet_ids`, set when `spec.hub_egress` is 'firewall')."""
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        vpc_id: pulumi.Input[str],
        private_subnet_ids: Sequence[pulumi.Input[str]],
        kms_key_arn: pulumi.Input[str] | None = None,
        hub_subnet_ids: Sequence[pulumi.Input[str]] | None = None,
    ) -> ClusterArgs:
        """The model already refused what a user can get wrong here (model.loading: a public endpoint without
        admin_cidrs, GPU quota without GPU types; model.fit: unknown instance types, caps below the group count)."""
        stance = spec.stance
        public = stance.network.api_endpoint == "public-and-private"
        hub_subnets = tuple(hub_subnet_ids) if hub_subnet_ids else None
        hub_zones = (len(hub_subnets) if stance.stability.multi_az_nodes else 1) if hub_subnets else 0
        stack = pulumi.get_stack()  # names physical resources: a second stack is a second workbench
        return cls(
            cluster_name=f"{spec.org}-{stack}",
            kubernetes_version=stance.stability.kubernetes_version,
            public_endpoint=public,
            admin_cidrs=spec.network.admin_cidrs if public else (),
            service_cidr=spec.network.service_cidr,
            log_types=stance.audit.eks_log_types,
            log_retention_days=stance.audit.log_retention_days,
            multi_az_nodes=stance.stability.multi_az_nodes,
            pools=pools_for(spec, hub_zones),
            vpc_id=vpc_id,
            private_subnet_ids=tuple(private_subnet_ids),
            kms_key_arn=kms_key_arn,
            hub_subnet_ids=hub_subnets,
            tags=tags(spec.org, stack),
        )


class WorkbenchCluster(pulumi.ComponentResource):
    """A private EKS cluster: API authentication mode, secrets encrypted with the CMK, audit logs, IRSA, and managed
    node groups of one instance type each (`pools_for`): CPU groups, tainted GPU groups (Bottlerocket NVIDIA) only
    when a team has GPU quota, and the hub's tainted groups in the hub subnets when there are any. Every group
    launches from a launch template that tags its instances and volumes (managed node group tags stay on the
    group), requires IMDSv2 with one hop and encrypts the root volume. The EKS add-ons, storage classes and the
    autoscaler are `ClusterAddons` (components/addons.py)."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    """IAM OIDC provider for IRSA trust policies."""
    oidc_issuer: pulumi.Output[str]
    """Issuer host and path without `https://`, as IAM condition keys spell it."""
    provider: k8s.Provider
    """Kubernetes provider that waits for the node groups; in-cluster components use `ClusterAddons.provider`,
    which also waits for the add-ons (storage classes, network policy)."""
    node_groups: list[aws.eks.NodeGroup]
    kubeconfig: pulumi.Output[str]
    """Authenticates with `aws eks get-token` (no credential in state); for providers that wait for more."""
    node_security_group_id: pulumi.Output[str]
    """The cluster security group EKS creates and attaches to managed nodes."""
    node_role_arn: pulumi.Output[str]
    node_role_name: pulumi.Output[str]
    """The node role, for components that grant nodes more (e.g. ECR pull-through imports)."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("cluster", "WorkbenchCluster"), name, None, opts)
        self._name, self._args = name, args
        self._partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        cluster = self._control_plane()
        self.cluster_name, self.endpoint = cluster.name, cluster.endpoint
        self.node_security_group_id = cluster.vpc_config.cluster_security_group_id
        issuer_url = cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        self.oidc_issuer = issuer_url.apply(lambda url: url.removeprefix("https://"))
        oidc = aws.iam.OpenIdConnectProvider(
            child(name, "oidc"),
            url=issuer_url,
            client_id_lists=[STS_AUDIENCE],
            thumbprint_lists=[EKS_OIDC_THUMBPRINT],
            tags=args.tags,
            opts=self._opts(),
        )
        self.oidc_provider_arn = oidc.arn

        node_role = self._role("node", service_trust_policy("ec2.amazonaws.com"), NODE_POLICIES)
        self.node_role_arn, self.node_role_name = node_role.arn, node_role.name
        templates = {kind: self._launch_template(kind) for kind in dict.fromkeys((pool.ami_type, pool.pool) for pool in args.pools)}
        self.node_groups = node_groups = [self._node_group(cluster, node_role, pool, templates[(pool.ami_type, pool.pool)]) for pool in args.pools]
        self.kubeconfig = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data, self._region()).apply(
            lambda v: json.dumps(kubeconfig(*v))
        )
        self.provider = k8s.Provider(child(name, "k8s"), kubeconfig=self.kubeconfig, opts=self._opts(depends_on=node_groups))
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "oidc_provider_arn": self.oidc_provider_arn,
                "oidc_issuer": self.oidc_issuer,
                "node_security_group_id": self.node_security_group_id,
                "node_role_arn": self.node_role_arn,
                "node_role_name": self.node_role_name,
            }
        )

    def _opts(self, **kwargs: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _region(self) -> pulumi.Output[str]:
        return aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

    def _role(self, label: str, trust: pulumi.Input[dict[str, object]], policies: Sequence[str]) -> aws.iam.Role:
        """A role with exactly the listed AWS-managed policies attached (and nothing else attached here)."""
        role = aws.iam.Role(child(self._name, label, "role"), assume_role_policy=pulumi.Output.json_dumps(trust), tags=self._args.tags, opts=self._opts())
        for policy in policies:
            aws.iam.RolePolicyAttachment(
                child(self._name, label, policy.rsplit("/", 1)[-1]),
                role=role.name,
                policy_arn=self._partition.apply(lambda p, policy=policy: aws_managed_policy_arn(p, policy)),
                opts=self._opts(),
            )
        return role

    def _control_plane(self) -> aws.eks.Cluster:
        args, name = self._args, self._name
        trust = service_trust_policy("eks.amazonaws.com", actions=("sts:AssumeRole", "sts:TagSession"))
        role = self._role("cluster", trust, CLUSTER_POLICIES)
        depends: list[pulumi.Resource] = [role]
        if args.kms_key_arn is not None:
            # Envelope encryption of Secrets: EKS uses the cluster role to call KMS on this one key only.
            depends.append(
                aws.iam.RolePolicy(
                    child(name, "cluster", "secrets-key"),
                    role=role.id,
                    policy=pulumi.Output.json_dumps(
                        {
                            "Version": POLICY_VERSION,
                            "Statement": [
                                {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], "Resource": args.kms_key_arn}
                            ],
                        }
                    ),
                    opts=self._opts(),
                )
            )
        if args.log_types:
            # Created first so EKS does not create it itself without retention or encryption.
            depends.append(
                aws.cloudwatch.LogGroup(
                    child(name, "logs"),
                    name=f"/aws/eks/{args.cluster_name}/cluster",
                    retention_in_days=log_retention_days(args.log_retention_days),
                    kms_key_id=args.kms_key_arn,
                    tags=args.tags,
                    opts=self._opts(),
                )
            )
        return aws.eks.Cluster(
            child(name, "eks"),
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=role.arn,
            vpc_config={
                "subnet_ids": list(args.private_subnet_ids),
                "endpoint_private_access": True,
                "endpoint_public_access": args.public_endpoint,
                **({"public_access_cidrs": list(args.admin_cidrs)} if args.public_endpoint else {}),
            },
            kubernetes_network_config={"service_ipv4_cidr": args.service_cidr, "ip_family": "ipv4"},
            encryption_config={"provider": {"key_arn": args.kms_key_arn}, "resources": ["secrets"]} if args.kms_key_arn is not None else None,
            enabled_cluster_log_types=list(args.log_types),
            # Access entries instead of the aws-auth ConfigMap; whoever runs `pulumi up` becomes the first admin.
            access_config={"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True},
            tags=args.tags,
            opts=self._opts(depends_on=depends),
        )

    def _launch_template(self, kind: tuple[str, str]) -> aws.ec2.LaunchTemplate:
        """One per (AMI, pool), shared by its groups (they differ only in instance type and subnets). Managed node groups reject an instance type, an instance profile
        or network interfaces in the template (EKS user guide, "Customize managed nodes with launch templates");
        EKS adds the AMI, the bootstrap and the cluster security group itself."""
        ami_type, pool_label = kind
        device, size = ROOT_DEVICES[ami_type]
        instance_tags = {**self._args.tags, POOL_LABEL: pool_label, "Name": f"{self._args.cluster_name}-{pool_label}"}
        return aws.ec2.LaunchTemplate(
            child(self._name, pool_label, "template"),
            description=f"Nodes of the {pool_label} pool of {self._args.cluster_name}: tagged, IMDSv2 only, encrypted volumes.",
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": IMDS_HOP_LIMIT,
            },
            block_device_mappings=[
                {
                    "device_name": device,
                    # Encrypted with the account's EBS key (aws/ebs), not the stance's CMK: Auto Scaling launches
                    # managed nodes as its service-linked role, which only a key policy can admit, and that role
                    # does not exist in a fresh account until its first group (a key policy naming it would fail
                    # on the first `pulumi up`). Root volumes hold the OS and image layers; user data lives on EFS
                    # and the hub's EBS volume, both under the CMK.
                    "ebs": {"volume_size": size, "volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"},
                }
            ],
            # Managed node group tags stay on the group; these reach what is billed: instances, volumes, ENIs.
            tag_specifications=[{"resource_type": kind, "tags": instance_tags} for kind in ("instance", "volume", "network-interface")],
            update_default_version=True,
            tags=self._args.tags,
            opts=self._opts(),
        )

    def _node_group(self, cluster: aws.eks.Cluster, role: aws.iam.Role, pool: NodePool, template: aws.ec2.LaunchTemplate) -> aws.eks.NodeGroup:
        args = self._args
        subnets = list(args.hub_subnet_ids or ()) if pool.pool == HUB_POOL else list(args.private_subnet_ids)
        if pool.zone is not None:
            subnets = subnets[pool.zone : pool.zone + 1]
        elif not args.multi_az_nodes:
            subnets = subnets[:1]
        return aws.eks.NodeGroup(
            child(self._name, pool.name),
            cluster_name=cluster.name,
            version=args.kubernetes_version,
            node_role_arn=role.arn,
            subnet_ids=subnets,
            instance_types=[pool.instance_type],
            ami_type=pool.ami_type,
            capacity_type="ON_DEMAND",
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            scaling_config={"min_size": pool.min_size, "desired_size": pool.min_size, "max_size": pool.max_size},
            update_config={"max_unavailable": 1},
            labels={POOL_LABEL: pool.pool, **dict(pool.labels)},
            taints=list(pool.taints) or None,
            # EKS tags the group's Auto Scaling group for Cluster Autoscaler's auto-discovery itself
            # (k8s.io/cluster-autoscaler/enabled and k8s.io/cluster-autoscaler/<cluster>).
            tags={**args.tags, POOL_LABEL: pool.pool},
            # The cluster autoscaler owns the desired size once nodes run.
            opts=self._opts(ignore_changes=["scalingConfig.desiredSize"]),
        )


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict[str, object]:
    """A kubeconfig that authenticates with `aws eks get-token` (no long-lived credential in state)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
        "users": [
            {
                "name": cluster_name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
                    }
                },
            }
        ],
    }
