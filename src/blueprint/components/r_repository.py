"""RRepository: the one CRAN-like repository sessions' R uses, per stance (public dated snapshot, org mirror, or a private one)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

from ..model import BlueprintSpec
from . import files
from .access_logs import AccessLogArgs, AccessLogBucket
from .buckets import private_bucket
from .naming import ABORT_INCOMPLETE_UPLOAD_DAYS, POLICY_VERSION, child, log_retention_days, physical_name, service_trust_policy, tags, tls_only_statement, type_token

# Public CRAN-style repositories, by the stance's R mode. A dated Posit Public Package Manager URL freezes CRAN at
# that day; it does not limit *which* packages exist, so 'curated-snapshot' has none: only the private repository
# below, filled from the allowlist, serves what it admits (policy rule packages.r-snapshot).
PUBLIC_R = {
    "latest": "https://cloud.r-project.org",
    "snapshot": "https://packagemanager.posit.co/cran/{date}",
}
# The private repository is filled from the dated snapshot even when the stance's mode is 'latest' (a repository
# the program builds is reproducible or it is nothing); without a date, the newest CRAN.
SNAPSHOT_SOURCE = "https://packagemanager.posit.co/cran/{date}"
CURATOR_IMAGE = "public.ecr.aws/docker/library/r-base:4.4.2"
REPOSITORY_PREFIX = "cran"
CURATOR_PREFIX = "curator"

Kind = Literal["org-mirror", "public", "private"]


@dataclass(frozen=True)
class RPlan:
    """Which R repository a stance gets, known at plan time: `url` is None for `private` (a bucket's URL)."""

    kind: Kind
    url: str | None
    status: str
    snapshot: str


def plan_r_repository(
    mode: str, snapshot_date: str | None, egress: str, egress_allowlist: tuple[str, ...], mirror_url: str | None
) -> RPlan:
    """The org's own mirror if named; else, for 'curated-snapshot', a private one (the only kind that curates); else the
    public repository when egress reaches it; else a private one."""
    snapshot = SNAPSHOT_SOURCE.format(date=snapshot_date) if snapshot_date else PUBLIC_R["latest"]
    if mirror_url:
        return RPlan("org-mirror", mirror_url, f"org-run CRAN mirror at {mirror_url} (R mode {mode!r} is enforced there, not by this program)", snapshot)
    if mode == "curated-snapshot":
        reason = "'curated-snapshot' admits only the allowlist, which no public repository limits itself to"
    else:
        public = PUBLIC_R[mode].format(date=snapshot_date)
        host = urlsplit(public).hostname or ""
        what = "public CRAN" if mode == "latest" else f"public dated snapshot {snapshot_date} (Posit Public Package Manager)"
        if egress == "open" or (egress == "allowlist" and any(fnmatchcase(host, p) for p in egress_allowlist)):
            return RPlan("public", public, what, snapshot)
        reason = f"{host} is not in the stance's egress_allowlist" if egress == "allowlist" else "egress 'mirror' reaches no public CRAN"
    return RPlan(
        "private",
        None,
        f"private CRAN-like repository in S3 ({reason}): the allowlisted packages and their dependencies from {snapshot}, "
        "reached through the S3 gateway endpoint",
        snapshot,
    )


@dataclass(frozen=True)
class RRepositoryArgs:
    """Inputs of RRepository; build with `from_spec`."""

    org: str
    stack: str
    region: str
    plan: RPlan
    packages: tuple[str, ...]
    log_retention_days: int
    protect: bool
    access_log_retention_days: int | None = None
    vpc_id: pulumi.Input[str] | None = None
    kms_key_arn: pulumi.Input[str] | None = None

    @classmethod
    def from_spec(cls, spec: BlueprintSpec, *, vpc_id: pulumi.Input[str] | None = None, kms_key_arn: pulumi.Input[str] | None = None) -> RRepositoryArgs:
        """`packages`: the stance's r_allowlist plus every team's extra R packages (what the private repository holds)."""
        packages = spec.stance.packages
        plan = plan_r_repository(
            packages.r,
            packages.r_snapshot_date.isoformat() if packages.r_snapshot_date else None,
            spec.stance.network.egress,
            spec.stance.network.egress_allowlist,
            spec.packages.r_mirror_url,
        )
        wanted = {*packages.r_allowlist, *(p for team in spec.teams for p in team.r_packages)}
        return cls(
            org=spec.org,
            stack=pulumi.get_stack(),
            region=spec.region,
            plan=plan,
            packages=tuple(sorted(wanted)),
            log_retention_days=spec.stance.audit.log_retention_days,
            protect=spec.stance.storage.protect_stateful,
            access_log_retention_days=spec.stance.audit.log_retention_days if spec.stance.audit.cloudtrail != "off" else None,
            vpc_id=vpc_id,
            kms_key_arn=kms_key_arn,
        )


class RRepository(pulumi.ComponentResource):
    """The CRAN-like repository sessions' R installs from; `url` is the one URL the hub writes into each team's Rprofile.

    - `org-mirror`: `packages.r_mirror_url` from blueprint.yaml, as given.
    - `public`: a dated Posit Public Package Manager snapshot (or cloud.r-project.org for 'latest') when the
      stance's egress reaches its host (open, or on the allowlist: balanced lists packagemanager.posit.co).
    - `private` (strict: no internet path): an S3 bucket in the CRAN layout (`cran/src/contrib/PACKAGES`),
      readable without credentials only from this VPC (bucket policy on `aws:SourceVpc`, which S3 counts as
      non-public, so the public access block stays on; R's download.file cannot sign requests), reached through
      the VPC's S3 gateway endpoint. Objects use SSE-S3, not the CMK: anonymous reads cannot use a KMS key.

    Where the private repository's curator runs: AWS CodeBuild **outside** the VPC (no vpc_config). Filling the
    repository needs the internet (the dated snapshot); running the curator in the cluster would need a path
    from strict's VPC to the internet, which is what strict forbids. CodeBuild's managed network reaches the
    snapshot, and the only thing that crosses into the VPC is the finished repository, in S3. It builds with
    the r-base image (`tools::package_dependencies`, `download.packages`, `tools::write_PACKAGES`) whenever
    `curator/packages.txt` changes (an S3 event through EventBridge), i.e. on first apply and on every change of
    the allowlist, a team's R packages, the snapshot date or the script. See docs/build-vs-buy.md.

    Packages are source packages: sessions compile those that need it (the R session images carry compilers).
    """

    url: pulumi.Output[str]
    """CRAN-style repository URL for `options(repos = c(CRAN = ...))`."""
    kind: Kind
    status: str
    """One sentence on what the R repository is."""

    def __init__(self, name: str, args: RRepositoryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("mirror", "RRepository"), name, None, opts)
        self.kind, self.status = args.plan.kind, args.plan.status
        if args.plan.url is not None:
            self.url = pulumi.Output.from_input(args.plan.url)
        else:
            if args.vpc_id is None:
                raise ValueError("the private R repository needs vpc_id (its bucket admits reads from that VPC only)")
            self.url = self._private(name, args)
        self.register_outputs({"url": self.url, "kind": self.kind, "status": self.status})

    def _private(self, name: str, args: RRepositoryArgs) -> pulumi.Output[str]:
        aws_tags = tags(args.org, args.stack)
        plain = pulumi.ResourceOptions(parent=self)
        made = private_bucket(child(name, "bucket"), parent=self, tags=aws_tags, versioned=True, kms_key_arn=None, protect=args.protect)
        bucket = made.bucket
        aws.s3.BucketPolicy(
            child(name, "bucket-policy"),
            bucket=bucket.id,
            policy=pulumi.Output.all(bucket.arn, args.vpc_id).apply(lambda v: json.dumps(_bucket_policy(v[0], v[1]))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[made.public_access_block]),
        )
        # Old versions of rebuilt index files and tarballs go after 30 days; nothing else expires (it is the repository).
        aws.s3.BucketLifecycleConfiguration(
            child(name, "bucket-lifecycle"),
            bucket=bucket.id,
            rules=[
                {
                    "id": "old-versions",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
                }
            ],
            opts=plain,
        )
        if args.access_log_retention_days is not None:
            # Who read which package, from where: S3 server access logs, like the data bucket's.
            AccessLogBucket(
                child(name, "access-logs"),
                AccessLogArgs(
                    source_bucket=bucket.bucket,
                    source_bucket_arn=bucket.arn,
                    retention_days=args.access_log_retention_days,
                    protect=args.protect,
                    tags=aws_tags,
                ),
                opts=plain,
            )
        # S3 sends object events to EventBridge; the rule below starts the curator when packages.txt changes.
        aws.s3.BucketNotification(child(name, "events"), bucket=bucket.id, eventbridge=True, opts=plain)

        project_name = physical_name(args.org, args.stack, "cran-curator", max_length=150)
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        log_group = aws.cloudwatch.LogGroup(
            child(name, "curator-logs"),
            name=f"/aws/codebuild/{project_name}",
            retention_in_days=log_retention_days(args.log_retention_days),
            kms_key_id=args.kms_key_arn,
            tags=aws_tags,
            opts=plain,
        )
        role = aws.iam.Role(
            child(name, "curator-role"),
            description="CodeBuild role of the private R repository's curator.",
            assume_role_policy=identity.account_id.apply(
                lambda account: json.dumps(service_trust_policy("codebuild.amazonaws.com", source_account=account))
            ),
            tags=aws_tags,
            opts=plain,
        )
        aws.iam.RolePolicy(
            child(name, "curator-policy"),
            role=role.id,
            policy=pulumi.Output.all(bucket.arn, log_group.arn).apply(lambda v: json.dumps(_curator_policy(v[0], v[1]))),
            opts=plain,
        )
        script = files.read("cran-curator.R")
        sources = [
            aws.s3.BucketObjectv2(
                child(name, "curator-script"),
                bucket=bucket.id,
                key=f"{CURATOR_PREFIX}/cran-curator.R",
                content=script,
                content_type="text/plain",
                opts=plain,
            )
        ]
        # The trigger object: the script's digest and the snapshot are part of it, so any change starts a build.
        digest = hashlib.sha256(script.encode()).hexdigest()[:12]
        header = f"# snapshot {args.plan.snapshot}\n# curator {digest}\n"
        project = aws.codebuild.Project(
            child(name, "curator"),
            name=project_name,
            description="Fills the private CRAN-like repository from the dated snapshot (runs outside the VPC).",
            service_role=role.arn,
            build_timeout=120,
            concurrent_build_limit=1,
            source={
                "type": "S3",
                "location": bucket.id.apply(lambda b: f"{b}/{CURATOR_PREFIX}/"),
                "buildspec": files.read("cran-curator-buildspec.yml"),
            },
            artifacts={
                "type": "S3",
                "location": bucket.id,
                "path": "",
                "name": REPOSITORY_PREFIX,
                "namespace_type": "NONE",
                "packaging": "NONE",
                # CodeBuild would encrypt the artifacts with a KMS key, which anonymous reads from the VPC cannot
                # use; the bucket's default SSE-S3 encrypts them instead.
                "encryption_disabled": True,
            },
            environment={
                "type": "LINUX_CONTAINER",
                "compute_type": "BUILD_GENERAL1_SMALL",
                "image": CURATOR_IMAGE,
                "environment_variables": [{"name": "SNAPSHOT_URL", "value": args.plan.snapshot, "type": "PLAINTEXT"}],
            },
            logs_config={"cloudwatch_logs": {"group_name": log_group.name, "status": "ENABLED"}},
            tags=aws_tags,
            opts=plain,
        )
        trigger = aws.s3.BucketObjectv2(
            child(name, "curator-packages"),
            bucket=bucket.id,
            key=f"{CURATOR_PREFIX}/packages.txt",
            content=header + "".join(f"{p}\n" for p in args.packages),
            content_type="text/plain",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*sources, project]),
        )
        events_role = aws.iam.Role(
            child(name, "trigger-role"),
            description="EventBridge starts the private R repository's curator build.",
            assume_role_policy=identity.account_id.apply(
                lambda account: json.dumps(service_trust_policy("events.amazonaws.com", source_account=account))
            ),
            tags=aws_tags,
            opts=plain,
        )
        aws.iam.RolePolicy(
            child(name, "trigger-policy"),
            role=events_role.id,
            policy=project.arn.apply(
                lambda arn: json.dumps(
                    {"Version": POLICY_VERSION, "Statement": [{"Effect": "Allow", "Action": ["codebuild:StartBuild"], "Resource": [arn]}]}
                )
            ),
            opts=plain,
        )
        rule = aws.cloudwatch.EventRule(
            child(name, "trigger"),
            description="Start the R curator when its package list changes.",
            event_pattern=pulumi.Output.all(bucket.id, trigger.key).apply(
                lambda v: json.dumps(
                    {
                        "source": ["aws.s3"],
                        "detail-type": ["Object Created"],
                        "detail": {"bucket": {"name": [v[0]]}, "object": {"key": [v[1]]}},
                    }
                )
            ),
            tags=aws_tags,
            opts=plain,
        )
        aws.cloudwatch.EventTarget(child(name, "trigger-target"), rule=rule.name, arn=project.arn, role_arn=events_role.arn, opts=plain)
        # The regional virtual-hosted endpoint: what the gateway endpoint routes (S3 user guide, "Virtual hosting").
        return bucket.bucket.apply(lambda b: f"https://{b}.s3.{args.region}.amazonaws.com/{REPOSITORY_PREFIX}")


def _bucket_policy(bucket_arn: str, vpc_id: str) -> dict[str, object]:
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            tls_only_statement(bucket_arn),
            {
                # R fetches PACKAGES and tarballs with plain HTTPS GETs. aws:SourceVpc is set on requests through this
                # VPC's S3 gateway endpoint; S3 treats a fixed aws:SourceVpc as non-public ("The meaning of public").
                "Sid": "ReadFromTheWorkbenchVpc",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_arn}/{REPOSITORY_PREFIX}/*",
                "Condition": {"StringEquals": {"aws:SourceVpc": vpc_id}},
            },
        ],
    }


def _curator_policy(bucket_arn: str, log_group_arn: str) -> dict[str, object]:
    """CodeBuild reads its S3 source folder, writes the repository prefix and its own log group; nothing else."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "Source",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": f"{bucket_arn}/{CURATOR_PREFIX}/*",
            },
            {"Sid": "SourceBucket", "Effect": "Allow", "Action": ["s3:GetBucketAcl", "s3:GetBucketLocation"], "Resource": bucket_arn},
            {"Sid": "Repository", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": f"{bucket_arn}/{REPOSITORY_PREFIX}/*"},
            {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": f"{log_group_arn}:*"},
        ],
    }
