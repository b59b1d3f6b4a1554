"""Zero to JupyterHub Helm values as pure data: plain values in, a values dict out, validated offline."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from ..charts.z2jh import CHART_NAME, CHART_REPO, CHART_VERSION, chart_defaults, chart_images
from ..model import BlueprintSpec
from ..model.stance import Profile
from ..model.units import parse_quantity
from . import files
from .naming import (
    EBS_STORAGE_CLASS,
    HUB_POOL,
    HUB_TAINT,
    PIP_CONF_KEY,
    PIP_CONF_SECRET,
    POOL_LABEL,
    mirrored_image,
    split_image,
    team_namespace,
    team_service_account,
)

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
HUB_SERVICE = "hub"
# z2jh points hub_connect_url at `http://hub:8081`, which resolves only inside the hub's namespace; sessions in team
# namespaces need the Service's FQDN to reach the hub API (z2jh#1916). Set in hub.config.JupyterHub, which the
# chart's jupyterhub_config.py loads after its own default, so ours wins.
HUB_CONNECT_URL = f"http://{HUB_SERVICE}.{JUPYTERHUB_NAMESPACE}.svc.cluster.local:{HUB_API_PORT}"
EFS_STORAGE_CLASS = "efs-homes"
GPU_RESOURCE = "nvidia.com/gpu"
# Files a session mounts come from objects in its own (team) namespace, never `singleuser.extraFiles` (a Secret in
# the hub's namespace only). Both are mounted as directories, not subPath: kubelet then updates the files in
# running pods when the object changes (a subPath mount never sees an update).
PIP_CONF_DIR = "/etc/workbench/pip"
PIP_CONF_PATH = f"{PIP_CONF_DIR}/{PIP_CONF_KEY}"
SESSION_CONFIG_MAP = "workbench-session"
SESSION_CONFIG_DIR = "/etc/workbench/session"
RPROFILE_KEY = "Rprofile.site"
RPROFILE_PATH = f"{SESSION_CONFIG_DIR}/{RPROFILE_KEY}"
CUSTOM_KEY = "workbench"
TEAM_ROUTING_KEY = "workbench-teams"
# Requests for the chart's long-running pods, so the scheduler places them on nodes with room and they are not the
# first evicted (the chart requests nothing by default). Sized from the chart's guidance for a small hub.
HUB_RESOURCES = {"requests": {"cpu": "200m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}
PROXY_RESOURCES = {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}
SCHEDULER_RESOURCES = {"requests": {"cpu": "50m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}}


@dataclass(frozen=True)
class SessionImage:
    """A data-science image a profile offers: its upstream repository, a dated tag (stances that pin versions) and
    the moving tag (version policy 'latest'), and the URL the server opens."""

    key: str
    display_name: str
    repository: str
    dated_tag: str
    moving_tag: str
    default_url: str | None = None
    home: str = "/home/jovyan"

    def reference(self, version_policy: str) -> str:
        return f"{self.repository}:{self.moving_tag if version_policy == 'latest' else self.dated_tag}"


# Jupyter Docker Stacks (quay.io/jupyter, built together on the same date, so one dated tag pins a consistent set;
# https://jupyter-docker-stacks.readthedocs.io/en/latest/using/selecting.html) and Rocker's binder image. The dated
# tags are ones upstream material shows; no digest could be verified offline, so none is invented (docs/build-vs-buy.md).
SCIPY_IMAGE = SessionImage("python", "Python (SciPy stack)", "quay.io/jupyter/scipy-notebook", "2025-07-07", "latest")
R_IMAGE = SessionImage("r", "R (JupyterLab, IRkernel)", "quay.io/jupyter/r-notebook", "2025-07-07", "latest")
# docker-stacks ships no RStudio; rocker/binder ships RStudio Server with jupyter-rsession-proxy (RStudio at /rstudio)
# and runs as user `rstudio` (uid 1000). It is on ghcr.io and Docker Hub, which ECR caches only with a registry
# credential, so it is offered only where nodes can pull it directly (see `_pullable`).
RSTUDIO_IMAGE = SessionImage(
    "rstudio", "R with RStudio", "ghcr.io/rocker-org/binder", "4.4.2", "latest", default_url="/rstudio", home="/home/rstudio"
)
GPU_IMAGE = SessionImage("pytorch", "PyTorch (CUDA 12)", "quay.io/jupyter/pytorch-notebook", "cuda12-2025-07-07", "cuda12-latest")
CPU_IMAGES = (SCIPY_IMAGE, R_IMAGE, RSTUDIO_IMAGE)

_VERSION_CONSTRAINT = {"exact": "{v}", "minor": "~{v}", "latest": "^{v}"}


def chart_version(policy: str) -> str:
    """Helm version constraint for the chart under a stance's version policy (exact, minor, latest)."""
    return _VERSION_CONSTRAINT[policy].format(v=CHART_VERSION)


