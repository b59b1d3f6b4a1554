"""ImageMirror under the mock engine: pull-through caches only with egress 'mirror', scoped node rights, creation templates."""

from __future__ import annotations

import dataclasses

import pulumi
import pytest

from blueprint.components.images import UPSTREAMS, ImageMirror, ImageMirrorArgs, cache_namespace, cache_prefix
from tests.components import conftest as runner

RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
COMPONENT = "workbench:images:ImageMirror"
NODE_ROLE = "acme-cluster-node-role-0123abc"
KMS_ARN = f"arn:aws:kms:{runner.REGION}:{runner.ACCOUNT}:key/mock"
HOST = f"{runner.ACCOUNT}.dkr.ecr.{runner.REGION}.amazonaws.com"
EXPECTED = {"quay.io": "acme-dev/quay", "registry.k8s.io": "acme-dev/k8s", "public.ecr.aws": "acme-dev/ecr-public"}


def build(args: ImageMirrorArgs):
    mirror = ImageMirror("acme-images", args)
    return pulumi.Output.all(**mirror.registries) if mirror.registries else {}


def args_for(spec, **changes) -> ImageMirrorArgs:
    args = ImageMirrorArgs.from_spec(spec, node_role_name=pulumi.Output.from_input(NODE_ROLE), kms_key_arn=KMS_ARN)
    return dataclasses.replace(args, **changes)


def test_strict_caches_each_upstream_under_the_stack_namespace(spec_for, run_program):
    run = run_program(lambda: build(args_for(spec_for("strict"))))
    rules = {r.inputs["upstreamRegistryUrl"]: r for r in run.of_type(RULE)}
    assert {u: r.inputs["ecrRepositoryPrefix"] for u, r in rules.items()} == EXPECTED
    assert all("credentialArn" not in r.inputs for r in rules.values()), "these upstreams need no credentials"
    assert run.value == {upstream: f"{HOST}/{prefix}" for upstream, prefix in EXPECTED.items()}

    component = run.one(COMPONENT)
    assert {r.parent for r in run.resources if r.custom} == {component.urn}, "every child is parented to the component"


def test_strict_templates_encrypt_with_the_cmk_and_freeze_tags(spec_for, run_program):
    run = run_program(lambda: build(args_for(spec_for("strict"))))
    role = run.one(ROLE)
    templates = {t.inputs["prefix"]: t.inputs for t in run.of_type(TEMPLATE)}
    assert set(templates) == set(EXPECTED.values()), "one template per cache prefix, so it applies to that cache only"
    for prefix, template in templates.items():
        assert template["appliedFors"] == ["PULL_THROUGH_CACHE"], prefix
        assert template["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KMS_ARN}], prefix
        assert template["imageTagMutability"] == "IMMUTABLE", f"{prefix}: exact pins must never change once cached"
        assert template["customRoleArn"] == role.outputs["arn"], f"{prefix}: KMS in a template needs a creation role"

    assert role.json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "ecr.amazonaws.com"}
    policy = run.named("acme-images-creation-policy", ROLE_POLICY).json_input("policy")
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["CreateCacheRepositories"]["Resource"] == [
        f"arn:aws:ecr:{runner.REGION}:{runner.ACCOUNT}:repository/{prefix}/*" for prefix in EXPECTED.values()
    ]
    for sid in ("UseKeyForEcr", "GrantKeyToEcr"):
        assert by_sid[sid]["Resource"] == [KMS_ARN], f"{sid} reaches only the stance's key"
    assert by_sid["GrantKeyToEcr"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_node_role_may_import_only_into_the_cache_prefixes(spec_for, run_program):
    run = run_program(lambda: build(args_for(spec_for("strict"))))
    policy = run.named("acme-images-node-import", ROLE_POLICY)
    assert policy.inputs["role"] == NODE_ROLE
    (statement,) = policy.json_input("policy")["Statement"]
    assert statement["Effect"] == "Allow" and "Condition" not in statement
    assert sorted(statement["Action"]) == ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]
    assert statement["Resource"] == [
        f"arn:aws:ecr:{runner.REGION}:{runner.ACCOUNT}:repository/{prefix}/*" for prefix in EXPECTED.values()
    ]


def test_open_egress_creates_nothing(spec_for, run_program):
    run = run_program(lambda: build(args_for(spec_for("open"))))
    assert [r for r in run.resources if r.custom] == []
    assert run.value == {}
    assert run.one(COMPONENT)


def test_balanced_pulls_through_the_caches_too(spec_for, run_program):
    # The allowlist firewall admits no public registry: without caches its nodes could pull nothing (issue 11.5).
    run = run_program(lambda: build(args_for(spec_for("balanced"))))
    assert sorted(r.inputs["upstreamRegistryUrl"] for r in run.of_type(RULE)) == sorted(EXPECTED)
    assert set(run.value) == set(EXPECTED)


def test_without_a_cmk_aes256_and_no_creation_role(spec_for, run_program):
    run = run_program(lambda: build(args_for(spec_for("strict"), kms_key_arn=None)))
    assert run.of_type(ROLE) == []
    for template in run.of_type(TEMPLATE):
        assert template.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}], template
        assert "customRoleArn" not in template.inputs, template


def test_latest_version_policy_keeps_only_moving_tags_mutable(spec_for, run_program):
    run = run_program(lambda: build(args_for(spec_for("strict"), version_policy="latest")))
    for template in run.of_type(TEMPLATE):
        assert template.inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION", template
        assert template.inputs["imageTagMutabilityExclusionFilters"] == [{"filter": "latest", "filterType": "WILDCARD"}]


def test_prefixes_fit_ecr_limits_for_the_longest_names():
    namespace = cache_namespace("a" * 24, "b" * 30)
    for upstream in UPSTREAMS:
        prefix = cache_prefix(namespace, upstream)
        assert len(prefix) <= 30 and prefix.endswith(f"/{upstream.prefix}"), prefix
    assert cache_namespace("acme--corp", "dev") == "acme-corp-dev", "ECR prefixes allow no doubled separators"
    assert cache_namespace("acme", "prod") != cache_namespace("acme", "dev"), "two stacks in one account must not share rules"
