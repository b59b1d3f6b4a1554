"""Guardrails: a CloudTrail trail in its own locked-down bucket and in CloudWatch Logs, and AWS Budgets per team and for the org."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..model import BlueprintSpec
from .access_logs import AccessLogArgs, AccessLogBucket
from .buckets import private_bucket
from .naming import ABORT_INCOMPLETE_UPLOAD_DAYS, POLICY_VERSION, child, log_retention_days, service_trust_policy, tags, tls_only_statement, type_token
from .team_scope import each_team

TEAM_COST_TAG = "workbench:team"
ORG_COST_TAG = "workbench:org"
# The user tags the budgets filter on, activated as cost allocation tags when the blueprint asks
# (budgets.activate_cost_allocation_tags). Nodes carry workbench:org through their launch templates
# (cluster.py); only team-owned resources carry workbench:team.
COST_ALLOCATION_TAGS = (ORG_COST_TAG, TEAM_COST_TAG)


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
    activate_cost_tags: bool = False
    kms_key_arn: pulumi.Input[str] | None = None
    data_bucket_arn: pulumi.Input[str] | None = None
    """The org data bucket, whose object reads and writes the trail records as data events."""

    @classmethod
    def from_spec(
        cls, spec: BlueprintSpec, *, kms_key_arn: pulumi.Input[str] | None = None, data_bucket_arn: pulumi.Input[str] | None = None
    ) -> GuardrailsArgs:
        stance = spec.stance
        return cls(
            org=spec.org,
            stack=pulumi.get_stack(),
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
            activate_cost_tags=spec.budgets.activate_cost_allocation_tags,
            kms_key_arn=kms_key_arn,
            data_bucket_arn=data_bucket_arn,
        )

    @property
    def trail_name(self) -> str:
        return f"{self.org}-{self.stack}-workbench"

    @property
    def trail_log_group(self) -> str:
        return f"/aws/cloudtrail/{self.trail_name}"

    def budget_name(self, team: str | None = None) -> str:
        return f"{self.org}-{self.stack}-" + (f"team-{team}" if team else "total")


class Guardrails(pulumi.ComponentResource):
    """Account-level guardrails (managed AWS services).

    CloudTrail per `audit.cloudtrail` (nothing when `off`): multi- or
    single-region, log file validation per `audit.log_validation`, encrypted
    with the CMK when there is one (its key policy must let
    cloudtrail.amazonaws.com use it), delivered to a bucket of its own with a
    public access block, versioning, default encryption, owner-enforced objects,
    a TLS-only policy that also admits only this trail, server access logs
    (`AccessLogBucket`), and expiry after `audit.log_retention_days`. The trail
    also delivers to a CloudWatch Logs group (encrypted with the CMK, same
    retention) through a role that may only write this trail's streams there,
    so metric filters and alarms can watch API activity. With `data_bucket_arn`
    it records the data bucket's object reads and writes as data events: who
    read a team's data, by IAM identity.

    Budgets: an org total (`budgets.org_monthly_usd`, costs tagged
    `workbench:org=<org>`: every node, volume and network interface through the
    node launch templates, and the program's other tagged resources) and, when
    `budgets.scope` is `per-team`, one per team (`team.budget_usd`, costs tagged
    `workbench:team=<team>`). Alerts go by e-mail to `budgets.alert_emails` when
    ACTUAL spend passes `budgets.alert_percent` %; with no addresses the budgets
    exist without notifications (the console still shows them).

    The filters name only user tags AWS records on the billed resources. A team
    budget sees only what is tagged with the team; the shared nodes, EFS and the
    data bucket are org costs: splitting a node's cost by namespace needs split
    cost allocation data for EKS, an account opt-in in the Billing console with
    no API, so the program neither makes nor assumes it (docs/security.md).
    Tag filters see costs only once the tags are active cost allocation tags:
    with `budgets.activate_cost_allocation_tags` the program activates them
    (`aws.costexplorer.CostAllocationTag`), which fails until Billing has seen
    the keys (about a day after the first tagged resource) and in a member
    account of an organization (the payer activates them).
    """

    trail_arn: pulumi.Output[str] | None
    """The trail's ARN, or None when the stance turns CloudTrail off."""
    trail_bucket: pulumi.Output[str] | None
    trail_log_group: pulumi.Output[str] | None
    """The CloudWatch Logs group the trail delivers to (for metric filters), or None without a trail."""
    budget_names: list[str]
    """Names of the budgets, org total first."""

    def __init__(self, name: str, args: GuardrailsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("guardrails", "Guardrails"), name, None, opts)
        self.trail_arn = None
        self.trail_bucket = None
        self.trail_log_group = None
        if args.cloudtrail != "off":
            self._trail(name, args)
        self.budget_names = self._budgets(name, args)
        self.register_outputs(
            {"trail_arn": self.trail_arn, "trail_bucket": self.trail_bucket, "trail_log_group": self.trail_log_group, "budget_names": self.budget_names}
        )

    def _trail(self, name: str, args: GuardrailsArgs) -> None:
        aws_tags = tags(args.org, args.stack)
        plain = pulumi.ResourceOptions(parent=self)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self))
        trail_arn = pulumi.Output.all(partition.partition, identity.account_id).apply(
            lambda v: f"arn:{v[0]}:cloudtrail:{args.region}:{v[1]}:trail/{args.trail_name}"
        )

        private = private_bucket(
            child(name, "trail-logs"), parent=self, tags=aws_tags, versioned=True, kms_key_arn=args.kms_key_arn, protect=args.protect
        )
        bucket, public_block = private.bucket, private.public_access_block
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
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_INCOMPLETE_UPLOAD_DAYS
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
                        bucket.arn.apply(tls_only_statement),
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]),
        )
        AccessLogBucket(
            child(name, "access-logs"),
            AccessLogArgs(source_bucket=bucket.id, source_bucket_arn=bucket.arn, retention_days=args.log_retention_days, protect=args.protect, tags=aws_tags),
            opts=plain,
        )
        log_group, log_role, log_writer = self._trail_log_group(name, args, identity.account_id)
        data_events = (
            [
                aws.cloudtrail.TrailEventSelectorArgs(
                    read_write_type="All",
                    include_management_events=True,
                    data_resources=[
                        aws.cloudtrail.TrailEventSelectorDataResourceArgs(type="AWS::S3::Object", values=[pulumi.Output.concat(args.data_bucket_arn, "/")])
                    ],
                )
            ]
            if args.data_bucket_arn is not None
            else None
        )
        trail = aws.cloudtrail.Trail(
            child(name, "trail"),
            name=args.trail_name,
            s3_bucket_name=bucket.id,
            is_multi_region_trail=args.cloudtrail == "multi-region",
            include_global_service_events=True,
            enable_log_file_validation=args.log_validation,
            kms_key_id=args.kms_key_arn,
            # CloudTrail wants the log group's ARN with the log-stream wildcard.
            cloud_watch_logs_group_arn=pulumi.Output.concat(log_group.arn, ":*"),
            cloud_watch_logs_role_arn=log_role.arn,
            event_selectors=data_events,
            tags=aws_tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy, log_writer]),
        )
        self.trail_arn = trail.arn
        self.trail_bucket = bucket.id
        self.trail_log_group = log_group.name

    def _trail_log_group(
        self, name: str, args: GuardrailsArgs, account: pulumi.Output[str]
    ) -> tuple[aws.cloudwatch.LogGroup, aws.iam.Role, aws.iam.RolePolicy]:
        """The trail's CloudWatch Logs group and the role CloudTrail assumes to write it."""
        aws_tags, plain = tags(args.org, args.stack), pulumi.ResourceOptions(parent=self)
        label = child(name, "trail-events")
        log_group = aws.cloudwatch.LogGroup(
            label,
            name=args.trail_log_group,
            retention_in_days=log_retention_days(args.log_retention_days),
            kms_key_id=args.kms_key_arn,
            tags=aws_tags,
            opts=plain,
        )
        # CloudTrail's documented trust for this role names the service only; what the role may do is the limit.
        role = aws.iam.Role(
            child(label, "role"), assume_role_policy=json.dumps(service_trust_policy("cloudtrail.amazonaws.com")), tags=aws_tags, opts=plain
        )
        writer = aws.iam.RolePolicy(
            child(label, "write"),
            role=role.id,
            policy=pulumi.Output.all(log_group.arn, account).apply(lambda v: json.dumps(trail_log_writer(v[0], v[1]))),
            opts=plain,
        )
        return log_group, role, writer

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
        total = ("budget-total", args.budget_name(), args.org_monthly_usd, [f"user:{ORG_COST_TAG}${args.org}"])
        per_team = args.team_budgets if args.budget_scope == "per-team" else ()

        def team_budget(b: TeamBudget) -> tuple[str, str, int, list[str]]:
            return (f"budget-team-{b.team}", args.budget_name(b.team), b.monthly_usd, [f"user:{TEAM_COST_TAG}${b.team}"])

        if args.activate_cost_tags:
            for key in COST_ALLOCATION_TAGS:
                aws.costexplorer.CostAllocationTag(
                    child(name, "cost-tag", key.replace(":", "-")), tag_key=key, status="Active", opts=pulumi.ResourceOptions(parent=self)
                )

        def declare(part: str, budget_name: str, usd: int, tag_values: list[str]) -> None:
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

        declare(*total)
        for b in each_team(per_team, lambda b: b.team):
            declare(*team_budget(b))
        wanted = [total, *(team_budget(b) for b in per_team)]
        return [budget_name for _, budget_name, _, _ in wanted]


def trail_log_writer(log_group_arn: str, account: str) -> dict[str, object]:
    """CloudTrail may create and write its own streams (`<account>_CloudTrail_<region>`) in one log group, nothing else."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "TrailStreams",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:log-stream:{account}_CloudTrail_*",
            }
        ],
    }