# Static code, run by the hub in jupyterhub_config.py (components/files/team-routing.py, a package file the
# tests compile, as the chart keeps files/hub/z2jh.py). It never contains a team,
# group or org string: every such value is data under `custom.workbench`, read
# with z2jh's get_config. KubeSpawner (7.x) starts a namespace-scoped reflector
# per namespace a profile overrides to, so the hub needs Roles in the team
# namespaces only, never a ClusterRole (unlike enable_user_namespaces).
TEAM_ROUTING_CODE = files.read("team-routing.py")

# Static R code (TeamSpace puts it in SESSION_CONFIG_MAP): the repository URL arrives in an environment variable.
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
    egress: str = "open"
    egress_allowlist: tuple[str, ...] = ()
    version_policy: str = "exact"
    hub_egress: str = "open"

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
            egress=spec.stance.network.egress,
            egress_allowlist=spec.stance.network.egress_allowlist,
            version_policy=spec.stance.stability.versions,
            hub_egress=spec.hub_egress,
        )


def pullable_image(image: str, settings: HubSettings, registries: Mapping[str, str] | None) -> str | None:
    """`image` as nodes can pull it under the stance's egress: through its registry's private cache when one serves
    it, else from upstream when egress is open or the registry's host is on the egress allowlist; None otherwise."""
    if registries:
        mirrored = mirrored_image(image, registries)
        if mirrored is not None:
            return mirrored
    host = split_image(image)[0]
    if settings.egress == "open" or (settings.egress == "allowlist" and any(fnmatchcase(host, p) for p in settings.egress_allowlist)):
        return image
    return None


def session_images(settings: HubSettings, registries: Mapping[str, str] | None) -> dict[str, str]:
    """Image key -> pullable reference of every session image this stance can offer (see `SessionImage`)."""
    found = {}
    for image in (*CPU_IMAGES, GPU_IMAGE):
        reference = pullable_image(image.reference(settings.version_policy), settings, registries)
        if reference is not None:
            found[image.key] = reference
    for required in (SCIPY_IMAGE, GPU_IMAGE):
        if required.key not in found:
            raise ValueError(f"session image {required.repository} is not pullable under egress {settings.egress!r}: no cache serves it")
    return found


def _home_volume() -> str:
    # z2jh names the home volume (and its mount) after singleuser.storage.dynamic.volumeNameTemplate.
    return str(chart_defaults()["singleuser"]["storage"]["dynamic"]["volumeNameTemplate"])


def session_files(r_repos: bool) -> dict[str, Any]:
    """KubeSpawner overrides that mount a session's files from objects in its own namespace, and point pip and R at them.

    Volumes and mounts are dicts: KubeSpawner merges a dict override into the chart's dict (home volume kept).
    - `PIP_CONF_SECRET` (key `PIP_CONF_KEY`), written and refreshed in every team namespace by the package mirror's
      token refresher; `optional` because a session may start before the refresher's first run, and a directory
      mount makes the kubelet fill in the file once the Secret exists and on every refresh. Only PIP_CONFIG_FILE is
      set: PIP_INDEX_URL would override whatever the config file says.
    - `SESSION_CONFIG_MAP` (TeamSpace), holding the static Rprofile.site that reads WORKBENCH_CRAN_URL.
    """
    environment: dict[str, Any] = {"PIP_CONFIG_FILE": PIP_CONF_PATH}
    volumes: dict[str, Any] = {
        PIP_CONF_SECRET: {"name": PIP_CONF_SECRET, "secret": {"secretName": PIP_CONF_SECRET, "optional": True}},
        SESSION_CONFIG_MAP: {"name": SESSION_CONFIG_MAP, "configMap": {"name": SESSION_CONFIG_MAP}},
    }
    mounts: dict[str, Any] = {
        PIP_CONF_SECRET: {"name": PIP_CONF_SECRET, "mountPath": PIP_CONF_DIR, "readOnly": True},
        SESSION_CONFIG_MAP: {"name": SESSION_CONFIG_MAP, "mountPath": SESSION_CONFIG_DIR, "readOnly": True},
    }
    if r_repos:
        environment["R_PROFILE"] = RPROFILE_PATH
    return {"environment": environment, "volumes": volumes, "volume_mounts": mounts}


