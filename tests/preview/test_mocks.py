"""The mocks answer the invokes a workbench program makes and give dependents realistic computed values."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from blueprint.preview import ResourceGraph, run_program
from blueprint.preview import mocks
from blueprint.preview.engine import PreviewMocks
from blueprint.preview.mocks import INVOKES, RESOURCE_OUTPUTS, autoname

SITE_PACKAGES = Path(aws.__file__).parents[1]


def preview(program, region: str = "eu-west-1") -> ResourceGraph:
    return run_program(program, project="acme-dsw", stack="dev", config={"aws:region": region})


def inputs_of(graph: ResourceGraph, name: str) -> dict:
    (resource,) = [r for r in graph if r.name == name]
    return resource.inputs


def test_availability_zones_are_those_of_the_configured_region():
    def program() -> None:
        zones = aws.get_availability_zones(state="available")
        for index, (zone, zone_id) in enumerate(zip(zones.names, zones.zone_ids, strict=True)):
            aws.ec2.Subnet(f"private-{index}", vpc_id="vpc", cidr_block=f"10.40.{index}.0/24", availability_zone=zone, tags={"zoneId": zone_id})

    graph = preview(program, region="ap-southeast-2")
    subnets = graph.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) >= 3
    assert [s.inputs["availabilityZone"] for s in subnets][:3] == ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"]
    assert subnets[0].inputs["tags"] == {"zoneId": "apse2-az1"}


def test_region_account_and_partition_invokes():
    def program() -> None:
        region, identity, partition = aws.get_region(), aws.get_caller_identity(), aws.get_partition()
        aws.s3.Bucket("facts", tags={"region": region.region, "name": region.name, "account": identity.account_id, "suffix": partition.dns_suffix, "partition": partition.partition})

    assert inputs_of(preview(program), "facts")["tags"] == {"account": "123456789012", "name": "eu-west-1", "partition": "aws", "region": "eu-west-1", "suffix": "amazonaws.com"}


def test_policy_documents_render_to_real_iam_json():
    def program() -> None:
        role = aws.iam.Role("reader", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
        document = aws.iam.get_policy_document_output(
            statements=[
                {"sid": "ReadTeamPrefix", "actions": ["s3:GetObject", "s3:ListBucket"], "resources": ["arn:aws:s3:::data/genomics/*"]},
                {
                    "effect": "Deny",
                    "actions": ["s3:*"],
                    "resources": ["*"],
                    "principals": [{"type": "AWS", "identifiers": [role.arn]}],
                    "conditions": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
                },
            ]
        )
        aws.iam.Policy("read-team-prefix", policy=document.json)

    policy = json.loads(inputs_of(preview(program), "read-team-prefix")["policy"])
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadTeamPrefix", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::data/genomics/*"},
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Principal": {"AWS": f"arn:aws:iam::123456789012:role/{autoname('reader')}"},
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }


def test_policy_document_overrides_replace_statements_with_the_same_sid():
    source = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    override = json.dumps({"Statement": [{"Sid": "A", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]})
    answer, failures = PreviewMocks().call(pulumi.runtime.MockCallArgs("aws:iam/getPolicyDocument:getPolicyDocument", {"sourcePolicyDocuments": [source], "overridePolicyDocuments": [override]}, ""))
    assert failures == []
    assert json.loads(answer["json"])["Statement"] == [{"Sid": "A", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}]
    assert json.loads(answer["minifiedJson"]) == json.loads(answer["json"])


def test_an_unknown_invoke_gets_an_empty_answer_not_an_error():
    def program() -> None:
        vpc = aws.ec2.get_vpc(default=True)
        aws.s3.Bucket("after-lookup", tags={"found": str(vpc.cidr_block)})

    assert inputs_of(preview(program), "after-lookup")["tags"] == {"found": "None"}


def test_an_eks_cluster_gives_dependents_an_endpoint_certificate_and_oidc_issuer():
    def program() -> None:
        cluster = aws.eks.Cluster("eks", role_arn="arn:aws:iam::123456789012:role/eks", vpc_config={"subnet_ids": ["a", "b"]})
        issuer = cluster.identities[0].oidcs[0].issuer
        aws.iam.OpenIdConnectProvider("irsa", url=issuer, client_id_lists=["sts.amazonaws.com"])
        kubeconfig = pulumi.Output.all(cluster.endpoint, cluster.certificate_authority.data, cluster.name).apply(
            lambda parts: json.dumps({"server": parts[0], "ca": parts[1], "name": parts[2]})
        )
        k8s.Provider("k8s", kubeconfig=kubeconfig)

    graph = preview(program)
    assert inputs_of(graph, "irsa")["url"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    kubeconfig = json.loads(inputs_of(graph, "k8s")["kubeconfig"])
    assert kubeconfig["server"].startswith("https://") and kubeconfig["name"] == autoname("eks")
    assert base64.b64decode(kubeconfig["ca"]).startswith(b"-----BEGIN CERTIFICATE-----")


def test_storage_mirror_identity_and_network_outputs_reach_dependents():
    def program() -> None:
        key = aws.kms.Key("cmk")
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.40.0.0/16")
        efs = aws.efs.FileSystem("homes", encrypted=True, kms_key_id=key.arn)
        domain = aws.codeartifact.Domain("mirror", domain="acme", encryption_key=key.arn)
        repository = aws.codeartifact.Repository("pypi", domain=domain.domain, repository="pypi-curated")
        pool = aws.cognito.UserPool("users")
        release = k8s.helm.v3.Release("hub", chart="jupyterhub", namespace="hub")
        namespace = k8s.core.v1.Namespace("genomics")
        aws.s3.Bucket(
            "facts",
            tags={
                "keyId": key.key_id,
                "vpcCidr": vpc.cidr_block,
                "efs": efs.dns_name,
                "repository": aws.codeartifact.get_repository_endpoint_output(domain=domain.domain, repository=repository.repository, format="pypi").repository_endpoint,
                "pool": pool.endpoint,
                "hub": release.status.status,
                "namespace": namespace.metadata.name,
            },
        )

    tags = inputs_of(preview(program), "facts")["tags"]
    assert tags["keyId"] and tags["vpcCidr"] == "10.40.0.0/16"
    assert tags["efs"] == "homes-id.efs.eu-west-1.amazonaws.com"
    assert tags["repository"].startswith("https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/pypi/pypi-curated")
    assert tags["pool"].startswith("cognito-idp.eu-west-1.amazonaws.com/")
    assert (tags["hub"], tags["namespace"]) == ("deployed", autoname("genomics"))


def test_every_aws_resource_gets_an_id_an_autoname_and_an_arn_of_its_service():
    def program() -> None:
        topic = aws.sns.Topic("alerts")
        vault = aws.backup.Vault("backups")
        aws.s3.Bucket("facts", tags={"topic": topic.arn, "id": topic.id, "vault": vault.name})

    assert inputs_of(preview(program), "facts")["tags"] == {
        "id": "alerts-id",
        "topic": f"arn:aws:sns:eu-west-1:123456789012:{autoname('alerts')}",
        "vault": autoname("backups"),
    }
    assert autoname("backups").startswith("backups-") and autoname("backups") == autoname("backups")


def _sdk_declares(token: str) -> bool:
    package, module, _ = token.split(":")
    root = SITE_PACKAGES / f"pulumi_{package}"
    first = module.split("/")[0].split(".")[0]
    files = root.glob("*.py") if first == "index" else (root / first).rglob("*.py")
    return any(f"'{token}'" in path.read_text(encoding="utf-8") for path in files)


@pytest.mark.parametrize("token", sorted([*RESOURCE_OUTPUTS, *INVOKES]))
def test_table_tokens_exist_in_the_installed_sdks(token):
    assert _sdk_declares(token), f"{token} is not a resource or function of the installed SDKs"


def test_the_s3_prefix_list_holds_the_regions_s3_ranges_from_aws_ip_ranges():
    def program() -> None:
        for region in ("eu-west-1", "us-east-1"):
            found = aws.ec2.get_managed_prefix_list(name=f"com.amazonaws.{region}.s3")
            aws.s3.Bucket(f"ranges-{region}", tags={"id": found.id, "cidrs": " ".join(e.cidr for e in found.entries)})

    graph = preview(program)
    source = json.loads((Path(mocks.__file__).parent / "s3_ranges.json").read_text())
    assert source["source"] == "https://ip-ranges.amazonaws.com/ip-ranges.json" and source["syncToken"].isdigit()
    for region in ("eu-west-1", "us-east-1"):
        tags = inputs_of(graph, f"ranges-{region}")["tags"]
        cidrs = tags["cidrs"].split()
        assert cidrs == list(mocks.s3_ranges()[region]) and len(cidrs) > 5, region
        assert tags["id"].startswith("pl-")
    assert "52.218.0.0/17" in inputs_of(graph, "ranges-eu-west-1")["tags"]["cidrs"].split()  # S3 in eu-west-1 for years
    assert "52.216.0.0/15" in inputs_of(graph, "ranges-us-east-1")["tags"]["cidrs"].split()
