"""preview.incremental: team parts are keyed on everything a team's resources read, reused only when they fit, and merged exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from blueprint.model import load_blueprint
from blueprint.preview import Resource, ResourceGraph, preview_spec
from blueprint.preview import incremental
from blueprint.preview.cache import CACHE_DIR_ENV, cache_dir
from tests.conftest import blueprint_data, write_blueprint
from tests.preview.conftest import make_project

CODE = "code-digest"


@pytest.fixture
def cache_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def spec_data(directory: Path) -> dict[str, Any]:
    return load_blueprint(make_project(directory / "acme-dsw")).model_dump()


def perturbed(value: Any) -> Any:
    """A different value of a similar shape."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "-changed"
    if isinstance(value, dict):
        return {**value, "changed": True}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [*value, "changed"]
    return "changed"


def leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict) and data:
        return [leaf for key in data for leaf in leaves(data[key], (*path, key))]
    return [path]


def replaced(data: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return perturbed(data)
    copy = dict(data)
    copy[path[0]] = replaced(data[path[0]], path[1:])
    return copy


def test_every_field_of_a_team_changes_its_key(tmp_path):
    data = spec_data(tmp_path)
    team = data["teams"][1]
    shared = incremental.shared_key(data, "acme-dsw", "dev", code=CODE)
    paths = leaves(team)
    assert {"name", "idp_group", "quota", "profiles", "python_packages", "r_packages", "budget_usd"} <= {p[0] for p in paths}
    keys = {incremental.team_key(shared, replaced(team, path)) for path in paths}
    assert len(keys) == len(paths) and incremental.team_key(shared, team) not in keys


def test_everything_outside_teams_and_the_project_stack_and_code_change_the_shared_key(tmp_path):
    data = spec_data(tmp_path)
    base = incremental.shared_key(data, "acme-dsw", "dev", code=CODE)
    outside = [path for path in leaves(data) if path[0] != "teams"]
    assert {"org", "region", "stance", "idp", "network", "budgets", "packages", "floor"} <= {p[0] for p in outside}
    keys = {incremental.shared_key(replaced(data, path), "acme-dsw", "dev", code=CODE) for path in outside}
    keys |= {
        incremental.shared_key(data, "other", "dev", code=CODE),
        incremental.shared_key(data, "acme-dsw", "prod", code=CODE),
        incremental.shared_key(data, "acme-dsw", "dev", code="other-code"),
    }
    assert len(keys) == len(outside) + 3 and base not in keys
    # The teams are not part of it: editing one team keeps the other teams' parts usable.
    assert incremental.shared_key({**data, "teams": []}, "acme-dsw", "dev", code=CODE) == base


def resource(urn: str, *dependencies: str) -> Resource:
    return Resource(urn=urn, type="t", name=urn, parent=None, inputs={}, dependencies=tuple(dependencies))


def test_split_then_merge_puts_the_edges_into_the_team_back():
    hub = resource("hub", "a1", "b1", "shared")
    full = ResourceGraph((resource("shared"), resource("a1", "shared"), resource("b1", "shared"), hub))
    parts = incremental.split(full, {"a1": "a", "b1": "b"})
    assert parts["b"].resources == (full["b1"],) and dict(parts["b"].edges) == {"hub": ("b1",)}
    # A run for team a alone: the hub depends on a's resources only.
    run = ResourceGraph((resource("shared"), resource("a1", "shared"), resource("hub", "a1", "shared")))
    assert incremental.merge(run, [parts["b"]]) == full


def test_a_part_that_does_not_fit_the_run_is_refused():
    part = incremental.TeamPart((resource("b1"),), {"hub": ("b1",)})
    assert incremental.merge(ResourceGraph((resource("b1"),)), [part]) is None  # the run declared it too
    assert incremental.merge(ResourceGraph((resource("other"),)), [part]) is None  # the edge's source is gone


def project_with(directory: Path, teams: list[dict[str, Any]]) -> Path:
    write_blueprint(directory, blueprint_data(teams=teams))
    (directory / "Pulumi.yaml").write_text("name: acme-dsw\nruntime:\n  name: python\n", encoding="utf-8")
    return directory


TEAMS = [{"name": "genomics", "idp_group": "dsw-genomics"}, {"name": "ml", "idp_group": "dsw-ml"}, {"name": "vision", "idp_group": "dsw-vision"}]


def as_bytes(graph: ResourceGraph) -> bytes:
    return json.dumps(graph.to_json(), sort_keys=True).encode()


def test_editing_one_team_reruns_that_team_only_and_gives_the_full_graph(cache_on, tmp_path):
    project = project_with(tmp_path / "acme-dsw", TEAMS)
    first = preview_spec(load_blueprint(project), project, use_cache=True)
    assert first.reran_teams is None  # nothing stored yet: the whole program ran
    edited = [TEAMS[0], {**TEAMS[1], "quota": {"cpu": 4}, "extra_packages": {"python": ["torch"]}}, TEAMS[2]]
    project_with(project, edited)
    spec = load_blueprint(project)
    graph = preview_spec(spec, project, use_cache=True)
    assert graph.reran_teams == {"ml"}
    assert as_bytes(graph) == as_bytes(preview_spec(spec, project, use_cache=False))
    # The edit is now stored as a whole graph too: the same spec again is a plain cache hit.
    assert preview_spec(spec, project, use_cache=True).cached


IDPS = {
    "oidc": None,  # blueprint_data's default
    "cognito": {"kind": "cognito"},
    # An admin group that is also a team's, and one that is no team's.
    "saml": {"kind": "saml", "metadata_url": "https://idp.acme.example/saml/metadata", "admin_groups": ["dsw-ml", "dsw-admins"]},
}


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
@pytest.mark.parametrize("idp", sorted(IDPS))
def test_what_the_teams_share_does_not_grow_with_the_teams(tmp_path, stance, idp):
    """A resource per team that is not labelled the team's is declared again by every incremental run, so a one-team
    edit of 200 teams would cost 200 teams (the Cognito groups did). Everything unlabelled is the same for 1 or 3 teams."""
    from blueprint.preview import _run

    def shared(teams: list[dict[str, Any]]) -> list[str]:
        overrides = {} if IDPS[idp] is None else {"idp": IDPS[idp]}
        directory = write_blueprint(tmp_path / f"{stance}-{idp}-{len(teams)}", blueprint_data(stance=stance, teams=teams, **overrides)).parent
        graph, owners = _run(load_blueprint(directory), "acme-dsw", "dev")
        return sorted(r.urn for r in graph if r.urn not in owners)

    one = shared(TEAMS[1:2])
    assert one == shared(TEAMS)
    assert any(":cognito/userGroup:" in urn for urn in one) == (idp == "saml")  # the admins' group is shared


def test_the_commands_say_which_teams_the_program_ran_for(cache_on, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from blueprint.cli import app
    from blueprint.usercache import NO_CACHE_ENV

    monkeypatch.delenv(NO_CACHE_ENV, raising=False)
    project = project_with(tmp_path / "acme-dsw", TEAMS)
    runner = CliRunner()
    first = runner.invoke(app, ["preview", str(project)])
    assert first.exit_code == 0 and "incremental preview" not in first.output, "a whole run is not incremental"
    project_with(project, [TEAMS[0], {**TEAMS[1], "budget_usd": 300}, TEAMS[2]])
    edited = runner.invoke(app, ["check", str(project), "--family", "stance"])
    assert "incremental preview: the program ran for the 1 team(s) changed since an earlier preview (ml)" in " ".join(edited.output.split())
    assert "(cached graph" in runner.invoke(app, ["check", str(project), "--family", "stance"]).output


def test_a_damaged_team_part_is_removed_and_that_team_runs_again(cache_on, tmp_path):
    project = project_with(tmp_path / "acme-dsw", TEAMS)
    preview_spec(load_blueprint(project), project, use_cache=True)
    parts = sorted((cache_dir() / "teams").glob("*/*.json"))
    assert len(parts) == len(TEAMS)
    stored = {json.loads(p.read_text())["team"]: p for p in parts}
    stored["vision"].write_text('{"format": 1, "key": "', encoding="utf-8")
    project_with(project, [TEAMS[0], {**TEAMS[1], "budget_usd": 300}, TEAMS[2]])
    spec = load_blueprint(project)
    graph = preview_spec(spec, project, use_cache=True)
    assert graph.reran_teams == {"ml", "vision"}
    assert as_bytes(graph) == as_bytes(preview_spec(spec, project, use_cache=False))


def test_a_part_stored_under_another_teams_key_is_never_used(cache_on, tmp_path):
    """A wrong hit is a bug: a part whose recorded key is not the file's is refused, not merged."""
    project = project_with(tmp_path / "acme-dsw", TEAMS)
    preview_spec(load_blueprint(project), project, use_cache=True)
    stored = {json.loads(p.read_text())["team"]: p for p in (cache_dir() / "teams").glob("*/*.json")}
    stored["vision"].write_text(stored["ml"].read_text(), encoding="utf-8")  # ml's resources under vision's key
    project_with(project, [{**TEAMS[0], "budget_usd": 300}, *TEAMS[1:]])
    spec = load_blueprint(project)
    graph = preview_spec(spec, project, use_cache=True)
    assert graph.reran_teams == {"genomics", "vision"}
    assert as_bytes(graph) == as_bytes(preview_spec(spec, project, use_cache=False))


def test_a_whole_run_dealt_out_to_forked_workers_gives_the_same_graph(cache_on, tmp_path, monkeypatch):
    monkeypatch.setenv(incremental.WORKERS_ENV, "2")
    forks = []
    fork = incremental._fork
    monkeypatch.setattr(incremental, "_fork", lambda run, share: forks.append(share) or fork(run, share))
    project = project_with(tmp_path / "acme-dsw", TEAMS)
    spec = load_blueprint(project)
    sharded = preview_spec(spec, project, use_cache=True)
    assert forks == [["ml"]]  # genomics and vision here, ml in the child
    assert as_bytes(sharded) == as_bytes(preview_spec(spec, project, use_cache=False))


def test_workers_follow_the_setting_and_the_team_count(monkeypatch):
    monkeypatch.setenv(incremental.WORKERS_ENV, "3")
    assert incremental.workers(200) == 3 and incremental.workers(2) == 2
    monkeypatch.setenv(incremental.WORKERS_ENV, "1")
    assert incremental.workers(200) == 1
    monkeypatch.delenv(incremental.WORKERS_ENV)
    monkeypatch.setattr(incremental.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(incremental.os, "getloadavg", lambda: (6.5, 6.0, 6.0))  # late: only read when cores cannot tell
    monkeypatch.setattr(incremental.cores, "idle_cores", lambda: 3.0)  # this process busy on one core, the rest idle
    assert incremental.workers(200) == 4
    assert incremental.workers(incremental.MIN_TEAMS_PER_WORKER * 2 - 1) == 1  # too few teams to pay for a second process
    monkeypatch.setattr(incremental.cores, "idle_cores", lambda: 0.8)
    assert incremental.workers(200) == 2  # one core idle enough: this process and one more
    monkeypatch.setattr(incremental.cores, "idle_cores", lambda: 0.6)
    assert incremental.workers(200) == 1  # a busy machine: a second process would only add CPU


def test_workers_fall_back_to_the_load_average_when_the_cores_cannot_tell(monkeypatch):
    monkeypatch.delenv(incremental.WORKERS_ENV, raising=False)
    monkeypatch.setattr(incremental.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(incremental.cores, "idle_cores", lambda: None)
    monkeypatch.setattr(incremental.os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    assert incremental.workers(200) == 4
    monkeypatch.setattr(incremental.os, "getloadavg", lambda: (2.5, 2.0, 2.0))
    assert incremental.workers(200) == 2
    monkeypatch.setattr(incremental.os, "getloadavg", lambda: (6.5, 6.0, 6.0))
    assert incremental.workers(200) == 1
