"""Zero to JupyterHub Helm values as pure data: plain values in, a values dict out, validated offline."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..charts.z2jh import CHART_NAME, CHART_REPO, CHART_VERSION, chart_images
from ..model import BlueprintSpec
from ..model.stance import Profile
from ..model.units import parse_quantity
from .naming import EBS_STORAGE_CLASS, mirrored_image, split_image, team_namespace, team_service_account

# The chart (version, files, defaults, schema) is `blueprint.charts.z2jh`.
__all__ = ["CHART_NAME", "CHART_REPO"]
RELEASE_NAME = "jupyterhub"
JUPYTERHUB_NAMESPACE = "jupyterhub"
# With the chart's default `fullnameOverride: ""` its objects carry bare names.
HUB_SERVICE_ACCOUNT = "hub"
HUB_API_PORT = 8081
SINGLEUSER_PORT = 8888
SINGLEUSER_COMPONENT = "singleuser-server"
USER_UID = 1000
USERS_GID = 100
EFS_STORAGE_CLASS = "efs-homes"
GPU_RESOURCE = "nvidia.com/gpu"
PIP_CONF_PATH = "/etc/workbench/pip.conf"
RPROFILE_PATH = "/etc/workbench/Rprofile.site"
CUSTOM_KEY = "workbench"
TEAM_ROUTING_KEY = "workbench-teams"

_VERSION_CONSTRAINT = {"exact": "{v}", "minor": "~{v}", "latest": "^{v}"}


def chart_version(policy: str) -> str:
    """Helm version constraint for the chart under a stance's version policy (exact, minor, latest)."""
    return _VERSION_CONSTRAINT[policy].format(v=CHART_VERSION)


# Static code, run by the hub in jupyterhub_config.py. It never contains a team,
# group or org string: every such value is data under `custom.workbench`, read
# with z2jh's get_config. KubeSpawner (7.x) starts a namespace-scoped reflector
# per namespace a profile overrides to, so the hub needs Roles in the team
# namespaces only, never a ClusterRole (unlike enable_user_namespaces).
TEAM_ROUTING_CODE = '''\
# workbench-blueprint: offer each user only the profiles of the teams whose IdP
# group they are in, and start their server in that team's namespace.
from tornado import web
from z2jh import get_config

_workbench_teams = get_config("custom.workbench.teams", [])


def _workbench_user_teams(spawner):
    groups = {group.name for group in spawner.user.groups}
    return [team for team in _workbench_teams if team["idp_group"] in groups]


def _workbench_profiles(spawner):
    profiles = []
    for team in _workbench_user_teams(spawner):
        profiles.extend(team["profiles"])
    return profiles


def _workbench_require_team(spawner):
    if not _workbench_user_teams(spawner):
        raise web.HTTPError(403, "You are not in any workbench team group; ask the platform team to add you.")


def _workbench_check_namespace(spawner, pod):
    allowed = {team["namespace"] for team in _workbench_user_teams(spawner)}
    if spawner.namespace not in allowed:
        raise web.HTTPError(403, "This server would start outside your team's namespace; refusing.")
    return pod


c.KubeSpawner.profile_list = _workbench_profiles
c.KubeSpawner.pre_spawn_hook = _workbench_require_team
c.KubeSpawner.modify_pod_hook = _workbench_check_namespace
'''

# Static R code: the repository URL arrives in an environment variable.
RPROFILE_CODE = 'local({\n  options(repos = c(CRAN = Sys.getenv("WORKBENCH_CRAN_URL")))\n})\n'

