"""JupyterHub rules, read from the Helm release's values: no root in sessions, idle culling."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ...charts.z2jh import is_jupyterhub_chart
from ...model import Concern
from ...preview.graph import Resource
from .. import tokens as T
from ..base import Context, RuleSet, Severity, as_list, dig, known
from .network import is_world

rules = RuleSet()
TRUE_WORDS = ("yes", "true", "1")
CHART_DEFAULT_CULL_SECONDS = 3600
UNREADABLE = (
    "the chart values are one opaque value (a secret or unknown as a whole), so {what} cannot be checked; "
    "keep only the secret leaves secret"
)


def is_jupyterhub(release: Resource) -> bool:
    return is_jupyterhub_chart(release.inputs.get("chart"))


def _values(release: Resource) -> Mapping[str, Any] | None:
    values = release.inputs.get("values")
    return values if isinstance(values, Mapping) else None


def root_grants(settings: Mapping[str, Any], where: str, *, spawner: bool) -> Iterator[str]:
    """Root/sudo grants in chart `singleuser` values (spawner=False) or KubeSpawner settings (spawner=True)."""
    keys = ("environment", "allow_privilege_escalation", "container_security_context") if spawner else ("extraEnv", "allowPrivilegeEscalation", None)
    env_key, escalation_key, context_key = keys
    if settings.get("uid") == 0:
        yield f"{where}.uid is 0 (sessions run as root)"
    environment = settings.get(env_key) or {}
    if isinstance(environment, Mapping):
        grant = environment.get("GRANT_SUDO")
        grant = grant.get("value") if isinstance(grant, Mapping) else grant
        if str(grant).lower() in TRUE_WORDS:
            yield f"{where}.{env_key}.GRANT_SUDO grants sudo"
        if str(environment.get("NB_UID", "")) == "0":
            yield f"{where}.{env_key}.NB_UID is 0"
    if settings.get(escalation_key) is True:
        yield f"{where}.{escalation_key} is true"
    if context_key:
        security = settings.get(context_key) or {}
        if isinstance(security, Mapping) and (security.get("runAsUser") == 0 or security.get("privileged") is True):
            yield f"{where}.{context_key} runs as user 0 or privileged"


def _team_entries(values: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Per-team routing data the hub reads (`custom.workbench.teams`): each team's namespace and profiles."""
    teams = dig(values, "custom", "workbench", "teams")
    return [t for t in as_list(teams) if isinstance(t, Mapping)]


@rules.resource(
    "sessions.no-root",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.CRITICAL,
    controls=("compute.sessions.root_allowed",),
    types={T.HELM_RELEASE},
    applies=lambda ctx: not all(t.root_allowed for t in ctx.teams),
    description="JupyterHub sessions never run as root or get sudo, except in the profiles of a team the stance (or an overlay) allows it.",
)
def no_root(release: Resource, ctx: Context) -> Iterator[str]:
    if not is_jupyterhub(release):
        return
    values = _values(release)
    if values is None:
        yield UNREADABLE.format(what="root settings")
        return
    denied = sorted(t.name for t in ctx.teams if not t.root_allowed)
    everyone = f"teams {', '.join(denied)} may not run as root"
    for grant in root_grants(values.get("singleuser") or {}, "singleuser", spawner=False):
        yield f"{grant}; {everyone}"
    for grant in root_grants(dig(values, "hub", "config", "KubeSpawner") or {}, "hub.config.KubeSpawner", spawner=True):
        yield f"{grant}; {everyone}"
    for i, profile in enumerate(as_list(dig(values, "singleuser", "profileList"))):
        override = profile.get("kubespawner_override") if isinstance(profile, Mapping) else None
        if isinstance(override, Mapping):
            for grant in root_grants(override, f"singleuser.profileList[{i}].kubespawner_override", spawner=True):
                yield f"{grant}; {everyone}"
    for i, entry in enumerate(_team_entries(values)):
        team = ctx.team(str(entry.get("name")))
        if team is not None and team.root_allowed:
            continue
        for j, profile in enumerate(as_list(entry.get("profiles"))):
            override = profile.get("kubespawner_override") if isinstance(profile, Mapping) else None
            if isinstance(override, Mapping):
                where = f"custom.workbench.teams[{i}].profiles[{j}].kubespawner_override"
                for grant in root_grants(override, where, spawner=True):
                    yield f"{grant}; team {entry.get('name')} may not run as root"


@rules.resource(
    "sessions.idle-culling",
    concern=Concern.RESOURCE_HIJACKING,
    severity=Severity.MEDIUM,
    controls=("compute.sessions.idle_timeout_minutes",),
    types={T.HELM_RELEASE},
    description="Idle servers are culled no later than every team's idle timeout (the chart runs one culler for the hub).",
)
def idle_culling(release: Resource, ctx: Context) -> Iterator[str]:
    if not is_jupyterhub(release):
        return
    values = _values(release)
    if values is None:
        yield UNREADABLE.format(what="culling")
        return
    cull = values.get("cull") or {}
    if cull.get("enabled") is False:
        yield "cull.enabled is false: idle servers run (and cost) forever"
        return
    shortest = min(ctx.teams, key=lambda t: t.idle_timeout_minutes, default=None)
    limit = (shortest.idle_timeout_minutes if shortest else ctx.stance.compute.sessions.idle_timeout_minutes) * 60
    whose = f"team {shortest.name}'s idle timeout" if shortest else "the stance's idle timeout"
    timeout = cull.get("timeout", CHART_DEFAULT_CULL_SECONDS)
    if known(timeout) and isinstance(timeout, (int, float)) and timeout > limit:
        yield f"cull.timeout is {timeout} s; {whose} is {limit} s"


LB_PREFIX = "service.beta.kubernetes.io/aws-load-balancer-"


@rules.resource(
    "network.hub-ingress-internal",
    concern=Concern.DATA_THEFT_OUTSIDER,
    severity=Severity.CRITICAL,
    controls=("network.ingress",),
    types={T.HELM_RELEASE},
    applies=lambda ctx: ctx.stance.network.ingress == "internal",
    description="With ingress 'internal' the hub's load balancer is internal and admits only listed source ranges.",
)
def hub_ingress_internal(release: Resource, ctx: Context) -> Iterator[str]:
    if not is_jupyterhub(release):
        return
    values = _values(release)
    if values is None:
        yield UNREADABLE.format(what="the load balancer scheme")
        return
    service = dig(values, "proxy", "service") or {}
    if service.get("type", "LoadBalancer") == "LoadBalancer":
        # EKS's service controller makes an internal load balancer for any value but "false".
        internal = dig(service, "annotations", f"{LB_PREFIX}internal")
        if internal in (None, "", "false"):
            yield f"proxy.service annotation {LB_PREFIX}internal is {internal!r}, not 'true': the hub would face the internet"
        ranges = as_list(service.get("loadBalancerSourceRanges"))
        if not ranges:
            yield "proxy.service.loadBalancerSourceRanges is empty, which admits 0.0.0.0/0"
        world = [r for r in ranges if is_world(r)]
        if world:
            yield f"proxy.service.loadBalancerSourceRanges includes {', '.join(world)}"


RULES = tuple(rules.rules)
