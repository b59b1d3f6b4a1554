"""`blueprint validate` through the real CLI: the whole project is loaded (overlays, exceptions, floor), nothing is previewed."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.model.yamlio import dump_yaml, read_yaml

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "acme-dsw"
    result = runner.invoke(app, ["new", str(target), "--org", "acme", "--team", "genomics:dsw-genomics", "--team", "vision"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["fork", str(target), "--team", "genomics"]).exit_code == 0
    return target


def raise_genomics_cpu(project: Path, cpu: str) -> None:
    overlay = project / "teams" / "genomics.yaml"
    data = read_yaml(overlay)
    data["quota"]["cpu"] = cpu
    overlay.write_text(dump_yaml(data))


def add_exception(project: Path, expires: dt.date) -> None:
    path = project / "blueprint.yaml"
    data = read_yaml(path)
    data["exceptions"] = [
        {"team": "genomics", "control": "compute.default_quota.cpu", "value": "64", "reason": "protein folding runs", "approved_by": "ciso@acme.example", "expires": expires}
    ]
    path.write_text(dump_yaml(data))


def test_a_valid_project_gets_a_one_line_summary(project):
    result = runner.invoke(app, ["validate", str(project)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"valid {project}/blueprint.yaml: stance strict, 2 team(s) (1 with an overlay), 0 exception(s), 38 floor control(s)\n"


def test_json_says_what_was_loaded(project):
    raise_genomics_cpu(project, "64")
    add_exception(project, dt.date.today() + dt.timedelta(days=3))
    result = runner.invoke(app, ["validate", str(project), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["valid"] is True and data["stance"] == "strict"
    assert data["teams"] == [{"name": "genomics", "overlay": f"{project}/teams/genomics.yaml"}, {"name": "vision", "overlay": None}]
    assert [e["control"] for e in data["exceptions"]] == [e["control"] for e in data["expiring"]] == ["compute.default_quota.cpu"]
    assert "compute.default_quota.cpu" in data["floor"] and data["floor"] == sorted(data["floor"])
    assert "expires" in result.stderr  # the human note about the expiring exception stays off stdout


def test_an_overlay_below_the_floor_exits_2_naming_file_field_and_floor(project):
    raise_genomics_cpu(project, "64")
    result = runner.invoke(app, ["validate", str(project)])
    assert result.exit_code == 2, result.output
    assert "teams/genomics.yaml" in result.stderr and "quota.cpu" in result.stderr and "floor" in result.stderr
    assert result.stdout == ""


def test_an_exception_is_what_permits_it(project):
    raise_genomics_cpu(project, "64")
    add_exception(project, dt.date(2099, 1, 1))
    result = runner.invoke(app, ["validate", str(project)])
    assert result.exit_code == 0, result.output
    assert "1 exception(s)" in result.stdout


def test_bad_input_with_json_prints_the_problems_as_json_too(project):
    path = project / "blueprint.yaml"
    path.write_text(path.read_text().replace("region: us-east-1", "region: Mars"))
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = runner.invoke(app, ["validate", str(project), "--json"])
    assert result.exit_code == 2, result.output
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["source"] == str(path)
    assert [p["field"] for p in data["problems"]] == ["region"]
    assert "region" in result.stderr and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_a_missing_project_exits_2():
    result = runner.invoke(app, ["validate", "nowhere"])
    assert result.exit_code == 2 and "nowhere" in result.stderr and "file not found" in result.stderr


def test_validate_never_imports_pulumi(project):
    """How fast it answers is a benchmark figure (bench/run.py), not a test: a shared machine makes CPU time flaky."""
    raise_genomics_cpu(project, "64")
    add_exception(project, dt.date(2099, 1, 1))
    probe = textwrap.dedent(
        f"""
        import sys
        from blueprint.cli import main
        sys.argv = ["blueprint", "validate", {str(project)!r}]
        try:
            main()
        except SystemExit as exit:
            code = exit.code
        loaded = sorted(name for name in sys.modules if name == "pulumi" or name.startswith(("pulumi.", "pulumi_")))
        print("RESULT", code, loaded)
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    _, code, loaded = done.stdout.strip().splitlines()[-1].split(" ", 2)
    assert code in ("0", "None"), done.stdout + done.stderr
    assert loaded == "[]", f"validate imported {loaded}"
