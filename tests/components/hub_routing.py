"""Run the hub's team-routing code (hub.extraConfig) as the hub does, with z2jh and tornado stand-ins."""

from __future__ import annotations

import sys
import types
from typing import Any
from unittest import mock

from blueprint.components import jupyterhub_values as jv


class HTTPError(Exception):
    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(status, message)
        self.status = status


def load_routing(values: dict[str, Any]) -> types.SimpleNamespace:
    """The KubeSpawner settings the snippet makes (`profile_list`, `pre_spawn_hook`, `modify_pod_hook`)."""
    custom = values["custom"]

    def get_config(key: str, default: Any = None) -> Any:
        node: Any = {"custom": custom}
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    web = types.SimpleNamespace(HTTPError=HTTPError)
    stand_ins = {"z2jh": types.SimpleNamespace(get_config=get_config), "tornado": types.SimpleNamespace(web=web), "tornado.web": web}
    spawner_config = types.SimpleNamespace()
    with mock.patch.dict(sys.modules, stand_ins):
        exec(compile(values["hub"]["extraConfig"][jv.TEAM_ROUTING_KEY], "extraConfig", "exec"), {"c": types.SimpleNamespace(KubeSpawner=spawner_config)})
    return spawner_config


def spawner(*groups: str, namespace: str = "jupyterhub") -> types.SimpleNamespace:
    user = types.SimpleNamespace(groups=[types.SimpleNamespace(name=g) for g in groups])
    return types.SimpleNamespace(user=user, namespace=namespace)


def offered_profiles(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Every profile the hub offers a user in all teams' groups, as KubeSpawner receives them."""
    groups = [team["idp_group"] for team in values["custom"]["workbench"]["teams"]]
    return load_routing(values).profile_list(spawner(*groups))
