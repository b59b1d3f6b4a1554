"""The preview cache: every input the program reads changes the key; a hit is the same graph; damage is never trusted."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blueprint.preview import cache, preview_project
from tests.conftest import blueprint_data, write_blueprint


@pytest.fixture
def cache_on(tmp_path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(directory))
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    return directory


def _spec_json(tmp_path: Path, name: str, **overrides):
    from blueprint.model import load_blueprint

    stance, stack = overrides.pop("stance", "strict"), overrides.pop("stack", "dev")
    # What preview_spec keys on: the resolved spec and the Pulumi stack it previews as.
    return {**load_blueprint(write_blueprint(tmp_path / name, blueprint_data(stance, **overrides))).model_dump(), "stack": stack}


def test_every_input_changes_the_key(tmp_path):
    base = cache.graph_key(_spec_json(tmp_path, "a"), "acme-dsw", code="c1")
    assert base == cache.graph_key(_spec_json(tmp_path, "b"), "acme-dsw", code="c1"), "the same inputs give the same key"
    changed = {
        "region": cache.graph_key(_spec_json(tmp_path, "r", region="eu-central-1"), "acme-dsw", code="c1"),
        "stack": cache.graph_key(_spec_json(tmp_path, "s", stack="prod"), "acme-dsw", code="c1"),
        "a team": cache.graph_key(_spec_json(tmp_path, "t", teams=3), "acme-dsw", code="c1"),
        "a stance control": cache.graph_key(
            _spec_json(tmp_path, "x", stance="tight", stances={"tight": {"extends": "strict", "overrides": {"audit": {"log_retention_days": 731}}}}),
            "acme-dsw",
            code="c1",
        ),
        "the project name": cache.graph_key(_spec_json(tmp_path, "p"), "other-dsw", code="c1"),
        "the code": cache.graph_key(_spec_json(tmp_path, "c"), "acme-dsw", code="c2"),
    }
    assert all(key != base for key in changed.values()), [what for what, key in changed.items() if key == base]
    assert len(set(changed.values())) == len(changed)


def test_the_key_is_the_same_in_every_process(tmp_path):
    """Hash randomisation reorders sets (the spec's floor) per process; the key must not move with it."""
    import os
    import subprocess
    import sys

    path = write_blueprint(tmp_path / "acme-dsw", blueprint_data("strict"))
    code = (
        "from blueprint.model import load_blueprint; from blueprint.preview import cache; "
        f"print(cache.graph_key(load_blueprint({str(path)!r}).model_dump(), 'acme-dsw'))"
    )
    keys = {
        subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True).stdout
        for seed in ("1", "2", "3", "4")
    }
    assert len(keys) == 1, keys


def test_the_code_digest_covers_every_package_file_and_the_sdk_versions(tmp_path, monkeypatch):
    import blueprint

    copy = tmp_path / "blueprint"
    shutil.copytree(Path(blueprint.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache.resources, "files", lambda package: copy)

    def digest() -> str:
        cache.code_digest.cache_clear()
        return cache.code_digest()

    first = digest()
    assert digest() == first
    values = copy / "charts" / "jupyterhub" / "values.yaml"
    values.write_text(values.read_text() + "\n# changed\n")
    after_chart = digest()
    program = copy / "program.py"
    program.write_text(program.read_text() + "\n")
    after_code = digest()
    monkeypatch.setattr(cache, "installed_version", lambda name: "9.9.9" if name == "pulumi-aws" else "1")
    after_sdk = digest()
    cache.code_digest.cache_clear()
    assert len({first, after_chart, after_code, after_sdk}) == 4, "the chart, the code and the SDK versions are all in the key"


def test_a_hit_is_the_same_graph_and_says_so(tmp_path, cache_on, caplog):
    project = write_blueprint(tmp_path / "acme-dsw", blueprint_data("strict", idp={"kind": "oidc", "issuer_url": "https://sso.acme.example", "client_id": "hub"})).parent
    with caplog.at_level(logging.WARNING):
        first = preview_project(project)
    warned = [r.getMessage() for r in caplog.records if "unknown IdP layout" in r.getMessage()]
    assert warned, "the program warns about an IdP layout it guesses"
    assert not first.cached and len(list(cache_on.glob("*.json"))) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        second = preview_project(project)
    assert second.cached and second == first
    assert [r.getMessage() for r in caplog.records if "unknown IdP layout" in r.getMessage()] == warned, "a hit warns as a run does"
    assert not preview_project(project, use_cache=False).cached


def test_a_damaged_entry_is_removed_not_trusted(tmp_path, cache_on):
    project = write_blueprint(tmp_path / "acme-dsw", blueprint_data("strict")).parent
    graph = preview_project(project)
    (entry,) = cache_on.glob("*.json")
    data = json.loads(entry.read_text())
    data["key"] = "0" * 64
    entry.write_text(json.dumps(data))
    again = preview_project(project)
    assert not again.cached and again == graph
    entry.write_text("{ not json")
    assert not preview_project(project).cached


def test_off_by_environment(tmp_path, cache_on, monkeypatch):
    monkeypatch.setenv(cache.NO_CACHE_ENV, "1")
    project = write_blueprint(tmp_path / "acme-dsw", blueprint_data("strict")).parent
    preview_project(project)
    assert not cache_on.exists() or not list(cache_on.glob("*.json"))


def test_an_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(blocker / "cache"))
    monkeypatch.delenv(cache.NO_CACHE_ENV, raising=False)
    project = write_blueprint(tmp_path / "acme-dsw", blueprint_data("strict")).parent
    assert len(preview_project(project)) > 0


