"""Real resource graphs (the real program under the mock engine, once per session) and ways to mutate copies of them."""

from __future__ import annotations

import copy
import re
import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from blueprint.model import BlueprintSpec, load_blueprint
from blueprint.model.yamlio import dump_yaml
from blueprint.preview import Resource, ResourceGraph, preview_project
from tests.conftest import blueprint_data, write_blueprint

FAR_FUTURE = dt.date(2099, 1, 1)
ROOT_EXCEPTION = {
    "team": "genomics",
    "control": "compute.sessions.root_allowed",
    "value": True,
    "reason": "builds conda environments that need apt packages",
    "approved_by": "ciso@acme.example",
    "expires": FAR_FUTURE.isoformat(),
}


@dataclasses.dataclass(frozen=True)
class Real:
    """A generated project's resolved spec and the graph its real program produces offline."""

    spec: BlueprintSpec
    graph: ResourceGraph
    directory: Path


def _project(directory: Path, stance: str, **overrides: Any) -> Path:
    write_blueprint(directory, blueprint_data(stance, teams=2, **overrides))
    return directory


# Projects a built-in stance's real graph lacks a resource for: `real("strict-cognito")` (the user pool and its
# client; internal package prefixes, so the origin-controls job).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "strict-cognito": ("strict", {"idp": {"kind": "cognito"}, "packages": {"internal_prefixes": ["acme-"]}}),
}


@pytest.fixture(scope="session")
def real(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Real]:
    """`real("strict")`: a two-team project of a built-in stance (genomics has 1 GPU), previewed once per session;
    or of a `VARIANTS` entry."""
    cache: dict[str, Real] = {}

    def get(stance: str) -> Real:
        if stance not in cache:
            base, overrides = VARIANTS.get(stance, (stance, {}))
            directory = _project(tmp_path_factory.mktemp(f"real-{stance}") / "acme-dsw", base, **overrides)
            cache[stance] = Real(load_blueprint(directory), preview_project(directory), directory)
        return cache[stance]

    return get


@pytest.fixture(scope="session")
def real_root_team(tmp_path_factory: pytest.TempPathFactory) -> Real:
    """Strict, but team genomics may use root through its overlay and a recorded exception."""
    directory = _project(tmp_path_factory.mktemp("real-root") / "acme-dsw", "strict", exceptions=[ROOT_EXCEPTION])
    (directory / "teams").mkdir()
    (directory / "teams" / "genomics.yaml").write_text(dump_yaml({"team": "genomics", "controls": {"compute.sessions.root_allowed": True}}))
    return Real(load_blueprint(directory), preview_project(directory), directory)


# ---- finding and mutating resources ----------------------------------------------


def find(graph: ResourceGraph, token: str, name: str = "") -> Resource:
    """The one resource of type `token` whose name contains `name`."""
    matches = [r for r in graph.of_type(token) if name in r.name]
    assert len(matches) == 1, f"{len(matches)} resources of {token} named *{name}*: {[r.name for r in matches]}"
    return matches[0]


def mutate(graph: ResourceGraph, target: Resource, change: Callable[[dict[str, Any]], object] | None = None, **fields: Any) -> ResourceGraph:
    """A copy of `graph` where `target`'s inputs went through `change` (on a deep copy) and/or fields were replaced."""
    inputs = copy.deepcopy(target.inputs)
    if change is not None:
        change(inputs)
    changed = dataclasses.replace(target, inputs=inputs, **fields)
    return ResourceGraph(tuple(changed if r.urn == target.urn else r for r in graph))


def without(graph: ResourceGraph, *targets: Resource) -> ResourceGraph:
    gone = {t.urn for t in targets}
    return ResourceGraph(tuple(r for r in graph if r.urn not in gone))


def added(graph: ResourceGraph, like: Resource, token: str, name: str, inputs: dict[str, Any] | None = None, **fields: Any) -> ResourceGraph:
    """A copy of `graph` with one more resource of type `token`, placed next to `like` (same parent)."""
    prefix, qualified, _ = like.urn.rsplit("::", 2)
    chain = qualified.rsplit("$", 1)[0] if "$" in qualified else ""
    urn = f"{prefix}::{chain + '$' if chain else ''}{token}::{name}"
    extra = Resource(urn=urn, type=token, name=name, parent=like.parent, inputs=inputs or {}, **fields)
    return ResourceGraph((*graph.resources, extra))


def setpath(data: dict[str, Any], dotted: str, value: Any) -> None:
    """`data[a][b][0] = value` for "a.b.0"; a key holding a dot is written with a backslash ("requests\\.cpu")."""
    *parents, leaf = [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", dotted)]
    for part in parents:
        data = data[int(part)] if isinstance(data, list) else data[part]
    if isinstance(data, list):
        data[int(leaf)] = value
    else:
        data[leaf] = value


# ---- the hub's chart values ------------------------------------------------------


def hub_values(spec: BlueprintSpec) -> dict[str, Any]:
    """The chart values the Workbench component renders for `spec`, in full (as a policy pack sees them, decrypted)."""
    from blueprint.components.images import UPSTREAMS, cache_namespace, cache_prefix
    from blueprint.components.jupyterhub_values import HubSettings, render_values
    from blueprint.components.naming import ecr_registry_host

    registries = {}
    if spec.stance.network.egress != "open":  # what ImageMirror hands the Workbench
        host, namespace = ecr_registry_host("123456789012", spec.region), cache_namespace(spec.org, spec.stack)
        registries = {u.registry: f"{host}/{cache_prefix(namespace, u)}" for u in UPSTREAMS}
    hub_config = {
        "JupyterHub": {"authenticator_class": "generic-oauth", "cookie_max_age_days": round(spec.stance.identity.session_hours / 24, 4)},
        "GenericOAuthenticator": {"client_id": "jupyterhub", "client_secret": "decrypted-by-the-engine"},
    }
    return render_values(
        HubSettings.from_spec(spec),
        hub_config=hub_config,
        r_repos_url=None,
        certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/offline",
        image_registries=registries,
    )
