"""`blueprint upgrade`: three-way merge keeps hand edits, user files are never rewritten, dirty trees and conflicts change nothing."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.generate import project as project_module
from blueprint.generate import record as record_module
from blueprint.generate import upgrade as upgrade_module
from blueprint.generate.pins import PINS
from blueprint.generate.record import GENERATED_FILE
from blueprint.generate.upgrade import merge3
from blueprint.generate.wheel import Wheel

runner = CliRunner()
NEXT = "0.2.0"
NEXT_WHEEL = Wheel(NEXT, b"PK the next release's wheel")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file() and ".git/" not in str(p)}


def git(directory: Path, *args: str) -> str:
    config = ["-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]
    return subprocess.run(["git", *config, *args], cwd=directory, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def project(tmp_path) -> Path:
    target = tmp_path / "acme-dsw"
    result = runner.invoke(app, ["new", str(target), "--org", "acme", "--team", "genomics", "--team", "vision"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["fork", str(target), "--team", "genomics"]).exit_code == 0
    return target


@pytest.fixture
def next_version(monkeypatch):
    """This process pretends to be the next release: a new pin, a changed README ending and a new .gitignore line."""
    monkeypatch.setattr(project_module, "__version__", NEXT)
    monkeypatch.setattr(upgrade_module, "__version__", NEXT)
    monkeypatch.setattr(record_module, "__version__", NEXT)
    monkeypatch.setitem(PINS, "workbench-blueprint", NEXT)
    monkeypatch.setattr(project_module, "running_wheel", lambda: NEXT_WHEEL)
    readme = project_module.project_readme
    monkeypatch.setattr(project_module, "project_readme", lambda answers, spec: readme(answers, spec).replace("The IdP callback URL to register", "Register this IdP callback URL"))
    monkeypatch.setattr(project_module, "GITIGNORE", project_module.GITIGNORE + "# Offline preview output\n.blueprint-cache/\n")


def upgrade(directory: Path, *args: str):
    return runner.invoke(app, ["upgrade", str(directory), *args])


def test_hand_edits_survive_and_user_files_are_untouched(project, next_version):
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("## Review before anything is applied", "## Our runbook\n\nPage the platform team first.\n\n## Review before anything is applied"))
    (project / ".gitignore").write_text("# ours\nscratch/\n" + (project / ".gitignore").read_text())
    main_py = project / "__main__.py"
    main_py.write_text(main_py.read_text() + "\n# hand edit next to the generated entry point\n")
    user_files = {p: (project / p).read_bytes() for p in ("blueprint.yaml", "teams/genomics.yaml")}

    result = upgrade(project, "--no-preview")
    assert result.exit_code == 0, result.output
    text = readme.read_text()
    assert "Page the platform team first." in text and "Register this IdP callback URL" in text
    assert "The IdP callback URL to register" not in text
    gitignore = (project / ".gitignore").read_text()
    assert gitignore.startswith("# ours\nscratch/\n") and ".blueprint-cache/" in gitignore
    assert main_py.read_text().endswith("# hand edit next to the generated entry point\n")
    # The vendored wheel moves with the release: the new one written, requirements.txt pinning its sha256.
    (old_wheel,) = [p for p in (project / "vendor").glob("*.whl") if NEXT not in p.name]
    assert (project / NEXT_WHEEL.path).read_bytes() == NEXT_WHEEL.data
    assert f"file:{NEXT_WHEEL.path}#sha256={NEXT_WHEEL.sha256}\n" in (project / "requirements.txt").read_text()
    assert f"vendor/{old_wheel.name} is no longer vendored by this version" in result.output
    assert re.search(rf"added +{re.escape(NEXT_WHEEL.path)}", result.stdout)
    assert {p: (project / p).read_bytes() for p in user_files} == user_files
    answers = json.loads((project / ".blueprint/answers.json").read_text())
    assert answers["version"] == NEXT and answers["stance"]["name"] == "strict"
    record = json.loads((project / GENERATED_FILE).read_text())
    assert record["version"] == NEXT and "Register this IdP callback URL" in record["files"]["README.md"]
    assert "merged" in result.stdout and "README.md" in result.stdout


def test_second_upgrade_is_a_no_op(project, next_version):
    assert upgrade(project, "--no-preview").exit_code == 0
    before = snapshot(project)
    assert upgrade(project, "--no-preview").exit_code == 0
    assert snapshot(project) == before


def test_conflict_changes_nothing_unless_allowed(project, next_version):
    readme = project / "README.md"
    readme.write_text(readme.read_text().replace("The IdP callback URL to register", "Our IdP callback URL"))
    before = snapshot(project)
    result = upgrade(project, "--no-preview")
    assert result.exit_code == 2
    assert "README.md" in result.output and "--allow-conflicts" in result.output
    assert snapshot(project) == before

    result = upgrade(project, "--no-preview", "--allow-conflicts")
    assert result.exit_code == 0, result.output
    text = readme.read_text()
    assert "<<<<<<< yours" in text and "Our IdP callback URL" in text and "Register this IdP callback URL" in text and ">>>>>>> generated by 0.2.0" in text


def test_dirty_git_tree_is_refused_unless_forced(project, next_version):
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "generated")
    (project / "notes.md").write_text("draft\n")
    before = snapshot(project)
    result = upgrade(project, "--no-preview")
    assert result.exit_code == 2 and "uncommitted changes (notes.md)" in result.output
    assert snapshot(project) == before
    result = upgrade(project, "--no-preview", "--force")
    assert result.exit_code == 0, result.output
    assert (project / "notes.md").read_text() == "draft\n"
    assert (project / ".git").is_dir() and git(project, "status", "--porcelain")


def test_invalid_blueprint_is_refused(project, next_version):
    (project / "teams/genomics.yaml").write_text("team: genomics\ncontrols:\n  compute.sessions.root_allowed: true\n")
    before = snapshot(project)
    result = upgrade(project, "--no-preview")
    assert result.exit_code == 2 and "org floor" in result.output
    assert snapshot(project) == before


def test_stance_changes_since_generation_are_shown(project):
    answers_path = project / ".blueprint/answers.json"
    answers = json.loads(answers_path.read_text())
    answers["stance"]["network"]["flow_logs"]["retention_days"] = 400  # as if the old release shipped a stricter default
    answers_path.write_text(json.dumps(answers))
    result = upgrade(project, "--no-preview", "--dry-run")
    assert result.exit_code == 0, result.output
    assert re.search(r"weaker\s+data-theft-outsider\s+org\s+network\.flow_logs\.retention_days: 400 → 365", result.stdout)
    assert json.loads(answers_path.read_text())["stance"]["network"]["flow_logs"]["retention_days"] == 400  # dry run


def test_a_stance_recorded_with_its_written_summary_is_still_compared(project):
    """Projects generated before summaries were derived recorded `summary`; the upgrade still diffs their stance."""
    answers_path = project / ".blueprint/answers.json"
    answers = json.loads(answers_path.read_text())
    answers["stance"].pop("note", None)
    answers["stance"]["summary"] = "No internet egress, private API, curated packages, KMS keys with rotation, full audit."
    answers["stance"]["network"]["flow_logs"]["retention_days"] = 400
    answers_path.write_text(json.dumps(answers))
    result = upgrade(project, "--no-preview", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "no stance recorded" not in result.stdout
    assert re.search(r"network\.flow_logs\.retention_days: 400 → 365", result.stdout)


def test_project_without_a_merge_base_conflicts_on_edited_files(project, next_version):
    (project / GENERATED_FILE).unlink()
    result = upgrade(project, "--no-preview")
    assert result.exit_code == 2 and "README.md" in result.output


# ---- the merge itself, checked against git's own merge-file --------------------------------

CASES = {
    "ours-only": ("a\nb\nc\n", "a\nB\nc\n", "a\nb\nc\n"),
    "theirs-only": ("a\nb\nc\n", "a\nb\nc\n", "a\nb\nC\n"),
    "both-apart": ("1\n2\n3\n4\n5\n6\n7\n", "0\n1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\n4\n5\n6\n7\n8\n"),
    "same-change": ("a\nb\n", "a\nx\n", "a\nx\n"),
    "conflict": ("a\nb\nc\n", "a\nours\nc\n", "a\ntheirs\nc\n"),
    "delete-vs-edit": ("a\nb\nc\nd\n", "a\nd\n", "a\nb\nc\nd\ne\n"),
    "no-trailing-newline": ("a\nb", "z\na\nb", "a\nb\nc"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_merge3_agrees_with_git_merge_file(tmp_path, name):
    base, ours, theirs = CASES[name]
    paths = []
    for label, content in (("ours", ours), ("base", base), ("theirs", theirs)):
        path = tmp_path / label
        path.write_text(content)
        paths.append(str(path))
    done = subprocess.run(["git", "merge-file", "-p", "--diff3", "-L", "yours", "-L", "base", "-L", "new", *paths], capture_output=True, text=True)
    merged = merge3(base, ours, theirs, labels=("yours", "base", "new"))
    assert (merged.conflicts > 0) == (done.returncode > 0)
    if not merged.conflicts:
        assert merged.text == done.stdout
    else:
        assert merged.text.count("<<<<<<< yours") == done.returncode



@pytest.mark.slow
def test_stance_changes_come_with_their_resource_diff(project):
    answers_path = project / ".blueprint/answers.json"
    answers = json.loads(answers_path.read_text())
    answers["stance"]["network"]["flow_logs"]["retention_days"] = 400
    answers_path.write_text(json.dumps(answers))
    result = upgrade(project, "--dry-run")
    assert result.exit_code == 0, result.output
    assert re.search(r"resources \(offline preview, not `pulumi preview`\): \+0 ~[1-9]\d* -0", result.stdout)
    assert "retentionInDays: 400 → 365" in result.stdout
