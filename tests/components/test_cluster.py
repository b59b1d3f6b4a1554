"""WorkbenchCluster under the mock engine: endpoint, logs, encryption, least-privilege roles, node pools, launch templates, IRSA."""

from __future__ import annotations

import json

import pulumi

from blueprint.components.cluster import EKS_OIDC_THUMBPRINT, IMDS_HOP_LIMIT, ClusterArgs, WorkbenchCluster
from blueprint.components.naming import HUB_POOL, HUB_TAINT, POOL_LABEL
from tests.components.conftest import ACCOUNT, CLUSTER_SECURITY_GROUP, OIDC_ISSUER, REGION

KMS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/test"
SUBNETS = ("subnet-a", "subnet-b", "subnet-c")
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
HUB_SUBNETS = ("subnet-hub-a", "subnet-hub-b", "subnet-hub-c")
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
NO_GPU_TEAMS = [{"name": "analytics", "idp_group": "dsw-analytics", "quota": {"gpu": 0}}]


def args_for(spec, kms: str | None = KMS, hub_subnets=None) -> ClusterArgs:
    return ClusterArgs.from_spec(spec, vpc_id="vpc-1", private_subnet_ids=SUBNETS, kms_key_arn=kms, hub_subnet_ids=hub_subnets)


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


def test_roles_carry_only_the_eks_managed_policies(spec_for, run_program):
    run = cluster_run(run_program, args_for(spec_for("strict")))
    assert attached(run, "cluster") == {"AmazonEKSClusterPolicy"}
    assert attached(run, "node") == {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"}
    assert run.named("acme-cluster-cluster-role").json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}
    assert run.named("acme-cluster-node-role").json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    secrets_key = run.one("aws:iam/rolePolicy:RolePolicy").json_input("policy")["Statement"]
    assert secrets_key == [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], "Resource": KMS}]


def test_one_cpu_group_per_instance_type_spanning_azs_per_stance(stance_name, spec_for, run_program):
    spec = spec_for(stance_name)
    nodes = spec.stance.compute.nodes
    groups = node_groups(cluster_run(run_program, args_for(spec)))
    cpu = {name: g for name, g in groups.items() if g["labels"][POOL_LABEL] == "cpu"}
    assert sorted(g["instanceTypes"][0] for g in cpu.values()) == sorted(nodes.instance_types)
    assert all(len(g["instanceTypes"]) == 1 for g in cpu.values()), "Cluster Autoscaler needs one size per group"
    first = groups[f"cpu-{nodes.instance_types[0].replace('.', '-')}"]
    assert first["scalingConfig"]["minSize"] == 1, "system pods need one node before the autoscaler runs"
    assert sum(g["scalingConfig"]["maxSize"] for g in cpu.values()) <= nodes.max_nodes, "the groups together stay under max_nodes"
    expected = list(SUBNETS) if spec.stance.stability.multi_az_nodes else [SUBNETS[0]]
    assert all(g["subnetIds"] == expected for g in cpu.values())
    assert all("taints" not in g for g in cpu.values())


def test_gpu_node_group_only_with_gpu_quota(spec_for, run_program):
    groups = node_groups(cluster_run(run_program, args_for(spec_for("balanced", teams=NO_GPU_TEAMS))))
    assert {g["labels"][POOL_LABEL] for g in groups.values()} == {"cpu"}, "no team has GPU quota, so no GPU node group"


