"""The one error boundary through the real CLI: bad input exits 2 naming the field, a bug exits 3 without a
traceback unless --debug, and every exit code is documented where users look."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import blueprint.preview
from blueprint import ISSUE_TRACKER
from blueprint.cli import app
from blueprint.cli._app import ExitCode
from tests.conftest import blueprint_data, write_blueprint

runner = CliRunner()
README = Path(__file__).parents[2] / "README.md"


def star_allowlist_project(tmp_path: Path) -> Path:
    """A custom stance whose allowlist is '*' (today's 68-line traceback, exit 1)."""
    stances = {"mine": {"extends": "strict", "overrides": {"network": {"egress": "allowlist", "egress_allowlist": ["*"]}}}}
    project = tmp_path / "star"
    write_blueprint(project, blueprint_data(stance="mine", stances=stances))
    return project


def test_an_allowlist_of_star_is_bad_input_naming_the_field(tmp_path):
    project = star_allowlist_project(tmp_path)
    # A real process: the exit status and stderr are what CI sees.
    done = subprocess.run([sys.executable, "-m", "blueprint", "check", str(project)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == ExitCode.BAD_INPUT == 2, done.stderr
    assert "stances.mine.overrides.network.egress_allowlist" in done.stderr and "egress: open" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert len(done.stderr.splitlines()) <= 3, done.stderr


@pytest.mark.parametrize("egress", ["open", "mirror"])
def test_star_is_refused_only_where_it_would_open_an_allowlist(tmp_path, egress):
    stances = {"mine": {"extends": "strict", "overrides": {"network": {"egress": egress, "egress_allowlist": ["*"]}}}}
    project = tmp_path / egress
    write_blueprint(project, blueprint_data(stance="mine", stances=stances))
    result = runner.invoke(app, ["explain", str(project), "--json"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def crashing_preview(monkeypatch):
    def crash(*_args, **_kwargs):
        raise KeyError("a bug in the program")

    monkeypatch.setattr(blueprint.preview, "preview_project", crash)
    monkeypatch.setattr(blueprint.preview, "preview_spec", crash)  # check previews the spec it loaded


def test_an_internal_error_exits_3_without_a_traceback(tmp_path, crashing_preview):
    project = tmp_path / "ok"
    write_blueprint(project, blueprint_data())
    result = runner.invoke(app, ["check", str(project)])
    assert result.exit_code == ExitCode.INTERNAL_ERROR == 3, result.output
    assert f"internal error: please report this to {ISSUE_TRACKER}" in result.output
    assert "KeyError: 'a bug in the program'" in result.output and "--debug" in result.output
    assert "Traceback" not in result.output


def test_debug_prints_the_traceback_and_still_exits_3(tmp_path, crashing_preview):
    project = tmp_path / "ok"
    write_blueprint(project, blueprint_data())
    result = runner.invoke(app, ["--debug", "check", str(project)])
    assert result.exit_code == 3, result.output
    assert "Traceback (most recent call last)" in result.output and "in crash" in result.output
    assert "internal error: please report this to" in result.output


def test_a_check_that_fails_still_exits_1_and_bad_input_2(tmp_path):
    missing = runner.invoke(app, ["check", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2, missing.output
    usage = runner.invoke(app, ["check", str(tmp_path), "--against", "lenient"])
    assert usage.exit_code == 2 and "--against: 'lenient' is not a built-in stance (use one of:" in usage.output


def test_exit_codes_are_documented_in_help_and_readme():
    for text in (runner.invoke(app, ["--help"]).output, runner.invoke(app, ["-h"]).output):
        flat = " ".join(text.split())
        assert "0 ok, 1 check failed, 2 bad input" in flat and "3 internal error" in flat, text
    assert "3 internal error" in " ".join(README.read_text(encoding="utf-8").split())




@pytest.mark.parametrize("kind", ["PlanError", "ValueError"])
def test_a_plan_time_fact_is_bad_input_only_as_a_plan_error(tmp_path, monkeypatch, kind):
    """A fact known only while the program runs, raised inside an `apply` feeding a resource input: the Pulumi SDK
    wraps a ValueError in its own ("While processing input: ..."), so a component's plain ValueError is an internal
    error; a PlanError (not a ValueError) reaches the boundary as itself: exit 2, its own message."""
    import pulumi
    import pulumi_aws as aws

    from blueprint.errors import PlanError
    from blueprint.preview.engine import run_program

    def program() -> None:
        def zones(names: list[str]) -> str:
            message = f"the region has {len(names)} availability zones"
            if kind == "ValueError":
                raise ValueError(message)
            raise PlanError(field="network.availability_zones", message=message, fix="ask for at most 3")

        zone = pulumi.Output.from_input(["a", "b", "c"]).apply(zones)
        subnet = aws.ec2.Subnet("subnet", vpc_id="vpc-1", cidr_block="10.0.0.0/24", availability_zone=zone)
        aws.ec2.RouteTableAssociation("association", subnet_id=subnet.id, route_table_id="rtb-1")

    monkeypatch.setattr(blueprint.preview, "preview_spec", lambda *_a, **_k: run_program(program, project="acme", stack="dev"))
    project = tmp_path / "ok"
    write_blueprint(project, blueprint_data())
    result = runner.invoke(app, ["check", str(project)])
    if kind == "PlanError":
        assert result.exit_code == 2, result.output
        assert result.output.startswith("error: blueprint.yaml: network.availability_zones: the region has 3 availability zones (ask for at most 3)")
        assert "internal error" not in result.output
    else:
        assert result.exit_code == 3, result.output
        assert "While processing input" in result.output and "internal error" in result.output
