"""Guardrails: a CloudTrail trail in its own locked-down bucket, and AWS Budgets per team and for the org."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..model import BlueprintSpec
from .naming import child, tags, type_token

TEAM_COST_TAG = "workbench:team"
ORG_COST_TAG = "workbench:org"
# With split cost allocation data for EKS enabled, pod costs carry this AWS tag.
EKS_NAMESPACE_COST_TAG = "aws:eks:namespace"


@dataclass(frozen=True)
class TeamBudget:
    team: str
    monthly_usd: int


@dataclass(frozen=True)
class GuardrailsArgs:
    """Inputs of Guardrails; build with `from_spec`."""

    org: str
    stack: str
    region: str
    cloudtrail: str
    log_validation: bool
    log_retention_days: int
    protect: bool
    budget_scope: str
    alert_percent: int
    alert_emails: tuple[str, ...]
    org_monthly_usd: int
    team_budgets: tuple[TeamBudget, ...]
    kms_key_arn: pulumi.Input[str] | None = None

    @classmethod
    def from_spec(cls, spec: BlueprintSpec, *, kms_key_arn: pulumi.Input[str] | None = None) -> GuardrailsArgs:
        stance = spec.stance
        return cls(
            org=spec.org,
            stack=spec.stack,
            region=spec.region,
            cloudtrail=stance.audit.cloudtrail,
            log_validation=stance.audit.log_validation,
            log_retention_days=stance.audit.log_retention_days,
            protect=stance.storage.protect_stateful,
            budget_scope=stance.budgets.scope,
            alert_percent=stance.budgets.alert_percent,
            alert_emails=spec.budgets.alert_emails,
            org_monthly_usd=spec.budgets.org_monthly_usd,
            team_budgets=tuple(TeamBudget(t.name, t.budget_usd) for t in spec.teams),
            kms_key_arn=kms_key_arn,
        )

    @property
    def trail_name(self) -> str:
        return f"{self.org}-{self.stack}-workbench"

    def budget_name(self, team: str | None = None) -> str:
        return f"{self.org}-{self.stack}-" + (f"team-{team}" if team else "total")


class Guardrails(pulumi.ComponentResource):
    """Account-level guardrails (managed AWS services).

    CloudTrail per `audit.cloudtrail` (nothing when `off`): multi- or
    single-region, log file validation per `audit.log_validation`, encrypted
    with the CMK when there is one (its key policy must let
    cloudtrail.amazonaws.com use it), delivered to a bucket of its own with a
    public access block, versioning, default encryption, owner-enforced objects,
    a TLS-only policy that also admits only this trail, and expiry after
    `audit.log_retention_days`.

    Budgets: an org total (`budgets.org_monthly_usd`, costs tagged
    `workbench:org=<org>`) and, when `budgets.scope` is `per-team`, one per team
    (`team.budget_usd`, costs tagged `workbench:team=<team>`, or EKS pod costs
    in the team's namespace). Alerts go by e-mail to `budgets.alert_emails` when
    ACTUAL spend passes `budgets.alert_percent` %; with no addresses the budgets
    exist without notifications (the console still shows them).

    Tag filters only see costs once the org activates `workbench:team` and
    `workbench:org` as cost allocation tags in Billing, and EKS pod costs only
    with split cost allocation data for EKS turned on (`aws:eks:namespace`):
    account settings, not resources this program creates. Shared nodes are not
    split per team without it.
    """

    trail_arn: pulumi.Output[str] | None
    """The trail's ARN, or None when the stance turns CloudTrail off."""
    trail_bucket: pulumi.Output[str] | None
    budget_names: list[str]
    """Names of the budgets, org total first."""

    def __init__(self, name: str, args: GuardrailsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("guardrails", "Guardrails"), name, None, opts)
        self.trail_arn = None
        self.trail_bucket = None
        if args.cloudtrail != "off":
            self._trail(name, args)
        self.budget_names = self._budgets(name, args)
        self.register_outputs({"trail_arn": self.trail_arn, "trail_bucket": self.trail_bucket, "budget_names": self.budget_names})

    def _trail(self, name: str, args: GuardrailsArgs) -> None:
        aws_tags = tags(args.org, args.stack)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect)
        plain = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self))
        trail_arn = pulumi.Output.all(partition.partition, identity.account_id).apply(
            lambda v: f"arn:{v[0]}:cloudtrail:{args.region}:{v[1]}:trail/{args.trail_name}"
        )

        bucket = aws.s3.Bucket(child(name, "trail-logs"), force_destroy=False, tags=aws_tags, opts=stateful)
        public_block = aws.s3.BucketPublicAccessBlock(
            child(name, "trail-logs-public-access"),
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=plain,
        )
        aws.s3.BucketOwnershipControls(
            child(name, "trail-logs-ownership"),
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=plain,
        )
        aws.s3.BucketVersioning(
            child(name, "trail-logs-versioning"),
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=plain,
        )
        sse = (
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
            )
            if args.kms_key_arn is not None
            else aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(sse_algorithm="AES256")
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            child(name, "trail-logs-encryption"),
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=sse, bucket_key_enabled=args.kms_key_arn is not None
                )
            ],
            opts=plain,
        )
        aws.s3.BucketLifecycleConfiguration(
            child(name, "trail-logs-retention"),
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="audit-log-retention",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.log_retention_days),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.log_retention_days
                    ),
                )
            ],
            opts=plain,
        )
        policy = aws.s3.BucketPolicy(
            child(name, "trail-logs-policy"),
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudTrailAclCheck",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:GetBucketAcl",
                            "Resource": bucket.arn,
                            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
                        },
                        {
                            "Sid": "CloudTrailWrite",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudtrail.amazonaws.com"},
                            "Action": "s3:PutObject",
                            "Resource": pulumi.Output.concat(bucket.arn, "/AWSLogs/", identity.account_id, "/*"),
                            "Condition": {
                                "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}
                            },
                        },
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]),
        )
        trail = aws.cloudtrail.Trail(
            child(name, "trail"),
            name=args.trail_name,
            s3_bucket_name=bucket.id,
            is_multi_region_trail=args.cloudtrail == "multi-region",
            include_global_service_events=True,
            enable_log_file_validation=args.log_validation,
            kms_key_id=args.kms_key_arn,
            tags=aws_tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.trail_arn = trail.arn
        self.trail_bucket = bucket.id

    def _budgets(self, name: str, args: GuardrailsArgs) -> list[str]:
        notifications = (
            [
                aws.budgets.BudgetNotificationArgs(
                    comparison_operator="GREATER_THAN",
                    notification_type="ACTUAL",
                    threshold=args.alert_percent,
                    threshold_type="PERCENTAGE",
                    subscriber_email_addresses=list(args.alert_emails),
                )
            ]
            if args.alert_emails
            else None
        )
        wanted: list[tuple[str, str, int, list[str]]] = [
            ("budget-total", args.budget_name(), args.org_monthly_usd, [f"user:{ORG_COST_TAG}${args.org}"])
        ]
        if args.budget_scope == "per-team":
            wanted += [
                (
                    f"budget-team-{b.team}",
                    args.budget_name(b.team),
                    b.monthly_usd,
                    [f"user:{TEAM_COST_TAG}${b.team}", f"{EKS_NAMESPACE_COST_TAG}${b.team}"],
                )
                for b in args.team_budgets
            ]
        for part, budget_name, usd, tag_values in wanted:
            aws.budgets.Budget(
                child(name, part),
                name=budget_name,
                budget_type="COST",
                time_unit="MONTHLY",
                limit_amount=str(usd),
                limit_unit="USD",
                cost_filters=[aws.budgets.BudgetCostFilterArgs(name="TagKeyValue", values=tag_values)],
                notifications=notifications,
                tags=tags(args.org, args.stack),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return [budget_name for _, budget_name, _, _ in wanted]
