"""AccessLogBucket under the mock engine: a private, versioned, SSE-S3, TLS-only bucket only S3 log delivery writes to."""

from __future__ import annotations

import pytest

from blueprint.components.access_logs import LOG_PREFIX, AccessLogArgs, AccessLogBucket
from tests.components.conftest import ACCOUNT

SOURCE = "acme-data-0123abc"
SOURCE_ARN = f"arn:aws:s3:::{SOURCE}"
NAME = "acme-storage-access-logs"
BUCKET = "aws:s3/bucket:Bucket"


def access_logs_run(run_program, *, retention_days: int = 365, protect: bool = True):
    args = AccessLogArgs(source_bucket=SOURCE, source_bucket_arn=SOURCE_ARN, retention_days=retention_days, protect=protect, tags={"workbench:org": "acme"})
    return run_program(lambda: AccessLogBucket(NAME, args).bucket_arn)


def test_log_bucket_is_private_versioned_and_encrypted_with_sse_s3(run_program):
    run = access_logs_run(run_program)
    block = run.named(f"{NAME}-public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    assert run.named(f"{NAME}-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert run.named(f"{NAME}-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    [rule] = run.named(f"{NAME}-encryption").inputs["rules"]
    # S3 server access logging does not deliver to a bucket whose default encryption is SSE-KMS.
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert run.one(BUCKET).inputs["forceDestroy"] is False


def test_only_log_delivery_for_the_source_bucket_may_write_and_only_over_tls(run_program):
    run = access_logs_run(run_program)
    log_bucket = run.one(BUCKET)
    statements = {s["Sid"]: s for s in run.named(f"{NAME}-policy").json_input("policy")["Statement"]}
    delivery = statements["S3ServerAccessLogDelivery"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"} and delivery["Action"] == "s3:PutObject"
    assert delivery["Resource"] == f"{log_bucket.outputs['arn']}/{LOG_PREFIX}*"
    assert delivery["Condition"] == {"ArnLike": {"aws:SourceArn": SOURCE_ARN}, "StringEquals": {"aws:SourceAccount": ACCOUNT}}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_source_bucket_logs_into_it(run_program):
    run = access_logs_run(run_program)
    logging = run.one("aws:s3/bucketLogging:BucketLogging").inputs
    assert logging == {"bucket": SOURCE, "targetBucket": run.one(BUCKET).id, "targetPrefix": LOG_PREFIX}


@pytest.mark.parametrize("days", [30, 365])
def test_logs_expire_after_the_retention_and_failed_uploads_after_a_week(run_program, days):
    run = access_logs_run(run_program, retention_days=days)
    [rule] = run.named(f"{NAME}-retention").inputs["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
    assert rule["expiration"] == {"days": days} and rule["noncurrentVersionExpiration"] == {"noncurrentDays": days}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


@pytest.mark.parametrize("protect", [True, False])
def test_only_the_bucket_is_protected_and_only_when_asked(run_program, protect):
    run = access_logs_run(run_program, protect=protect)
    bucket = run.one(BUCKET)
    assert bucket.protect == protect and bucket.retain_on_delete == protect
    component = run.one("workbench:audit:AccessLogBucket")
    others = [r for r in run.resources if r.custom and r.type != BUCKET]
    assert others and not any(r.protect for r in others)
    assert all(r.parent == component.urn for r in run.resources if r.custom)
