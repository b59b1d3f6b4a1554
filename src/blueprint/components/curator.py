"""PackageCurator: the jobs that curate the CodeArtifact mirror per the stance (seed, promote, origin controls)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..model import BlueprintSpec
from . import files
from .codeartifact import PackageMirror, normalize_package
from .mirror_jobs import (
    MIRROR_NAMESPACE,
    aws_cli_image,
    job_identity,
    job_pod,
    package_groups_of,
    packages_of,
    pulled_image,
    token_statements,
)
from .naming import child, tags, type_token

PROMOTE_SCHEDULE = "17 * * * *"
ORIGIN_CONTROLS_SCHEDULE = "*/15 * * * *"
CONFIG_DIR = "/etc/curator"
# The seed job requests this many of the newest final releases of each allowlisted package; the cooldown
# then decides which of them the promoter copies (so at least one older release usually qualifies).
SEED_VERSIONS = 3
SCRIPTS = ("promote.sh", "origin-controls.sh", "seed-upstream.sh")


@dataclass(frozen=True)
class PackageCuratorArgs:
    """Inputs of PackageCurator; build with `from_spec`."""

    org: str
    stack: str
    region: str
    python_mode: str
    allowlist: tuple[str, ...]
    blocklist: tuple[str, ...]
    internal_prefixes: tuple[str, ...]
    cooldown_days: int
    curation_mode: str
    version_policy: str
    provider: k8s.Provider | None = None
    oidc_provider_arn: pulumi.Input[str] | None = None
    oidc_issuer: pulumi.Input[str] | None = None
    image_registries: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        provider: k8s.Provider | None = None,
        oidc_provider_arn: pulumi.Input[str] | None = None,
        oidc_issuer: pulumi.Input[str] | None = None,
        image_registries: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> PackageCuratorArgs:
        """`image_registries`: upstream registry -> ECR pull-through cache (`ImageMirror.registries`)."""
        packages = spec.stance.packages
        allowlist = {normalize_package(p) for p in packages.python_allowlist}
        allowlist.update(normalize_package(p) for team in spec.teams for p in team.python_packages)
        prefixes = spec.packages.internal_prefixes if packages.block_public_internal_names else ()
        return cls(
            org=spec.org,
            stack=pulumi.get_stack(),
            region=spec.region,
            python_mode=packages.python,
            allowlist=tuple(sorted(allowlist)),
            blocklist=tuple(sorted({normalize_package(p) for p in packages.python_blocklist})),
            internal_prefixes=tuple(sorted({normalize_package(p) for p in prefixes})),
            cooldown_days=packages.cooldown_days,
            curation_mode=packages.curation_mode,
            version_policy=spec.stance.stability.versions,
            provider=provider,
            oidc_provider_arn=oidc_provider_arn,
            oidc_issuer=oidc_issuer,
            image_registries=dict(image_registries or {}),
        )

    @property
    def promotes(self) -> bool:
        """Curated mode: a job promotes allowlisted versions into the workbench repository."""
        return self.python_mode == "curated"

    @property
    def controls_origins(self) -> bool:
        return bool(self.internal_prefixes) or (self.python_mode != "proxy" and bool(self.blocklist))

    @property
    def needed(self) -> bool:
        return self.promotes or self.controls_origins

    @property
    def seed_digest(self) -> str:
        """Changes whenever what the seed job would do changes: a new digest is a new Job (first apply, and on change)."""
        facts = "\n".join((*self.allowlist, "--", *self.blocklist, "--", str(self.cooldown_days), self.curation_mode, str(SEED_VERSIONS)))
        return hashlib.sha256(facts.encode()).hexdigest()[:10]


class PackageCurator(pulumi.ComponentResource):
    """Jobs in `package-mirror` that curate the mirror (the AWS CLI image, through the pull-through cache under egress 'mirror').

    - `curated`: a CronJob copies versions from the upstream repository into the workbench repository when they
      are allowlisted (stance allowlist + every team's packages) and older than `cooldown_days`;
      `curation_mode: report` promotes everything and logs what block mode would hold. A one-off seed Job
      (named after a digest of the allowlist, blocklist and cooldown, so it runs on first apply and again on
      every change) requests the newest releases of each allowlisted package through the upstream repository,
      which makes CodeArtifact ingest them, then runs the promoter: day-1 `pip install numpy` works, and a
      version younger than the cooldown is still held. Anything else reaches the upstream only when someone
      requests it through `upstream_index_url` (the human gate).
    - Origin controls (pulumi-aws 7 has no package-group resource, so a CronJob applies them with the AWS CLI):
      internal name prefixes get EXTERNAL_UPSTREAM=BLOCK, PUBLISH=ALLOW when `block_public_internal_names`
      (dependency confusion); blocklisted names are blocked in `block` mode. Versions ingested before a rule
      existed stay until deleted.

    Each CronJob has its own IRSA role: the promoter (and the seed Job, same identity) may read the upstream
    and copy into the workbench repository; the origin job may manage this domain's package groups.
    Every package name is data (the ConfigMap's files); the scripts are package files (`components/files`).
    """

    def __init__(
        self, name: str, args: PackageCuratorArgs, mirror: PackageMirror, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(type_token("mirror", "PackageCurator"), name, None, opts)
        if not args.needed:
            self.register_outputs({})
            return
        if args.provider is None or args.oidc_provider_arn is None or args.oidc_issuer is None or mirror.namespace is None:
            raise ValueError(
                f"python mode {args.python_mode!r} needs curator jobs: pass provider, oidc_provider_arn and oidc_issuer "
                "(and give the PackageMirror the provider)"
            )
        aws_tags = tags(args.org, args.stack)
        self._opts = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[mirror.namespace])
        self._name, self._args = name, args
        self._image = pulled_image(aws_cli_image(args.version_policy), args.image_registries)
        config = k8s.core.v1.ConfigMap(
            child(name, "config"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="curator", namespace=MIRROR_NAMESPACE),
            data={
                "allowlist.txt": "".join(f"{p}\n" for p in args.allowlist),
                "blocklist.txt": "".join(f"{p}\n" for p in args.blocklist),
                "internal-prefixes.txt": "".join(f"{p}\n" for p in args.internal_prefixes),
                **{script: files.read(script) for script in SCRIPTS},
            },
            opts=self._opts,
        )
        self._config_name = config.metadata.name
        env: dict[str, pulumi.Input[str]] = {
            "DOMAIN": mirror.domain_name,
            "DOMAIN_OWNER": mirror.domain_owner,
            "UPSTREAM_REPOSITORY": mirror.upstream_repository_name,
            "WORKBENCH_REPOSITORY": mirror.repository_name,
            "COOLDOWN_DAYS": str(args.cooldown_days),
            "CURATION_MODE": args.curation_mode,
            "AWS_REGION": args.region,
        }
        identity = {"oidc_provider_arn": args.oidc_provider_arn, "oidc_issuer": args.oidc_issuer, "tags": aws_tags, "opts": self._opts}
        if args.promotes:
            statements = [
                *token_statements(mirror.domain_arn),
                {
                    "Sid": "ReadUpstream",
                    "Effect": "Allow",
                    "Action": [
                        "codeartifact:ReadFromRepository",
                        "codeartifact:ListPackages",
                        "codeartifact:ListPackageVersions",
                        "codeartifact:DescribePackageVersion",
                    ],
                    "Resource": [mirror.upstream_arn, packages_of(mirror.upstream_arn)],
                },
                {
                    # CopyPackageVersions needs both the destination repository and its packages (service
                    # authorization reference: resource types repository* and package*).
                    "Sid": "WriteWorkbench",
                    "Effect": "Allow",
                    "Action": ["codeartifact:CopyPackageVersions"],
                    "Resource": [mirror.repository_arn, packages_of(mirror.repository_arn)],
                },
            ]
            account = job_identity(self, child(name, "promote"), "promote", statements=statements, **identity)
            self._cron("promote", account, env, PROMOTE_SCHEDULE, ["/bin/sh", f"{CONFIG_DIR}/promote.sh"])
            seed_env = {**env, "UPSTREAM_INDEX_URL": mirror.upstream_index_url, "SEED_VERSIONS": str(SEED_VERSIONS)}
            self._seed(account, seed_env)
        if args.controls_origins:
            statements = [
                {
                    # CreatePackageGroup takes no resource type (its only condition keys are request tags), so it
                    # cannot be narrowed below "*"; the others take the package-group resource of this domain.
                    "Sid": "CreatePackageGroups",
                    "Effect": "Allow",
                    "Action": ["codeartifact:CreatePackageGroup"],
                    "Resource": ["*"],
                },
                {
                    "Sid": "ManagePackageGroups",
                    "Effect": "Allow",
                    "Action": ["codeartifact:DescribePackageGroup", "codeartifact:UpdatePackageGroupOriginConfiguration"],
                    "Resource": [package_groups_of(mirror.domain_arn)],
                },
            ]
            if args.curation_mode == "report" and args.blocklist:
                statements.append(
                    {
                        "Sid": "ReportBlocklisted",
                        "Effect": "Allow",
                        "Action": ["codeartifact:ListPackageVersions"],
                        "Resource": [packages_of(mirror.upstream_arn), packages_of(mirror.repository_arn)],
                    }
                )
            account = job_identity(self, child(name, "origin-controls"), "origin-controls", statements=statements, **identity)
            self._cron("origin-controls", account, env, ORIGIN_CONTROLS_SCHEDULE, ["/bin/sh", f"{CONFIG_DIR}/origin-controls.sh"])
        self.register_outputs({})

    def _pod(self, job: str, account: k8s.core.v1.ServiceAccount, env: Mapping[str, pulumi.Input[str]], command: list[str]) -> dict[str, Any]:
        return job_pod(
            job,
            service_account=account,
            image=self._image,
            version_policy=self._args.version_policy,
            command=command,
            env=env,
            config_map=self._config_name,
            config_dir=CONFIG_DIR,
        )

    def _cron(self, job: str, account: k8s.core.v1.ServiceAccount, env: Mapping[str, pulumi.Input[str]], schedule: str, command: list[str]) -> None:
        k8s.batch.v1.CronJob(
            child(self._name, job),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"curator-{job}", namespace=MIRROR_NAMESPACE),
            spec={
                "schedule": schedule,
                "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {"spec": {"backoffLimit": 2, "activeDeadlineSeconds": 3000, "template": self._pod(job, account, env, command)}},
            },
            opts=self._opts,
        )

    def _seed(self, account: k8s.core.v1.ServiceAccount, env: Mapping[str, pulumi.Input[str]]) -> None:
        # The seed script skips blocklisted names itself: the origin-controls CronJob may not have run yet.
        script = f"{CONFIG_DIR}/seed-upstream.sh && /bin/sh {CONFIG_DIR}/promote.sh"
        k8s.batch.v1.Job(
            child(self._name, "seed"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"curator-seed-{self._args.seed_digest}",
                namespace=MIRROR_NAMESPACE,
                # Fetching the allowlist from PyPI takes minutes; `pulumi up` does not wait for it (the first
                # installs work once it has finished; `kubectl -n package-mirror logs job/<name>` shows progress).
                annotations={"pulumi.com/skipAwait": "true"},
            ),
            spec={"backoffLimit": 3, "activeDeadlineSeconds": 7200, "template": self._pod("seed", account, env, ["/bin/sh", "-c", f"/bin/sh {script}"])},
            opts=self._opts,
        )
