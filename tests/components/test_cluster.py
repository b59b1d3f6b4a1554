"""WorkbenchCluster under the mock engine: endpoint, logs, encryption, least-privilege roles, node pools, IRSA."""

from __future__ import annotations

import json

import pulumi
import pytest

from blueprint.components.cluster import EKS_OIDC_THUMBPRINT, ClusterArgs, WorkbenchCluster
from tests.components.conftest import ACCOUNT, CLUSTER_SECURITY_GROUP, OIDC_ISSUER, REGION

KMS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/test"
SUBNETS = ("subnet-a", "subnet-b", "subnet-c")
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
NO_GPU_TEAMS = [{"name": "analytics", "idp_group": "dsw-analytics", "quota": {"gpu": 0}}]


def args_for(spec, kms: str | None = KMS) -> ClusterArgs:
    return ClusterArgs.from_spec(spec, vpc_id="vpc-1", private_subnet_ids=SUBNETS, kms_key_arn=kms)


def cluster_run(run_program, args: ClusterArgs):
    return run_program(lambda: WorkbenchCluster("acme-cluster", args))


def node_groups(run) -> dict[str, dict]:
    return {g.name.removeprefix("acme-cluster-"): g.inputs for g in run.of_type(NODE_GROUP)}


def attached(run, role_label: str) -> set[str]:
    role = run.named(f"acme-cluster-{role_label}-role")
    return {a.inputs["policyArn"].split(":policy/")[1] for a in run.of_type(ATTACHMENT) if a.inputs["role"] == role.outputs["name"]}


def test_strict_control_plane(spec_for, run_program):
    spec = spec_for("strict")
    run = cluster_run(run_program, args_for(spec))
    cluster = run.one(CLUSTER).inputs
    assert cluster["name"] == "acme-dev" and cluster["version"] == spec.stance.stability.kubernetes_version
    assert cluster["vpcConfig"]["endpointPrivateAccess"] is True
    assert cluster["vpcConfig"]["endpointPublicAccess"] is False and "publicAccessCidrs" not in cluster["vpcConfig"]
    assert cluster["vpcConfig"]["subnetIds"] == list(SUBNETS)
    assert cluster["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == spec.network.service_cidr
    assert cluster["encryptionConfig"] == {"provider": {"keyArn": KMS}, "resources": ["secrets"]}
    assert cluster["enabledClusterLogTypes"] == ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    assert cluster["accessConfig"]["authenticationMode"] == "API"
    log_group = run.one("aws:cloudwatch/logGroup:LogGroup").inputs
    assert log_group["name"] == "/aws/eks/acme-dev/cluster" and log_group["retentionInDays"] == 365 and log_group["kmsKeyId"] == KMS


def test_open_has_a_public_endpoint_for_admin_cidrs_only(spec_for, run_program):
    run = cluster_run(run_program, args_for(spec_for("open"), kms=None))
    cluster = run.one(CLUSTER).inputs
    assert cluster["vpcConfig"]["endpointPublicAccess"] is True
    assert cluster["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert "encryptionConfig" not in cluster, "provider-managed keys: no CMK envelope encryption"
    assert cluster["enabledClusterLogTypes"] == [] and run.of_type("aws:cloudwatch/logGroup:LogGroup") == []


def test_public_endpoint_without_admin_cidrs_is_refused(spec_for):
    spec = spec_for("open")
    spec = spec.model_copy(update={"network": spec.network.model_copy(update={"admin_cidrs": ()})})
    with pytest.raises(ValueError, match="admin_cidrs"):
        args_for(spec)


def test_roles_carry_only_the_eks_managed_policies(spec_for, run_program):
    run = cluster_run(run_program, args_for(spec_for("strict")))
    assert attached(run, "cluster") == {"AmazonEKSClusterPolicy"}
    assert attached(run, "node") == {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"}
    assert run.named("acme-cluster-cluster-role").json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}
    assert run.named("acme-cluster-node-role").json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    secrets_key = run.one("aws:iam/rolePolicy:RolePolicy").json_input("policy")["Statement"]
    assert secrets_key == [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], "Resource": KMS}]


