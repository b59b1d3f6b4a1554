"""works.generate.requirements-resolve (offline): generated projects resolve; each way a clone would not install fires it."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.generate.resolve import requirement_problems
from blueprint.model import load_blueprint

runner = CliRunner()


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    root = tmp_path_factory.mktemp("resolve")
    made = {}
    for stance in ("strict", "balanced", "open"):
        target = root / stance
        result = runner.invoke(app, ["new", str(target), "--org", "acme", "--stance", stance, "--admin-cidr", "203.0.113.0/24"])
        assert result.exit_code == 0, result.output
        made[stance] = target
    return made


@pytest.fixture
def copy(projects, tmp_path):
    def make(stance: str):
        target = tmp_path / stance
        shutil.copytree(projects[stance], target)
        return target, load_blueprint(target)

    return make


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_generated_projects_resolve(projects, stance):
    assert requirement_problems(projects[stance], load_blueprint(projects[stance])) == []


def test_the_chart_travels_with_the_project_unless_egress_is_open(projects):
    assert (projects["strict"] / "charts/jupyterhub/Chart.yaml").is_file()
    assert (projects["balanced"] / "charts/jupyterhub/templates").is_dir()
    assert not (projects["open"] / "charts").exists()


def test_a_missing_wheel_fires(copy):
    project, spec = copy("strict")
    shutil.rmtree(project / "vendor")
    problems = requirement_problems(project, spec)
    assert any("requirements.txt:" in p and "is not in the project" in p for p in problems)
    assert any(p.startswith("policy/") and "is not in the project" in p for p in problems)


def test_a_wheel_that_is_not_the_pinned_one_fires(copy):
    project, spec = copy("balanced")
    (wheel,) = (project / "vendor").glob("*.whl")
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    assert any("does not have the sha256" in p for p in requirement_problems(project, spec))


@pytest.mark.parametrize(("line", "expect"), [("pulumi>=3", "is not an exact pin"), ("git+https://github.com/acme/x.git", "is not an exact pin")])
def test_a_loose_requirement_fires(copy, line, expect):
    project, spec = copy("open")
    path = project / "requirements.txt"
    path.write_text(path.read_text() + line + "\n")
    assert any(expect in p for p in requirement_problems(project, spec))


def test_without_workbench_blueprint_the_program_cannot_import(copy):
    project, spec = copy("open")
    path = project / "requirements.txt"
    path.write_text("".join(l + "\n" for l in path.read_text().splitlines() if not l.startswith("file:")))
    assert any("no workbench-blueprint requirement" in p for p in requirement_problems(project, spec))


def test_a_missing_chart_fires_where_the_release_installs_it(copy):
    project, spec = copy("strict")
    shutil.rmtree(project / "charts")
    assert any("charts/jupyterhub/ is missing" in p for p in requirement_problems(project, spec))
