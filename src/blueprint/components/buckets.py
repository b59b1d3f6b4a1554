"""The private S3 bucket the data, trail and access-log buckets all start from, written once.

Not a component of its own: it adds children to the component that calls it, so each
bucket stays under the component that owns it in the preview tree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from .naming import child


@dataclass(frozen=True)
class PrivateBucket:
    bucket: aws.s3.Bucket
    public_access_block: aws.s3.BucketPublicAccessBlock
    """Bucket policies wait for it: S3 refuses a policy while public access is being blocked."""


def private_bucket(
    name: str,
    *,
    parent: pulumi.Resource,
    tags: dict[str, str],
    versioned: bool,
    kms_key_arn: pulumi.Input[str] | None,
    protect: bool,
) -> PrivateBucket:
    """A bucket with public access blocked, objects owned by the bucket owner, versioning and default
    encryption (the CMK when there is one, else SSE-S3); children are named `<name>-<part>`."""
    plain = pulumi.ResourceOptions(parent=parent)
    bucket = aws.s3.Bucket(
        name, force_destroy=False, tags=tags, opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect)
    )
    block = aws.s3.BucketPublicAccessBlock(
        child(name, "public-access"),
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=plain,
    )
    aws.s3.BucketOwnershipControls(child(name, "ownership"), bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=plain)
    aws.s3.BucketVersioning(
        child(name, "versioning"), bucket=bucket.id, versioning_configuration={"status": "Enabled" if versioned else "Suspended"}, opts=plain
    )
    default = {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn} if kms_key_arn is not None else {"sse_algorithm": "AES256"}
    aws.s3.BucketServerSideEncryptionConfiguration(
        child(name, "encryption"),
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": kms_key_arn is not None}],
        opts=plain,
    )
    return PrivateBucket(bucket=bucket, public_access_block=block)