def test_cpu_nodes_span_azs_per_stance(stance_name, spec_for, run_program):
    spec = spec_for(stance_name)
    nodes = spec.stance.compute.nodes
    cpu = node_groups(cluster_run(run_program, args_for(spec)))["cpu"]
    assert cpu["instanceTypes"] == list(nodes.instance_types)
    assert cpu["scalingConfig"]["minSize"] == 1 and cpu["scalingConfig"]["maxSize"] == nodes.max_nodes
    expected = list(SUBNETS) if spec.stance.stability.multi_az_nodes else [SUBNETS[0]]
    assert cpu["subnetIds"] == expected
    assert "taints" not in cpu


def test_gpu_node_group_only_with_gpu_quota(spec_for, run_program):
    groups = node_groups(cluster_run(run_program, args_for(spec_for("balanced", teams=NO_GPU_TEAMS))))
    assert set(groups) == {"cpu"}, "no team has GPU quota, so no GPU node group"


def test_gpu_node_group_is_tainted_and_capped(spec_for, run_program):
    spec = spec_for("balanced")  # team genomics has gpu: 1
    assert spec.any_gpu
    gpu = node_groups(cluster_run(run_program, args_for(spec)))["gpu"]
    assert gpu["instanceTypes"] == ["g5.2xlarge"] and gpu["amiType"] == "AL2023_x86_64_NVIDIA"
    assert gpu["scalingConfig"]["minSize"] == 0 and gpu["scalingConfig"]["maxSize"] == spec.stance.compute.nodes.max_gpu_nodes
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]


def test_irsa_and_efs_csi_driver(spec_for, run_program):
    run = cluster_run(run_program, args_for(spec_for("strict")))
    oidc = run.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs
    assert oidc["url"] == OIDC_ISSUER and oidc["clientIdLists"] == ["sts.amazonaws.com"] and oidc["thumbprintLists"] == [EKS_OIDC_THUMBPRINT]
    addon = run.one("aws:eks/addon:Addon").inputs
    assert addon["addonName"] == "aws-efs-csi-driver"
    role = run.named("acme-cluster-efs-csi-role")
    assert addon["serviceAccountRoleArn"] == role.outputs["arn"]
    assert attached(run, "efs-csi") == {"service-role/AmazonEFSCSIDriverPolicy"}
    condition = role.json_input("assumeRolePolicy")["Statement"][0]["Condition"]["StringEquals"]
    issuer = OIDC_ISSUER.removeprefix("https://")
    assert condition[f"{issuer}:aud"] == "sts.amazonaws.com"
    assert all(s.startswith("system:serviceaccount:kube-system:efs-csi-") for s in condition[f"{issuer}:sub"])


def test_kubernetes_provider_authenticates_with_aws_eks_get_token(spec_for, run_program):
    run = cluster_run(run_program, args_for(spec_for("strict")))
    config = json.loads(run.one("pulumi:providers:kubernetes").inputs["kubeconfig"])
    assert config["clusters"][0]["cluster"]["server"].startswith("https://")
    user = config["users"][0]["user"]["exec"]
    assert user["command"] == "aws" and user["args"][:4] == ["eks", "get-token", "--cluster-name", "acme-dev"]
    assert "token" not in config["users"][0]["user"], "no long-lived credential in state"


def test_outputs(spec_for, run_program):
    def program():
        cluster = WorkbenchCluster("acme-cluster", args_for(spec_for("strict")))

        def check(values):
            urn, name, issuer, provider_arn, security_group, node_role = values
            assert name == "acme-dev", urn
            assert issuer == OIDC_ISSUER.removeprefix("https://"), f"{urn}: oidc_issuer {issuer}"
            assert provider_arn.endswith(f"oidc-provider/{issuer}"), urn
            assert security_group == CLUSTER_SECURITY_GROUP, urn
            assert ":role/acme-cluster-node-role" in node_role, urn

        return pulumi.Output.all(
            cluster.urn, cluster.cluster_name, cluster.oidc_issuer, cluster.oidc_provider_arn, cluster.node_security_group_id, cluster.node_role_arn
        ).apply(check)

    run = run_program(program)
    component = run.one("workbench:cluster:WorkbenchCluster")
    assert all(r.parent == component.urn for r in run.resources if r.custom)
