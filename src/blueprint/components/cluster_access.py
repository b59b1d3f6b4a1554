"""ClusterAccess: EKS access entries for the admin and CI roles the blueprint names.

The cluster runs with `authentication_mode: API`: IAM principals reach Kubernetes only through access entries
(https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html). `bootstrap_cluster_creator_admin_permissions`
makes whoever ran the first `pulumi up` an admin, which is "whoever created it", not a decision: a person who
leaves, or CI's role if CI created it. Here every role in `ci.admin_role_arns` and `ci.ci_role_arns` gets an
entry and the AmazonEKSClusterAdminPolicy at cluster scope, so access is explicit in the blueprint and the PR.

CI roles get cluster-admin too, not a view policy: `pulumi up` creates namespaces, RBAC, CRDs and the Helm
release, and `pulumi preview` with server-side apply sends dry-run requests, which Kubernetes authorizes exactly
like the real write (https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run), so a read-only
role cannot preview. Keep the preview role's AWS permissions read-only instead; its Kubernetes writes are dry runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from blueprint.model import BlueprintSpec

from .naming import child, tags, type_token

CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"


def access_policy_arn(partition: str, policy: str) -> str:
    """EKS access policies live in the `eks::aws:cluster-access-policy/` namespace, not in IAM."""
    return f"arn:{partition}:eks::aws:cluster-access-policy/{policy}"


@dataclass(frozen=True)
class ClusterAccessArgs:
    cluster_name: pulumi.Input[str]
    admin_role_arns: tuple[str, ...]
    ci_role_arns: tuple[str, ...]
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: BlueprintSpec, *, cluster_name: pulumi.Input[str]) -> ClusterAccessArgs:
        return cls(
            cluster_name=cluster_name,
            admin_role_arns=spec.ci.admin_role_arns,
            ci_role_arns=spec.ci.ci_role_arns,
            tags=tags(spec.org, pulumi.get_stack()),
        )


class ClusterAccess(pulumi.ComponentResource):
    """One access entry and one cluster-admin policy association per named role (none when the blueprint names none)."""

    principal_arns: pulumi.Output[list[str]]

    def __init__(self, name: str, args: ClusterAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("cluster", "ClusterAccess"), name, None, opts)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        associations: list[aws.eks.AccessPolicyAssociation] = []
        for kind, arns in (("admin", args.admin_role_arns), ("ci", args.ci_role_arns)):
            associations += self._grant(name, kind, arns, args, partition)
        self.principal_arns = pulumi.Output.from_input([*args.admin_role_arns, *args.ci_role_arns])
        self.register_outputs({"principal_arns": self.principal_arns})

    def _grant(self, name: str, kind: str, arns: Sequence[str], args: ClusterAccessArgs, partition: pulumi.Output[str]) -> list[aws.eks.AccessPolicyAssociation]:
        granted = []
        for arn in arns:
            # Named by a digest of the ARN: reordering the list in blueprint.yaml replaces nothing.
            label = child(name, kind, hashlib.sha256(arn.encode()).hexdigest()[:8])
            entry = aws.eks.AccessEntry(label, cluster_name=args.cluster_name, principal_arn=arn, type="STANDARD", tags=args.tags, opts=pulumi.ResourceOptions(parent=self))
            granted.append(
                aws.eks.AccessPolicyAssociation(
                    child(label, "admin-policy"),
                    cluster_name=args.cluster_name,
                    principal_arn=entry.principal_arn,
                    policy_arn=partition.apply(lambda p: access_policy_arn(p, CLUSTER_ADMIN_POLICY)),
                    access_scope={"type": "cluster"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
                )
            )
        return granted
