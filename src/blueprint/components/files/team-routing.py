# workbench-blueprint: offer each user only the profiles of the teams whose IdP
# group they are in, and start their server in that team's namespace.
import copy

from tornado import web
from z2jh import get_config

_workbench_teams = get_config("custom.workbench.teams", [])
_workbench_session = get_config("custom.workbench.session", {})


def _workbench_user_teams(spawner):
    groups = {group.name for group in spawner.user.groups}
    return [team for team in _workbench_teams if team["idp_group"] in groups]


def _workbench_merged(shared, own):
    # Dicts merge one level deep (environment, volumes, volume_mounts), as KubeSpawner merges dict overrides.
    merged = copy.deepcopy(shared)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _workbench_profile(profile):
    """A team's profile with what every session shares: files, and the images of its size (CUDA for GPU sizes)."""
    profile = copy.deepcopy(profile)
    override = _workbench_merged(_workbench_session.get("kubespawner_override", {}), profile["kubespawner_override"])
    if "nvidia.com/gpu" in override.get("extra_resource_limits", {}):
        override = _workbench_merged(override, _workbench_session.get("gpu_override", {}))
    elif _workbench_session.get("cpu_profile_options"):
        profile["profile_options"] = copy.deepcopy(_workbench_session["cpu_profile_options"])
    profile["kubespawner_override"] = override
    return profile


def _workbench_profiles(spawner):
    profiles = []
    for team in _workbench_user_teams(spawner):
        profiles.extend(_workbench_profile(profile) for profile in team["profiles"])
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
