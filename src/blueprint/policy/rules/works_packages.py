"""Works rules for packages: a session's pip and R reach the mirror the program builds, for the session's whole life."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig, k8s_name, k8s_namespace, stack_urn
from .packages import workbench_repositories
from .workbench import is_jupyterhub

rules = RuleSet()

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
# The private R repository's package list: the object the curator builds from (components/r_repository.py).
R_PACKAGE_LIST = "/packages.txt"
# GetAuthorizationToken's durationSeconds maximum (12 h).
MAX_TOKEN_SECONDS = 43200
_URL = re.compile(r"https?://[^\s\"'(),]+")
S3_HOST = re.compile(r"^(?P<bucket>[a-z0-9.-]+)\.s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com$")


def pep503(name: str) -> str:
    """PEP 503 normalised package name: what CodeArtifact stores and the curator's allowlist holds."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pod_spec(workload: Resource) -> Mapping[str, Any]:
    spec = dig(workload.inputs, "spec", "jobTemplate", "spec", "template", "spec") if workload.type == T.CRON_JOB else dig(workload.inputs, "spec", "template", "spec")
    return spec if isinstance(spec, Mapping) else {}


def pod_env(workload: Resource) -> dict[str, Any]:
    return {e.get("name"): e.get("value") for c in as_list(pod_spec(workload).get("containers")) for e in as_list(c.get("env")) if isinstance(e, Mapping)}


def config_map_of(graph: ResourceGraph, workload: Resource) -> Mapping[str, Any]:
    names = {dig(v, "configMap", "name") for v in as_list(pod_spec(workload).get("volumes")) if isinstance(v, Mapping)}
    for config in graph.of_type(CONFIG_MAP):
        if k8s_name(config) in names and k8s_namespace(config) == k8s_namespace(workload):
            data = config.inputs.get("data")
            return data if isinstance(data, Mapping) else {}
    return {}


def _team_namespaces(graph: ResourceGraph, ctx: Context) -> list[str]:
    labelled = sorted({str(k8s_name(n)) for n in graph.of_type(T.NAMESPACE) if dig(n.inputs, "metadata", "labels", T.TEAM_LABEL)})
    return labelled or [t.name for t in ctx.teams]


def _refreshers(graph: ResourceGraph) -> list[Resource]:
    """Jobs and CronJobs that write a pip config Secret: the token refresher's shape (SECRET_NAME, INDEX_URL, TOKEN_SECONDS)."""
    return [w for token in (T.CRON_JOB, T.JOB) for w in graph.of_type(token) if {"SECRET_NAME", "INDEX_URL", "TOKEN_SECONDS"} <= set(pod_env(w))]


def _hour_step(schedule: str) -> int | None:
    """Hours between runs of a cron schedule `M */N * * *` (or `M * * * *`: 1); None for anything else."""
    fields = schedule.split()
    if len(fields) != 5 or not fields[0].isdigit() or fields[2:] != ["*", "*", "*"]:
        return None
    if fields[1] == "*":
        return 1
    match = re.fullmatch(r"\*/(\d+)", fields[1])
    return int(match.group(1)) if match else None


def _grants_patch(graph: ResourceGraph, binding: Resource, secret: str) -> bool:
    ref = binding.inputs.get("roleRef") or {}
    roles = graph.of_type(CLUSTER_ROLE) if ref.get("kind") == "ClusterRole" else [r for r in graph.of_type(ROLE) if k8s_namespace(r) == k8s_namespace(binding)]
    for role in roles:
        if k8s_name(role) != ref.get("name"):
            continue
        for rule in as_list(role.inputs.get("rules")):
            if "secrets" in as_list(rule.get("resources")) and "patch" in as_list(rule.get("verbs")):
                names = as_list(rule.get("resourceNames"))
                if not names or secret in names:
                    return True
    return False


