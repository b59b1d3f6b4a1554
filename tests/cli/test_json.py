"""`--json` on the commands that lacked it (graph, new, fork, review, upgrade): JSON alone on stdout, through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import blueprint
from blueprint.cli import app
from tests.preview.conftest import fake_program, make_project, small_program  # noqa: F401  (fake_program is a fixture)

from ..review.conftest import commit_all, new_project, repo  # noqa: F401  (repo is a fixture)
from ..review.test_diff import weakened_copy

runner = CliRunner()


def test_graph_json_is_the_component_tree_with_resources_counted(monkeypatch, fake_program, tmp_path):
    monkeypatch.setattr(blueprint.program, "build", lambda spec: small_program())
    project = make_project(tmp_path / "acme-dsw")
    result = runner.invoke(app, ["graph", str(project), "--json"])
    assert result.exit_code == 0, result.output
    (stack,) = json.loads(result.stdout)["components"]
    assert stack["type"] == "pulumi:pulumi:Stack" and stack["name"] == "acme-dsw-dev"
    (storage,) = stack["components"]
    assert storage["name"] == "storage" and storage["components"] == []
    assert storage["resources"] == {
        "aws:kms/key:Key": 1,
        "aws:s3/bucket:Bucket": 1,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1,
    }
    every = json.loads(runner.invoke(app, ["graph", str(project), "--json", "--every-resource"]).stdout)
    assert sorted(r["name"] for r in every["components"][0]["components"][0]["resources"]) == ["storage-data", "storage-encryption", "storage-key"]
    assert runner.invoke(app, ["graph", str(project)]).stdout.startswith("flowchart LR\n")  # Mermaid stays the default


def test_new_json_says_what_was_written(tmp_path):
    target = tmp_path / "acme-dsw"
    result = runner.invoke(app, ["new", str(target), "--stance", "balanced", "--org", "acme", "--team", "genomics:dsw-genomics", "--team", "vision", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["directory"] == str(target) and data["stance"] == "balanced"
    assert data["teams"] == [{"name": "genomics", "idp_group": "dsw-genomics"}, {"name": "vision", "idp_group": "vision"}]
    assert data["files"] == sorted(data["files"]) and {"blueprint.yaml", "Pulumi.yaml", "__main__.py"} <= set(data["files"])
    assert all((target / name).is_file() for name in data["files"])
    assert "note:" in result.stderr  # the notes stay human, on stderr


def test_new_from_a_file_json(tmp_path):
    source = new_project(tmp_path / "first")
    result = runner.invoke(app, ["new", str(tmp_path / "second"), "--from", str(source / "blueprint.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stance"] == "strict"


def test_fork_json(tmp_path):
    project = new_project(tmp_path / "acme-dsw")
    result = runner.invoke(app, ["fork", str(project), "--team", "climate", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"overlay": str(project / "teams" / "climate.yaml"), "team": "climate", "team_added": True}


def _committed(repo: Path) -> Path:
    project = new_project(repo / "infra")
    commit_all(repo, "strict workbench")
    return project


def test_review_json(repo):
    project = _committed(repo)
    changed = weakened_copy(project, repo.parent)
    shutil.rmtree(project)
    shutil.copytree(changed, project)
    commit_all(repo, "genomics: root and more CPU")
    result = runner.invoke(app, ["review", str(project), "--base", "HEAD~1", "--no-preview", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["base"] == "HEAD~1" and data["blocked"] is None
    assert any(c["change"] == "weaker" for c in data["diff"]["controls"])
    assert data["check"]["status"] == "unavailable"


def test_review_json_when_the_head_does_not_load(repo):
    project = _committed(repo)
    path = project / "blueprint.yaml"
    path.write_text(path.read_text().replace("region: us-east-1", "region: Mars"))
    commit_all(repo, "a typo")
    result = runner.invoke(app, ["review", str(project), "--base", "HEAD~1", "--no-preview", "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["diff"] is None and data["blocked"]["source"] == "infra/blueprint.yaml"
    assert [p["field"] for p in data["blocked"]["problems"]] == ["region"]
    assert {"status": "M", "path": "blueprint.yaml"} in data["blocked"]["changes"]  # relative to the project, as the markdown lists them


@pytest.fixture
def committed_project(repo) -> Path:
    return _committed(repo)


def test_upgrade_dry_run_does_not_blame_a_flag_nobody_gave(committed_project):
    result = runner.invoke(app, ["upgrade", str(committed_project), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "--no-preview" not in result.output
    assert "resources: no change (this version's stance values are the project's" in result.stdout
    asked = runner.invoke(app, ["upgrade", str(committed_project), "--dry-run", "--no-preview"])
    assert "resources: not previewed (--no-preview)" in asked.stdout


def test_upgrade_json(committed_project):
    result = runner.invoke(app, ["upgrade", str(committed_project), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["written"] is False and data["conflicts"] == []
    assert data["old_version"] == data["new_version"] == blueprint.__version__
    assert set(data["files"].values()) <= {"unchanged", "updated", "merged", "added", "conflict", "removed"}
    assert data["diff"]["resources"] is None and data["diff"]["controls"] == []
