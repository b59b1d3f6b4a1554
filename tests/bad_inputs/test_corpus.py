"""Every broken or hostile input in cases/ gives one clean error through the real CLI and changes nothing.

Each case starts with `# expect: <text the message must contain>`; overlay cases
add `# overlay: <team>` and are placed at teams/<team>.yaml of a valid project.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blueprint.cli import app
from tests.conftest import blueprint_data, write_blueprint

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
COMMANDS = ("new", "preview", "check", "fork")
MAX_LINES = 24
runner = CliRunner()


def header(case: Path, key: str) -> str | None:
    for line in case.read_bytes().decode("utf-8", "replace").splitlines()[:3]:
        if line.startswith(f"# {key}: "):
            return line.split(": ", 1)[1]
    return None


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def valid_project(tmp_path: Path) -> Path:
    project = tmp_path / "acme-dsw"
    teams = [{"name": "genomics", "idp_group": "dsw-genomics"}, {"name": "vision", "idp_group": "dsw-vision"}]
    write_blueprint(project, blueprint_data(teams=teams))
    return project


def place(case: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(project directory, the file that holds the case)."""
    project = valid_project(tmp_path)
    team = header(case, "overlay")
    target = project / "teams" / f"{team}.yaml" if team else project / "blueprint.yaml"
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(case, target)
    return project, target


def invoke(command: str, project: Path, case_file: Path, tmp_path: Path):
    if command == "new":
        return runner.invoke(app, ["new", str(tmp_path / "new-project"), "--from", str(case_file)])
    if command == "fork":
        return runner.invoke(app, ["fork", str(project), "--team", "vision", "--force"])
    return runner.invoke(app, [command, str(project)])


def test_corpus_is_big_enough():
    assert len(CASES) >= 40
    assert all(header(c, "expect") for c in CASES), [c.name for c in CASES if not header(c, "expect")]


# `new --from` reads a blueprint file only; overlay cases go through the commands that read teams/.
PAIRS = [(case, command) for case in CASES for command in COMMANDS if not (command == "new" and header(case, "overlay"))]


@pytest.mark.parametrize(("case", "command"), PAIRS, ids=[f"{case.stem}-{command}" for case, command in PAIRS])
def test_bad_input_is_one_clean_error_and_changes_nothing(case, command, tmp_path):
    project, case_file = place(case, tmp_path)
    before = snapshot(tmp_path)
    result = invoke(command, project, case_file, tmp_path)
    output = result.output
    assert result.exit_code == 2, f"exit {result.exit_code}: {output}"
    assert "Traceback" not in output and result.exception is None or isinstance(result.exception, SystemExit)
    assert header(case, "expect") in output, output
    assert case_file.name in output, output
    assert len(output.splitlines()) <= MAX_LINES, output
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "new-project").exists()


def test_ten_megabyte_file_is_refused_before_parsing(tmp_path):
    project = valid_project(tmp_path)
    (project / "blueprint.yaml").write_text("org: acme\n" + "# padding\n" * 1_100_000)
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["fork", str(project), "--team", "vision"])
    assert result.exit_code == 2
    assert "larger than" in result.output and "blueprint.yaml" in result.output
    assert snapshot(tmp_path) == before
