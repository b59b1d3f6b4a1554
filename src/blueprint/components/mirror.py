"""PackageMirror: a CodeArtifact PyPI mirror curated per the stance, and an honest R repository URL."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..model import BlueprintSpec
from .naming import child, irsa_trust_policy, mirrored_image, physical_name, service_account_subject, tags, type_token

MIRROR_NAMESPACE = "package-mirror"
UPSTREAM_REPOSITORY = "pypi-upstream"
WORKBENCH_REPOSITORY = "workbench"
PYPI_CONNECTION = "public:pypi"

# The curator jobs run the official AWS CLI image. It publishes exact tags and
# `latest` only (no floating minor tag), so "minor" keeps the exact pin and a
# dependency bot moves it; "latest" follows the newest release.
AWS_CLI_IMAGE = "public.ecr.aws/aws-cli/aws-cli"
AWS_CLI_VERSION = "2.22.0"
_IMAGE_TAG = {"exact": AWS_CLI_VERSION, "minor": AWS_CLI_VERSION, "latest": "latest"}

PROMOTE_SCHEDULE = "17 * * * *"
ORIGIN_CONTROLS_SCHEDULE = "*/15 * * * *"
_CONFIG_DIR = "/etc/curator"

# Public CRAN-style repositories, by the stance's R mode. A dated Posit Public
# Package Manager URL freezes CRAN at that day; it does not limit *which*
# packages exist (that needs a curated repository in a Posit Package Manager
# the org runs, i.e. `r_mirror_url`).
_R_PUBLIC = {
    "latest": "https://cloud.r-project.org",
    "snapshot": "https://packagemanager.posit.co/cran/{date}",
    "curated-snapshot": "https://packagemanager.posit.co/cran/{date}",
}

# Static scripts: every package name and prefix is read from the ConfigMap's
# data files, never pasted into shell. Names there are PEP 503-normalised.
PROMOTE_SCRIPT = """\
#!/bin/sh
# Promote PyPI package versions from the upstream repository to the workbench
# repository: only allowlisted names, only versions older than the cooldown.
# curation_mode=report promotes everything and logs what block mode would hold.
set -eu
ca() { aws codeartifact "$@" --domain "$DOMAIN" --domain-owner "$DOMAIN_OWNER"; }
now=$(date -u +%s)
min_age=$((COOLDOWN_DAYS * 86400))
for package in $(ca list-packages --repository "$UPSTREAM_REPOSITORY" --format pypi --query 'packages[].package' --output text); do
  [ "$package" = None ] && continue
  if grep -qxF "$package" /etc/curator/allowlist.txt; then listed=yes; else listed=no; fi
  eligible=""
  for version in $(ca list-package-versions --repository "$UPSTREAM_REPOSITORY" --format pypi --package "$package" --status Published --query 'versions[].version' --output text); do
    [ "$version" = None ] && continue
    published=$(ca describe-package-version --repository "$UPSTREAM_REPOSITORY" --format pypi --package "$package" --package-version "$version" --query 'packageVersion.publishedTime' --output text)
    age=$((now - $(date -u -d "$published" +%s)))
    verdict=""
    if [ "$listed" = no ]; then verdict="not on the allowlist"
    elif [ "$age" -lt "$min_age" ]; then verdict="published less than $COOLDOWN_DAYS days ago"
    fi
    if [ -n "$verdict" ]; then
      if [ "$CURATION_MODE" = block ]; then echo "held: $package $version ($verdict)"; continue; fi
      echo "report: $package $version would be held ($verdict)"
    fi
    eligible="$eligible $version"
  done
  if [ -n "$eligible" ]; then
    # Versions already in the workbench repository come back as failedVersions (ALREADY_EXISTS).
    ca copy-package-versions --source-repository "$UPSTREAM_REPOSITORY" --destination-repository "$WORKBENCH_REPOSITORY" \\
      --format pypi --package "$package" --versions $eligible --query 'keys(successfulVersions)' --output text \\
      | tr '\\t' '\\n' | grep -v '^None$' | sed "s/^/promoted: $package /" || true
  fi
