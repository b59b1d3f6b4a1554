"""ClusterAddons under the mock engine, composed with the real WorkbenchCluster and ImageMirror: EBS/EFS CSI with
IRSA, the encrypted gp3 class, the VPC CNI with network policy, Cluster Autoscaler and the provider that waits."""

from __future__ import annotations

import json

from blueprint.components.addons import EBS_CSI_PROVISIONER, ClusterAddons, ClusterAddonsArgs
from blueprint.components.cluster import ClusterArgs, WorkbenchCluster
from blueprint.components.images import ImageMirror, ImageMirrorArgs
from blueprint.components.naming import EBS_STORAGE_CLASS, POOL_LABEL
from blueprint.facts.kubernetes import cluster_autoscaler_image
from tests.components.conftest import ACCOUNT, OIDC_ISSUER, REGION

KMS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/test"
ADDON = "aws:eks/addon:Addon"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
ISSUER = OIDC_ISSUER.removeprefix("https://")


def program(spec, kms: str | None = KMS):
    def run() -> None:
        cluster = WorkbenchCluster("acme-cluster", ClusterArgs.from_spec(spec, vpc_id="vpc-1", private_subnet_ids=("subnet-a", "subnet-b"), kms_key_arn=kms))
        images = ImageMirror("acme-images", ImageMirrorArgs.from_spec(spec, node_role_name=cluster.node_role_name, kms_key_arn=kms))
        ClusterAddons(
            "acme-addons",
            ClusterAddonsArgs.from_spec(
                spec,
                cluster_name=cluster.cluster_name,
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer=cluster.oidc_issuer,
                kubeconfig=cluster.kubeconfig,
                provider=cluster.provider,
                node_groups=cluster.node_groups,
                kms_key_arn=kms,
                image_registries=images.registries,
            ),
        )

    return run


def addons(run) -> dict:
    return {a.inputs["addonName"]: a for a in run.of_type(ADDON)}


def attached(run, label: str) -> set[str]:
    role = run.named(f"acme-addons-{label}-role")
    return {a.inputs["policyArn"].split(":policy/")[1] for a in run.of_type(ATTACHMENT) if a.inputs["role"] == role.outputs["name"]}


def trust_subjects(run, label: str) -> list[str]:
    condition = run.named(f"acme-addons-{label}-role").json_input("assumeRolePolicy")["Statement"][0]["Condition"]["StringEquals"]
    assert condition[f"{ISSUER}:aud"] == "sts.amazonaws.com"
    subjects = condition[f"{ISSUER}:sub"]
    return subjects if isinstance(subjects, list) else [subjects]


