"""What an editor shows: yaml-language-server (VS Code's YAML extension and others) on real project files, each
finding its schema through its modeline. An independent judge of the schemas: another validator, ECMA-262
regular expressions, YAML 1.2 reading, and what a user sees on hover and completion.

Needs node and the judge's packages (tests/catalog/editor/package*.json, pinned): `mkdir -p .tools/yaml-ls &&
cp tests/catalog/editor/package*.json .tools/yaml-ls && npm ci --prefix .tools/yaml-ls` (or BLUEPRINT_YAML_LS
naming another such directory). Skipped without them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from blueprint.catalog import BLUEPRINT_SCHEMA_FILE, OVERLAY_SCHEMA_FILE, modeline, overlay_schema, project_schema, schema_text
from blueprint.cli import app
from blueprint.model.stance import META
from blueprint.model.units import QUANTITY_LOOKS_LIKE

ROOT = Path(__file__).parents[2]
JUDGE = Path(__file__).parent / "editor" / "judge.js"
runner = CliRunner()


@pytest.fixture(scope="module")
def editor():
    """`editor([{path, hover?, complete?}])` -> what yaml-language-server reports for each file."""
    packages = Path(os.environ.get("BLUEPRINT_YAML_LS") or ROOT / ".tools" / "yaml-ls") / "node_modules"
    node = shutil.which("node")
    if node is None or not (packages / "yaml-language-server").is_dir():
        pytest.skip(f"yaml-language-server not installed at {packages} (or no node on PATH): see this module's docstring")

    def run(requests: list[dict[str, Any]], scratch: Path) -> list[dict[str, Any]]:
        file = scratch / "requests.json"
        file.write_text(json.dumps([{**r, "path": str(r["path"])} for r in requests]))
        done = subprocess.run([node, str(JUDGE), str(file)], capture_output=True, text=True, env={**os.environ, "NODE_PATH": str(packages)}, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run


def new_project(tmp_path: Path, *args: str) -> Path:
    target = tmp_path / "acme-dsw"
    result = runner.invoke(app, ["new", str(target), "--org", "acme", "--team", "genomics:dsw-genomics", *args])
    assert result.exit_code == 0, result.output
    return target


def line_of(path: Path, text: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_new_project_and_a_forked_overlay_show_no_problems(editor, tmp_path):
    project = new_project(tmp_path)
    assert runner.invoke(app, ["fork", str(project), "--team", "vision"]).exit_code == 0
    results = editor([{"path": project / "blueprint.yaml"}, {"path": project / "teams/vision.yaml"}], tmp_path)
    assert [r["diagnostics"] for r in results] == [[], []]


def test_the_committed_examples_show_no_problems(editor, tmp_path):
    """The stacks, with this version's schemas written beside them as `blueprint new` and `fork` write them."""
    requests = []
    for stack in sorted(p for p in (ROOT / "stacks").iterdir() if (p / "blueprint.yaml").is_file()):
        copy = tmp_path / stack.name
        (copy / "teams").mkdir(parents=True)
        shutil.copy(stack / "blueprint.yaml", copy / "blueprint.yaml")
        (copy / BLUEPRINT_SCHEMA_FILE).write_text(schema_text(project_schema(copy)))
        (copy / OVERLAY_SCHEMA_FILE).write_text(schema_text(overlay_schema()))
        requests.append({"path": copy / "blueprint.yaml", "hover": [line_of(copy / "blueprint.yaml", "org:"), 1]})
        for overlay in sorted((stack / "teams").glob("*.yaml")):
            text = overlay.read_text()
            line = f"# {modeline('../' + OVERLAY_SCHEMA_FILE)}\n"
            (copy / "teams" / overlay.name).write_text(text if text.startswith(line) else line + text)
            requests.append({"path": copy / "teams" / overlay.name, "hover": [line_of(copy / "teams" / overlay.name, "team:"), 1]})
    assert len(requests) >= 6
    results = editor(requests, tmp_path)
    assert {str(r["path"]): [] for r in requests} == {r["path"]: r["diagnostics"] for r in results}
    assert all(r["hover"] for r in results), "each file's schema was found (its hover describes the key)"


def test_the_editor_flags_what_the_model_refuses_on_its_line(editor, tmp_path):
    project = new_project(tmp_path)
    assert runner.invoke(app, ["fork", str(project), "--team", "genomics"]).exit_code == 0
    overlay = project / "teams/genomics.yaml"
    overlay.write_text(overlay.read_text().replace("memory: 64Gi", "memory: 64 Gi").replace("root_allowed: false", "root_allowed: nope"))
    blueprint = project / "blueprint.yaml"
    blueprint.write_text(
        blueprint.read_text().replace("stance: strict", "stance: paranoid")
        + "exceptions:\n  - {team: genomics, control: compute.quota.cpu, value: '64', reason: protein folding runs, approved_by: ciso, expires: 2099-01-01}\n"
    )
    overlay_result, blueprint_result = editor([{"path": overlay}, {"path": blueprint}], tmp_path)
    assert sorted(d["line"] for d in overlay_result["diagnostics"]) == [line_of(overlay, "memory: 64 Gi"), line_of(overlay, "root_allowed: nope")]
    quantity = next(d["message"] for d in overlay_result["diagnostics"] if d["line"] == line_of(overlay, "memory: 64 Gi"))
    assert quantity == f"Should be {QUANTITY_LOOKS_LIKE}.", "what a quantity looks like, not the regular expression"
    assert sorted(d["line"] for d in blueprint_result["diagnostics"]) == [line_of(blueprint, "stance: paranoid"), line_of(blueprint, "compute.quota.cpu")]


def test_hover_tells_why_and_completion_offers_stances_and_control_ids(editor, tmp_path):
    project = new_project(tmp_path)
    blueprint = project / "blueprint.yaml"
    blueprint.write_text(
        blueprint.read_text().replace("stance: strict", "stance: mine")
        + "stances:\n  mine:\n    extends: strict\n    overrides:\n      network:\n        egress: allowlist\n"
        + "exceptions:\n  - {team: genomics, control: , value: '64', reason: protein folding runs, approved_by: ciso, expires: 2099-01-01}\n"
    )
    (project / BLUEPRINT_SCHEMA_FILE).write_text(schema_text(project_schema(project)))  # as README says, after declaring a stance
    egress, stance, control = line_of(blueprint, "egress: allowlist"), line_of(blueprint, "stance: mine"), line_of(blueprint, "control: ,")
    column = blueprint.read_text().splitlines()[control - 1].index("control: ") + len("control: ")
    hover, completed, controls = editor(
        [{"path": blueprint, "hover": [egress, 9]}, {"path": blueprint, "complete": [stance, len("stance: ")]}, {"path": blueprint, "complete": [control, column]}],
        tmp_path,
    )
    assert META["network.egress"].why.split(":")[0] in hover["hover"].replace("\\", "")
    assert {"strict", "balanced", "open", "mine"} <= set(completed["completions"])
    assert [c for c in controls["completions"] if c in META] == [c for c in META if META[c].ordered]