done
"""

ORIGIN_CONTROLS_SCRIPT = """\
#!/bin/sh
# Package origin controls through CodeArtifact package groups (domain-wide, and
# effective for names no repository holds yet):
# - internal name prefixes: publishing allowed, never ingested from public PyPI;
# - blocklisted names: never ingested, never published (curation_mode=block),
#   or only reported where a repository already holds versions (report).
set -eu
ca() { aws codeartifact "$@" --domain "$DOMAIN" --domain-owner "$DOMAIN_OWNER"; }
ensure_group() {
  ca describe-package-group --package-group "$1" >/dev/null 2>&1 \\
    || ca create-package-group --package-group "$1" --description "$3" >/dev/null
  ca update-package-group-origin-configuration --package-group "$1" --restrictions "$2" >/dev/null
  echo "origin controls: $1 $2"
}
while IFS= read -r prefix; do
  [ -n "$prefix" ] || continue
  ensure_group "/pypi//$prefix~" '{"EXTERNAL_UPSTREAM":"BLOCK","INTERNAL_UPSTREAM":"ALLOW","PUBLISH":"ALLOW"}' "internal names: never from public PyPI"
done < /etc/curator/internal-prefixes.txt
while IFS= read -r package; do
  [ -n "$package" ] || continue
  if [ "$CURATION_MODE" = block ]; then
    ensure_group "/pypi//$package\\$" '{"EXTERNAL_UPSTREAM":"BLOCK","INTERNAL_UPSTREAM":"BLOCK","PUBLISH":"BLOCK"}' "blocklisted"
  else
    for repository in "$UPSTREAM_REPOSITORY" "$WORKBENCH_REPOSITORY"; do
      versions=$(ca list-package-versions --repository "$repository" --format pypi --package "$package" --query 'versions[].version' --output text 2>/dev/null || true)
      if [ -n "$versions" ] && [ "$versions" != None ]; then echo "report: blocklisted $package has versions in $repository: $versions"; fi
    done
  fi