def test_ebs_csi_with_irsa_and_cmk_grants(spec_for, run_program):
    run = run_program(program(spec_for("strict")))
    ebs = addons(run)["aws-ebs-csi-driver"]
    role = run.named("acme-addons-ebs-csi-role")
    assert ebs.inputs["serviceAccountRoleArn"] == role.outputs["arn"]
    assert attached(run, "ebs-csi") == {"service-role/AmazonEBSCSIDriverPolicy"}
    assert trust_subjects(run, "ebs-csi") == ["system:serviceaccount:kube-system:ebs-csi-controller-sa"]
    statements = {s["Sid"]: s for s in run.named("acme-addons-ebs-csi-kms").json_input("policy")["Statement"]}
    assert statements["GrantsForEbs"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert all(s["Resource"] == [KMS] for s in statements.values()), "only the stance's key"


def test_no_kms_statement_without_a_cmk(spec_for, run_program):
    run = run_program(program(spec_for("open"), kms=None))
    assert [r for r in run.resources if r.name == "acme-addons-ebs-csi-kms"] == []
    storage_class = run.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true"}


def test_storage_class_is_encrypted_gp3_with_the_stance_key(spec_for, run_program):
    run = run_program(program(spec_for("strict")))
    storage_class = run.one("kubernetes:storage.k8s.io/v1:StorageClass").inputs
    assert storage_class["metadata"]["name"] == EBS_STORAGE_CLASS
    assert storage_class["provisioner"] == EBS_CSI_PROVISIONER == "ebs.csi.aws.com"
    assert storage_class["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": KMS}
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer" and storage_class["allowVolumeExpansion"] is True


def test_efs_csi_moved_here_with_its_irsa_role(spec_for, run_program):
    run = run_program(program(spec_for("strict")))
    efs = addons(run)["aws-efs-csi-driver"]
    assert efs.inputs["serviceAccountRoleArn"] == run.named("acme-addons-efs-csi-role").outputs["arn"]
    assert attached(run, "efs-csi") == {"service-role/AmazonEFSCSIDriverPolicy"}
    assert all(s.startswith("system:serviceaccount:kube-system:efs-csi-") for s in trust_subjects(run, "efs-csi"))


def test_vpc_cni_enforces_network_policy(stance_name, spec_for, run_program):
    run = run_program(program(spec_for(stance_name)))
    cni = addons(run)["vpc-cni"].inputs
    assert json.loads(cni["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert cni["resolveConflictsOnCreate"] == "OVERWRITE", "EKS installed the CNI with the cluster; the add-on takes it over"


def test_cluster_autoscaler_discovers_this_clusters_groups(spec_for, run_program):
    spec = spec_for("balanced")
    run = run_program(program(spec))
    deployment = run.one(DEPLOYMENT).inputs
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/acme-dev" in container["command"]
    assert "--balance-similar-node-groups" in container["command"]
    upstream = cluster_autoscaler_image(spec.stance.stability.kubernetes_version)
    assert container["image"].endswith("/k8s/" + upstream.removeprefix("registry.k8s.io/")), "balanced pulls through the ECR cache"
    assert container["image"].split("/")[0].endswith(".amazonaws.com")
    assert container["image"].endswith(":v1.33.6")
    assert {"name": "AWS_REGION", "value": REGION} in container["env"], "IMDS is out of reach with one hop"
    assert pod["nodeSelector"] == {POOL_LABEL: "cpu"} and pod["serviceAccountName"] == "cluster-autoscaler"
    account = run.one("kubernetes:core/v1:ServiceAccount").inputs
    role = run.named("acme-addons-autoscaler-role")
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role.outputs["arn"]
    assert trust_subjects(run, "autoscaler") == ["system:serviceaccount:kube-system:cluster-autoscaler"]
    policy = {s["Sid"]: s for s in run.named("acme-addons-autoscaler-policy").json_input("policy")["Statement"]}
    assert policy["ReadOwnNodeGroups"]["Action"] == ["eks:DescribeNodegroup"], "labels and taints of groups at zero nodes"
    assert policy["ReadOwnNodeGroups"]["Resource"] == [f"arn:aws:eks:{REGION}:{ACCOUNT}:nodegroup/acme-dev/*/*"]
    assert policy["ScaleOwnGroups"]["Condition"] == {"StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/acme-dev": "owned"}}
    assert policy["ScaleOwnGroups"]["Resource"] == [f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/*"]


def test_strict_pulls_the_autoscaler_through_the_cache(spec_for, run_program):
    spec = spec_for("strict")
    image = run_program(program(spec)).one(DEPLOYMENT).inputs["spec"]["template"]["spec"]["containers"][0]["image"]
    release = cluster_autoscaler_image(spec.stance.stability.kubernetes_version).removeprefix("registry.k8s.io/")
    assert image == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme-dev/k8s/{release}"


def test_provider_waits_for_the_addons_and_the_class(spec_for, run_program):
    run = run_program(program(spec_for("strict")))
    providers = {p.name: p for p in run.of_type("pulumi:providers:kubernetes")}
    assert set(providers) == {"acme-cluster-k8s", "acme-addons-k8s"}
    component = run.one("workbench:cluster:ClusterAddons")
    children = [r for r in run.resources if r.parent == component.urn]
    assert {r.type for r in children} >= {ADDON, "kubernetes:storage.k8s.io/v1:StorageClass", DEPLOYMENT, "pulumi:providers:kubernetes"}
    in_cluster = [r for r in children if r.type.startswith("kubernetes:")]
    assert in_cluster and all(r.provider and "acme-cluster-k8s" in r.provider for r in in_cluster), "the add-ons' objects use the cluster's provider"
