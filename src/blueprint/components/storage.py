"""DataStore: the org's data bucket with per-team IRSA roles, and EFS home directories backed up by AWS Backup."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from blueprint.model import BlueprintSpec

from .access_logs import AccessLogArgs, AccessLogBucket
from .buckets import private_bucket
from .naming import (
    ABORT_INCOMPLETE_UPLOAD_DAYS,
    POLICY_VERSION,
    aws_managed_policy_arn,
    child,
    irsa_trust_policy,
    physical_name,
    service_account_subject,
    service_trust_policy,
    tags,
    team_data_prefix,
    team_namespace,
    team_service_account,
    tls_only_statement,
    type_token,
)
from .team_scope import each_team

BACKUP_SCHEDULES = {"daily": "cron(0 3 * * ? *)", "weekly": "cron(0 3 ? * SUN *)"}
BACKUP_POLICY = "service-role/AWSBackupServiceRolePolicyForBackup"
NFS = 2049
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


@dataclass(frozen=True)
class StorageArgs:
    """Versioning, backup and protection from the stance; teams from the spec; network, IRSA and key wired in.

    `access_log_retention_days`: S3 server access logs of the data bucket, kept that long; None for none. The
    stance's audit switch decides (`audit.cloudtrail` not `off`), with `audit.log_retention_days`.
    """

    org: str
    stack: str
    teams: tuple[str, ...]
    versioning: bool
    backup_schedule: Literal["daily", "weekly"]
    backup_retention_days: int
    protect: bool
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None
    access_log_retention_days: int | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        vpc_id: pulumi.Input[str],
        vpc_cidr: pulumi.Input[str],
        private_subnet_ids: Sequence[pulumi.Input[str]],
        oidc_provider_arn: pulumi.Input[str],
        oidc_issuer: pulumi.Input[str],
        kms_key_arn: pulumi.Input[str] | None = None,
    ) -> StorageArgs:
        storage, audit = spec.stance.storage, spec.stance.audit
        stack = pulumi.get_stack()  # names physical resources: a second stack is a second workbench
        return cls(
            org=spec.org,
            stack=stack,
            teams=tuple(team.name for team in spec.teams),
            versioning=storage.versioning,
            backup_schedule=storage.backup.schedule,
            backup_retention_days=storage.backup.retention_days,
            protect=storage.protect_stateful,
            vpc_id=vpc_id,
            vpc_cidr=vpc_cidr,
            private_subnet_ids=tuple(private_subnet_ids),
            oidc_provider_arn=oidc_provider_arn,
            oidc_issuer=oidc_issuer,
            kms_key_arn=kms_key_arn,
            access_log_retention_days=audit.log_retention_days if audit.cloudtrail != "off" else None,
            tags=tags(spec.org, stack),
        )


def team_access_policy(*, bucket_arn: str, team: str, kms_key_arn: str | None, region: str) -> dict[str, object]:
    """Objects under `teams/<team>/` and listing of that prefix only; the CMK only through S3 in this region."""
    prefix = team_data_prefix(team)
    statements: list[dict[str, object]] = [
        {"Sid": "TeamObjects", "Effect": "Allow", "Action": list(OBJECT_ACTIONS), "Resource": f"{bucket_arn}/{prefix}*"},
        {
            "Sid": "ListTeamPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        },
    ]
    if kms_key_arn is not None:
        statements.append(
            {
                "Sid": "DataKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


def deny_insecure_transport(bucket_arn: str) -> dict[str, object]:
    return {"Version": POLICY_VERSION, "Statement": [tls_only_statement(bucket_arn)]}


class DataStore(pulumi.ComponentResource):
    """Private, encrypted, TLS-only S3 bucket with one prefix and one IRSA role per team; encrypted EFS for home
    directories, reachable over NFS from the VPC only, backed up on the stance's schedule and retention.

    Overwritten and deleted objects stay restorable for the backup retention (noncurrent versions expire after
    `storage.backup.retention_days`); incomplete multipart uploads are aborted after a week. With audit on, every
    request to the bucket is recorded in S3 server access logs (`AccessLogBucket`).
    """

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    file_system_id: pulumi.Output[str]
    team_role_arns: dict[str, pulumi.Output[str]]
    """Team name -> IRSA role for the ServiceAccount `<team>-workbench` in namespace `<team>`."""

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("storage", "DataStore"), name, None, opts)
        self._name, self._args = name, args
        self._partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        bucket = self._bucket()
        self.bucket_name, self.bucket_arn = bucket.bucket, bucket.arn
        self.team_role_arns = {team: self._team_role(team, bucket).arn for team in each_team(args.teams)}
        file_system = self._file_system()
        self.file_system_id = file_system.id
        self._backup(file_system)
        self.register_outputs(
            {"bucket_name": self.bucket_name, "bucket_arn": self.bucket_arn, "file_system_id": self.file_system_id, "team_role_arns": self.team_role_arns}
        )

    def _opts(self, **kwargs: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _stateful(self) -> pulumi.ResourceOptions:
        return self._opts(protect=self._args.protect, retain_on_delete=self._args.protect)

    def _bucket(self) -> aws.s3.Bucket:
        args, name = self._args, child(self._name, "bucket")
        private = private_bucket(name, parent=self, tags=args.tags, versioned=args.versioning, kms_key_arn=args.kms_key_arn, protect=args.protect)
        bucket, block = private.bucket, private.public_access_block
        aws.s3.BucketLifecycleConfiguration(
            child(name, "lifecycle"),
            bucket=bucket.id,
            rules=[
                {
                    "id": "noncurrent-versions",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": args.backup_retention_days},
                    # Delete markers left with no versions behind them only slow down listings.
                    "expiration": {"expired_object_delete_marker": True},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
                }
            ],
            opts=self._opts(),
        )
        aws.s3.BucketPolicy(
            child(name, "tls-only"),
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: json.dumps(deny_insecure_transport(arn))),
            opts=self._opts(depends_on=[block]),
        )
        if args.access_log_retention_days is not None:
            AccessLogBucket(
                child(self._name, "access-logs"),
                AccessLogArgs(
                    source_bucket=bucket.id,
                    source_bucket_arn=bucket.arn,
                    retention_days=args.access_log_retention_days,
                    protect=args.protect,
                    tags=args.tags,
                ),
                opts=self._opts(),
            )
        return bucket

    def _team_role(self, team: str, bucket: aws.s3.Bucket) -> aws.iam.Role:
        args = self._args
        subject = service_account_subject(team_namespace(team), team_service_account(team))
        label = child(self._name, "team", team)
        role = aws.iam.Role(
            label,
            name=physical_name(args.org, args.stack, team, "data", max_length=64),
            assume_role_policy=pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(lambda v: json.dumps(irsa_trust_policy(v[0], v[1], [subject]))),
            tags={**args.tags, "workbench:team": team},
            opts=self._opts(),
        )
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        policy = pulumi.Output.all(bucket.arn, args.kms_key_arn, region).apply(
            lambda v: json.dumps(team_access_policy(bucket_arn=v[0], team=team, kms_key_arn=v[1], region=v[2]))
        )
        aws.iam.RolePolicy(child(label, "data"), role=role.id, policy=policy, opts=self._opts())
        return role

    def _file_system(self) -> aws.efs.FileSystem:
        args, name = self._args, child(self._name, "homes")
        file_system = aws.efs.FileSystem(
            name,
            encrypted=True,
            kms_key_id=args.kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            tags={**args.tags, "Name": name},
            opts=self._stateful(),
        )
        group = aws.ec2.SecurityGroup(
            child(name, "nfs"),
            vpc_id=args.vpc_id,
            description="NFS to the home directories from inside the VPC only",
            ingress=[{"protocol": "tcp", "from_port": NFS, "to_port": NFS, "cidr_blocks": [args.vpc_cidr], "description": "NFS from the VPC"}],
            tags={**args.tags, "Name": child(name, "nfs")},
            opts=self._opts(),
        )
        for i, subnet_id in enumerate(args.private_subnet_ids):
            aws.efs.MountTarget(child(name, str(i)), file_system_id=file_system.id, subnet_id=subnet_id, security_groups=[group.id], opts=self._opts())
        return file_system

    def _backup(self, file_system: aws.efs.FileSystem) -> None:
        args, name = self._args, child(self._name, "backup")
        vault = aws.backup.Vault(name, kms_key_arn=args.kms_key_arn, force_destroy=False, tags=args.tags, opts=self._stateful())
        plan = aws.backup.Plan(
            name,
            rules=[
                {
                    "rule_name": f"homes-{args.backup_schedule}",
                    "target_vault_name": vault.name,
                    "schedule": BACKUP_SCHEDULES[args.backup_schedule],
                    "lifecycle": {"delete_after": args.backup_retention_days},
                }
            ],
            tags=args.tags,
            opts=self._opts(),
        )
        role = aws.iam.Role(child(name, "role"), assume_role_policy=json.dumps(service_trust_policy("backup.amazonaws.com")), tags=args.tags, opts=self._opts())
        attachment = aws.iam.RolePolicyAttachment(
            child(name, "role", "policy"),
            role=role.name,
            policy_arn=self._partition.apply(lambda p: aws_managed_policy_arn(p, BACKUP_POLICY)),
            opts=self._opts(),
        )
        aws.backup.Selection(
            child(name, "homes"),
            name="efs-homes",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[file_system.arn],
            opts=self._opts(depends_on=[attachment]),
        )
