"""The one place names, tags and shared conventions (IAM trust, log retention, team paths) are derived, so they never scatter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..model.idp import physical_name  # noqa: F401  (re-exported: the one name-cutting rule, shared with the model)

TOKEN_PREFIX = "workbench"


def type_token(area: str, name: str) -> str:
    """`workbench:<area>:<Name>` type token for a component."""
    return f"{TOKEN_PREFIX}:{area}:{name}"


def child(parent_name: str, *parts: str) -> str:
    """Logical name of a child resource: `<component name>-<part>-<part>`."""
    return "-".join((parent_name, *parts))


def tags(org: str, stack: str, **extra: str) -> dict[str, str]:
    """Tags every AWS resource carries so cost and ownership are traceable."""
    return {"workbench:org": org, "workbench:stack": stack, "managed-by": "workbench-blueprint", **extra}


def team_namespace(team: str) -> str:
    """Kubernetes namespace of a team: the team name itself (TeamName is already a DNS-1123 label)."""
    return team


def team_service_account(team: str) -> str:
    """ServiceAccount that a team's sessions run as (annotated with the team's IRSA role)."""
    return f"{team}-workbench"


# ---- in-cluster names that several components share (one home each) ----

# Encrypted gp3 StorageClass made with the EBS CSI add-on (cluster); the hub's database volume binds to it.
EBS_STORAGE_CLASS = "gp3-encrypted"
# Node label every managed node group carries (`workbench/pool: <pool>`); the hub's own pool is `hub`, tainted so
# that only the hub (which tolerates it) runs there, in subnets whose only egress admits the IdP (spec.hub_egress).
POOL_LABEL = "workbench/pool"
HUB_POOL = "hub"
HUB_TAINT = {"key": "workbench/hub", "value": "true", "effect": "NO_SCHEDULE"}
# Secret in every team namespace holding `pip.conf` with a short-lived CodeArtifact token, written and refreshed
# by the package mirror's token refresher; sessions mount it as a directory (so refreshes reach running pods).
PIP_CONF_SECRET = "workbench-pip"
PIP_CONF_KEY = "pip.conf"


# ---- team conventions shared by storage (IAM) and the in-cluster TeamSpace ----


def team_data_prefix(team: str) -> str:
    """The team's key prefix in the org data bucket (`teams/<team>/`); its IRSA role reaches nothing else."""
    return f"teams/{team}/"


# ---- IAM ----

POLICY_VERSION = "2012-10-17"


def aws_managed_policy_arn(partition: str, policy: str) -> str:
    """ARN of an AWS-managed policy such as `AmazonEKSClusterPolicy` or `service-role/AWSBackupServiceRolePolicyForBackup`."""
    return f"arn:{partition}:iam::aws:policy/{policy}"


def service_trust_policy(
    service: str, *, source_account: object | None = None, actions: Sequence[str] = ("sts:AssumeRole",)
) -> dict[str, object]:
    """Trust policy letting one AWS service principal assume a role (optionally only on behalf of one account)."""
    statement: dict[str, object] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": list(actions),
    }
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return {"Version": POLICY_VERSION, "Statement": [statement]}


def irsa_trust_policy(oidc_provider_arn: str, oidc_issuer: str, subjects: Sequence[str]) -> dict[str, object]:
    """IRSA trust: only the listed `system:serviceaccount:<ns>:<name>` subjects, with the STS audience, may assume the role.

    `oidc_issuer` is the issuer host and path without `https://`, as IAM condition keys spell it.
    """
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{oidc_issuer}:sub": list(subjects) if len(subjects) > 1 else subjects[0],
                        f"{oidc_issuer}:aud": "sts.amazonaws.com",
                    }
                },
            }
        ],
    }


def service_account_subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


# ---- S3 ----

# Days after which S3 aborts a multipart upload that never completed; its parts are stored (and billed) until then.
ABORT_INCOMPLETE_UPLOAD_DAYS = 7


def tls_only_statement(bucket_arn: object) -> dict[str, object]:
    """Bucket policy statement refusing every request to the bucket and its objects that does not use TLS."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


# ---- CloudWatch Logs ----

# The only retention periods CloudWatch Logs accepts (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


def log_retention_days(days: int) -> int:
    """The shortest retention CloudWatch accepts that keeps logs at least `days` days (never weaker than asked)."""
    for allowed in LOG_RETENTION_DAYS:
        if allowed >= days:
            return allowed
    return LOG_RETENTION_DAYS[-1]


# ---- container images ----

# Docker Official Images are mirrored on ECR Public, which needs no credentials; Docker Hub itself would
# (an ECR pull-through rule for docker.io requires a Secrets Manager secret). Rewriting before mapping lets
# an image such as the chart's `traefik` come through the ECR Public cache.
IMAGE_ALIASES = {"docker.io/library/": "public.ecr.aws/docker/library/"}
_DOCKER_HUB = "docker.io"


def ecr_registry_host(account: str, region: str, dns_suffix: str = "amazonaws.com") -> str:
    """Host of an account's private ECR registry: `<account>.dkr.ecr.<region>.<dns suffix>`."""
    return f"{account}.dkr.ecr.{region}.{dns_suffix}"


def split_image(image: str) -> tuple[str, str]:
    """(registry, repository[:tag|@digest]) of an image reference, read as Docker does.

    The first path component is a registry only if it has a dot or a port or is `localhost`; otherwise the
    image is on Docker Hub, and a bare name is an official image under `library/`.
    """
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return _DOCKER_HUB, image if rest else f"library/{image}"


def mirrored_image(image: str, registries: Mapping[str, str]) -> str | None:
    """`image` as pulled through the cache of its registry (`registries`: upstream -> ECR prefix URL), or None
    when no cache serves it. `IMAGE_ALIASES` apply first."""
    reference = "/".join(split_image(image))
    for source, target in IMAGE_ALIASES.items():
        if reference.startswith(source):
            reference = target + reference.removeprefix(source)
    registry, path = split_image(reference)
    prefix = registries.get(registry)
    return f"{prefix}/{path}" if prefix is not None else None