# Pod Security "restricted" needs these on every user container.
_RESTRICTED_CONTAINER = {
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
_RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
# Overrides for a team that may use root/sudo (docker-stacks images grant sudo
# when started as root with GRANT_SUDO=yes); None removes a key in KubeSpawner.
_ROOT_OVERRIDE = {
    "uid": 0,
    "allow_privilege_escalation": True,
    "environment": {"GRANT_SUDO": "yes"},
    "container_security_context": {"runAsNonRoot": None, "capabilities": None},
    "pod_security_context": {"runAsNonRoot": None},
}


@dataclass(frozen=True)
class TeamHub:
    """What the hub needs to know about one team."""

    name: str
    idp_group: str
    description: str
    namespace: str
    service_account: str
    root_allowed: bool
    profiles: tuple[Profile, ...]


@dataclass(frozen=True)
class HubSettings:
    """Every stance- and spec-controlled input of the values, as plain data."""

    hostname: str
    ingress: str
    idle_timeout_minutes: int
    internal_source_ranges: tuple[str, ...]
    teams: tuple[TeamHub, ...]

    @classmethod
    def from_spec(cls, spec: BlueprintSpec) -> HubSettings:
        teams = tuple(
            TeamHub(
                name=t.name,
                idp_group=t.idp_group,
                description=t.description,
                namespace=team_namespace(t.name),
                service_account=team_service_account(t.name),
                root_allowed=t.root_allowed,
                profiles=t.profiles,
            )
            for t in spec.teams
        )
        return cls(
            hostname=spec.hub_hostname,
            ingress=spec.stance.network.ingress,
            # The chart runs one culler for the whole hub: the shortest idle timeout
            # (stance or any team's override) applies to everyone, so none is exceeded.
            idle_timeout_minutes=min(
                (spec.stance.compute.sessions.idle_timeout_minutes, *(t.idle_timeout_minutes for t in spec.teams))
            ),
            internal_source_ranges=(spec.network.vpc_cidr, *spec.network.on_premises_cidrs),
            teams=teams,
        )


def team_profiles(team: TeamHub) -> list[dict[str, Any]]:
    """KubeSpawner profile_list entries for one team: its sizes, its namespace, its ServiceAccount."""
    profiles = []
    for index, profile in enumerate(team.profiles):
        cpu = float(parse_quantity(profile.cpu))
        memory = int(parse_quantity(profile.memory))
        override: dict[str, Any] = {
            "namespace": team.namespace,
            "service_account": team.service_account,
            # The IRSA webhook projects its own token; the Kubernetes API token is not needed.
            "automount_service_account_token": False,
            "cpu_guarantee": cpu,
            "cpu_limit": cpu,
            "mem_guarantee": memory,
            "mem_limit": memory,
        }
        if profile.gpu:
            override["extra_resource_guarantees"] = {GPU_RESOURCE: str(profile.gpu)}
            override["extra_resource_limits"] = {GPU_RESOURCE: str(profile.gpu)}
            override["tolerations"] = [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
        if team.root_allowed:
            override.update(copy.deepcopy(_ROOT_OVERRIDE))
        profiles.append(
            {
                "slug": f"{team.name}-{profile.name}",
                "display_name": f"{team.name}: {profile.display_name}",
                "description": team.description,
                "default": index == 0,
                "kubespawner_override": override,
            }
        )
    return profiles


def _team_data(team: TeamHub) -> dict[str, Any]:
    return {
        "name": team.name,
        "namespace": team.namespace,
        "idp_group": team.idp_group,
        "root_allowed": team.root_allowed,
        "profiles": team_profiles(team),
    }


def _load_balancer_annotations(settings: HubSettings, certificate_arn: str) -> dict[str, str]:
    """An NLB terminating TLS with the ACM certificate, made by EKS's built-in service controller.

    The in-tree annotations need no extra controller in the cluster (the AWS Load
    Balancer Controller's `type: external` would, and nothing installs it here).
    """
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    annotations = {
        f"{prefix}type": "nlb",
        f"{prefix}ssl-cert": certificate_arn,
        f"{prefix}ssl-ports": "https",
        f"{prefix}backend-protocol": "tcp",
        f"{prefix}ssl-negotiation-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    }
    if settings.ingress == "internal":
        annotations[f"{prefix}internal"] = "true"
    return annotations


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def hub_config_values(hub_config: Mapping[str, Any]) -> dict[str, Any]:
    """`hub.config`: the identity component's fragment plus the session security contexts."""
    authenticator = (hub_config.get("JupyterHub") or {}).get("authenticator_class")
    if not authenticator or authenticator in ("dummy", "null"):
        raise ValueError(
            "hub.config must set JupyterHub.authenticator_class to the SSO authenticator; "
            f"got {authenticator!r}, which would let anyone in"
        )
    ours: dict[str, Any] = {
        "KubeSpawner": {
            "container_security_context": copy.deepcopy(_RESTRICTED_CONTAINER),
            "pod_security_context": copy.deepcopy(_RESTRICTED_POD),
        }
    }
    if "GenericOAuthenticator" in hub_config:
        # Team routing reads the user's JupyterHub groups, synced from the IdP claim.
        ours["GenericOAuthenticator"] = {"manage_groups": True}
    return _merge(dict(hub_config), ours)


def _from_team_namespaces(settings: HubSettings) -> dict[str, Any]:
    return {
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": sorted(t.namespace for t in settings.teams)}
            ]
        },
        "podSelector": {"matchLabels": {"component": SINGLEUSER_COMPONENT}},
    }


def render_values(
    settings: HubSettings,
    *,
    hub_config: Mapping[str, Any],
    pip_index_url: str,
    r_repos_url: str | None,
    certificate_arn: str,
    image_registries: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The chart values (only what differs from the chart's defaults).

    `image_registries` (upstream registry -> ECR pull-through prefix URL, empty without egress 'mirror')
    points every image the chart can run at its cache; see `mirrored_images`.
    """
    extra_env: dict[str, str] = {"PIP_INDEX_URL": pip_index_url, "PIP_CONFIG_FILE": PIP_CONF_PATH}
    extra_files: dict[str, Any] = {
        "pip-conf": {"mountPath": PIP_CONF_PATH, "stringData": f"[global]\nindex-url = {pip_index_url}\n"},
    }
    if r_repos_url:
        extra_env["WORKBENCH_CRAN_URL"] = r_repos_url
        extra_env["R_PROFILE"] = RPROFILE_PATH
        extra_files["rprofile"] = {"mountPath": RPROFILE_PATH, "stringData": RPROFILE_CODE}

    service: dict[str, Any] = {
        "type": "LoadBalancer",
        "annotations": _load_balancer_annotations(settings, certificate_arn),
        # TLS ends at the NLB; plain HTTP is not offered at all.
        "disableHttpPort": True,
    }
    if settings.ingress == "internal":
        service["loadBalancerSourceRanges"] = list(settings.internal_source_ranges)

    values: dict[str, Any] = {
        "hub": {
            "config": hub_config_values(hub_config),
            # EKS >= 1.30 has no default StorageClass: the hub's database claims the encrypted gp3 class (ClusterAddons).
            "db": {"pvc": {"storageClassName": EBS_STORAGE_CLASS}},
            "extraConfig": {TEAM_ROUTING_KEY: TEAM_ROUTING_CODE},
            "networkPolicy": {
                "enabled": True,
                # Sessions in team namespaces report activity to the hub API.
                "ingress": [{"from": [_from_team_namespaces(settings)], "ports": [{"port": HUB_API_PORT, "protocol": "TCP"}]}],
            },
        },
        "proxy": {
            "service": service,
            "https": {"enabled": True, "type": "offload", "hosts": [settings.hostname]},
            "chp": {"networkPolicy": {"enabled": True}},
            "traefik": {"networkPolicy": {"enabled": True}},
        },
        "singleuser": {
            "uid": USER_UID,
            "fsGid": USERS_GID,
            "allowPrivilegeEscalation": False,
            # The iptables blocker is a privileged init container, which Pod Security
            # "restricted" rejects; the team NetworkPolicy blocks the metadata IP instead.
            "cloudMetadata": {"blockWithIptables": False},
            "networkPolicy": {"enabled": True},
            "storage": {
                "type": "dynamic",
                "dynamic": {"storageClass": EFS_STORAGE_CLASS, "storageAccessModes": ["ReadWriteMany"]},
            },
            "extraEnv": extra_env,
            "extraFiles": extra_files,
            # Profiles are per team and come from TEAM_ROUTING_CODE.
            "profileList": [],
        },
        "cull": {"enabled": True, "users": False, "timeout": settings.idle_timeout_minutes * 60},
        "custom": {CUSTOM_KEY: {"teams": [_team_data(t) for t in settings.teams]}},
    }
    return _merge(values, mirrored_images(image_registries)) if image_registries else values


def mirrored_images(registries: Mapping[str, str]) -> dict[str, Any]:
    """`<path>.image.name` for every image in `chart_images`, pulled through its registry's cache (tags stay the chart's).

    An image whose registry no cache serves is an error: with egress 'mirror' its pod could never start.
    """
    overrides: dict[str, Any] = {}
    for path, name in chart_images().items():
        mirrored = mirrored_image(name, registries)
        if mirrored is None:
            raise ValueError(
                f"{'.'.join(path)}.name: {name} is on {split_image(name)[0]}, which no pull-through cache serves; "
                "with egress 'mirror' nodes could not pull it"
            )
        node = overrides
        for key in path:
            node = node.setdefault(key, {})
        node["name"] = mirrored
    return overrides
