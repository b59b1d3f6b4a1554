"""`blueprint diff`, `review` and `upgrade` through the real CLI, on real projects and real git repositories."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.review.markdown import GITHUB_COMMENT_LIMIT

from ..review.conftest import commit_all, new_project, repo  # noqa: F401  (repo is a fixture)
from ..review.test_diff import weakened_copy

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


# ---- diff ------------------------------------------------------------------------------


def test_diff_json_marks_weaker_and_stronger(tmp_path):
    strict = new_project(tmp_path / "strict")
    weakened = weakened_copy(strict, tmp_path)
    result = invoke("diff", strict, weakened, "--json", "--no-preview")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    verdicts = {(c["scope"], c["control"]): c["change"] for c in data["controls"]}
    assert verdicts[("team:genomics", "compute.sessions.root_allowed")] == "weaker"
    assert verdicts[("team:genomics", "compute.sessions.idle_timeout_minutes")] == "stronger"
    assert data["resources"] is None
    assert result.stdout == invoke("diff", strict, weakened, "--json", "--no-preview").stdout  # stable


def test_diff_human_output_with_preview(tmp_path):
    strict, balanced = new_project(tmp_path / "strict"), new_project(tmp_path / "balanced", "balanced")
    result = invoke("diff", strict, balanced)
    assert result.exit_code == 0, result.output
    assert "weaker" in result.stdout and "network.egress" in result.stdout
    assert re.search(r"resources \(offline preview, not `pulumi preview`\): \+\d+ ~\d+ -\d+", result.stdout)


def test_diff_bad_input_exits_2(tmp_path):
    strict = new_project(tmp_path / "strict")
    result = invoke("diff", strict, tmp_path / "missing", "--no-preview")
    assert result.exit_code == 2 and "file not found" in result.output and "Traceback" not in result.output


# ---- review ----------------------------------------------------------------------------


def _repo_with_change(repo: Path) -> Path:
    project = new_project(repo / "infra")
    commit_all(repo, "strict workbench")
    changed = weakened_copy(project, repo.parent)
    shutil.rmtree(project)
    shutil.copytree(changed, project)
    commit_all(repo, "genomics: root and more CPU")
    return project


def test_review_against_head_1(repo):
    project = _repo_with_change(repo)
    result = invoke("review", project, "--base", "HEAD~1")
    assert result.exit_code == 0, result.output
    markdown = result.stdout
    assert markdown.startswith("<!-- workbench-blueprint:review -->")
    assert "### 🔴 Controls weakened" in markdown and "`compute.sessions.root_allowed`" in markdown
    assert "### 📈 Quota increases" in markdown
    assert "### 🧾 Exceptions below the floor (2 added" in markdown
    assert "### `blueprint check`:" in markdown and "not run" not in markdown.split("### `blueprint check`:")[1].splitlines()[0]
    assert len(markdown) < GITHUB_COMMENT_LIMIT


def test_review_from_inside_the_project_and_to_a_file(repo, monkeypatch):
    project = _repo_with_change(repo)
    monkeypatch.chdir(project)
    result = invoke("review", ".", "--base", "HEAD~1", "--no-preview", "--output", repo.parent / "review.md")
    assert result.exit_code == 0, result.output
    assert "Controls weakened" in (repo.parent / "review.md").read_text()


@pytest.mark.parametrize(
    ("base", "message"),
    [("no-such-branch", "is not a known commit"), ("--upload-pack=touch /tmp/x", "is not a git ref"), ("HEAD~5", "is not a known commit")],
)
def test_review_bad_ref_exits_2(repo, base, message):
    project = _repo_with_change(repo)
    result = invoke("review", project, "--base", base)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_review_outside_git_exits_2(tmp_path):
    project = new_project(tmp_path / "plain")
    result = invoke("review", project, "--base", "HEAD")
    assert result.exit_code == 2 and "not inside a git work tree" in result.output


def test_review_project_absent_at_base_exits_2(repo):
    (repo / "README.md").write_text("repo\n")
    commit_all(repo, "empty")
    project = new_project(repo / "infra")
    commit_all(repo, "add project")
    result = invoke("review", project, "--base", "HEAD~1")
    assert result.exit_code == 2 and "has no blueprint.yaml at HEAD~1" in result.output


def _two_hundred_teams(repo: Path) -> Path:
    teams = tuple(f"team-{i:03d}" for i in range(200))
    project = new_project(repo / "infra", "strict", teams)
    commit_all(repo, "200 teams")
    yaml = YAML(typ="rt")
    path = project / "blueprint.yaml"
    document = yaml.load(path.read_text())
    document["stance"] = "balanced"
    entries = list(document["teams"])[20:]  # 20 teams leave
    entries += [{"name": f"new-{i:02d}", "idp_group": f"new-{i:02d}"} for i in range(20)]  # 20 arrive
    exceptions = []
    for i, entry in enumerate(entries):
        cpu = str(33 + i)  # above the balanced floor, each different: no two teams group together
        entry["quota"] = {"cpu": cpu, "memory": "128Gi"}
        entry["description"] = f"Team {i} @octocat **{i}** [x](https://x.example)"
        exceptions.append(
            {
                "team": entry["name"],
                "control": "compute.default_quota.cpu",
                "value": cpu,
                "reason": f"Quarter-end modelling for {entry['name']} | needs @platform-team review " + "x" * 300,
                "approved_by": "ciso@acme",
                "expires": "2099-12-31" if i % 2 else "2020-01-01",
            }
        )
    document["teams"] = entries
    document["exceptions"] = exceptions
    with path.open("w") as handle:
        yaml.dump(document, handle)
    commit_all(repo, "balanced, 20 teams swapped, 200 exceptions")
    return project


def test_review_of_200_teams_fits_one_comment_no_preview(repo):
    project = _two_hundred_teams(repo)
    result = invoke("review", project, "--base", "HEAD~1", "--no-preview")
    assert result.exit_code == 0, result.output
    markdown = result.stdout
    assert len(markdown) < GITHUB_COMMENT_LIMIT
    assert "more quota change(s)" in markdown and "more exception(s)" in markdown
    # GitHub never turns text inside a code span into a mention; everywhere else '@' is defused.
    prose = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", markdown)
    assert "@octocat" not in prose and "@platform-team" not in prose


@pytest.mark.slow
def test_review_of_200_teams_with_two_previews(repo, record_property):
    project = _two_hundred_teams(repo)
    started = time.perf_counter()
    result = invoke("review", project, "--base", "HEAD~1")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    markdown = result.stdout
    record_property("review_chars", len(markdown))
    record_property("review_seconds", round(elapsed, 1))
    assert len(markdown) < GITHUB_COMMENT_LIMIT
    assert "### 📦 Resource changes (offline preview)" in markdown
    for table in re.findall(r"(?:^\|.*\|\n)+", markdown, re.M):
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table.splitlines()}
        assert len(widths) == 1, table  # every table is whole: same cell count on every line


def test_review_names_a_broken_base_by_its_git_path(repo):
    project = new_project(repo / "infra")
    (project / "blueprint.yaml").write_text((project / "blueprint.yaml").read_text().replace("stance: strict", "stance: paranoid"))
    commit_all(repo, "broken")
    (project / "blueprint.yaml").write_text((project / "blueprint.yaml").read_text().replace("stance: paranoid", "stance: strict"))
    commit_all(repo, "fixed")
    result = invoke("review", project, "--base", "HEAD~1", "--no-preview")
    assert result.exit_code == 2
    assert "HEAD~1:infra/blueprint.yaml: stance: unknown stance 'paranoid'" in result.output


def test_review_of_a_head_below_the_floor_still_writes_the_comment_and_exits_1(repo):
    """The pull request that needs a reviewer most (a floor breach) gets a "blocked" comment, not nothing."""
    project = new_project(repo / "infra")
    assert invoke("fork", project, "--team", "genomics").exit_code == 0
    commit_all(repo, "strict workbench, genomics overlay")
    overlay = project / "teams" / "genomics.yaml"
    overlay.write_text(overlay.read_text().replace("cpu: '16'", "cpu: '64'"))
    commit_all(repo, "genomics: more CPU, no exception")
    target = repo.parent / "review.md"
    result = invoke("review", project, "--base", "HEAD~1", "--output", target)
    assert result.exit_code == 1, result.output
    markdown = target.read_text()
    assert markdown.startswith("<!-- workbench-blueprint:review -->")
    assert "blueprint review: blocked" in markdown and "in `infra/teams/genomics.yaml`" in markdown, "named by its path in git"
    assert "`quota.cpu`" in markdown and "goes below the org floor" in markdown
    assert "  - team: genomics\n    control: compute.default_quota.cpu\n    value: '64'" in markdown, markdown
    assert "`M` `teams/genomics.yaml`" in markdown, "what can still be compared: the files the change touches"
    assert "blocked:" in result.output
