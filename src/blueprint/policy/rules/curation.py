"""Package curation rules: the mirror's curator jobs and the R repository hold what the stance says (incorrect-work).

The curator jobs (components/curator.py) read their settings from their environment and their lists from the
`curator` ConfigMap; sessions' R reads the one repository URL the hub writes into their Rprofile.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from ...model import Concern
from ...model.stance import META
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig, stack_urn
from .works_packages import S3_HOST, config_map_of, pep503, pod_env, pod_spec, r_urls

rules = RuleSet()

MIRROR_NAMESPACE = "package-mirror"
PROMOTE_SCRIPT = "promote.sh"
ORIGIN_SCRIPT = "origin-controls.sh"
# Where a dated CRAN snapshot lives (Posit Package Manager's layout, `.../cran/<YYYY-MM-DD>`).
_DATED = re.compile(r"/cran/(?P<date>\d{4}-\d{2}-\d{2})/?$")


def _command(workload: Resource) -> str:
    return " ".join(str(part) for container in as_list(pod_spec(workload).get("containers")) for part in as_list(container.get("command")))


def _curator_jobs(graph: ResourceGraph) -> list[Resource]:
    """Jobs and CronJobs in the mirror's namespace that carry the curator's settings."""
    jobs = [*graph.of_type(T.CRON_JOB), *graph.of_type(T.JOB)]
    return [j for j in jobs if dig(j.inputs, "metadata", "namespace") == MIRROR_NAMESPACE and "CURATION_MODE" in pod_env(j)]


@rules.graph(
    "packages.curation-cooldown",
    concern=Concern.INCORRECT_WORK,
    severity=Severity.HIGH,
    controls=("packages.cooldown_days",),
    types=(T.CRON_JOB, T.JOB),
    applies=lambda ctx: ctx.stance.packages.python == "curated" and ctx.stance.packages.cooldown_days > 0,
    description="With curated Python packages, a promoter job copies only releases older than the stance's cooldown into the workbench repository.",
)
def curation_cooldown(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    wanted = ctx.stance.packages.cooldown_days
    jobs = _curator_jobs(graph)
    # The seed Job promotes once, on apply; only a CronJob keeps holding releases that appear later.
    if not any(PROMOTE_SCRIPT in _command(j) for j in jobs if j.type == T.CRON_JOB):
        yield Finding(
            f"no curator CronJob runs {PROMOTE_SCRIPT}: nothing holds new releases for the stance's {wanted}-day cooldown "
            "before they reach the workbench repository (the PackageCurator's promote CronJob does)",
            stack_urn(graph),
        )
    for job in jobs:
        value = pod_env(job).get("COOLDOWN_DAYS")
        try:
            days = int(str(value))
        except ValueError:
            yield Finding(f"COOLDOWN_DAYS is {value!r}, not a number of days; the stance wants {wanted}", job.urn)
            continue
        if days < wanted:
            yield Finding(f"COOLDOWN_DAYS is {days}: releases younger than the stance's {wanted} days would be admitted", job.urn)


@rules.resource(
    "packages.curation-mode",
    concern=Concern.INCORRECT_WORK,
    severity=Severity.HIGH,
    controls=("packages.curation_mode",),
    types=(T.CRON_JOB, T.JOB),
    applies=lambda ctx: ctx.stance.packages.curation_mode == "block",
    description="Curator jobs block what the stance blocks: their CURATION_MODE is 'block', never the dry-run 'report'.",
)
def curation_mode(job: Resource, ctx: Context) -> Iterator[str]:
    if dig(job.inputs, "metadata", "namespace") != MIRROR_NAMESPACE:
        return
    mode = pod_env(job).get("CURATION_MODE")
    ranking = META["packages.curation_mode"].ranking
    if mode is not None and (mode not in ranking or ranking.index(mode) > ranking.index(ctx.stance.packages.curation_mode)):
        yield f"CURATION_MODE is {mode!r}: the job only reports what the stance's {ctx.stance.packages.curation_mode!r} mode must block"


@rules.graph(
    "packages.internal-names-blocked",
    concern=Concern.INCORRECT_WORK,
    severity=Severity.HIGH,
    controls=("packages.block_public_internal_names",),
    types=(T.CONFIG_MAP, T.CRON_JOB),
    applies=lambda ctx: ctx.stance.packages.block_public_internal_names,
    description="The org's internal package name prefixes are blocked from public PyPI (dependency confusion) by the origin-controls job.",
)
def internal_names_blocked(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    wanted = {pep503(p) for p in ctx.spec.packages.internal_prefixes} if ctx.spec else set()
    if not wanted:
        return  # blueprint.yaml names no internal prefixes (packages.internal_prefixes): nothing to block
    jobs = [j for j in graph.of_type(T.CRON_JOB) if dig(j.inputs, "metadata", "namespace") == MIRROR_NAMESPACE and ORIGIN_SCRIPT in _command(j)]
    if not jobs:
        yield Finding(
            f"no origin-controls job: internal names {', '.join(sorted(wanted))} can still be fetched from public PyPI, "
            "where anyone can publish them (dependency confusion)",
            stack_urn(graph),
        )
    for job in jobs:
        listed = set(str(config_map_of(graph, job).get("internal-prefixes.txt", "")).split())
        if missing := sorted(wanted - listed):
            yield Finding(f"{job.name} does not block {', '.join(missing)} from public PyPI: its internal-prefixes.txt lacks them", job.urn)


def _curator_snapshot(graph: ResourceGraph, bucket: str) -> str | None:
    """The SNAPSHOT_URL of the CodeBuild project that fills the private R repository in `bucket`."""
    for project in graph.of_type(T.CODEBUILD_PROJECT):
        if dig(project.inputs, "artifacts", "location") == bucket:
            variables = as_list(dig(project.inputs, "environment", "environmentVariables"))
            return next((str(v.get("value")) for v in variables if isinstance(v, dict) and v.get("name") == "SNAPSHOT_URL"), "")
    return None


@rules.graph(
    "packages.r-snapshot",
    concern=Concern.INCORRECT_WORK,
    severity=Severity.MEDIUM,
    controls=("packages.r", "packages.r_snapshot_date"),
    types=(T.CODEBUILD_PROJECT, T.CONFIG_MAP, T.HELM_RELEASE),
    applies=lambda ctx: ctx.stance.packages.r != "latest",
    description="Sessions' R installs from the stance's dated CRAN snapshot, and with 'curated-snapshot' only from the program's private repository of allowlisted packages.",
)
def r_snapshot(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    packages = ctx.stance.packages
    date = packages.r_snapshot_date.isoformat() if packages.r_snapshot_date else "?"
    org_mirror = str(ctx.spec.packages.r_mirror_url).rstrip("/") if ctx.spec and ctx.spec.packages.r_mirror_url else None
    for url, where in r_urls(graph):
        if org_mirror and url.rstrip("/") == org_mirror:
            continue  # the org runs it; its snapshot policy is enforced there (see packages.r's why)
        s3 = S3_HOST.match(urlsplit(url).hostname or "")
        if s3:
            source = _curator_snapshot(graph, s3.group("bucket"))
            if source is None:
                yield Finding(f"R repository {url}: no curator fills it from a dated snapshot, so what it serves is unknown", where.urn)
                continue
            url, what = source, f"the private R repository is filled from {source}"
        else:
            what = f"R repository {url}"
            if packages.r == "curated-snapshot":
                yield Finding(
                    f"{what} serves every CRAN package of the snapshot, but 'curated-snapshot' admits only the allowlist; "
                    "use the program's private repository (egress that reaches no public CRAN), or set packages.r: snapshot",
                    where.urn,
                )
        dated = _DATED.search(url)
        if dated is None:
            yield Finding(f"{what}, which is not a dated snapshot: the stance pins CRAN at {date}", where.urn)
        elif dated.group("date") != date:
            yield Finding(f"{what}, a snapshot of {dated.group('date')}; the stance pins CRAN at {date}", where.urn)


RULES = tuple(rules.rules)
