"""EncryptionKeys: the workbench's customer-managed KMS key, when the stance asks for one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from blueprint.model import BlueprintSpec

from .naming import POLICY_VERSION, child, tags, type_token

EncryptionMode = Literal["kms-cmk-rotated", "kms-cmk", "provider-managed"]

# The longest waiting period KMS allows: a key scheduled for deletion by mistake can be rescued for a month.
DELETION_WINDOW_DAYS = 30


@dataclass(frozen=True)
class KeysArgs:
    """What the stance says about encryption at rest."""

    mode: EncryptionMode
    protect: bool
    alias: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def customer_managed(self) -> bool:
        return self.mode != "provider-managed"

    @classmethod
    def from_spec(cls, spec: BlueprintSpec) -> KeysArgs:
        stack = pulumi.get_stack()  # names physical resources: a second stack is a second workbench
        return cls(
            mode=spec.stance.storage.encryption,
            protect=spec.stance.storage.protect_stateful,
            alias=f"alias/{spec.org}-{stack}-workbench",
            tags=tags(spec.org, stack),
        )


def key_policy(*, partition: str, account: str, region: str, dns_suffix: str) -> dict[str, object]:
    """The account administers the key (and may delegate through IAM); CloudWatch Logs and CloudTrail may use it
    only for this account's log groups and trails."""
    root = f"arn:{partition}:iam::{account}:root"
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {"Sid": "AccountAdministersKey", "Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
            {
                "Sid": "CloudWatchLogsUseKey",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.{dns_suffix}"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account}:log-group:*"}},
            },
            {
                "Sid": "CloudTrailEncryptLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account}:trail/*"},
                },
            },
            {
                "Sid": "CloudTrailDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            },
        ],
    }


class EncryptionKeys(pulumi.ComponentResource):
    """One CMK for everything the workbench stores (S3, EFS, backups, logs, EKS secrets), or nothing.

    Convention: with `provider-managed` encryption no key exists and `key_arn` is Python `None`, not an
    Output, so consumers decide at plan time (`if key_arn is not None`) which resources and statements to add.
    """

    key_arn: pulumi.Output[str] | None
    """ARN of the CMK; `None` when the stance leaves encryption to AWS-managed keys."""
    alias_name: str | None
    """`alias/<org>-<stack>-workbench`, or `None` without a CMK."""

    def __init__(self, name: str, args: KeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("security", "EncryptionKeys"), name, None, opts)
        self.key_arn = None
        self.alias_name = None
        if args.customer_managed:
            key = self._key(name, args)
            aws.kms.Alias(child(name, "alias"), name=args.alias, target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=self))
            self.key_arn = key.arn
            self.alias_name = args.alias
        self.register_outputs({"key_arn": self.key_arn, "alias_name": self.alias_name})

    def _key(self, name: str, args: KeysArgs) -> aws.kms.Key:
        invoke = pulumi.InvokeOutputOptions(parent=self)
        partition = aws.get_partition_output(opts=invoke)
        policy = pulumi.Output.all(
            partition.partition,
            aws.get_caller_identity_output(opts=invoke).account_id,
            aws.get_region_output(opts=invoke).region,
            partition.dns_suffix,
        ).apply(lambda v: json.dumps(key_policy(partition=v[0], account=v[1], region=v[2], dns_suffix=v[3])))
        return aws.kms.Key(
            child(name, "cmk"),
            description="Workbench data at rest: S3, EFS, backups, logs and EKS secrets",
            enable_key_rotation=args.mode == "kms-cmk-rotated",
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            policy=policy,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
