"""CiRunner: the CodeBuild-hosted GitHub Actions runner in the private subnets, and 443 from it to the cluster API."""

from __future__ import annotations

import pytest

from blueprint.components.ci_runner import RUNNER_IMAGE, CiRunner, CiRunnerArgs
from blueprint.generate.workflow import cluster_runs_on
from tests.components.conftest import CLUSTER_SECURITY_GROUP

PROJECT = "aws:codebuild/project:Project"
WEBHOOK = "aws:codebuild/webhook:Webhook"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SUBNETS = ("subnet-a", "subnet-b", "subnet-c")


def runner(spec, run_program):
    args = CiRunnerArgs.from_spec(spec, vpc_id="vpc-1", subnet_ids=SUBNETS, cluster_security_group_id=CLUSTER_SECURITY_GROUP, kms_key_arn="arn:aws:kms:eu-west-1:123456789012:key/k")
    return run_program(lambda: CiRunner("acme-ci", args))


def test_codebuild_runner_in_the_private_subnets(spec_for, run_program):
    spec = spec_for("strict")
    run = runner(spec, run_program)
    project = run.one(PROJECT)
    assert project.inputs["name"] == spec.ci_runner_project == "acme-dev-ci-runner"
    # The label the workflow's cluster jobs ask for names exactly this project.
    assert cluster_runs_on(spec) == "codebuild-acme-dev-ci-runner-${{ github.run_id }}-${{ github.run_attempt }}"
    assert project.inputs["vpcConfig"]["subnets"] == list(SUBNETS) and project.inputs["vpcConfig"]["vpcId"] == "vpc-1"
    group = run.one(SG)
    assert project.inputs["vpcConfig"]["securityGroupIds"] == [group.id]
    assert project.inputs["source"] == {"type": "GITHUB", "location": "https://github.com/acme/acme-dsw.git", "gitCloneDepth": 1}
    assert project.inputs["environment"]["image"] == RUNNER_IMAGE and project.inputs["encryptionKey"].startswith("arn:aws:kms:")
    assert all(rule["fromPort"] == 443 and rule["toPort"] == 443 for rule in group.inputs["egress"])
    (hook,) = run.of_type(WEBHOOK)
    assert hook.inputs["filterGroups"] == [{"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}]


def test_443_from_the_runner_to_the_cluster_security_group(spec_for, run_program):
    run = runner(spec_for("balanced"), run_program)
    (rule,) = run.of_type(INGRESS)
    assert rule.inputs["securityGroupId"] == CLUSTER_SECURITY_GROUP
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443)
    assert rule.inputs["referencedSecurityGroupId"] == run.one(SG).id
    assert "cidrIpv4" not in rule.inputs


def test_service_role_makes_enis_only_in_its_subnets(spec_for, run_program):
    run = runner(spec_for("strict", ci={"repository": "acme/acme-dsw", "connection_arn": "arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f"}), run_program)
    statements = {s["Sid"]: s for s in run.one(ROLE_POLICY).json_input("policy")["Statement"]}
    permission = statements["VpcNetworkInterfacePermission"]
    assert permission["Condition"]["ArnEquals"]["ec2:Subnet"] == [f"arn:aws:ec2:eu-west-1:123456789012:subnet/{s}" for s in SUBNETS]
    assert permission["Condition"]["StringEquals"] == {"ec2:AuthorizedService": "codebuild.amazonaws.com"}
    create = statements["VpcNetworkInterfaceCreate"]["Resource"]
    assert [f"arn:aws:ec2:eu-west-1:123456789012:subnet/{s}" for s in SUBNETS] == create[:3] and "*" not in create
    assert statements["VpcNetworkInterfaceDelete"]["Condition"]["ArnEquals"] == permission["Condition"]["ArnEquals"]
    # Only the Describe calls, which take no resource scope, are on "*".
    assert [s["Sid"] for s in statements.values() if s["Resource"] == "*"] == ["VpcDescribe"]
    assert all(a.startswith("ec2:Describe") for a in statements["VpcDescribe"]["Action"])
    assert statements["GitHubConnection"]["Resource"].startswith("arn:aws:codeconnections:")
    assert run.one(PROJECT).inputs["source"]["auth"]["type"] == "CODECONNECTIONS"
    assert not any("eks:" in str(s["Action"]) or "sts:AssumeRole" in str(s["Action"]) for s in statements.values())


def test_self_hosted_runners_get_one_rule_per_network(spec_for, run_program):
    spec = spec_for("strict", ci={"runner": "self-hosted", "runner_label": "workbench", "runner_cidrs": ["10.40.0.0/24", "192.168.10.0/24"]})
    run = runner(spec, run_program)
    assert run.of_type(PROJECT) == [] and run.of_type(SG) == []
    assert sorted(r.inputs["cidrIpv4"] for r in run.of_type(INGRESS)) == ["10.40.0.0/24", "192.168.10.0/24"]
    assert cluster_runs_on(spec) == "[self-hosted, workbench]"


def test_github_hosted_provisions_nothing(spec_for, run_program):
    spec = spec_for("open", ci={"runner": "github-hosted"})
    assert [r for r in runner(spec, run_program).resources if r.custom] == []
    assert cluster_runs_on(spec) == "ubuntu-latest"


@pytest.mark.parametrize(
    ("ci", "message"),
    [
        ({"runner": "self-hosted"}, "needs runner_label"),
        ({"runner": "codebuild", "runner_label": "x"}, "describe self-hosted runners"),
        ({"runner": "github-hosted", "repository": "acme/x"}, "configure the CodeBuild runner"),
        ({"repository": "acme/x", "admin_role_arns": ["arn:aws:iam::123456789012:role/a"], "ci_role_arns": ["arn:aws:iam::123456789012:role/a"]}, "list each role once"),
        ({"repository": "not a repo"}, "ci.repository"),
    ],
)
def test_bad_ci_sections_are_refused_with_the_field(spec_for, ci, message):
    from blueprint.errors import SpecError

    with pytest.raises(SpecError, match=message):
        spec_for("strict", ci=ci)
