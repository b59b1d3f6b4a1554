"""ClusterAddons: what a new EKS cluster lacks before a workload can run: volume drivers and their storage
classes, network policy enforcement, and an autoscaler.

- `aws-ebs-csi-driver` (IRSA role with AmazonEBSCSIDriverPolicy, plus the stance's CMK) and the encrypted gp3
  StorageClass `naming.EBS_STORAGE_CLASS`: EKS >= 1.30 marks no StorageClass as default and ships no EBS
  driver, so the hub's database claim would stay Pending and the Helm release time out.
- `aws-efs-csi-driver` (IRSA role with AmazonEFSCSIDriverPolicy): home directories (the `efs-homes` class is the
  Workbench's, next to its file system).
- `vpc-cni` managed with `enableNetworkPolicy: "true"`: without it the CNI ignores every NetworkPolicy (EKS user
  guide, "Configure your cluster for Kubernetes network policies": VPC CNI v1.14.0 or later, which the add-on's
  default version for every supported cluster version is; the policy agent runs in the aws-node pods).
- Cluster Autoscaler as plain Kubernetes resources (kubernetes/autoscaler
  `cluster-autoscaler/cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml`), with an IRSA role: GPU
  groups start at 0 nodes and CPU groups beyond the first too, so without it no GPU server ever schedules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from blueprint.facts.kubernetes import cluster_autoscaler_image
from blueprint.model import BlueprintSpec

from .naming import (
    EBS_STORAGE_CLASS,
    POLICY_VERSION,
    POOL_LABEL,
    aws_managed_policy_arn,
    child,
    irsa_trust_policy,
    mirrored_image,
    service_account_subject,
    tags,
    type_token,
)

SYSTEM_NAMESPACE = "kube-system"
EBS_CSI_ADDON, EFS_CSI_ADDON, VPC_CNI_ADDON = "aws-ebs-csi-driver", "aws-efs-csi-driver", "vpc-cni"
EBS_CSI_PROVISIONER = "ebs.csi.aws.com"
EBS_CSI_POLICY = "service-role/AmazonEBSCSIDriverPolicy"
EBS_CSI_SERVICE_ACCOUNTS = ("ebs-csi-controller-sa",)
EFS_CSI_POLICY = "service-role/AmazonEFSCSIDriverPolicy"
EFS_CSI_SERVICE_ACCOUNTS = ("efs-csi-controller-sa", "efs-csi-node-sa")
# The add-on's configuration schema (`aws eks describe-addon-configuration --addon-name vpc-cni`) takes a string.
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true"}
AUTOSCALER = "cluster-autoscaler"
# Managed node groups tag their Auto Scaling groups with both keys (EKS user guide, "Managed node groups":
# "tagged for auto-discovery by the Kubernetes Cluster Autoscaler"), the second one with the value `owned`.
AUTOSCALER_ENABLED_TAG = "k8s.io/cluster-autoscaler/enabled"


def autoscaler_cluster_tag(cluster_name: str) -> str:
    return f"k8s.io/cluster-autoscaler/{cluster_name}"


def ebs_kms_statements(key_arn: object) -> list[dict[str, object]]:
    """What the EBS CSI controller needs on a customer managed key (EKS user guide, "Create an Amazon EBS CSI
    driver IAM role", the KMS policy for encrypted volumes): EC2 encrypts the volume through a grant it creates
    on the driver's behalf, so grants only for AWS resources, and the data-key calls."""
    return [
        {
            "Sid": "GrantsForEbs",
            "Effect": "Allow",
            "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
            "Resource": [key_arn],
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            "Sid": "VolumeKeys",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": [key_arn],
        },
    ]


def autoscaler_policy(cluster_name: str, partition: str, region: str, account: str) -> dict[str, object]:
    """Cluster Autoscaler's AWS policy (its AWS README, "Full Cluster Autoscaler Features Policy"), narrowed where
    IAM can narrow it: the two write actions on Auto Scaling groups carrying this cluster's auto-discovery tag (as
    the README recommends), `eks:DescribeNodegroup` (a group's labels and taints while it is at zero nodes) on this
    cluster's node groups; the Describe calls take no resource (service authorization reference: "*" only)."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                "Resource": ["*"],
            },
            {
                "Sid": "ReadOwnNodeGroups",
                "Effect": "Allow",
                "Action": ["eks:DescribeNodegroup"],
                "Resource": [f"arn:{partition}:eks:{region}:{account}:nodegroup/{cluster_name}/*/*"],
            },
            {
                "Sid": "ScaleOwnGroups",
                "Effect": "Allow",
                "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                "Resource": [f"arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/*"],
                "Condition": {"StringEquals": {f"aws:ResourceTag/{autoscaler_cluster_tag(cluster_name)}": "owned"}},
            },
        ],
    }


def autoscaler_command(cluster_name: str) -> list[str]:
    return [
        "./cluster-autoscaler",
        "--v=2",
        "--cloud-provider=aws",
        f"--node-group-auto-discovery=asg:tag={AUTOSCALER_ENABLED_TAG},{autoscaler_cluster_tag(cluster_name)}",
        # One group per instance type (and per zone for the hub): similar groups are scaled together.
        "--balance-similar-node-groups",
        "--expander=least-waste",
        "--skip-nodes-with-local-storage=false",
    ]


@dataclass(frozen=True)
class ClusterAddonsArgs:
    """Inputs of ClusterAddons; build with `from_spec`."""

    cluster_name: pulumi.Input[str]
    physical_cluster_name: str
    region: str
    kubernetes_version: str
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    kubeconfig: pulumi.Input[str]
    provider: k8s.Provider
    node_groups: Sequence[pulumi.Resource]
    kms_key_arn: pulumi.Input[str] | None = None
    image_registries: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        cluster_name: pulumi.Input[str],
        oidc_provider_arn: pulumi.Input[str],
        oidc_issuer: pulumi.Input[str],
        kubeconfig: pulumi.Input[str],
        provider: k8s.Provider,
        node_groups: Sequence[pulumi.Resource],
        kms_key_arn: pulumi.Input[str] | None = None,
        image_registries: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> ClusterAddonsArgs:
        """From `WorkbenchCluster` (name, IRSA, kubeconfig, provider, node groups), the stance's CMK (None without
        one) and `ImageMirror.registries` (pull-through caches, empty unless egress is 'mirror')."""
        stack = pulumi.get_stack()  # names physical resources: a second stack is a second workbench
        return cls(
            cluster_name=cluster_name,
            physical_cluster_name=f"{spec.org}-{stack}",
            region=spec.region,
            kubernetes_version=spec.stance.stability.kubernetes_version,
            oidc_provider_arn=oidc_provider_arn,
            oidc_issuer=oidc_issuer,
            kubeconfig=kubeconfig,
            provider=provider,
            node_groups=tuple(node_groups),
            kms_key_arn=kms_key_arn,
            image_registries=dict(image_registries or {}),
            tags=tags(spec.org, stack),
        )


class ClusterAddons(pulumi.ComponentResource):
    """EKS add-ons (EBS CSI, EFS CSI, VPC CNI with network policy), the encrypted gp3 StorageClass and Cluster
    Autoscaler; see the module docstring for why each is needed on day 1."""

    provider: k8s.Provider
    """Kubernetes provider for in-cluster components: waits for the add-ons and the StorageClass, so the hub's
    claim finds its class and driver and NetworkPolicies are enforced from their first minute."""

    def __init__(self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("cluster", "ClusterAddons"), name, None, opts)
        self._name, self._args = name, args
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._partition = aws.get_partition_output(opts=invoke).partition
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        nodes = list(args.node_groups)  # the drivers' pods need nodes for the add-ons to become ACTIVE

        cni = aws.eks.Addon(
            child(name, "vpc-cni"),
            cluster_name=args.cluster_name,
            addon_name=VPC_CNI_ADDON,
            configuration_values=json.dumps(VPC_CNI_CONFIGURATION),
            # EKS installed the CNI with the cluster; the add-on takes it over. It keeps the node role's
            # AmazonEKS_CNI_Policy (no IRSA role of its own).
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=args.tags,
            opts=self._opts(depends_on=nodes),
        )
        ebs = self._csi_driver("ebs-csi", EBS_CSI_ADDON, EBS_CSI_SERVICE_ACCOUNTS, EBS_CSI_POLICY, nodes)
        efs = self._csi_driver("efs-csi", EFS_CSI_ADDON, EFS_CSI_SERVICE_ACCOUNTS, EFS_CSI_POLICY, nodes)
        storage_class = k8s.storage.v1.StorageClass(
            child(name, "gp3"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=EBS_STORAGE_CLASS),
            provisioner=EBS_CSI_PROVISIONER,
            parameters={
                "type": "gp3",
                "encrypted": "true",
                **({"kmsKeyId": args.kms_key_arn} if args.kms_key_arn is not None else {}),
            },
            # Bind where the pod lands: an EBS volume lives in one zone.
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy="Delete",
            opts=self._opts(provider=args.provider),
        )
        self._autoscaler()
        self.provider = k8s.Provider(
            child(name, "k8s"), kubeconfig=args.kubeconfig, opts=self._opts(depends_on=[*nodes, cni, ebs, efs, storage_class])
        )
        self.register_outputs({})

    def _opts(self, **kwargs: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _irsa_role(self, label: str, namespace: str, service_accounts: Sequence[str]) -> aws.iam.Role:
        subjects = [service_account_subject(namespace, sa) for sa in service_accounts]
        trust = pulumi.Output.all(self._args.oidc_provider_arn, self._args.oidc_issuer).apply(lambda v: irsa_trust_policy(v[0], v[1], subjects))
        return aws.iam.Role(child(self._name, label, "role"), assume_role_policy=pulumi.Output.json_dumps(trust), tags=self._args.tags, opts=self._opts())

    def _csi_driver(self, label: str, addon: str, service_accounts: Sequence[str], policy: str, nodes: list[pulumi.Resource]) -> aws.eks.Addon:
        role = self._irsa_role(label, SYSTEM_NAMESPACE, service_accounts)
        rights: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                child(self._name, label, policy.rsplit("/", 1)[-1]),
                role=role.name,
                policy_arn=self._partition.apply(lambda p: aws_managed_policy_arn(p, policy)),
                opts=self._opts(),
            )
        ]
        if addon == EBS_CSI_ADDON and self._args.kms_key_arn is not None:
            rights.append(
                aws.iam.RolePolicy(
                    child(self._name, label, "kms"),
                    role=role.id,
                    policy=pulumi.Output.json_dumps({"Version": POLICY_VERSION, "Statement": ebs_kms_statements(self._args.kms_key_arn)}),
                    opts=self._opts(),
                )
            )
        return aws.eks.Addon(
            child(self._name, label),
            cluster_name=self._args.cluster_name,
            addon_name=addon,
            service_account_role_arn=role.arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            tags=self._args.tags,
            opts=self._opts(depends_on=[*nodes, *rights]),
        )

    def _autoscaler(self) -> None:
        args, name = self._args, self._name
        role = self._irsa_role("autoscaler", SYSTEM_NAMESPACE, (AUTOSCALER,))
        policy = aws.iam.RolePolicy(
            child(name, "autoscaler", "policy"),
            role=role.id,
            policy=pulumi.Output.all(self._partition, self._account).apply(
                lambda v: json.dumps(autoscaler_policy(args.physical_cluster_name, v[0], args.region, v[1]))
            ),
            opts=self._opts(),
        )
        k8s_opts = self._opts(provider=args.provider)
        labels = {"app.kubernetes.io/name": AUTOSCALER, "k8s-app": AUTOSCALER}
        meta = k8s.meta.v1.ObjectMetaArgs(name=AUTOSCALER, namespace=SYSTEM_NAMESPACE, labels=labels)
        account = k8s.core.v1.ServiceAccount(
            child(name, "autoscaler", "sa"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=AUTOSCALER, namespace=SYSTEM_NAMESPACE, labels=labels, annotations={"eks.amazonaws.com/role-arn": role.arn}),
            opts=k8s_opts,
        )
        cluster_role = k8s.rbac.v1.ClusterRole(
            child(name, "autoscaler", "clusterrole"), metadata=k8s.meta.v1.ObjectMetaArgs(name=AUTOSCALER, labels=labels), rules=AUTOSCALER_CLUSTER_RULES, opts=k8s_opts
        )
        role_k8s = k8s.rbac.v1.Role(child(name, "autoscaler", "rbac-role"), metadata=meta, rules=AUTOSCALER_NAMESPACE_RULES, opts=k8s_opts)
        subject = [k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=AUTOSCALER, namespace=SYSTEM_NAMESPACE)]
        bindings = [
            k8s.rbac.v1.ClusterRoleBinding(
                child(name, "autoscaler", "clusterrolebinding"),
                metadata=k8s.meta.v1.ObjectMetaArgs(name=AUTOSCALER, labels=labels),
                role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=AUTOSCALER),
                subjects=subject,
                opts=self._opts(provider=args.provider, depends_on=[cluster_role]),
            ),
            k8s.rbac.v1.RoleBinding(
                child(name, "autoscaler", "rolebinding"),
                metadata=meta,
                role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=AUTOSCALER),
                subjects=subject,
                opts=self._opts(provider=args.provider, depends_on=[role_k8s]),
            ),
        ]
        image = self._autoscaler_image()
        k8s.apps.v1.Deployment(
            child(name, "autoscaler"),
            metadata=meta,
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=1,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        service_account_name=AUTOSCALER,
                        priority_class_name="system-cluster-critical",
                        # On the CPU pool that never scales to zero; never on GPU or hub nodes.
                        node_selector={POOL_LABEL: "cpu"},
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True, run_as_user=65534, fs_group=65534, seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault")
                        ),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name=AUTOSCALER,
                                image=image,
                                command=autoscaler_command(args.physical_cluster_name),
                                # IMDS is one hop away from the node only (cluster.IMDS_HOP_LIMIT): the region
                                # comes from here, the credentials from IRSA through the regional STS endpoint.
                                env=[
                                    k8s.core.v1.EnvVarArgs(name="AWS_REGION", value=args.region),
                                    k8s.core.v1.EnvVarArgs(name="AWS_STS_REGIONAL_ENDPOINTS", value="regional"),
                                ],
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "100m", "memory": "600Mi"}, limits={"cpu": "100m", "memory": "600Mi"}
                                ),
                                # The image carries its own CA bundle; the upstream example's hostPath mount of
                                # the node's bundle is left out (no hostPath in kube-system from this program).
                                security_context=k8s.core.v1.SecurityContextArgs(
                                    allow_privilege_escalation=False,
                                    read_only_root_filesystem=True,
                                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                                ),
                            )
                        ],
                    ),
                ),
            ),
            opts=self._opts(provider=args.provider, depends_on=[account, policy, *bindings]),
        )

    def _autoscaler_image(self) -> pulumi.Input[str]:
        """The release for the cluster's minor, through the ECR pull-through cache when the program has one."""
        upstream = cluster_autoscaler_image(self._args.kubernetes_version)
        if upstream is None:  # model.fit refuses such a version; a hand-built ClusterAddonsArgs lands here
            raise ValueError(f"no Cluster Autoscaler release is known for Kubernetes {self._args.kubernetes_version}")
        registries = self._args.image_registries
        if not registries:
            return upstream
        return pulumi.Output.all(**registries).apply(lambda resolved: mirrored_image(upstream, resolved) or upstream)