def test_old_entries_are_pruned(tmp_path, cache_on, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    graph = cache.ResourceGraph(())
    for i in range(4):
        cache.store(f"{i:064d}", cache.Entry(graph, ()))
    assert len(list(cache_on.glob("*.json"))) == 2


def test_the_cli_preview_reuses_the_graph(tmp_path, cache_on):
    from blueprint.cli import app

    project = write_blueprint(tmp_path / "acme-dsw", blueprint_data("strict")).parent
    runner = CliRunner()
    first = runner.invoke(app, ["preview", str(project)])
    second = runner.invoke(app, ["preview", str(project)])
    assert first.exit_code == second.exit_code == 0, second.output
    assert "(cached graph" not in first.output, first.output[:300]
    assert "(cached graph" in second.output
    assert first.stdout == second.stdout


def test_check_says_cached_and_no_cache_runs_again(tmp_path, cache_on):
    from blueprint.cli import app

    project = write_blueprint(tmp_path / "acme-dsw", blueprint_data("strict")).parent
    runner = CliRunner()
    runner.invoke(app, ["preview", str(project)])
    cached = runner.invoke(app, ["check", str(project), "--family", "stance"])
    assert "(cached graph" in cached.output, cached.output[-500:]
    fresh = runner.invoke(app, ["check", str(project), "--family", "stance", "--no-cache"])
    assert "(cached graph" not in fresh.output and fresh.exit_code == cached.exit_code


def _generated_project(tmp_path: Path) -> Path:
    """A project as a user has it: blueprint.yaml, Pulumi.yaml, the stack's config and a team overlay."""
    from blueprint.cli import app

    project = write_blueprint(tmp_path / "acme-dsw", blueprint_data("strict", teams=2)).parent
    (project / "Pulumi.yaml").write_text("name: acme-dsw\nruntime: python\nmain: __main__.py\n", encoding="utf-8")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n", encoding="utf-8")
    forked = CliRunner().invoke(app, ["fork", str(project), "--team", "genomics"])
    assert forked.exit_code == 0, forked.output
    return project


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} has no {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _fork(project: Path, team: str) -> None:
    from blueprint.cli import app

    forked = CliRunner().invoke(app, ["fork", str(project), "--team", team])
    assert forked.exit_code == 0, forked.output


def test_after_any_input_changes_a_cached_preview_is_a_fresh_one(tmp_path, cache_on):
    """Change each file the program could read, in turn; the cached path must give what a fresh run gives.

    A key that missed an input would return the graph from before the change. `changes` says whether the
    offline graph must move (so the mutation is not vacuous); None: the offline preview does not read that
    file today (Pulumi's stack config), and a stale hit would show here the day it does.
    """
    project = _generated_project(tmp_path)
    overlay = project / "teams" / "genomics.yaml"
    mutations = [
        ("blueprint.yaml: a team's IdP group", lambda: _replace(project / "blueprint.yaml", "idp_group: dsw-team-1", "idp_group: dsw-team-one"), True),
        ("teams/genomics.yaml: idle timeout", lambda: _replace(overlay, "idle_timeout_minutes: 60", "idle_timeout_minutes: 45"), True),
        ("a second overlay, at the team's current values", lambda: _fork(project, "team-1"), False),
        ("teams/team-1.yaml: quota", lambda: _replace(project / "teams" / "team-1.yaml", "pods: 20", "pods: 12"), True),
        ("teams/genomics.yaml removed", lambda: overlay.unlink(), True),
        ("Pulumi.dev.yaml: region", lambda: _replace(project / "Pulumi.dev.yaml", "aws:region: eu-west-1", "aws:region: eu-central-1"), None),
        (
            "Pulumi.dev.yaml: a certificate",
            lambda: (project / "Pulumi.dev.yaml").write_text(
                (project / "Pulumi.dev.yaml").read_text() + "  acme-dsw:hubCertificateArn: arn:aws:acm:eu-west-1:123456789012:certificate/1\n"
            ),
            None,
        ),
        ("Pulumi.yaml: the project name", lambda: _replace(project / "Pulumi.yaml", "name: acme-dsw", "name: acme-lab"), True),
    ]
    previous = preview_project(project)
    assert not previous.cached
    for what, mutate, changes in mutations:
        mutate()
        through_cache = preview_project(project)
        fresh = preview_project(project, use_cache=False) if through_cache.cached else through_cache  # a miss is a fresh run
        assert through_cache == fresh, f"after {what}, the cache returned a stale graph"
        if changes is not None:
            assert (fresh != previous) is changes, f"{what}: the mutation {'did not change' if changes else 'changed'} the graph"
            assert through_cache.cached is not changes, f"{what}: {'a hit on a changed input' if changes else 'a miss on an unchanged spec'}"
        previous = fresh


def _git_commit(directory: Path) -> None:
    import subprocess

    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run([*git, *args], cwd=directory, check=True)


def test_every_command_that_previews_says_cached_graph(tmp_path, cache_on):
    """check is covered above. review's base side is a copy of HEAD: with nothing cached, its head is the hit."""
    from blueprint.cli import app

    project = _generated_project(tmp_path)
    _git_commit(project)
    runner = CliRunner()
    commands = [
        (["review", str(project), "--base", "HEAD"], "(cached graph of the head"),
        (["review", str(project), "--base", "HEAD"], "(cached graph of the base and the head"),
        (["export", str(project), "--format", "terraform-plan", "-o", str(tmp_path / "plan.json")], "(cached graph"),
        (["graph", str(project)], "(cached graph"),
        (["diff", str(project), str(project)], "(cached graph of the old and the new"),
    ]
    for args, says in commands:
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output[-1500:]
        assert says in result.output, f"{args[0]}: {result.output[-800:]}"
    first_review = runner.invoke(app, ["review", str(project), "--base", "HEAD", "--no-cache"])
    assert first_review.exit_code == 0 and "(cached graph" not in first_review.output
