"""Guardrails under the mock engine: CloudTrail per stance, its bucket and log group, budgets per team and org."""

from __future__ import annotations

import pulumi
import pytest

from blueprint.components.guardrails import Guardrails, GuardrailsArgs
from tests.components import conftest as runner

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
BUDGET = "aws:budgets/budget:Budget"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
ACCESS_LOGS = "workbench:audit:AccessLogBucket"
KMS_ARN = f"arn:aws:kms:{runner.REGION}:{runner.ACCOUNT}:key/mock"
DATA_BUCKET_ARN = "arn:aws:s3:::acme-data-bucket"
TRAIL_BUCKET = "acme-guardrails-trail-logs"


def build(spec, kms_key_arn=KMS_ARN, data_bucket_arn=None):
    guardrails = Guardrails("acme-guardrails", GuardrailsArgs.from_spec(spec, kms_key_arn=kms_key_arn, data_bucket_arn=data_bucket_arn))
    return pulumi.Output.all(trail=guardrails.trail_arn, budgets=guardrails.budget_names, log_group=guardrails.trail_log_group)


def test_strict_trail_is_multi_region_validated_and_encrypted(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    trail = run.one(TRAIL)
    assert trail.inputs["isMultiRegionTrail"] is True, f"{trail}"
    assert trail.inputs["enableLogFileValidation"] is True, f"{trail}"
    assert trail.inputs["kmsKeyId"] == KMS_ARN
    assert trail.inputs["s3BucketName"] == run.named(TRAIL_BUCKET, BUCKET).id, "the trail writes to its own bucket"
    assert run.value["trail"], "trail_arn is exported"


def test_balanced_trail_is_single_region(spec_for, run_program):
    run = run_program(lambda: build(spec_for("balanced")))
    trail = run.one(TRAIL)
    assert trail.inputs["isMultiRegionTrail"] is False and trail.inputs["enableLogFileValidation"] is False, f"{trail}"


def test_open_has_no_trail(spec_for, run_program):
    run = run_program(lambda: build(spec_for("open"), kms_key_arn=None, data_bucket_arn=DATA_BUCKET_ARN))
    for token in (TRAIL, BUCKET, LOG_GROUP, ROLE, ACCESS_LOGS):
        assert run.of_type(token) == [], f"open turns audit off, yet there is a {token}"
    assert run.value["trail"] is None and run.value["log_group"] is None


def test_trail_bucket_is_locked_down(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    block = run.named(f"{TRAIL_BUCKET}-public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    versioning = run.named(f"{TRAIL_BUCKET}-versioning").inputs
    assert versioning["versioningConfiguration"]["status"] == "Enabled"
    sse = run.named(f"{TRAIL_BUCKET}-encryption").inputs
    default = sse["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS_ARN}
    [rule] = run.named(f"{TRAIL_BUCKET}-retention").inputs["rules"]
    assert rule["expiration"]["days"] == 365 and rule["noncurrentVersionExpiration"]["noncurrentDays"] == 365
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}, "failed uploads are not kept forever"
    policy = run.named(f"{TRAIL_BUCKET}-policy")
    statements = {s["Sid"]: s for s in policy.json_input("policy")["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, f"{policy}"
    write = statements["CloudTrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    trail_arn = f"arn:aws:cloudtrail:{runner.REGION}:{runner.ACCOUNT}:trail/acme-dev-workbench"
    assert write["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    assert write["Resource"].endswith(f"/AWSLogs/{runner.ACCOUNT}/*")
    for bucket in run.of_type(BUCKET):
        assert bucket.protect and bucket.retain_on_delete, f"{bucket}: strict protects the audit buckets"


@pytest.mark.parametrize("stance", ["strict", "balanced"])
def test_requests_to_the_trail_bucket_are_access_logged(spec_for, run_program, stance):
    spec = spec_for(stance)
    run = run_program(lambda: build(spec))
    trail_bucket, log_bucket = run.named(TRAIL_BUCKET, BUCKET), run.named("acme-guardrails-access-logs", BUCKET)
    logging = run.one(BUCKET_LOGGING).inputs
    assert (logging["bucket"], logging["targetBucket"]) == (trail_bucket.id, log_bucket.id)
    [rule] = run.named("acme-guardrails-access-logs-retention").inputs["rules"]
    assert rule["expiration"] == {"days": spec.stance.audit.log_retention_days}, "access logs follow the audit retention"
    assert log_bucket.protect == spec.stance.storage.protect_stateful


@pytest.mark.parametrize(("stance", "days", "kms"), [("strict", 365, KMS_ARN), ("balanced", 90, None)])
def test_trail_delivers_to_a_log_group_kept_for_the_audit_retention(spec_for, run_program, stance, days, kms):
    run = run_program(lambda: build(spec_for(stance), kms_key_arn=kms))
    group, trail = run.one(LOG_GROUP), run.one(TRAIL)
    assert group.inputs["name"] == "/aws/cloudtrail/acme-dev-workbench" and run.value["log_group"] == group.inputs["name"]
    assert group.inputs["retentionInDays"] == days, group
    assert group.inputs.get("kmsKeyId") == kms, f"{group}: encrypted with the CMK when there is one"
    assert trail.inputs["cloudWatchLogsGroupArn"] == group.outputs["arn"] + ":*", trail
    role = run.one(ROLE)
    assert trail.inputs["cloudWatchLogsRoleArn"] == role.outputs["arn"]
    [trust] = role.json_input("assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"} and trust["Action"] == ["sts:AssumeRole"]
    [grant] = run.one(ROLE_POLICY).json_input("policy")["Statement"]
    assert grant["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"], "write its streams, nothing else"
    assert grant["Resource"] == f"{group.outputs['arn']}:log-stream:{runner.ACCOUNT}_CloudTrail_*", grant


def test_trail_records_data_events_of_the_data_bucket(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict"), data_bucket_arn=DATA_BUCKET_ARN))
    [selector] = run.one(TRAIL).inputs["eventSelectors"]
    assert selector["readWriteType"] == "All" and selector["includeManagementEvents"] is True, "data events never replace API events"
    assert selector["dataResources"] == [{"type": "AWS::S3::Object", "values": [f"{DATA_BUCKET_ARN}/"]}]


def test_without_a_data_bucket_the_trail_records_management_events_only(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    assert "eventSelectors" not in run.one(TRAIL).inputs


def test_provider_managed_encryption_without_a_key(spec_for, run_program):
    run = run_program(lambda: build(spec_for("balanced"), kms_key_arn=None))
    sse = run.named(f"{TRAIL_BUCKET}-encryption").inputs
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
    # Only what AWS records on billed resources: no aws:eks:namespace, which exists only after an account opt-in.
    assert tag_filter == {"name": "TagKeyValue", "values": ["user:workbench:team$vision"]}


COST_TAG = "aws:costexplorer/costAllocationTag:CostAllocationTag"


def test_cost_allocation_tags_only_when_the_blueprint_asks(spec_for, run_program):
    plain = run_program(lambda: build(spec_for("strict")))
    assert plain.of_type(COST_TAG) == [], "activation fails until Billing has seen the keys: not on a first `pulumi up`"
    run = run_program(lambda: build(spec_for("strict", budgets={"activate_cost_allocation_tags": True})))
    activated = {t.inputs["tagKey"]: t.inputs["status"] for t in run.of_type(COST_TAG)}
    filtered = {v.split("$")[0].removeprefix("user:") for b in run.of_type(BUDGET) for v in b.inputs["costFilters"][0]["values"]}
    assert activated == {"workbench:org": "Active", "workbench:team": "Active"} and filtered == set(activated)


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