def test_gpu_node_group_is_bottlerocket_nvidia_tainted_and_capped(spec_for, run_program):
    spec = spec_for("balanced")  # team genomics has gpu: 1
    assert spec.any_gpu
    gpu = node_groups(cluster_run(run_program, args_for(spec)))["gpu-g5-2xlarge"]
    # Bottlerocket's NVIDIA variant runs the device plugin itself: no DaemonSet needed for nvidia.com/gpu.
    assert gpu["instanceTypes"] == ["g5.2xlarge"] and gpu["amiType"] == "BOTTLEROCKET_x86_64_NVIDIA"
    assert gpu["scalingConfig"]["minSize"] == 0 and gpu["scalingConfig"]["maxSize"] == spec.stance.compute.nodes.max_gpu_nodes
    assert gpu["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert gpu["labels"] == {POOL_LABEL: "gpu", "k8s.amazonaws.com/accelerator": "nvidia-a10g"}


def test_launch_templates_tag_instances_and_volumes_and_lock_imds(stance_name, spec_for, run_program):
    spec = spec_for(stance_name)
    run = cluster_run(run_program, args_for(spec))
    templates = {t.name: t for t in run.of_type(LAUNCH_TEMPLATE)}
    for group in run.of_type(NODE_GROUP):
        template = next(t for t in templates.values() if t.id == group.inputs["launchTemplate"]["id"])
        assert group.inputs["launchTemplate"]["version"] == "1"
        inputs = template.inputs
        assert inputs["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required", "httpPutResponseHopLimit": IMDS_HOP_LIMIT}
        assert IMDS_HOP_LIMIT == 1, "pods use IRSA, so the node's credentials stay one hop away"
        specs = {t["resourceType"]: t["tags"] for t in inputs["tagSpecifications"]}
        assert set(specs) == {"instance", "volume", "network-interface"}
        for tag_set in specs.values():
            assert tag_set["workbench:org"] == "acme" and tag_set[POOL_LABEL] == group.inputs["labels"][POOL_LABEL]
        assert all(d["ebs"]["encrypted"] == "true" for d in inputs["blockDeviceMappings"])
        assert "instanceType" not in inputs and "iamInstanceProfile" not in inputs, "managed node groups refuse them"
    assert len(templates) == len({(g.inputs["amiType"], g.inputs["labels"][POOL_LABEL]) for g in run.of_type(NODE_GROUP)}), "one per pool, shared"


def test_hub_pool_only_with_hub_subnets(spec_for, run_program):
    spec = spec_for("strict")
    plain = node_groups(cluster_run(run_program, args_for(spec)))
    assert HUB_POOL not in {g["labels"][POOL_LABEL] for g in plain.values()}
    groups = node_groups(cluster_run(run_program, args_for(spec, hub_subnets=HUB_SUBNETS)))
    hub = {name: g for name, g in sorted(groups.items()) if g["labels"][POOL_LABEL] == HUB_POOL}
    assert list(hub) == ["hub-0", "hub-1", "hub-2"]
    # One group per zone (the hub's EBS volume is zonal, so the autoscaler must be able to pick the zone).
    assert [g["subnetIds"] for g in hub.values()] == [[s] for s in HUB_SUBNETS]
    assert [g["scalingConfig"]["minSize"] for g in hub.values()] == [1, 0, 0]
    assert all(g["taints"] == [HUB_TAINT] for g in hub.values())
    assert all(g["instanceTypes"] == ["m6i.xlarge"] for g in hub.values()), "the stance's smallest type"


def test_hub_pool_single_zone_when_the_stance_is_not_multi_az(spec_for, run_program):
    groups = node_groups(cluster_run(run_program, args_for(spec_for("open"), kms=None, hub_subnets=HUB_SUBNETS)))
    hub = [g for g in groups.values() if g["labels"][POOL_LABEL] == HUB_POOL]
    assert [g["subnetIds"] for g in hub] == [[HUB_SUBNETS[0]]] and hub[0]["scalingConfig"]["minSize"] == 1


def test_irsa_provider(spec_for, run_program):
    run = cluster_run(run_program, args_for(spec_for("strict")))
    oidc = run.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs
    assert oidc["url"] == OIDC_ISSUER and oidc["clientIdLists"] == ["sts.amazonaws.com"] and oidc["thumbprintLists"] == [EKS_OIDC_THUMBPRINT]


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
