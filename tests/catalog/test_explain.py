"""`blueprint explain PROJECT`: the truth about this project (teams after overlays and exceptions, a custom
stance's own summary), what enforces each control, and output that fits 80 columns."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from blueprint.catalog import NO_OFFLINE_RULE, explain
from blueprint.cli import app
from blueprint.model import BUILTIN_STANCES, Stance, builtin_stance, stance_controls
from blueprint.model.builtin import stance_path
from blueprint.model.stance import META, SUMMARY_PHRASES, derived_summary
from blueprint.model.yamlio import dump_yaml
from tests.conftest import blueprint_data, write_blueprint

runner = CliRunner()
EXCEPTION = {
    "team": "genomics",
    "control": "compute.sessions.root_allowed",
    "value": True,
    "reason": "builds conda environments that need apt packages",
    "approved_by": "ciso@acme.example",
    "expires": "2099-01-01",
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Strict; genomics gets 1 GPU in blueprint.yaml, and root and less CPU from its overlay (root by exception)."""
    directory = tmp_path / "acme-dsw"
    write_blueprint(directory, blueprint_data("strict", teams=2, exceptions=[EXCEPTION], floor={"add": ["stability.multi_az_nodes"]}))
    (directory / "teams").mkdir()
    overlay = {"team": "genomics", "quota": {"cpu": "8"}, "controls": {"compute.sessions.root_allowed": True}}
    (directory / "teams" / "genomics.yaml").write_text(dump_yaml(overlay))
    return directory


