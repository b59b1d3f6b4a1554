"""Team overlays, the org floor and exceptions, through real project files."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.errors import SpecError
from blueprint.model import load_blueprint
from blueprint.model.yamlio import dump_yaml, read_yaml

runner = CliRunner()


@pytest.fixture
def project(tmp_path):
    target = tmp_path / "acme-dsw"
    result = runner.invoke(app, ["new", str(target), "--org", "acme", "--team", "genomics:dsw-genomics"])
    assert result.exit_code == 0, result.output
    return target


def fork(project, *args):
    return runner.invoke(app, ["fork", str(project), *args])


def edit_overlay(project, overlay_team, **changes):
    path = project / "teams" / f"{overlay_team}.yaml"
    data = read_yaml(path)
    for dotted, value in changes.items():
        holder = data
        *parents, leaf = dotted.split("__")
        for part in parents:
            holder = holder[part]
        holder[leaf] = value
    path.write_text(dump_yaml(data))


def add_exception(project, **exception):
    path = project / "blueprint.yaml"
    data = read_yaml(path)
    data["exceptions"] = [exception]
    path.write_text(dump_yaml(data))


def test_fork_existing_team_starts_from_current_values(project):
    result = fork(project, "--team", "genomics")
    assert result.exit_code == 0, result.output
    before = load_blueprint(project).team("genomics")
    overlay = read_yaml(project / "teams/genomics.yaml")
    assert overlay["quota"]["cpu"] == before.quota.cpu
    assert overlay["idle_timeout_minutes"] == before.idle_timeout_minutes
    assert "exceptions:" in (project / "teams/genomics.yaml").read_text()


def test_fork_adds_a_new_team_keeping_comments(project):
    result = fork(project, "--team", "vision", "--group", "dsw-vision")
    assert result.exit_code == 0, result.output
    text = (project / "blueprint.yaml").read_text()
    assert "# One entry per team" in text
    spec = load_blueprint(project)
    assert [(t.name, t.idp_group) for t in spec.teams] == [("genomics", "dsw-genomics"), ("vision", "dsw-vision")]


def test_fork_refuses_to_overwrite_and_bad_team_names(project):
    assert fork(project, "--team", "genomics").exit_code == 0
    again = fork(project, "--team", "genomics")
    assert again.exit_code == 2 and "--force" in again.output
    bad = fork(project, "--team", "../../etc")
    assert bad.exit_code == 2 and "teams[new].name" in bad.output
    assert not (project.parent / "etc.yaml").exists()


def test_lowering_quota_is_allowed_and_applied(project):
    fork(project, "--team", "genomics")
    edit_overlay(project, "genomics", quota__cpu="8", idle_timeout_minutes=30)
    team = load_blueprint(project).team("genomics")
    assert (team.quota.cpu, team.idle_timeout_minutes) == ("8", 30)


@pytest.mark.parametrize(
    ("changes", "field", "control"),
    [
        ({"quota__cpu": "64"}, "quota.cpu", "compute.default_quota.cpu"),
        ({"idle_timeout_minutes": 600}, "idle_timeout_minutes", "compute.sessions.idle_timeout_minutes"),
        ({"budget_usd": 100000}, "budget_usd", "budgets.team_monthly_usd"),
        ({"controls": {"compute.sessions.root_allowed": True}}, "controls.compute.sessions.root_allowed", "compute.sessions.root_allowed"),
    ],
)
def test_going_below_the_floor_names_file_field_floor_and_value(project, changes, field, control):
    fork(project, "--team", "genomics")
    edit_overlay(project, "genomics", **changes)
    with pytest.raises(SpecError) as info:
        load_blueprint(project)
    message = str(info.value)
    assert "teams/genomics.yaml" in message and field in message and control in message and "floor is" in message


def test_an_exception_permits_exactly_its_value(project):
    fork(project, "--team", "genomics")
    edit_overlay(project, "genomics", quota__cpu="64")
    add_exception(project, team="genomics", control="compute.default_quota.cpu", value="64", reason="protein folding runs", approved_by="ciso@acme.example", expires=dt.date(2099, 1, 1))
    assert load_blueprint(project).team("genomics").quota.cpu == "64"
    edit_overlay(project, "genomics", quota__cpu="96")
    with pytest.raises(SpecError, match="floor"):
        load_blueprint(project)


def test_overlay_cannot_touch_network_or_other_teams(project):
    fork(project, "--team", "genomics")
    edit_overlay(project, "genomics", controls={"network.egress": "open"})
    with pytest.raises(SpecError, match="not team-scoped"):
        load_blueprint(project)
    edit_overlay(project, "genomics", controls={}, team="vision")
    with pytest.raises(SpecError, match="does not match the file name"):
        load_blueprint(project)


def test_overlay_for_unknown_team_points_to_fork(project):
    (project / "teams").mkdir()
    (project / "teams/ghost.yaml").write_text("team: ghost\n")
    with pytest.raises(SpecError, match="blueprint fork"):
        load_blueprint(project)


@pytest.mark.parametrize(
    ("exception", "message"),
    [
        ({"control": "network.nope"}, "unknown control"),
        ({"reason": ""}, "reason"),
        ({"team": "nobody"}, "no team named"),
        ({"value": "lots"}, "not a valid compute.default_quota.cpu"),
        ({"expires": "someday"}, "expires"),
    ],
)
def test_broken_exceptions_are_clear_errors(project, exception, message):
    base = {"team": "genomics", "control": "compute.default_quota.cpu", "value": "64", "reason": "protein folding runs", "approved_by": "ciso", "expires": "2099-01-01"}
    add_exception(project, **{**base, **exception})
    with pytest.raises(SpecError, match=message):
        load_blueprint(project)


def test_team_fields_can_also_be_set_by_control_id(project):
    fork(project, "--team", "genomics")
    edit_overlay(project, "genomics", controls={"compute.default_quota.cpu": "4", "compute.sessions.idle_timeout_minutes": 20})
    team = load_blueprint(project).team("genomics")
    assert (team.quota.cpu, team.idle_timeout_minutes, team.root_allowed) == ("4", 20, False)