def _rule(groups: Sequence[str], resources: Sequence[str], verbs: Sequence[str], names: Sequence[str] | None = None) -> k8s.rbac.v1.PolicyRuleArgs:
    return k8s.rbac.v1.PolicyRuleArgs(api_groups=list(groups), resources=list(resources), verbs=list(verbs), resource_names=list(names) if names else None)


# The upstream example's RBAC (cluster-autoscaler-autodiscover.yaml), rule for rule.
AUTOSCALER_CLUSTER_RULES = [
    _rule([""], ["events", "endpoints"], ["create", "patch"]),
    _rule([""], ["pods/eviction"], ["create"]),
    _rule([""], ["pods/status"], ["update"]),
    _rule([""], ["endpoints"], ["get", "update"], [AUTOSCALER]),
    _rule([""], ["nodes"], ["watch", "list", "get", "update"]),
    _rule([""], ["namespaces", "pods", "services", "replicationcontrollers", "persistentvolumeclaims", "persistentvolumes"], ["watch", "list", "get"]),
    _rule(["extensions"], ["replicasets", "daemonsets"], ["watch", "list", "get"]),
    _rule(["policy"], ["poddisruptionbudgets"], ["watch", "list"]),
    _rule(["apps"], ["statefulsets", "replicasets", "daemonsets"], ["watch", "list", "get"]),
    _rule(["resource.k8s.io"], ["deviceclasses", "resourceslices", "resourceclaims"], ["watch", "list", "get"]),
    _rule(["storage.k8s.io"], ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"], ["watch", "list", "get"]),
    _rule(["batch", "extensions"], ["jobs"], ["get", "list", "watch", "patch"]),
    _rule(["coordination.k8s.io"], ["leases"], ["create"]),
    _rule(["coordination.k8s.io"], ["leases"], ["get", "update"], [AUTOSCALER]),
]
AUTOSCALER_NAMESPACE_RULES = [
    _rule([""], ["configmaps"], ["create", "list", "watch"]),
    _rule([""], ["configmaps"], ["delete", "get", "update", "watch"], ["cluster-autoscaler-status", "cluster-autoscaler-priority-expander"]),
]