def _json(*args: str) -> dict:
    result = runner.invoke(app, ["explain", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _team(payload: dict, name: str) -> dict[str, dict]:
    team = next(t for t in payload["teams"] if t["name"] == name)
    return {c["id"]: c for c in team["controls"]}


def test_project_json_shows_each_teams_effective_values_and_where_they_differ(project):
    payload = _json(str(project))
    assert payload["stance"] == "strict" and payload["project"] == str(project / "blueprint.yaml")
    genomics = _team(payload, "genomics")
    root = genomics["compute.sessions.root_allowed"]
    assert root["value"] is True and root["org_value"] is False and root["differs"] and root["weaker"]
    assert root["source"] == "teams/genomics.yaml"
    assert root["exception"] == {
        "approver": "ciso@acme.example", "expires": "2099-01-01", "reason": EXCEPTION["reason"], "value": True, "expired": False,
    }  # fmt: skip
    cpu = genomics["compute.default_quota.cpu"]
    assert (cpu["value"], cpu["org_value"], cpu["differs"], cpu["weaker"], cpu["source"]) == ("8", "16", True, False, "teams/genomics.yaml")
    gpu = genomics["compute.default_quota.gpu"]  # set by the org for this team, in blueprint.yaml
    assert (gpu["value"], gpu["org_value"], gpu["weaker"], gpu["source"]) == (1, 0, True, "blueprint.yaml")
    assert genomics["compute.default_quota.memory"] == {
        "id": "compute.default_quota.memory", "value": "64Gi", "org_value": "64Gi", "differs": False, "weaker": False,
        "source": "stance", "exception": None,
    }  # fmt: skip
    assert not any(c["differs"] or c["exception"] for c in _team(payload, "team-1").values())
    # The project's floor: the stance's floor controls plus what blueprint.yaml adds.
    floor = {c["id"] for c in payload["controls"] if c["floor"]}
    assert "stability.multi_az_nodes" in floor and floor - {"stability.multi_az_nodes"} == {c["id"] for c in _json("strict")["controls"] if c["floor"]}


def test_project_marks_the_rules_its_blueprint_does_not_ask_for(project, tmp_path):
    """Balanced keeps a 7-day cooldown, but proxies PyPI: the cooldown rule checks nothing there, and explain says so."""
    strict = {c["id"]: c for c in _json(str(project))["controls"]}
    assert strict["packages.cooldown_days"]["rules_not_applied"] == [] and strict["identity.mfa"]["rules_not_applied"] == []
    directory = tmp_path / "balanced-dsw"
    write_blueprint(directory, blueprint_data("balanced"))
    balanced = {c["id"]: c for c in _json(str(directory))["controls"]}
    assert balanced["packages.cooldown_days"]["value"] == 7
    assert balanced["packages.cooldown_days"]["rules_not_applied"] == ["packages.curation-cooldown"]
    assert balanced["identity.mfa"]["rules_not_applied"] == ["identity.mfa-enforced"]
    result = runner.invoke(app, ["explain", str(directory)], env={"COLUMNS": "200"})
    assert "not applied here (this blueprint does not ask for them): packages.curation-cooldown" in result.output
    assert re.search(r"\d+ more have only rules this blueprint does not ask for: .*packages\.cooldown_days", result.output)


def test_project_human_output_marks_differences_and_exceptions(project):
    result = runner.invoke(app, ["explain", str(project / "blueprint.yaml")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "* compute.sessions.root_allowed: true (weaker than the org's false; set in teams/genomics.yaml)" in text
    assert "exception: approved by ciso@acme.example, expires 2099-01-01: builds conda environments" in text
    assert "* compute.default_quota.cpu: \"8\" (stronger than the org's \"16\"; set in teams/genomics.yaml)" in text
    assert "    compute.default_quota.cpu: \"16\"" in text  # team-1: the org's value, unmarked


def test_project_is_the_current_directory_by_default(project, monkeypatch):
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["explain", "--json"])
    assert result.exit_code == 0, result.output
    assert [t["name"] for t in json.loads(result.stdout)["teams"]] == ["genomics", "team-1"]


def test_a_directory_without_a_blueprint_is_exit_2(tmp_path):
    result = runner.invoke(app, ["explain", str(tmp_path)])
    assert result.exit_code == 2
    assert "no blueprint.yaml" in result.output and "strict, balanced, open" in result.output


def test_custom_stance_summary_follows_its_values_never_its_parents_text(tmp_path):
    directory = tmp_path / "acme-dsw"
    custom = {"leaky": {"extends": "strict", "overrides": {"network": {"egress": "open"}}}}
    write_blueprint(directory, blueprint_data("leaky", stances=custom))
    payload = _json(str(directory))
    assert payload["stance"] == "leaky" and payload["extends"] == "strict"
    assert payload["summary"].startswith("Open internet egress, ") and "No internet egress" not in payload["summary"]
    assert payload["note"] is None

    # The org's own words are kept as its note, shown as such; the summary still says what the values say.
    custom["leaky"]["summary"] = "Strict, with open egress for the HPC pilot."
    write_blueprint(directory, blueprint_data("leaky", stances=custom))
    payload = _json(str(directory))
    assert payload["note"] == "Strict, with open egress for the HPC pilot." and payload["summary"].startswith("Open internet egress")
    result = runner.invoke(app, ["explain", str(directory)], env={"COLUMNS": "200"})
    assert "leaky (extends strict): Open internet egress" in result.output
    assert "note (written in blueprint.yaml, not checked): Strict, with open egress" in result.output


def test_a_custom_stance_does_not_inherit_its_parents_note(tmp_path):
    directory = tmp_path / "acme-dsw"
    custom = {"base": {"extends": "strict", "summary": "Our strict base."}, "child": {"extends": "base", "overrides": {"identity": {"mfa": False}}}}
    write_blueprint(directory, blueprint_data("child", stances=custom))
    payload = _json(str(directory))
    assert payload["note"] is None and "no MFA" in payload["summary"]


# ---- derived summaries ---------------------------------------------------------------------


def test_builtin_summaries_say_what_their_values_say():
    """Read against blueprints/*.yaml: each phrase is the value of one control (the table in model/stance.py)."""
    assert builtin_stance("strict").summary == (
        "No internet egress, private API, internal ingress, MFA, KMS keys with rotation, multi-region audit trail, "
        "curated Python packages, curated CRAN snapshot."
    )
    assert builtin_stance("balanced").summary == (
        "NAT to 5 allowlisted domains, private API, internet ingress behind SSO, no MFA, KMS keys, single-region audit trail, "
        "PyPI proxy with a blocklist, dated CRAN snapshot."
    )
    assert builtin_stance("open").summary == (
        "Open internet egress, public API to admin CIDRs, internet ingress behind SSO, no MFA, root in sessions, "
        "provider-managed encryption, no audit trail, live PyPI, live CRAN."
    )


def _with(stance: Stance, control: str, value: object) -> Stance:
    data = stance.model_dump(mode="json")
    holder = data
    *parents, leaf = control.split(".")
    for part in parents:
        holder = holder[part]
    holder[leaf] = value
    if control == "network.egress" and value == "allowlist" and "*" in data["network"]["egress_allowlist"]:
        data["network"]["egress_allowlist"] = ["github.com"]  # open's '*' is refused with 'allowlist'
    if control == "packages.r" and value != "latest":
        data["packages"]["r_snapshot_date"] = data["packages"]["r_snapshot_date"] or "2026-10-01"
    if control == "packages.python" and value == "curated":
        data["packages"]["python_allowlist"] = data["packages"]["python_allowlist"] or ["numpy"]
    return Stance.model_validate(data)


@pytest.mark.parametrize("control", [c for c, _ in SUMMARY_PHRASES])
def test_every_value_of_a_summarised_control_changes_the_summary(control):
    """Each value of each summarised control gives its own phrase: no summary can hide a change of value."""
    meta = META[control]
    values = meta.ranking or (True, False)
    phrase = dict(SUMMARY_PHRASES)[control]
    for name in BUILTIN_STANCES:
        said = set()
        for value in values:
            stance = _with(builtin_stance(name), control, value)
            words = phrase(stance)
            assert words is None or words.lower() in stance.summary.lower()
            said.add(words)
        assert len(said) == len(values), f"{control} in {name}: two values give the same words {said}"


def test_summaries_are_derived_not_stored():
    assert "summary" not in Stance.model_fields
    for name in BUILTIN_STANCES:
        assert not re.search(r"^summary:", stance_path(name).read_text(), re.M)  # no written text to drift from the values
    assert derived_summary(builtin_stance("strict")) == builtin_stance("strict").summary


# ---- what enforces each control -------------------------------------------------------------


def test_every_floor_control_has_a_rule_or_says_why_none_can_exist_offline():
    missing = [c.id for c in explain(builtin_stance("strict")) if c.floor and not c.rules and NO_OFFLINE_RULE not in c.why]
    assert not missing, f"floor controls with neither a rule nor {NO_OFFLINE_RULE!r} in their why: {missing}"
    floor = {c.id for c in stance_controls() if c.meta.in_default_floor}
    assert floor == {c.id for c in explain(builtin_stance("strict")) if c.floor}


# ---- 80 columns ---------------------------------------------------------------------------


def test_output_fits_an_80_column_terminal(project, monkeypatch):
    import blueprint.cli.catalog as catalog_cli

    buffer = io.StringIO()
    monkeypatch.setattr(catalog_cli, "out", Console(file=buffer, width=80, force_terminal=True, highlight=False, soft_wrap=True))
    result = runner.invoke(app, ["explain", str(project)])
    assert result.exit_code == 0, result.output
    lines = ANSI.sub("", buffer.getvalue()).splitlines()
    assert len(lines) > 200
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    # The why wraps under its control (indented 4), not in a narrow column.
    assert "    Where workbench traffic may go: 'mirror' = VPC endpoints and the package" in lines


def test_output_through_a_pipe_fits_80_columns(project):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2] / "src"), env.get("PYTHONPATH", "")])
    for args in (["explain", str(project)], ["explain", "open"], ["stances"]):
        done = subprocess.run([sys.executable, "-m", "blueprint", *args], capture_output=True, text=True, env=env, check=True)
        lines = done.stdout.splitlines()
        assert lines and max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
        assert not [line for line in lines if line != line.rstrip()], args
        assert "\x1b[" not in done.stdout
