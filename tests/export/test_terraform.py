"""Terraform plan export: shapes, names and references on hand-made graphs; completeness on the real stances."""

from __future__ import annotations

import enum
import json
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blueprint.cli.export import preview_outputs
from blueprint.export import ExportError
from blueprint.export.checkov import STANCES
from blueprint.export.shapes import resource_class
from blueprint.export.terraform import TERRAFORM_VERSION, aws_resources, dumps_indented, terraform_name, terraform_plan
from blueprint.export.tokens import terraform_types
from blueprint.preview.graph import SECRET, UNKNOWN

from .conftest import graph, resource

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
REGION = "eu-west-1"


def plan_of(*resources):
    return terraform_plan(graph(*resources), region=REGION, outputs=preview_outputs(REGION)).document


def planned(document, address):
    return next(r for r in document["planned_values"]["root_module"]["resources"] if r["address"] == address)


def configured(document, address):
    return next(r for r in document["configuration"]["root_module"]["resources"] if r["address"] == address)


def change(document, address):
    return next(r for r in document["resource_changes"] if r["address"] == address)


# ---- hand-made graphs --------------------------------------------------------------------------------


def test_single_objects_become_one_element_block_lists_and_maps_stay_maps():
    cluster = resource(
        "aws:eks/cluster:Cluster",
        "eks",
        {
            "name": "acme-dev",
            "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False},
            "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:eu-west-1:1:key/k"}},
            "enabledClusterLogTypes": ["api", "audit"],
            "tags": {"workbench:org": "acme", "camelCaseTag": "kept"},
        },
    )
    values = planned(plan_of(cluster), "aws_eks_cluster.eks")["values"]
    assert values["vpc_config"] == [{"endpoint_private_access": True, "endpoint_public_access": False}]
    assert values["encryption_config"] == [{"resources": ["secrets"], "provider": [{"key_arn": "arn:aws:kms:eu-west-1:1:key/k"}]}]
    assert values["enabled_cluster_log_types"] == ["api", "audit"]
    assert values["tags"] == {"workbench:org": "acme", "camelCaseTag": "kept"}  # map keys are data, not property names
    assert values["tags_all"] == values["tags"]


