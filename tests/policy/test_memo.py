"""Check results cached under the graph they judge: every input changes the key, a hit is the same result, damage is
never trusted, and a graph without a key (a mutated copy, a run with the cache off) is never looked up."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import os
import shutil
from pathlib import Path

import pytest

from blueprint import usercache
from blueprint.model import builtin_stance
from blueprint.policy import RULES, evaluate, memo, select

DAY = dt.date(2026, 12, 2)
evaluate_module = importlib.import_module("blueprint.policy.evaluate")  # the package exports the function under that name


@pytest.fixture
def cache_on(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(usercache.CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(usercache.NO_CACHE_ENV, raising=False)
    return tmp_path / "cache"


@pytest.fixture
def keyed(real):
    """The real strict graph, as a keyed preview would hand it over."""
    strict = real("strict")
    return strict.spec, dataclasses.replace(strict.graph, key="graph-key-1")


def test_every_input_changes_the_key(keyed, tmp_path, monkeypatch, cache_on):
    spec, graph = keyed
    base = memo.result_key(spec, graph, day=DAY, against=None, rules=RULES)
    assert base is not None
    assert base == memo.result_key(spec, graph, day=DAY, against=None, rules=tuple(RULES)), "the same inputs give the same key"
    other_helm = tmp_path / "helm"
    shutil.copy2(os.environ.get("BLUEPRINT_HELM") or str(memo.helm_identity()["path"]), other_helm)
    os.utime(other_helm, ns=(1, 1))
    changed = {
        "the graph": memo.result_key(spec, dataclasses.replace(graph, key="graph-key-2"), day=DAY, against=None, rules=RULES),
        "the subject": memo.result_key(
            spec.model_copy(update={"teams": spec.teams[:1]}), graph, day=DAY, against=None, rules=RULES
        ),
        "a bare stance as subject": memo.result_key(spec.stance, graph, day=DAY, against=None, rules=RULES),
        "the judging stance": memo.result_key(spec, graph, day=DAY, against=builtin_stance("balanced"), rules=RULES),
        "the rules": memo.result_key(spec, graph, day=DAY, against=None, rules=select("stance")),
        "the day": memo.result_key(spec, graph, day=DAY + dt.timedelta(days=1), against=None, rules=RULES),
    }
    monkeypatch.setenv("BLUEPRINT_HELM", str(other_helm))
    changed["the helm binary"] = memo.result_key(spec, graph, day=DAY, against=None, rules=RULES)
    assert all(key != base for key in changed.values()), [what for what, key in changed.items() if key == base]
    assert len(set(changed.values())) == len(changed)


def test_no_key_without_a_graph_key_or_with_the_cache_off(keyed, real, monkeypatch, cache_on):
    spec, graph = keyed
    assert memo.result_key(spec, real("strict").graph, day=DAY, against=None, rules=RULES) is None, "an unkeyed graph is never looked up"
    monkeypatch.setenv(usercache.NO_CACHE_ENV, "1")
    assert memo.result_key(spec, graph, day=DAY, against=None, rules=RULES) is None


def test_a_hit_is_the_same_result_and_judges_nothing(keyed, monkeypatch, cache_on):
    spec, graph = keyed
    first = evaluate(spec, graph, today=DAY)
    assert list((cache_on / "results").glob("*.json")), "the result was stored"

    def judged_again(*args, **kwargs):
        raise AssertionError("a stored result was judged again")

    monkeypatch.setattr(evaluate_module, "_evaluate", judged_again)
    assert evaluate(spec, graph, today=DAY) == first


def test_a_result_reads_back_whole(real, real_root_team):
    """Violations (open judged by strict), warnings (an exception about to expire) and not-run rules survive the JSON."""
    project = real("open")
    judged = evaluate(project.spec, project.graph, today=DAY, against=builtin_stance("strict"))
    expiring = evaluate(real_root_team.spec, real_root_team.graph, today=dt.date(2098, 12, 25))
    assert judged.violations and expiring.warnings
    not_run = dataclasses.replace(
        judged, not_run=(evaluate_module.NotRun("works.hub.connect-url", "works", "helm not found"),), not_applicable=("packages.r-snapshot",)
    )
    for result in (judged, expiring, not_run):
        assert evaluate_module.CheckResult.from_cache(json.loads(json.dumps(result.to_cache()))) == result


def test_a_damaged_entry_is_not_trusted(keyed, cache_on):
    spec, graph = keyed
    first = evaluate(spec, graph, today=DAY)
    [entry] = (cache_on / "results").glob("*.json")
    entry.write_text('{"format": 1, "key": "' + entry.stem + '", "result": {"stance": "open"}}')
    assert evaluate(spec, graph, today=DAY) == first, "a result this version did not write is judged again"
    entry.write_text("{not json")
    assert evaluate(spec, graph, today=DAY) == first
    assert json.loads(entry.read_text())["result"] == first.to_cache(), "and overwritten with the real result"


def test_check_of_an_unchanged_project_judges_nothing_and_says_the_same(tmp_path, cache_on, monkeypatch):
    from typer.testing import CliRunner

    from blueprint.cli import app
    from tests.conftest import blueprint_data, write_blueprint

    project = write_blueprint(tmp_path / "acme-dsw", blueprint_data("strict")).parent
    runner = CliRunner()
    first = runner.invoke(app, ["check", str(project), "--json"])
    judged = evaluate_module._evaluate
    calls = []

    def counted(*args, **kwargs):
        calls.append(1)
        return judged(*args, **kwargs)

    monkeypatch.setattr(evaluate_module, "_evaluate", counted)
    again = runner.invoke(app, ["check", str(project), "--json"])
    assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout) and not calls
    fresh = runner.invoke(app, ["check", str(project), "--json", "--no-cache"])
    assert (fresh.exit_code, fresh.stdout) == (first.exit_code, first.stdout) and calls == [1], "--no-cache judges again"
