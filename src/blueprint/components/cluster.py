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

from blueprint.model import BlueprintSpec

from .naming import (
    POLICY_VERSION,
    aws_managed_policy_arn,
    child,
    irsa_trust_policy,
    log_retention_days,
    service_account_subject,
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
EFS_CSI_POLICY = "service-role/AmazonEFSCSIDriverPolicy"
EFS_CSI_SERVICE_ACCOUNTS = ("efs-csi-controller-sa", "efs-csi-node-sa")
CPU_AMI = "AL2023_x86_64_STANDARD"
GPU_AMI = "AL2023_x86_64_NVIDIA"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
POOL_LABEL = "workbench/pool"


@dataclass(frozen=True)
class NodePool:
    """One managed node group."""

    label: str
    instance_types: tuple[str, ...]
    min_size: int
    max_size: int
    ami_type: str
    gpu: bool = False


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
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        vpc_id: pulumi.Input[str],
        private_subnet_ids: Sequence[pulumi.Input[str]],
        kms_key_arn: pulumi.Input[str] | None = None,
    ) -> ClusterArgs:
        stance = spec.stance
        public = stance.network.api_endpoint == "public-and-private"
        if public and not spec.network.admin_cidrs:
            # EKS would default the public endpoint to 0.0.0.0/0.
            raise ValueError("network.api_endpoint 'public-and-private' needs network.admin_cidrs in blueprint.yaml")
        nodes = stance.compute.nodes
        pools = [NodePool("cpu", nodes.instance_types, 1, nodes.max_nodes, CPU_AMI)]
        if spec.any_gpu:
            if not nodes.gpu_instance_types or nodes.max_gpu_nodes < 1:
                raise ValueError("a team has GPU quota but the stance has no compute.nodes.gpu_instance_types or max_gpu_nodes 0")
            pools.append(NodePool("gpu", nodes.gpu_instance_types, 0, nodes.max_gpu_nodes, GPU_AMI, gpu=True))
        return cls(
            cluster_name=f"{spec.org}-{spec.stack}",
            kubernetes_version=stance.stability.kubernetes_version,
            public_endpoint=public,
            admin_cidrs=spec.network.admin_cidrs if public else (),
            service_cidr=spec.network.service_cidr,
            log_types=stance.audit.eks_log_types,
            log_retention_days=stance.audit.log_retention_days,
            multi_az_nodes=stance.stability.multi_az_nodes,
            pools=tuple(pools),
            vpc_id=vpc_id,
            private_subnet_ids=tuple(private_subnet_ids),
            kms_key_arn=kms_key_arn,
            tags=tags(spec.org, spec.stack),
        )


class WorkbenchCluster(pulumi.ComponentResource):
    """A private EKS cluster: API authentication mode, secrets encrypted with the CMK, audit logs, a CPU node group,
    a tainted GPU node group only when a team has GPU quota, IRSA, and the EFS CSI driver."""

    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    """IAM OIDC provider for IRSA trust policies."""
    oidc_issuer: pulumi.Output[str]
    """Issuer host and path without `https://`, as IAM condition keys spell it."""
    provider: k8s.Provider
    """Kubernetes provider for every in-cluster resource; it waits for the node groups and the EFS CSI driver."""
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
        node_groups = [self._node_group(cluster, node_role, pool) for pool in args.pools]
        efs_csi = self._efs_csi_driver(cluster, node_groups)
        self.provider = k8s.Provider(
            child(name, "k8s"),
            kubeconfig=pulumi.Output.all(cluster.name, cluster.endpoint, cluster.certificate_authority.data, self._region()).apply(
                lambda v: json.dumps(kubeconfig(*v))
            ),
            opts=self._opts(depends_on=[*node_groups, efs_csi]),
        )
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

    def _node_group(self, cluster: aws.eks.Cluster, role: aws.iam.Role, pool: NodePool) -> aws.eks.NodeGroup:
        args = self._args
        subnets = list(args.private_subnet_ids) if args.multi_az_nodes else list(args.private_subnet_ids[:1])
        return aws.eks.NodeGroup(
            child(self._name, pool.label),
            cluster_name=cluster.name,
            version=args.kubernetes_version,
            node_role_arn=role.arn,
            subnet_ids=subnets,
            instance_types=list(pool.instance_types),
            ami_type=pool.ami_type,
            capacity_type="ON_DEMAND",
            scaling_config={"min_size": pool.min_size, "desired_size": pool.min_size, "max_size": pool.max_size},
            update_config={"max_unavailable": 1},
            labels={POOL_LABEL: pool.label},
            taints=[GPU_TAINT] if pool.gpu else None,
            tags=args.tags,
            # The cluster autoscaler owns the desired size once nodes run.
            opts=self._opts(ignore_changes=["scalingConfig.desiredSize"]),
        )

    def _efs_csi_driver(self, cluster: aws.eks.Cluster, node_groups: Sequence[aws.eks.NodeGroup]) -> aws.eks.Addon:
        subjects = [service_account_subject("kube-system", sa) for sa in EFS_CSI_SERVICE_ACCOUNTS]
        trust = pulumi.Output.all(self.oidc_provider_arn, self.oidc_issuer).apply(lambda v: irsa_trust_policy(v[0], v[1], subjects))
        role = self._role("efs-csi", trust, (EFS_CSI_POLICY,))
        return aws.eks.Addon(
            child(self._name, "efs-csi"),
            cluster_name=cluster.name,
            addon_name="aws-efs-csi-driver",
            service_account_role_arn=role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=self._args.tags,
            opts=self._opts(depends_on=list(node_groups)),  # the driver's pods need nodes to become ACTIVE
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