@rules.graph(
    "works.packages.pip-config-reachable",
    concern=Concern.USER_EXPERIENCE,
    severity=Severity.HIGH,
    controls=(),
    types=(CONFIG_MAP, CLUSTER_ROLE, ROLE_BINDING, T.CODEARTIFACT_REPOSITORY, T.CRON_JOB, T.HELM_RELEASE, T.JOB, T.NAMESPACE),
    description="Every team namespace gets a pip config Secret pointing at the session mirror, written at apply time and refreshed before its token expires.",
    family="works",
)
def pip_config_reachable(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    repositories = workbench_repositories(graph)
    if not repositories:
        return
    refreshers = _refreshers(graph)
    crons = [w for w in refreshers if w.type == T.CRON_JOB]
    jobs = [w for w in refreshers if w.type == T.JOB and "skipAwait" not in json.dumps(dig(w.inputs, "metadata", "annotations") or {})]
    if not crons or not jobs:
        missing = "a CronJob that refreshes it" if not crons else "a Job at apply time that `pulumi up` waits for"
        yield Finding(
            f"no pip config source for sessions: {missing} is missing, so pip has no CodeArtifact token "
            "(401 from the mirror); add the PipTokenRefresher (components/pip_token.py)",
            stack_urn(graph),
        )
        return
    wanted = [(str(r.inputs.get("domain")), f"/pypi/{r.inputs.get('repository')}/simple/") for r in repositories]
    namespaces = _team_namespaces(graph, ctx)
    bindings_in: dict[str | None, list[Resource]] = {}  # one pass, not one per team namespace (200 teams: 40 x faster)
    for binding in graph.of_type(ROLE_BINDING):
        bindings_in.setdefault(k8s_namespace(binding), []).append(binding)
    for workload in (*crons, *jobs):
        env = pod_env(workload)
        index, secret = str(env["INDEX_URL"]), str(env["SECRET_NAME"])
        host = urlsplit(index).hostname or ""
        if not any(host.startswith(f"{domain}-") and index.endswith(path) for domain, path in wanted):
            yield Finding(f"{workload.name} writes a pip config for {index}, not the repository sessions install from ({wanted[0][1]})", workload.urn)
        seconds = int(float(env["TOKEN_SECONDS"])) if str(env["TOKEN_SECONDS"]).replace(".", "", 1).isdigit() else 0
        if not 900 <= seconds <= MAX_TOKEN_SECONDS:
            yield Finding(f"{workload.name} asks for a {env['TOKEN_SECONDS']}-second token; CodeArtifact allows 900 to {MAX_TOKEN_SECONDS}", workload.urn)
        if workload.type == T.CRON_JOB:
            step = _hour_step(str(dig(workload.inputs, "spec", "schedule", default="")))
            if step is None or step * 3600 * 2 > seconds:
                yield Finding(
                    f"{workload.name} runs on {dig(workload.inputs, 'spec', 'schedule')!r}: a token of {seconds} s is not refreshed at least "
                    "twice in its life, so one failed run leaves sessions with an expired token",
                    workload.urn,
                )
        listed = str(config_map_of(graph, workload).get("namespaces.txt", "")).split()
        account, home = pod_spec(workload).get("serviceAccountName"), k8s_namespace(workload)
        for namespace in namespaces:
            if namespace not in listed:
                yield Finding(f"{workload.name} does not write {secret} in team namespace {namespace}: add it to its namespaces.txt", workload.urn)
            bound = [
                b
                for b in bindings_in.get(namespace, ())
                if any(s.get("kind") == "ServiceAccount" and s.get("name") == account and s.get("namespace") == home for s in as_list(b.inputs.get("subjects")))
                and _grants_patch(graph, b, secret)
            ]
            if not bound:
                yield Finding(
                    f"{workload.name} may not write Secret {secret} in team namespace {namespace} (no RoleBinding there grants "
                    f"{home}/{account} patch on it): that team's sessions get no pip config",
                    workload.urn,
                )


def r_urls(graph: ResourceGraph) -> list[tuple[str, Resource]]:
    """R repository URLs sessions are configured with: WORKBENCH_CRAN_URL in the hub's values, and URLs in any
    ConfigMap's Rprofile (`options(repos = ...)`)."""
    found: list[tuple[str, Resource]] = []

    def walk(value: Any, where: Resource) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == "WORKBENCH_CRAN_URL" and isinstance(item, str):
                    found.append((item, where))
                elif isinstance(item, Mapping) and item.get("name") == "WORKBENCH_CRAN_URL" and isinstance(item.get("value"), str):
                    found.append((item["value"], where))
                else:
                    walk(item, where)
        elif isinstance(value, list):
            for item in value:
                walk(item, where)

    for release in graph.of_type(T.HELM_RELEASE):
        if is_jupyterhub(release):
            walk(release.inputs.get("values"), release)
    for config in graph.of_type(CONFIG_MAP):
        for text in (config.inputs.get("data") or {}).values():
            if isinstance(text, str) and "options(repos" in text:
                found.extend((url, config) for url in _URL.findall(text))
    return found


def _vpc_readable(graph: ResourceGraph, bucket: str, path: str) -> str | None:
    """None when an S3 bucket policy lets unsigned GETs under `path` from a VPC that has an S3 gateway endpoint; else why not."""
    gateways = {str(e.inputs.get("vpcId")) for e in graph.of_type(T.VPC_ENDPOINT) if e.inputs.get("vpcEndpointType") == "Gateway" and str(e.inputs.get("serviceName", "")).endswith(".s3")}
    gateway_ids = {e.urn for e in graph.of_type(T.VPC_ENDPOINT) if e.inputs.get("vpcEndpointType") == "Gateway"}
    for policy in graph.of_type(T.BUCKET_POLICY):
        try:
            document = json.loads(policy.inputs.get("policy") or "{}")
        except (TypeError, ValueError):
            continue
        for statement in as_list(document.get("Statement")):
            resources = [str(r) for r in as_list(statement.get("Resource"))]
            if statement.get("Effect") != "Allow" or statement.get("Principal") not in ("*", {"AWS": "*"}):
                continue
            if "s3:GetObject" not in as_list(statement.get("Action")):
                continue
            if not any(fnmatchcase(f"arn:aws:s3:::{bucket}/{path.strip('/')}/src/contrib/PACKAGES", r) for r in resources):
                continue
            condition = (statement.get("Condition") or {}).get("StringEquals") or {}
            if str(condition.get("aws:SourceVpc")) in gateways or (condition.get("aws:SourceVpce") and gateway_ids):
                return None
            return f"bucket {bucket}'s policy admits reads from {condition or 'anywhere'}, not from a VPC with an S3 gateway endpoint"
    return f"no bucket policy lets sessions read s3://{bucket}/{path.strip('/')}/ without signing (R cannot sign requests)"


@rules.graph(
    "works.packages.r-repository",
    concern=Concern.USER_EXPERIENCE,
    severity=Severity.HIGH,
    controls=(),
    types=(CONFIG_MAP, T.BUCKET_POLICY, T.HELM_RELEASE, T.VPC_ENDPOINT),
    description="Sessions' R repository is one the stance's egress reaches: an allowed public host, the org's mirror, or a VPC-readable S3 repository.",
    family="works",
)
def r_repository(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    if not any(is_jupyterhub(r) for r in graph.of_type(T.HELM_RELEASE)):
        return
    urls = r_urls(graph)
    if not urls:
        yield Finding(
            "sessions have no R repository: install.packages() fails in every stance that R users need; "
            "configure the RRepository's URL in the session's Rprofile",
            stack_urn(graph),
        )
        return
    network = ctx.stance.network
    org_mirror = ctx.spec.packages.r_mirror_url if ctx.spec else None
    for url, where in urls:
        host = urlsplit(url).hostname or ""
        s3 = S3_HOST.match(host)
        if org_mirror and url.rstrip("/") == str(org_mirror).rstrip("/"):
            continue
        if s3:
            problem = _vpc_readable(graph, s3.group("bucket"), urlsplit(url).path)
            if problem:
                yield Finding(f"R repository {url}: {problem}", where.urn)
        elif network.egress == "open":
            continue
        elif network.egress == "allowlist" and any(fnmatchcase(host, p) for p in network.egress_allowlist):
            continue
        else:
            yield Finding(
                f"R repository {url}: egress {network.egress!r} does not reach {host}, so install.packages() hangs and fails; "
                "add the host to network.egress_allowlist or use the program's private R repository",
                where.urn,
            )


@rules.graph(
    "works.packages.day-one-allowlist",
    concern=Concern.USER_EXPERIENCE,
    severity=Severity.MEDIUM,
    controls=("packages.python_allowlist", "packages.r_allowlist"),
    types=(BUCKET_OBJECT, CONFIG_MAP, T.HELM_RELEASE, T.JOB),
    description="A curated mirror is filled on first apply: a seed Job requests and promotes every allowlisted Python package; a private R repository lists every R one.",
    family="works",
)
def day_one_allowlist(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    packages = ctx.stance.packages
    if packages.python == "curated" and workbench_repositories(graph):
        wanted = {pep503(p) for p in packages.python_allowlist} | {pep503(p) for t in ctx.teams for p in t.python_packages}
        seeds = [j for j in graph.of_type(T.JOB) if "UPSTREAM_INDEX_URL" in pod_env(j)]
        if not seeds:
            yield Finding(
                "curated Python mirror with no seed Job: the workbench repository starts empty and day-1 `pip install numpy` fails; "
                "the PackageCurator's seed Job requests the allowlist on first apply",
                stack_urn(graph),
            )
        for seed in seeds:
            command = " ".join(str(c) for c in as_list(dig(pod_spec(seed), "containers", 0, "command")))
            if "promote" not in command:
                yield Finding(f"{seed.name} requests packages but never promotes them into the workbench repository", seed.urn)
            listed = set(str(config_map_of(graph, seed).get("allowlist.txt", "")).split())
            if missing := sorted(wanted - listed):
                yield Finding(f"{seed.name} does not request {', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}: add them to its allowlist", seed.urn)
    r_wanted = set(packages.r_allowlist) | {p for t in ctx.teams for p in t.r_packages}
    for url, where in r_urls(graph):
        s3 = S3_HOST.match(urlsplit(url).hostname or "")
        if not s3:
            continue
        lists = [o for o in graph.of_type(BUCKET_OBJECT) if o.inputs.get("bucket") == s3.group("bucket") and f"/{o.inputs.get('key', '')}".endswith(R_PACKAGE_LIST)]
        listed = {line.strip() for o in lists for line in str(o.inputs.get("content", "")).splitlines() if line.strip() and not line.startswith("#")}
        if missing := sorted(r_wanted - listed):
            yield Finding(
                f"the private R repository {url} will not hold {', '.join(missing)}: a team asked for them but the curator's package list "
                "lacks them, so install.packages() finds nothing",
                (lists[0] if lists else where).urn,
            )


RULES = tuple(rules.rules)