def _image_choice(image: SessionImage, reference: str, default: bool) -> dict[str, Any]:
    override: dict[str, Any] = {"image": reference}
    if image.default_url:
        override["default_url"] = image.default_url
    if image.home != "/home/jovyan":
        override["volume_mounts"] = {_home_volume(): {"mountPath": image.home}}
        override["working_dir"] = image.home
    return {"display_name": image.display_name, "default": default, "kubespawner_override": override}


def team_profiles(team: TeamHub) -> list[dict[str, Any]]:
    """KubeSpawner profile_list entries for one team: its sizes, its namespace, its ServiceAccount (and root, when
    allowed). What every session shares (files, images) is stored once in `session_settings`; TEAM_ROUTING_CODE
    merges it into each profile's kubespawner_override at spawn time, so the hub's values stay small at 200 teams
    (the chart keeps all values in one Secret, at most 1 MiB)."""
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


def session_settings(images: Mapping[str, str], r_repos_url: str | None) -> dict[str, Any]:
    """What every session shares, once (`custom.workbench.session`), merged into each profile by TEAM_ROUTING_CODE:
    `kubespawner_override` (the files of `session_files`, the CRAN URL), the image `profile_options` of CPU sizes
    (every CPU image this stance can pull; `images` from `session_images`) and the override of GPU sizes (CUDA)."""
    files = session_files(r_repos_url is not None)
    if r_repos_url is not None:
        files["environment"]["WORKBENCH_CRAN_URL"] = r_repos_url
    offered = [image for image in CPU_IMAGES if image.key in images]
    return {
        "kubespawner_override": files,
        "cpu_profile_options": {
            "image": {
                "display_name": "Environment",
                "choices": {image.key: _image_choice(image, images[image.key], default=i == 0) for i, image in enumerate(offered)},
            }
        },
        "gpu_override": {"image": images[GPU_IMAGE.key]},
    }


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


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra` merged over `base`; maps are copied, leaves of `base` are kept as they are (they may be Outputs)."""
    result = {k: _merge(v, {}) if isinstance(v, Mapping) else v for k, v in base.items()}
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def hub_config_values(hub_config: Mapping[str, Any]) -> dict[str, Any]:
    """`hub.config`: the identity component's fragment (its leaves may be Outputs, the client secret a secret one) plus
    the hub's connect URL and the session security contexts."""
    authenticator = (hub_config.get("JupyterHub") or {}).get("authenticator_class")
    if not authenticator or authenticator in ("dummy", "null"):
        raise ValueError(
            "hub.config must set JupyterHub.authenticator_class to the SSO authenticator; "
            f"got {authenticator!r}, which would let anyone in"
        )
    ours: dict[str, Any] = {
        "JupyterHub": {"hub_connect_url": HUB_CONNECT_URL},
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
    r_repos_url: str | None,
    certificate_arn: str,
    image_registries: Mapping[str, str] | None = None,
    pip_index_url: str | None = None,
) -> dict[str, Any]:
    """The chart values (only what differs from the chart's defaults).

    `image_registries` (upstream registry -> ECR pull-through prefix URL, empty when egress is open) points every
    image the chart can run, and every session image, at its cache; see `mirrored_images` and `session_images`.
    pip's index reaches sessions through the pip config Secret in their namespace (`session_files`), not the values;
    `pip_index_url` is recorded as data under `custom.workbench` (nothing reads it at run time) so reviews and the
    package rules see which repository sessions install from, and the release depends on it.
    """
    service: dict[str, Any] = {
        "type": "LoadBalancer",
        "annotations": _load_balancer_annotations(settings, certificate_arn),
        # TLS ends at the NLB; plain HTTP is not offered at all.
        "disableHttpPort": True,
    }
    if settings.ingress == "internal":
        service["loadBalancerSourceRanges"] = list(settings.internal_source_ranges)
    images = session_images(settings, image_registries)
    # The chart lets hub and proxy reach the cloud metadata server (169.254.169.254) by default, and its DNS there;
    # neither needs it (no IRSA-less AWS call, DNS is kube-dns): templates/_helpers-netpol.tpl.
    no_metadata = {"cloudMetadataServer": False, "dnsPortsCloudMetadataServer": False}

    hub: dict[str, Any] = {
        "config": hub_config_values(hub_config),
        "extraConfig": {TEAM_ROUTING_KEY: TEAM_ROUTING_CODE},
        "networkPolicy": {
            "enabled": True,
            # Sessions in team namespaces report activity to the hub API.
            "ingress": [{"from": [_from_team_namespaces(settings)], "ports": [{"port": HUB_API_PORT, "protocol": "TCP"}]}],
            "egressAllowRules": dict(no_metadata),
        },
        "resources": copy.deepcopy(HUB_RESOURCES),
        # The chart's PVC has no class and EKS >= 1.30 marks none default: bind to the encrypted gp3 class.
        "db": {"pvc": {"storageClassName": EBS_STORAGE_CLASS}},
    }
    if settings.hub_egress == "firewall":
        # The hub alone runs on the `hub` pool, whose subnets reach the IdP through the egress firewall.
        hub["nodeSelector"] = {POOL_LABEL: HUB_POOL}
        hub["tolerations"] = [{"key": HUB_TAINT["key"], "operator": "Equal", "value": HUB_TAINT["value"], "effect": "NoSchedule"}]

    values: dict[str, Any] = {
        "hub": hub,
        "proxy": {
            "service": service,
            "https": {"enabled": True, "type": "offload", "hosts": [settings.hostname]},
            "chp": {
                "networkPolicy": {"enabled": True, "egressAllowRules": dict(no_metadata)},
                "resources": copy.deepcopy(PROXY_RESOURCES),
            },
            "traefik": {"networkPolicy": {"enabled": True, "egressAllowRules": dict(no_metadata)}},
        },
        "scheduling": {"userScheduler": {"resources": copy.deepcopy(SCHEDULER_RESOURCES)}},
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
            # The default server image is the SciPy stack; profiles choose per size (see team_profiles).
            "image": dict(zip(("name", "tag"), images[SCIPY_IMAGE.key].rsplit(":", 1), strict=True)),
            # Profiles are per team and come from TEAM_ROUTING_CODE.
            "profileList": [],
        },
        "cull": {"enabled": True, "users": False, "timeout": settings.idle_timeout_minutes * 60},
        "custom": {
            CUSTOM_KEY: {
                "teams": [_team_data(t) for t in settings.teams],
                "session": session_settings(images, r_repos_url),
                **({"pip_index_url": pip_index_url} if pip_index_url is not None else {}),
            }
        },
    }
    # Ours win over the cached chart defaults (the session image above is already pullable).
    return _merge(mirrored_images(image_registries), values) if image_registries else values


def mirrored_images(registries: Mapping[str, str]) -> dict[str, Any]:
    """`<path>.image.name` for every image in `chart_images`, pulled through its registry's cache (tags stay the chart's).

    An image whose registry no cache serves is an error: without open egress its pod could never start.
    """
    overrides: dict[str, Any] = {}
    for path, name in chart_images().items():
        mirrored = mirrored_image(name, registries)
        if mirrored is None:
            raise ValueError(
                f"{'.'.join(path)}.name: {name} is on {split_image(name)[0]}, which no pull-through cache serves; "
                "without open egress nodes could not pull it"
            )
        node = overrides
        for key in path:
            node = node.setdefault(key, {})
        node["name"] = mirrored
    return overrides


# Chart pods with no NetworkPolicy of the chart's own that call the Kubernetes API: the user scheduler (watches pods,
# binds them) and the pre-puller's image awaiter Job (reads the hook DaemonSet); their `component` labels.
KUBE_API_CLIENTS = ("user-scheduler", "image-puller")
KUBE_API_PORT = 443


def hub_namespace_policies(vpc_cidr: str, service_cidr: str) -> dict[str, dict[str, Any]]:
    """NetworkPolicy specs for the hub's namespace, by name: deny everything by default (the chart's policies then
    admit what hub, proxy and sessions need), and let the chart's API clients reach the Kubernetes API: its Service
    IP (in `service_cidr`) and the control plane's ENIs in the cluster subnets (in `vpc_cidr`), TCP 443."""
    return {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-kube-api": {
            "podSelector": {"matchExpressions": [{"key": "component", "operator": "In", "values": list(KUBE_API_CLIENTS)}]},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": vpc_cidr}}, {"ipBlock": {"cidr": service_cidr}}],
                    "ports": [{"port": KUBE_API_PORT, "protocol": "TCP"}],
                }
            ],
        },
    }