def test_pluralised_block_lists_get_their_terraform_names_back():
    sse = resource(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "data-encryption",
        {"bucket": "acme-data", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": True}]},
    )
    versioning = resource("aws:s3/bucketVersioning:BucketVersioning", "data-versioning", {"bucket": "acme-data", "versioningConfiguration": {"status": "Enabled"}})
    document = plan_of(sse, versioning)
    assert planned(document, "aws_s3_bucket_server_side_encryption_configuration.data-encryption")["values"]["rule"] == [
        {"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}], "bucket_key_enabled": True}
    ]
    assert planned(document, "aws_s3_bucket_versioning.data-versioning")["values"]["versioning_configuration"] == [{"status": "Enabled"}]


def test_values_from_other_resources_are_references_as_in_a_first_plan():
    bucket = resource("aws:s3/bucket:Bucket", "data", {"bucket": "acme-data", "forceDestroy": False})
    block = resource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "data-public-access",
        {"bucket": "acme-data", "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True},
        deps=(bucket,),
    )
    document = plan_of(bucket, block)
    address = "aws_s3_bucket_public_access_block.data-public-access"
    assert "bucket" not in planned(document, address)["values"]
    assert change(document, address)["change"]["after_unknown"] == {"bucket": True}
    assert configured(document, address)["expressions"]["bucket"] == {"references": ["aws_s3_bucket.data.id", "aws_s3_bucket.data"]}


def test_references_inside_blocks_and_lists_are_nested_like_terraform_configuration():
    subnets = [resource("aws:ec2/subnet:Subnet", f"private-{i}", {"cidrBlock": f"10.0.{i}.0/24"}) for i in range(2)]
    cluster = resource(
        "aws:eks/cluster:Cluster",
        "eks",
        {"vpcConfig": {"subnetIds": ["private-0-id", "private-1-id"], "endpointPrivateAccess": True}},
        deps=tuple(subnets),
    )
    document = plan_of(cluster, *subnets)
    assert planned(document, "aws_eks_cluster.eks")["values"]["vpc_config"] == [{"endpoint_private_access": True}]
    assert configured(document, "aws_eks_cluster.eks")["expressions"]["vpc_config"] == [
        {"subnet_ids": {"references": ["aws_subnet.private-0.id", "aws_subnet.private-0", "aws_subnet.private-1.id", "aws_subnet.private-1"]}}
    ]


def test_a_string_built_around_an_arn_is_a_reference_like_an_interpolation():
    group = resource("aws:cloudwatch/logGroup:LogGroup", "trail-events", {"name": "/aws/cloudtrail/acme"})
    arn = preview_outputs(REGION)(group)["arn"]
    trail = resource(
        "aws:cloudtrail/trail:Trail",
        "trail",
        {"name": "acme", "s3BucketName": "acme-logs", "cloudWatchLogsGroupArn": f"{arn}:*", "kmsKeyId": f"{arn}-not-a-path"},
        deps=(group,),
    )
    document = plan_of(group, trail)
    expressions = configured(document, "aws_cloudtrail.trail")["expressions"]
    assert expressions["cloud_watch_logs_group_arn"] == {"references": ["aws_cloudwatch_log_group.trail-events.arn", "aws_cloudwatch_log_group.trail-events"]}
    assert "kms_key_id" not in expressions, "only a path or wildcard after the ARN makes it an interpolation"
    assert "cloud_watch_logs_group_arn" not in planned(document, "aws_cloudtrail.trail")["values"]


def test_without_outputs_every_input_stays_a_value():
    bucket = resource("aws:s3/bucket:Bucket", "data", {"bucket": "acme-data"})
    block = resource("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "block", {"bucket": "acme-data"}, deps=(bucket,))
    document = terraform_plan(graph(bucket, block), region=REGION).document
    assert planned(document, "aws_s3_bucket_public_access_block.block")["values"] == {"bucket": "acme-data"}


def test_a_value_equal_to_an_id_is_no_reference_without_a_dependency():
    bucket = resource("aws:s3/bucket:Bucket", "data", {"bucket": "acme-data"})
    policy = resource("aws:s3/bucketPolicy:BucketPolicy", "policy", {"bucket": "acme-data", "policy": "{}"})
    document = plan_of(bucket, policy)
    assert planned(document, "aws_s3_bucket_policy.policy")["values"]["bucket"] == "acme-data"
    assert configured(document, "aws_s3_bucket_policy.policy")["expressions"] == {}


@pytest.mark.parametrize("marker", [SECRET, UNKNOWN])
def test_secret_and_unknown_values_are_left_out_and_marked_unknown(marker):
    pool = resource("aws:cognito/userPoolClient:UserPoolClient", "client", {"name": "hub", "userPoolId": marker, "callbackUrls": [marker]})
    document = plan_of(pool)
    values = planned(document, "aws_cognito_user_pool_client.client")["values"]
    assert values == {"name": "hub"}
    assert change(document, "aws_cognito_user_pool_client.client")["change"]["after_unknown"] == {"user_pool_id": True, "callback_urls": True}


def test_an_unknown_block_in_a_list_is_marked_unknown_in_place():
    group = resource(
        "aws:ec2/securityGroup:SecurityGroup",
        "sg",
        {"ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}, UNKNOWN]},
    )
    document = plan_of(group)
    assert planned(document, "aws_security_group.sg")["values"]["ingress"] == [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/16"]}]
    assert change(document, "aws_security_group.sg")["change"]["after_unknown"] == {"ingress": [{}, True]}


def test_a_type_the_table_lacks_fails_loudly_naming_it():
    with pytest.raises(ExportError) as caught:
        plan_of(resource("aws:ec2/vpc:Vpc", "vpc"), resource("aws:lightsail/instance:Instance", "box"), resource("aws:mq/broker:Broker", "mq"))
    message = str(caught.value)
    assert "aws:lightsail/instance:Instance" in message and "aws:mq/broker:Broker" in message
    assert "pulumi-aws-tf-types.json" in message


def test_a_property_the_sdk_does_not_know_fails_loudly():
    with pytest.raises(ExportError, match="notAProperty"):
        plan_of(resource("aws:s3/bucket:Bucket", "data", {"notAProperty": 1}))


def test_a_list_of_blocks_without_a_reviewed_terraform_name_fails_loudly():
    # (blockDeviceMappings and tagSpecifications are reviewed: the node launch templates use them)
    template = resource("aws:ec2/launchTemplate:LaunchTemplate", "nodes", {"networkInterfaces": [{"deviceIndex": 0}]})
    with pytest.raises(ExportError, match=r"networkInterfaces.*'network_interfaces' or 'network_interface'"):
        plan_of(template)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("acme-network-vpc", "acme-network-vpc"), ("acme-endpoint-ecr.api", "acme-endpoint-ecr_api"), ("9lives", "_9lives"), ("-x", "_-x"), ("a/b:c d", "a_b_c_d")],
)
def test_names_become_valid_terraform_identifiers(name, expected):
    assert terraform_name(name) == expected
    assert IDENTIFIER.match(terraform_name(name))


def test_names_that_collide_once_sanitised_stay_distinct():
    parent = resource("workbench:network:PrivateNetwork", "net", custom=False)
    a = resource("aws:ec2/vpc:Vpc", "main.vpc")
    b = resource("aws:ec2/vpc:Vpc", "main_vpc")
    c = resource("aws:ec2/vpc:Vpc", "main_vpc", parent=parent)  # same name, other parent: another URN
    plan = terraform_plan(graph(parent, a, b, c), region=REGION, outputs=preview_outputs(REGION))
    assert len(set(plan.urns)) == 3
    assert all(IDENTIFIER.match(address.split(".", 1)[1]) for address in plan.urns)


def test_components_providers_and_other_packages_are_not_aws_resources():
    component = resource("workbench:network:PrivateNetwork", "net", custom=False)
    provider = resource("pulumi:providers:aws", "default")
    namespace = resource("kubernetes:core/v1:Namespace", "ns")
    vpc = resource("aws:ec2/vpc:Vpc", "vpc", parent=component)
    assert aws_resources(graph(component, provider, namespace, vpc)) == (vpc,)


def test_the_plan_has_what_checkov_needs_to_scan_a_resource():
    document = plan_of(resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}))
    assert document["format_version"] and document["terraform_version"] == TERRAFORM_VERSION
    (entry,) = document["planned_values"]["root_module"]["resources"]
    assert entry["address"] == "aws_vpc.vpc" and entry["mode"] == "managed" and entry["type"] == "aws_vpc" and entry["name"] == "vpc"
    assert entry["provider_name"] == "registry.terraform.io/hashicorp/aws"
    (changed,) = document["resource_changes"]
    assert changed["change"]["actions"] == ["create"] and changed["change"]["after"] == entry["values"]
    assert document["configuration"]["provider_config"]["aws"]["expressions"]["region"] == {"constant_value": REGION}


# ---- the token table ----------------------------------------------------------------------------------


def test_every_token_in_the_table_exists_in_the_pinned_pulumi_aws():
    for token in terraform_types():
        assert resource_class(token), token


def test_s3_tokens_follow_pulumi_aws_7():
    table = terraform_types()
    assert table["aws:s3/bucket:Bucket"] == "aws_s3_bucket"
    assert not [t for t in table.values() if t.endswith("_legacy")]
    for v2, current in [
        ("aws:s3/bucketVersioningV2:BucketVersioningV2", "aws:s3/bucketVersioning:BucketVersioning"),
        ("aws:s3/bucketLoggingV2:BucketLoggingV2", "aws:s3/bucketLogging:BucketLogging"),
        (
            "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        ),
        ("aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"),
    ]:
        assert table[v2] == table[current]


# ---- the real stances ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stance", STANCES)
def test_the_program_creates_no_aws_type_the_table_lacks(stance, stance_graphs):
    missing = sorted({r.type for r in aws_resources(stance_graphs[stance])} - set(terraform_types()))
    assert not missing, f"add these to src/blueprint/export/data/pulumi-aws-tf-types.json: {missing}"


@pytest.mark.parametrize("stance", STANCES)
def test_every_aws_resource_of_a_stance_is_in_its_plan_once(stance, stance_graphs, stance_plans):
    plan = stance_plans[stance]
    expected = {r.urn for r in aws_resources(stance_graphs[stance])}
    assert expected and set(plan.urns.values()) == expected
    document = plan.document
    addresses = [r["address"] for r in document["planned_values"]["root_module"]["resources"]]
    assert len(addresses) == len(set(addresses)) == len(expected)
    assert sorted(r["address"] for r in document["resource_changes"]) == sorted(addresses)
    assert sorted(r["address"] for r in document["configuration"]["root_module"]["resources"]) == sorted(addresses)
    for entry in document["planned_values"]["root_module"]["resources"]:
        assert IDENTIFIER.match(entry["name"]), entry["address"]
        assert entry["address"] == f"{entry['type']}.{entry['name']}"
        assert entry["mode"] == "managed" and isinstance(entry["values"], dict)


@pytest.mark.parametrize("stance", STANCES)
def test_every_reference_points_at_a_resource_of_the_plan(stance, stance_plans):
    document = stance_plans[stance].document
    addresses = {r["address"] for r in document["planned_values"]["root_module"]["resources"]}

    def references(node):
        if isinstance(node, dict):
            if "references" in node:
                yield from node["references"]
            else:
                for value in node.values():
                    yield from references(value)
        elif isinstance(node, list):
            for value in node:
                yield from references(value)

    found = [ref for r in document["configuration"]["root_module"]["resources"] for ref in references(r["expressions"])]
    assert found, "a real program wires resources together; no reference means the scanner sees no connections"
    assert {ref if ref in addresses else ref.rsplit(".", 1)[0] for ref in found} <= addresses


def test_the_export_is_deterministic(stance_graphs, stance_plans):
    again = terraform_plan(stance_graphs["strict"], region="eu-west-1", outputs=preview_outputs("eu-west-1"))
    assert again.to_json() == stance_plans["strict"].to_json()
    json.loads(again.to_json())


@pytest.mark.parametrize("stance", STANCES)
def test_the_plan_text_is_what_json_dumps_writes(stance, stance_plans):
    plan = stance_plans[stance]
    assert plan.to_json() == json.dumps(plan.document, indent=2, sort_keys=True) + "\n"


class Port(enum.IntEnum):
    HTTPS = 443


_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e16, 5e-324, Port.HTTPS])
_TEXT = st.text() | st.sampled_from(["", "é", "\u2028", "\n\t\"\\", "\ud800", "\x00", "\U0001f600"])
_DOCUMENTS = st.recursive(
    _SCALARS | _TEXT,
    lambda inner: st.lists(inner, max_size=4)
    | st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(_TEXT, inner, max_size=4)
    | st.dictionaries(st.integers() | st.booleans() | st.none(), inner, max_size=2),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(_DOCUMENTS)
def test_the_fast_encoder_writes_what_json_dumps_writes(document):
    try:
        expected = json.dumps(document, indent=2, sort_keys=True)
    except TypeError as exc:  # keys of several types cannot be sorted: the same error either way
        with pytest.raises(type(exc)):
            dumps_indented(document)
        return
    assert dumps_indented(document) == expected
