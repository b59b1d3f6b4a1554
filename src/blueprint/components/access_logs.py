"""AccessLogBucket: the dedicated bucket that receives one bucket's S3 server access logs, and the logging that feeds it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .buckets import private_bucket
from .naming import ABORT_INCOMPLETE_UPLOAD_DAYS, POLICY_VERSION, child, tls_only_statement, type_token

LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"
LOG_PREFIX = "access-logs/"


@dataclass(frozen=True)
class AccessLogArgs:
    """The bucket whose requests are logged; retention and protection come from the parent's stance."""

    source_bucket: pulumi.Input[str]
    """Name of the bucket whose requests are logged."""
    source_bucket_arn: pulumi.Input[str]
    retention_days: int
    protect: bool
    tags: dict[str, str] = field(default_factory=dict)


def access_log_policy(*, log_bucket_arn: str, source_bucket_arn: str, account: str) -> dict[str, object]:
    """S3 log delivery may write under the log prefix, on behalf of the source bucket of this account only; no plain HTTP."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "S3ServerAccessLogDelivery",
                "Effect": "Allow",
                "Principal": {"Service": LOG_DELIVERY_SERVICE},
                "Action": "s3:PutObject",
                "Resource": f"{log_bucket_arn}/{LOG_PREFIX}*",
                "Condition": {"ArnLike": {"aws:SourceArn": source_bucket_arn}, "StringEquals": {"aws:SourceAccount": account}},
            },
            tls_only_statement(log_bucket_arn),
        ],
    }


class AccessLogBucket(pulumi.ComponentResource):
    """S3 server access logging of one bucket into a bucket of its own: private (public access block, owner-enforced
    objects), versioned, TLS-only, written only by S3 log delivery for that source bucket, and expired after the
    retention the stance names (noncurrent versions too; incomplete uploads after a week).

    Default encryption is SSE-S3: S3 server access logging does not deliver to buckets whose default encryption is
    SSE-KMS. The log bucket itself is not access-logged (logging a log bucket into itself loops).
    """

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AccessLogArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("audit", "AccessLogBucket"), name, None, opts)
        plain = pulumi.ResourceOptions(parent=self)
        # S3 log delivery cannot write to an SSE-KMS bucket: these hold request records, SSE-S3.
        private = private_bucket(name, parent=self, tags=args.tags, versioned=True, kms_key_arn=None, protect=args.protect)
        bucket, block = private.bucket, private.public_access_block
        aws.s3.BucketLifecycleConfiguration(
            child(name, "retention"),
            bucket=bucket.id,
            rules=[
                {
                    "id": "access-log-retention",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.retention_days},
                    "noncurrent_version_expiration": {"noncurrent_days": args.retention_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
                }
            ],
            opts=plain,
        )
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        policy = aws.s3.BucketPolicy(
            child(name, "policy"),
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, args.source_bucket_arn, account).apply(
                lambda v: json.dumps(access_log_policy(log_bucket_arn=v[0], source_bucket_arn=v[1], account=v[2]))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        aws.s3.BucketLogging(
            child(name, "delivery"),
            bucket=args.source_bucket,
            target_bucket=bucket.id,
            target_prefix=LOG_PREFIX,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.bucket_name, self.bucket_arn = bucket.bucket, bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn})