done < /etc/curator/blocklist.txt
"""


def normalize_package(name: str) -> str:
    """PEP 503 normalised name, the form CodeArtifact stores and matches."""
    return re.sub(r"[-_.]+", "-", name).lower()


def domain_name_for(org: str, stack: str) -> str:
    """CodeArtifact domain name: `<org>-<stack>`, shortened with a hash past the 50-character limit."""
    return physical_name(org, stack, max_length=50)


def resolve_r_repository(
    mode: str, snapshot_date: str | None, egress: str, egress_allowlist: tuple[str, ...], mirror_url: str | None
) -> tuple[str | None, str]:
    """(CRAN-style URL or None, one honest sentence saying what it is)."""
    if mirror_url:
        return mirror_url, f"org-run CRAN mirror at {mirror_url} (R mode {mode!r} is enforced there, not by this program)"
    public = _R_PUBLIC[mode].format(date=snapshot_date)
    host = urlsplit(public).hostname or ""
    what = "public CRAN" if mode == "latest" else f"public dated snapshot {snapshot_date} (Posit Public Package Manager)"
    if mode == "curated-snapshot":
        what += "; the snapshot date is enforced, package curation is not"
    if egress == "open":
        return public, what
    if egress == "allowlist":
        if any(fnmatchcase(host, pattern) for pattern in egress_allowlist):
            return public, what
        return None, (
            f"no R repository: {host} is not in the stance's egress_allowlist; add it there, "
            "or run a CRAN mirror inside the VPC and set packages.r_mirror_url in blueprint.yaml"
        )
    return None, (
        "no R repository: egress 'mirror' reaches no public CRAN and CodeArtifact has no CRAN format; "
        "run a CRAN mirror inside the VPC (e.g. Posit Package Manager, licensed) and set packages.r_mirror_url in blueprint.yaml"
    )


@dataclass(frozen=True)
class PackageMirrorArgs:
    """Inputs of PackageMirror; build with `from_spec`."""

    org: str
    stack: str
    region: str
    domain_name: str
    python_mode: str
    allowlist: tuple[str, ...]
    blocklist: tuple[str, ...]
    internal_prefixes: tuple[str, ...]
    cooldown_days: int
    curation_mode: str
    version_policy: str
    egress: str
    vpc_cidr: str
    r_repos_url: str | None
    r_status: str
    protect: bool
    kms_key_arn: pulumi.Input[str] | None = None
    provider: k8s.Provider | None = None
    oidc_provider_arn: pulumi.Input[str] | None = None
    oidc_issuer: pulumi.Input[str] | None = None
    reader_role_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    image_registries: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        kms_key_arn: pulumi.Input[str] | None = None,
        provider: k8s.Provider | None = None,
        oidc_provider_arn: pulumi.Input[str] | None = None,
        oidc_issuer: pulumi.Input[str] | None = None,
        reader_role_arns: Mapping[str, pulumi.Input[str]] | None = None,
        image_registries: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> PackageMirrorArgs:
        """`image_registries`: upstream registry -> ECR pull-through cache (`ImageMirror.registries`); the curator
        jobs pull their image through it (empty: straight from ECR Public)."""
        packages = spec.stance.packages
        r_mirror_url = spec.packages.r_mirror_url
        allowlist = {normalize_package(p) for p in packages.python_allowlist}
        allowlist.update(normalize_package(p) for team in spec.teams for p in team.python_packages)
        prefixes = spec.packages.internal_prefixes if packages.block_public_internal_names else ()
        r_url, r_status = resolve_r_repository(
            packages.r,
            packages.r_snapshot_date.isoformat() if packages.r_snapshot_date else None,
            spec.stance.network.egress,
            spec.stance.network.egress_allowlist,
            r_mirror_url,
        )
        return cls(
            org=spec.org,
            stack=spec.stack,
            region=spec.region,
            domain_name=domain_name_for(spec.org, spec.stack),
            python_mode=packages.python,
            allowlist=tuple(sorted(allowlist)),
            blocklist=tuple(sorted({normalize_package(p) for p in packages.python_blocklist})),
            internal_prefixes=tuple(sorted({normalize_package(p) for p in prefixes})),
            cooldown_days=packages.cooldown_days,
            curation_mode=packages.curation_mode,
            version_policy=spec.stance.stability.versions,
            egress=spec.stance.network.egress,
            vpc_cidr=spec.network.vpc_cidr,
            r_repos_url=r_url,
            r_status=r_status,
            protect=spec.stance.storage.protect_stateful,
            kms_key_arn=kms_key_arn,
            provider=provider,
            oidc_provider_arn=oidc_provider_arn,
            oidc_issuer=oidc_issuer,
            reader_role_arns=dict(reader_role_arns or {}),
            image_registries=dict(image_registries or {}),
        )

    @property
    def promotes(self) -> bool:
        """Curated mode: the workbench repository has no upstream; a job promotes allowlisted versions."""
        return self.python_mode == "curated"

    @property
    def controls_origins(self) -> bool:
        return bool(self.internal_prefixes) or (self.python_mode != "proxy" and bool(self.blocklist))

    @property
    def image(self) -> str:
        """The curator image at its upstream (ECR Public)."""
        return f"{AWS_CLI_IMAGE}:{_IMAGE_TAG[self.version_policy]}"

    def pulled_image(self) -> pulumi.Input[str]:
        """The curator image as nodes pull it: through the pull-through cache when there is one."""
        if not self.image_registries:
            return self.image
        image = self.image
        return pulumi.Output.all(**self.image_registries).apply(lambda caches: _through_cache(image, caches))


class PackageMirror(pulumi.ComponentResource):
    """The package mirror users install from.

    Python (built on CodeArtifact, a managed AWS service): a domain (encrypted
    with the stance's CMK when there is one), an upstream repository holding the
    `public:pypi` external connection, and the `workbench` repository users read.

    - `curated`: the workbench repository has no upstream. A CronJob in
      `package-mirror` copies versions from the upstream repository that are
      allowlisted (stance allowlist + every team's packages) and older than
      `cooldown_days`; `curation_mode: report` promotes everything and logs what
      block mode would hold. Versions reach the upstream repository when someone
      requests them through `upstream_index_url` (`pip download --index-url ...`):
      that request step is the human gate; the job never fetches by itself.
    - `proxy-blocklist` / `proxy`: the workbench repository reads through the upstream.
    - Origin controls (pulumi-aws 7 has no package-group resource, so a second
      CronJob applies them with the AWS CLI): internal name prefixes get
      EXTERNAL_UPSTREAM=BLOCK, PUBLISH=ALLOW when `block_public_internal_names`
      (dependency confusion); blocklisted names are blocked in `block` mode.
      Versions ingested before a rule existed stay until deleted.
    Each job has its own IRSA role: the promoter may read the upstream and copy
    into the workbench repository; the origin job may manage this domain's
    package groups (and, in report mode, list versions). Their image (the AWS CLI
    on ECR Public) comes through the ECR pull-through cache when
    `image_registries` has one (egress 'mirror').

    R: CodeArtifact has no CRAN format. `r_repos_url` is a public CRAN or dated
    Posit Public Package Manager snapshot when the stance's egress reaches it,
    the org's own mirror when `r_mirror_url` is given, and None otherwise;
    `r_status` says which, in one sentence.

    Users need a CodeArtifact token to read `pip_index_url` (at most 12 hours):
    each team's IRSA role (`reader_role_arns`) gets the rights to mint one and
    read the workbench repository; the session image must carry a credential
    helper (e.g. the `keyrings.codeartifact` keyring) or run
    `aws codeartifact login --tool pip`.
    """

    pip_index_url: pulumi.Output[str]
    """PyPI simple index of the workbench repository (what users install from)."""
    upstream_index_url: pulumi.Output[str]
    """PyPI simple index of the upstream repository (the request step of curated mode)."""
    r_repos_url: pulumi.Output[str | None]
    """CRAN-style repository URL for `options(repos=...)`, or None when none is reachable."""
    r_repository: str | None
    """The same URL as plain data (known before deployment), or None."""
    r_status: str
    """One sentence on what the R repository is (or why there is none)."""
    domain_name: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    """The workbench repository."""

    def __init__(self, name: str, args: PackageMirrorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("mirror", "PackageMirror"), name, None, opts)
        aws_tags = tags(args.org, args.stack)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect)

        domain = aws.codeartifact.Domain(
            child(name, "domain"),
            domain=args.domain_name,
            encryption_key=args.kms_key_arn,
            tags=aws_tags,
            opts=stateful,
        )
        upstream = aws.codeartifact.Repository(
            child(name, "upstream"),
            domain=domain.domain,
            repository=UPSTREAM_REPOSITORY,
            description="Proxy of public PyPI; users never read it directly.",
            external_connections=aws.codeartifact.RepositoryExternalConnectionsArgs(external_connection_name=PYPI_CONNECTION),
            tags=aws_tags,
            opts=stateful,
        )
        workbench = aws.codeartifact.Repository(
            child(name, "workbench"),
            domain=domain.domain,
            repository=WORKBENCH_REPOSITORY,
            description=f"What workbench sessions install from (python: {args.python_mode}).",
            upstreams=None if args.promotes else [aws.codeartifact.RepositoryUpstreamArgs(repository_name=upstream.repository)],
            tags=aws_tags,
            opts=stateful,
        )

        # The domain lives in the deploying account, so its owner is the caller's account.
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        def index(repository: pulumi.Output[str]) -> pulumi.Output[str]:
            return pulumi.Output.all(domain.domain, account, repository).apply(
                lambda v: f"https://{v[0]}-{v[1]}.d.codeartifact.{args.region}.amazonaws.com/pypi/{v[2]}/simple/"
            )

        self.pip_index_url = index(workbench.repository)
        self.upstream_index_url = index(upstream.repository)
        self.r_repos_url = pulumi.Output.from_input(args.r_repos_url)
        self.r_repository = args.r_repos_url
        self.r_status = args.r_status
        self.domain_name = domain.domain
        self.repository_name = workbench.repository

        for team, role_arn in sorted(args.reader_role_arns.items()):
            # Sessions run as their team's IRSA role; without these rights pip gets 401 from the mirror.
            aws.iam.RolePolicy(
                child(name, "reader", team),
                role=pulumi.Output.from_input(role_arn).apply(lambda arn: arn.rsplit("/", 1)[-1]),
                policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": _reader_statements(domain.arn, workbench.arn)}),
                opts=pulumi.ResourceOptions(parent=self),
            )
        if args.promotes or args.controls_origins:
            self._curator(name, args, domain, account, upstream, workbench, aws_tags)

        self.register_outputs(
            {
                "pip_index_url": self.pip_index_url,
                "upstream_index_url": self.upstream_index_url,
                "r_repos_url": self.r_repos_url,
                "r_status": self.r_status,
                "domain_name": self.domain_name,
                "repository_name": self.repository_name,
            }
        )

    # --- in-cluster curator jobs ------------------------------------------------

    def _curator(
        self,
        name: str,
        args: PackageMirrorArgs,
        domain: aws.codeartifact.Domain,
        account: pulumi.Output[str],
        upstream: aws.codeartifact.Repository,
        workbench: aws.codeartifact.Repository,
        aws_tags: dict[str, str],
    ) -> None:
        if args.provider is None or args.oidc_provider_arn is None or args.oidc_issuer is None:
            raise ValueError(
                f"python mode {args.python_mode!r} needs curator jobs: pass provider, oidc_provider_arn and oidc_issuer"
            )
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        namespace = k8s.core.v1.Namespace(
            child(name, "namespace"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=MIRROR_NAMESPACE,
                labels={
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
            ),
            opts=k8s_opts,
        )
        ns_opts = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace])
        self._network_policies(name, args, ns_opts)
        config = k8s.core.v1.ConfigMap(
            child(name, "curator-config"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="curator", namespace=MIRROR_NAMESPACE),
            data={
                "allowlist.txt": "".join(f"{p}\n" for p in args.allowlist),
                "blocklist.txt": "".join(f"{p}\n" for p in args.blocklist),
                "internal-prefixes.txt": "".join(f"{p}\n" for p in args.internal_prefixes),
                "promote.sh": PROMOTE_SCRIPT,
                "origin-controls.sh": ORIGIN_CONTROLS_SCRIPT,
            },
            opts=ns_opts,
        )
        env = {
            "DOMAIN": domain.domain,
            "DOMAIN_OWNER": account,
            "UPSTREAM_REPOSITORY": upstream.repository,
            "WORKBENCH_REPOSITORY": workbench.repository,
            "COOLDOWN_DAYS": str(args.cooldown_days),
            "CURATION_MODE": args.curation_mode,
            "AWS_REGION": args.region,
        }
        read_upstream = [
            {
                "Sid": "ReadUpstream",
                "Effect": "Allow",
                "Action": [
                    "codeartifact:ReadFromRepository",
                    "codeartifact:ListPackages",
                    "codeartifact:ListPackageVersions",
                    "codeartifact:DescribePackageVersion",
                ],
                "Resource": [upstream.arn, _packages_of(upstream.arn)],
            }
        ]
        if args.promotes:
            statements = [
                *_token_statements(domain.arn),
                *read_upstream,
                {"Sid": "WriteWorkbench", "Effect": "Allow", "Action": ["codeartifact:CopyPackageVersions"], "Resource": [workbench.arn]},
            ]
            self._job(name, "promote", args, statements, env, config, PROMOTE_SCHEDULE, "promote.sh", aws_tags, ns_opts)
        if args.controls_origins:
            statements = [
                {
                    "Sid": "ManagePackageGroups",
                    "Effect": "Allow",
                    "Action": [
                        "codeartifact:CreatePackageGroup",
                        "codeartifact:DescribePackageGroup",
                        "codeartifact:UpdatePackageGroupOriginConfiguration",
                    ],
                    "Resource": [_package_groups_of(domain.arn)],
                }
            ]
            if args.curation_mode == "report" and args.blocklist:
                statements.append(
                    {
                        "Sid": "ReportBlocklisted",
                        "Effect": "Allow",
                        "Action": ["codeartifact:ListPackageVersions"],
                        "Resource": [_packages_of(upstream.arn), _packages_of(workbench.arn)],
                    }
                )
            self._job(
                name, "origin-controls", args, statements, env, config, ORIGIN_CONTROLS_SCHEDULE, "origin-controls.sh", aws_tags, ns_opts
            )

    def _network_policies(self, name: str, args: PackageMirrorArgs, opts: pulumi.ResourceOptions) -> None:
        https_to = (
            [{"ipBlock": {"cidr": args.vpc_cidr}}]
            if args.egress == "mirror"
            else [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]
        )
        k8s.networking.v1.NetworkPolicy(
            child(name, "curator-netpol"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="curator", namespace=MIRROR_NAMESPACE),
            spec={
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                    },
                    {"to": https_to, "ports": [{"port": 443, "protocol": "TCP"}]},
                ],
            },
            opts=opts,
        )

    def _job(
        self,
        name: str,
        job: str,
        args: PackageMirrorArgs,
        statements: list[dict],
        env: dict[str, pulumi.Input[str]],
        config: k8s.core.v1.ConfigMap,
        schedule: str,
        script: str,
        aws_tags: dict[str, str],
        opts: pulumi.ResourceOptions,
    ) -> None:
        account = f"curator-{job}"
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
            lambda v: json.dumps(irsa_trust_policy(v[0], v[1], [service_account_subject(MIRROR_NAMESPACE, account)]))
        )
        role = aws.iam.Role(
            child(name, job, "role"),
            description=f"IRSA role of the package mirror's {job} job.",
            assume_role_policy=trust,
            tags=aws_tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            child(name, job, "policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        service_account = k8s.core.v1.ServiceAccount(
            child(name, job, "sa"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=account, namespace=MIRROR_NAMESPACE, annotations={"eks.amazonaws.com/role-arn": role.arn}
            ),
            automount_service_account_token=False,
            opts=opts,
        )
        container = {
            "name": job,
            "image": args.pulled_image(),
            "imagePullPolicy": "Always" if args.version_policy == "latest" else "IfNotPresent",
            "command": ["/bin/sh", f"{_CONFIG_DIR}/{script}"],
            "env": [{"name": k, "value": v} for k, v in {**env, "HOME": "/tmp"}.items()],
            "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 65534,
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "volumeMounts": [{"name": "config", "mountPath": _CONFIG_DIR, "readOnly": True}, {"name": "tmp", "mountPath": "/tmp"}],
        }
        k8s.batch.v1.CronJob(
            child(name, job),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=account, namespace=MIRROR_NAMESPACE),
            spec={
                "schedule": schedule,
                "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {
                    "spec": {
                        "backoffLimit": 2,
                        "activeDeadlineSeconds": 3000,
                        "template": {
                            "metadata": {"labels": {"app.kubernetes.io/name": account}},
                            "spec": {
                                "serviceAccountName": service_account.metadata.name,
                                "restartPolicy": "Never",
                                "containers": [container],
                                "volumes": [
                                    {"name": "config", "configMap": {"name": config.metadata.name, "defaultMode": 0o444}},
                                    {"name": "tmp", "emptyDir": {}},
                                ],
                            },
                        },
                    }
                },
            },
            opts=opts,
        )


def _through_cache(image: str, caches: Mapping[str, str]) -> str:
    mirrored = mirrored_image(image, caches)
    if mirrored is None:
        raise ValueError(f"no pull-through cache serves {image}; with egress 'mirror' nodes could not pull it")
    return mirrored


def _token_statements(domain_arn: pulumi.Input[str]) -> list[dict]:
    return [
        {"Sid": "Token", "Effect": "Allow", "Action": ["codeartifact:GetAuthorizationToken"], "Resource": [domain_arn]},
        {
            "Sid": "BearerToken",
            "Effect": "Allow",
            "Action": ["sts:GetServiceBearerToken"],
            "Resource": ["*"],
            "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}},
        },
    ]


def _reader_statements(domain_arn: pulumi.Input[str], repository_arn: pulumi.Input[str]) -> list[dict]:
    """Read the workbench repository, nothing else: what a session's pip needs."""
    return [
        *_token_statements(domain_arn),
        {
            "Sid": "ReadWorkbench",
            "Effect": "Allow",
            "Action": ["codeartifact:ReadFromRepository", "codeartifact:GetRepositoryEndpoint"],
            "Resource": [repository_arn],
        },
    ]


def _packages_of(repository_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """`arn:...:repository/<domain>/<repo>` -> `arn:...:package/<domain>/<repo>/*`."""
    return pulumi.Output.from_input(repository_arn).apply(lambda arn: arn.replace(":repository/", ":package/", 1) + "/*")


def _package_groups_of(domain_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """`arn:...:domain/<domain>` -> `arn:...:package-group/<domain>/*`."""
    return pulumi.Output.from_input(domain_arn).apply(lambda arn: arn.replace(":domain/", ":package-group/", 1) + "/*")
