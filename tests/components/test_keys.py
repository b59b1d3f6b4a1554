"""EncryptionKeys under the mock engine: a CMK only when the stance asks for one, rotated and protected per stance."""

from __future__ import annotations

import pulumi

from blueprint.components.keys import EncryptionKeys, KeysArgs
from tests.components.conftest import ACCOUNT, REGION

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"


def build(spec):
    return EncryptionKeys("acme-keys", KeysArgs.from_spec(spec))


def test_strict_has_a_rotated_protected_key(spec_for, run_program):
    keys: dict[str, EncryptionKeys] = {}

    def program():
        keys["c"] = build(spec_for("strict"))
        return keys["c"].key_arn

    run = run_program(program)
    key = run.one(KEY)
    assert key.inputs["enableKeyRotation"] is True, key
    assert key.protect and key.retain_on_delete, f"{key} must be protected and retained on delete in strict"
    assert key.inputs["deletionWindowInDays"] == 30
    assert run.one(ALIAS).inputs["name"] == "alias/acme-dev-workbench"
    assert run.value == f"arn:aws:kms:{REGION}:{ACCOUNT}:acme-keys-cmk"
    assert keys["c"].alias_name == "alias/acme-dev-workbench"


def test_balanced_key_is_not_rotated_nor_protected(spec_for, run_program):
    run = run_program(lambda: build(spec_for("balanced")))
    key = run.one(KEY)
    assert key.inputs["enableKeyRotation"] is False, key
    assert not key.protect and not key.retain_on_delete, key


def test_provider_managed_creates_nothing_and_key_arn_is_none(spec_for, run_program):
    keys: dict[str, EncryptionKeys] = {}

    def program():
        keys["c"] = build(spec_for("open"))

    run = run_program(program)
    assert run.of_type(KEY) == [] and run.of_type(ALIAS) == []
    assert keys["c"].key_arn is None and keys["c"].alias_name is None


def test_key_policy_scopes_services_to_this_account(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    statements = {s["Sid"]: s for s in run.one(KEY).json_input("policy")["Statement"]}
    assert statements["AccountAdministersKey"]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    logs = statements["CloudWatchLogsUseKey"]
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:*"
    trail = statements["CloudTrailEncryptLogs"]
    assert trail["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert trail["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"].endswith(f":{ACCOUNT}:trail/*")
    assert statements["CloudTrailDescribeKey"]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert all(s.get("Principal") != "*" for s in statements.values())


def test_key_arn_output_names_the_key(spec_for, run_program):
    def program():
        keys = build(spec_for("strict"))

        def check(values):
            urn, arn = values
            assert arn.endswith("acme-keys-cmk"), f"{urn}: key_arn {arn}"

        return pulumi.Output.all(keys.urn, keys.key_arn).apply(check)

    run_program(program)


def test_children_are_parented_to_the_component(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    component = run.one("workbench:security:EncryptionKeys")
    for resource in run.of_type(KEY) + run.of_type(ALIAS):
        assert resource.parent == component.urn, resource
