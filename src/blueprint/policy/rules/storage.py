"""Storage rules: buckets, file systems, keys and backups (outsider, data loss)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig, known, linked

rules = RuleSet()
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
STATEFUL = frozenset({*T.BUCKETS, T.EFS, T.BACKUP_VAULT, T.KMS_KEY})
# A KMS key id the AWS-managed S3 key goes by; anything else names a customer-managed key.
AWS_MANAGED_KEY = re.compile(r"(^|:)alias/aws/")
# The service principal of S3 server access log delivery, which cannot write to a bucket whose default encryption is SSE-KMS.
S3_LOG_DELIVERY = "logging.s3.amazonaws.com"


def _cmk_required(ctx: Context) -> bool:
    return ctx.stance.storage.encryption != "provider-managed"


def _linked_buckets(graph: ResourceGraph, resource: Resource) -> list[Resource]:
    return [bucket for token in sorted(T.BUCKETS) for bucket in linked(graph, resource, token)]


def _bucket_names(graph: ResourceGraph) -> dict[str, set[str]]:
    """Bucket URN -> the names its configurations give it in their `bucket` input (each depending on that bucket only)."""
    names: dict[str, set[str]] = {}
    for resource in graph:
        name = resource.inputs.get("bucket")
        if not (isinstance(name, str) and known(name)):
            continue
        buckets = _linked_buckets(graph, resource)
        if len(buckets) == 1:
            names.setdefault(buckets[0].urn, set()).add(name)
    return names


def _configs(graph: ResourceGraph, tokens: frozenset[str] | str) -> dict[str, list[Resource]]:
    """Bucket URN -> the bucket's configuration resources of the given type(s).

    A configuration may depend on more buckets than the one it configures: an access-log bucket's policy names the
    bucket whose logs it admits. Of those, it configures the one its `bucket` input names, when the preview knows
    the name; otherwise it counts for all of them.
    """
    wanted = {tokens} if isinstance(tokens, str) else tokens
    names = _bucket_names(graph)
    by_bucket: dict[str, list[Resource]] = {}
    for resource in graph:
        if resource.type in wanted:
            buckets = _linked_buckets(graph, resource)
            named = [b for b in buckets if resource.inputs.get("bucket") in names.get(b.urn, ())]
            for bucket in named or buckets:
                by_bucket.setdefault(bucket.urn, []).append(resource)
    return by_bucket


def _buckets(graph: ResourceGraph) -> list[Resource]:
    return [r for r in graph if r.type in T.BUCKETS]


@rules.graph(
    "storage.bucket-public-access-block",
    concern=Concern.DATA_THEFT_OUTSIDER,
    severity=Severity.CRITICAL,
    controls=(),
    types=(*T.BUCKETS, T.PUBLIC_ACCESS_BLOCK),
    description="Every S3 bucket has a public access block with all four settings on.",
)
def bucket_public_access_block(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    blocks = _configs(graph, T.PUBLIC_ACCESS_BLOCK)
    for bucket in _buckets(graph):
        mine = blocks.get(bucket.urn, [])
        if not mine:
            yield Finding("the bucket has no public access block: one bad ACL or policy makes it public", bucket.urn)
        for block in mine:
            off = [flag for flag in PUBLIC_ACCESS_FLAGS if block.inputs.get(flag) is not True]
            if off:
                yield Finding(f"the public access block leaves {', '.join(off)} off", block.urn)


@rules.graph(
    "storage.bucket-versioning",
    concern=Concern.DATA_LOSS,
    severity=Severity.MEDIUM,
    controls=("storage.versioning",),
    types=(*T.BUCKETS, *T.VERSIONING),
    applies=lambda ctx: ctx.stance.storage.versioning,
    description="Every S3 bucket has versioning enabled, so an overwrite or delete can be undone.",
)
def bucket_versioning(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    configs = _configs(graph, T.VERSIONING)
    for bucket in _buckets(graph):
        inline = dig(bucket.inputs, "versioning", "enabled") is True
        statuses = [dig(c.inputs, "versioningConfiguration", "status") for c in configs.get(bucket.urn, [])]
        if not inline and "Enabled" not in statuses:
            shown = f" (status {', '.join(map(str, statuses))})" if statuses else ""
            yield Finding(f"versioning is not enabled{shown}; the stance wants every bucket versioned", bucket.urn)


def _sse_rules(config: Resource) -> list[Mapping[str, Any]]:
    return [dig(r, "applyServerSideEncryptionByDefault") or {} for r in as_list(config.inputs.get("rules")) if isinstance(r, Mapping)]


def _access_log_destinations(graph: ResourceGraph) -> set[str]:
    """URNs of the buckets whose own policy lets S3 server access logging deliver into them."""
    destinations = set()
    for urn, policies in _configs(graph, T.BUCKET_POLICY).items():
        documents = [policy_document(p.inputs.get("policy")) for p in policies]
        statements = [s for d in documents if d for s in as_list(d.get("Statement")) if isinstance(s, Mapping)]
        if any(s.get("Effect") == "Allow" and S3_LOG_DELIVERY in as_list(dig(s, "Principal", "Service")) for s in statements):
            destinations.add(urn)
    return destinations


def _vpc_read_repositories(graph: ResourceGraph) -> set[str]:
    """URNs of buckets that serve unsigned reads to one VPC only (strict's private R repository): every Allow to
    Principal "*" is s3:GetObject conditioned on aws:SourceVpc or aws:SourceVpce. S3 refuses unsigned reads of
    SSE-KMS objects, so such a bucket can only use SSE-S3; R's download.file cannot sign requests."""
    repositories = set()
    for urn, policies in _configs(graph, T.BUCKET_POLICY).items():
        documents = [policy_document(p.inputs.get("policy")) for p in policies]
        public = [s for d in documents if d for s in as_list(d.get("Statement")) if isinstance(s, Mapping) and s.get("Effect") == "Allow" and s.get("Principal") in ("*", {"AWS": "*"})]
        if public and all(
            as_list(s.get("Action")) == ["s3:GetObject"]
            and set(dig(s, "Condition", "StringEquals", default={}) or {}) & {"aws:SourceVpc", "aws:SourceVpce"}
            for s in public
        ):
            repositories.add(urn)
    return repositories


@rules.graph(
    "storage.bucket-encryption",
    concern=Concern.DATA_THEFT_OUTSIDER,
    severity=Severity.HIGH,
    controls=("storage.encryption",),
    types=(*T.BUCKETS, *T.SSE, T.BUCKET_POLICY),
    description="Every S3 bucket has default encryption, a customer-managed KMS key when the stance asks (access-log buckets, VPC-only repositories: SSE-S3).",
)
def bucket_encryption(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    configs = _configs(graph, T.SSE)
    log_destinations = _access_log_destinations(graph) | _vpc_read_repositories(graph)
    for bucket in _buckets(graph):
        defaults = [d for c in configs.get(bucket.urn, []) for d in _sse_rules(c)]
        inline = dig(bucket.inputs, "serverSideEncryptionConfiguration", "rule", "applyServerSideEncryptionByDefault")
        if inline:
            defaults.append(inline)
        if not defaults:
            yield Finding("the bucket has no server-side encryption configuration", bucket.urn)
            continue
        if not _cmk_required(ctx):
            continue
        if bucket.urn in log_destinations and all(d.get("sseAlgorithm") == "AES256" for d in defaults):
            continue
        for default in defaults:
            algorithm, key = default.get("sseAlgorithm"), default.get("kmsMasterKeyId")
            if algorithm not in ("aws:kms", "aws:kms:dsse"):
                yield Finding(f"SSE algorithm is {algorithm!r}; encryption {ctx.stance.storage.encryption!r} needs aws:kms with a customer-managed key", bucket.urn)
            elif not key or (known(key) and AWS_MANAGED_KEY.search(str(key))):
                yield Finding(f"SSE uses the AWS-managed key; encryption {ctx.stance.storage.encryption!r} needs a customer-managed KMS key", bucket.urn)


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM/bucket policy input as a document, whether it arrived as JSON text or as a mapping."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and known(value):
        try:
            document = json.loads(value)
        except ValueError:
            return None
        return document if isinstance(document, Mapping) else None
    return None


def _denies_plain_http(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    condition = statement.get("Condition") or {}
    secure = dig(condition, "Bool", "aws:SecureTransport")
    actions = as_list(statement.get("Action"))
    return str(secure).lower() == "false" and any(a in ("s3:*", "*") for a in actions)


@rules.graph(
    "storage.bucket-tls-only",
    concern=Concern.DATA_THEFT_OUTSIDER,
    severity=Severity.HIGH,
    controls=(),
    types=(*T.BUCKETS, *T.BUCKET_CONFIGURATIONS),
    description="Every S3 bucket policy denies requests that do not use TLS (aws:SecureTransport false).",
)
def bucket_tls_only(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    policies = _configs(graph, T.BUCKET_POLICY)
    for bucket in _buckets(graph):
        documents = [policy_document(p.inputs.get("policy")) for p in policies.get(bucket.urn, [])]
        statements = [s for d in documents if d for s in as_list(d.get("Statement")) if isinstance(s, Mapping)]
        if not any(_denies_plain_http(s) for s in statements):
            yield Finding("no bucket policy denies plain-HTTP requests (Deny s3:* when aws:SecureTransport is false)", bucket.urn)


@rules.resource(
    "storage.efs-encryption",
    concern=Concern.DATA_THEFT_OUTSIDER,
    severity=Severity.HIGH,
    controls=("storage.encryption",),
    types={T.EFS},
    description="File systems are encrypted at rest, with a customer-managed KMS key when the stance asks for one.",
)
def efs_encryption(fs: Resource, ctx: Context) -> Iterator[str]:
    if fs.inputs.get("encrypted") is not True:
        yield "encrypted is not true: home directories would be stored in clear"
    elif _cmk_required(ctx) and not fs.inputs.get("kmsKeyId"):
        yield f"no kmsKeyId: encryption {ctx.stance.storage.encryption!r} needs a customer-managed KMS key"


@rules.resource(
    "storage.kms-key-rotation",
    concern=Concern.DATA_THEFT_OUTSIDER,
    severity=Severity.MEDIUM,
    controls=("storage.encryption",),
    types={T.KMS_KEY},
    applies=lambda ctx: ctx.stance.storage.encryption == "kms-cmk-rotated",
    description="Customer-managed KMS keys rotate yearly when the stance says 'kms-cmk-rotated'.",
)
def kms_key_rotation(key: Resource, ctx: Context) -> Iterator[str]:
    if key.inputs.get("enableKeyRotation") is not True:
        yield "enableKeyRotation is not true; the stance wants 'kms-cmk-rotated'"


@rules.resource(
    "storage.protect-stateful",
    concern=Concern.DATA_LOSS,
    severity=Severity.HIGH,
    controls=("storage.protect_stateful",),
    types=STATEFUL,
    applies=lambda ctx: ctx.stance.storage.protect_stateful,
    description="Buckets, file systems, backup vaults and KMS keys carry Pulumi `protect`, so no change can delete them.",
)
def protect_stateful(resource: Resource, ctx: Context) -> Iterator[str]:
    if not resource.protect:
        yield "the resource is not protected: a bad change or `pulumi destroy` could delete it and its data"


_CRON = re.compile(r"^cron\((?P<body>[^)]*)\)$")
_RATE = re.compile(r"^rate\((?P<n>\d+) (?P<unit>minutes?|hours?|days?)\)$")


def schedule_period_days(schedule: Any) -> float | None:
    """Days between runs of an AWS Backup schedule expression, or None if it cannot be read."""
    if not isinstance(schedule, str):
        return None
    rate = _RATE.match(schedule.strip())
    if rate:
        n, unit = int(rate["n"]), rate["unit"].rstrip("s")
        return n / {"minute": 1440, "hour": 24, "day": 1}[unit]
    cron = _CRON.match(schedule.strip())
    if not cron:
        return None
    fields = cron["body"].split()
    if len(fields) != 6:
        return None
    _, _, day_of_month, month, day_of_week, _ = fields
    if month not in ("*", "?"):
        return 365 / len(month.split(","))
    if day_of_month not in ("*", "?"):
        return 30 / len(day_of_month.split(","))
    if day_of_week not in ("*", "?"):
        return 7 / len(day_of_week.split(","))
    return 1


@rules.graph(
    "storage.backup-plan",
    concern=Concern.DATA_LOSS,
    severity=Severity.HIGH,
    controls=("storage.backup.schedule", "storage.backup.retention_days"),
    types=(T.BACKUP_PLAN, T.BACKUP_SELECTION, T.EFS),
    description="Home directories are backed up by an AWS Backup plan at least as often and kept at least as long as the stance says.",
)
def backup_plan(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    wanted = ctx.stance.storage.backup
    period = {"daily": 1, "weekly": 7}[wanted.schedule]
    plans = graph.of_type(T.BACKUP_PLAN)
    if not plans:
        for fs in graph.of_type(T.EFS):
            yield Finding(f"no AWS Backup plan: the stance wants {wanted.schedule} backups kept {wanted.retention_days} days", fs.urn)
        return
    for plan in plans:
        plan_rules = [r for r in as_list(plan.inputs.get("rules")) if isinstance(r, Mapping)]
        for rule in plan_rules:
            every = schedule_period_days(rule.get("schedule"))
            keep = dig(rule, "lifecycle", "deleteAfter")
            problems = []
            if every is None or every > period:
                problems.append(f"schedule {rule.get('schedule')!r} is not {wanted.schedule}")
            if keep is not None and known(keep) and keep < wanted.retention_days:
                problems.append(f"backups are deleted after {keep} days, not {wanted.retention_days}")
            if problems:
                yield Finding(f"backup rule {rule.get('ruleName', '?')!r}: {'; '.join(problems)}", plan.urn)
        if not plan_rules:
            yield Finding("the backup plan has no rules", plan.urn)
    selected = {urn for s in graph.of_type(T.BACKUP_SELECTION) for urn in s.dependencies}
    for fs in graph.of_type(T.EFS):
        if fs.urn not in selected:
            yield Finding("no backup selection covers this file system", fs.urn)


RULES = tuple(rules.rules)
