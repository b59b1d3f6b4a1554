"""Guardrails under the mock engine: CloudTrail per stance, its bucket, budgets per team and org."""

from __future__ import annotations

import pulumi
import pytest

from blueprint.components.guardrails import Guardrails, GuardrailsArgs
from tests.components import conftest as runner

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
BUDGET = "aws:budgets/budget:Budget"
KMS_ARN = f"arn:aws:kms:{runner.REGION}:{runner.ACCOUNT}:key/mock"


def build(spec, kms_key_arn=KMS_ARN):
    guardrails = Guardrails("acme-guardrails", GuardrailsArgs.from_spec(spec, kms_key_arn=kms_key_arn))
    return pulumi.Output.all(trail=guardrails.trail_arn, budgets=guardrails.budget_names)


def test_strict_trail_is_multi_region_validated_and_encrypted(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    trail = run.one(TRAIL)
    assert trail.inputs["isMultiRegionTrail"] is True, f"{trail}"
    assert trail.inputs["enableLogFileValidation"] is True, f"{trail}"
    assert trail.inputs["kmsKeyId"] == KMS_ARN
    assert trail.inputs["s3BucketName"].startswith(run.one(BUCKET).name), "the trail writes to its own bucket"
    assert run.value["trail"], "trail_arn is exported"


def test_balanced_trail_is_single_region(spec_for, run_program):
    run = run_program(lambda: build(spec_for("balanced")))
    trail = run.one(TRAIL)
    assert trail.inputs["isMultiRegionTrail"] is False and trail.inputs["enableLogFileValidation"] is False, f"{trail}"


def test_open_has_no_trail(spec_for, run_program):
    run = run_program(lambda: build(spec_for("open"), kms_key_arn=None))
    assert run.of_type(TRAIL) == [] and run.of_type(BUCKET) == []
    assert run.value["trail"] is None


def test_trail_bucket_is_locked_down(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    block = run.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    versioning = run.one("aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    sse = run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
    default = sse["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS_ARN}
    retention = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs
    assert retention["rules"][0]["expiration"]["days"] == 365
    policy = run.one("aws:s3/bucketPolicy:BucketPolicy")
    statements = {s["Sid"]: s for s in policy.json_input("policy")["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, f"{policy}"
    write = statements["CloudTrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    trail_arn = f"arn:aws:cloudtrail:{runner.REGION}:{runner.ACCOUNT}:trail/acme-dev-workbench"
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    assert write["Resource"].endswith(f"/AWSLogs/{runner.ACCOUNT}/*")
    bucket = run.one(BUCKET)
    assert bucket.protect and bucket.retain_on_delete, f"{bucket}: strict protects the audit bucket"


def test_provider_managed_encryption_without_a_key(spec_for, run_program):
    run = run_program(lambda: build(spec_for("balanced"), kms_key_arn=None))
    sse = run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert "kmsKeyId" not in run.one(TRAIL).inputs


def test_per_team_budgets_match_the_spec(spec_for, run_program):
    teams = [
        {"name": "genomics", "idp_group": "dsw-genomics", "budget_usd": 9000},
        {"name": "vision", "idp_group": "dsw-vision"},
    ]
    spec = spec_for("strict", teams=teams, budgets={"alert_emails": ["a@acme.example", "b@acme.example"], "org_monthly_usd": 40000})
    run = run_program(lambda: build(spec))
    budgets = {b.inputs["name"]: b.inputs for b in run.of_type(BUDGET)}
    assert run.value["budgets"] == ["acme-dev-total", "acme-dev-team-genomics", "acme-dev-team-vision"]
    assert budgets["acme-dev-total"]["limitAmount"] == "40000"
    assert budgets["acme-dev-team-genomics"]["limitAmount"] == "9000"
    assert budgets["acme-dev-team-vision"]["limitAmount"] == str(spec.stance.budgets.team_monthly_usd)
    for name, budget in budgets.items():
        assert (budget["budgetType"], budget["timeUnit"], budget["limitUnit"]) == ("COST", "MONTHLY", "USD"), name
        [notification] = budget["notifications"]
        assert notification["threshold"] == 80 and notification["notificationType"] == "ACTUAL", name
        assert notification["thresholdType"] == "PERCENTAGE" and notification["comparisonOperator"] == "GREATER_THAN"
        assert notification["subscriberEmailAddresses"] == ["a@acme.example", "b@acme.example"], name
    tag_filter = budgets["acme-dev-team-vision"]["costFilters"][0]
    assert tag_filter["name"] == "TagKeyValue" and "user:workbench:team$vision" in tag_filter["values"]


def test_org_scope_has_only_the_total(spec_for, run_program):
    run = run_program(lambda: build(spec_for("open", teams=3), kms_key_arn=None))
    [budget] = run.of_type(BUDGET)
    assert budget.inputs["name"] == "acme-dev-total" and budget.inputs["notifications"][0]["threshold"] == 100
    assert budget.inputs["costFilters"][0]["values"] == ["user:workbench:org$acme"]


@pytest.mark.parametrize("stance", ["strict", "open"])
def test_budgets_without_emails_have_no_notifications(spec_for, run_program, stance):
    spec = spec_for(stance)
    args = GuardrailsArgs.from_spec(spec)
    args = type(args)(**{**args.__dict__, "alert_emails": ()})
    run = run_program(lambda: Guardrails("acme-guardrails", args).budget_names)
    for budget in run.of_type(BUDGET):
        assert not budget.inputs.get("notifications"), f"{budget}"
