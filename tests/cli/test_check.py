"""`blueprint check` end to end through the real CLI: exit codes 0/1/2, the JSON shape, the two families, grouping by concern."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import blueprint.preview
from blueprint.cli import app
from blueprint.model import Concern
from blueprint.model.yamlio import dump_yaml, read_yaml
from blueprint.policy import RULES, select

runner = CliRunner()
STRICT_ONLY = {"network.flow-logs", "audit.cloudtrail", "cluster.api-endpoint-private", "sessions.no-root", "storage.protect-stateful"}


def new(directory: Path, stance: str) -> Path:
    result = runner.invoke(app, ["new", str(directory), "--stance", stance, "--org", "acme", "--team", "genomics:dsw-genomics", "--admin-cidr", "203.0.113.0/24"])
    assert result.exit_code == 0, result.output
    return directory


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("check")
    return {stance: new(root / f"{stance}-dsw", stance) for stance in ("strict", "open")}


def check(*args: str):
    return runner.invoke(app, ["check", *args])


def test_a_project_that_meets_its_stance_exits_0(projects):
    result = check(str(projects["strict"]), "--family", "stance")
    assert result.exit_code == 0, result.output
    assert "no violations" in result.stdout and "not `pulumi preview --policy-pack policy`" in result.stdout
    assert f"stance rules: {len(select('stance'))} passed" in result.stdout.splitlines()[-1] and "works rules" not in result.stdout


def test_json_is_exactly_the_result_alone_on_stdout(projects):
    result = check(str(projects["strict"]), "--json", "--family", "stance")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"stance", "violations", "passed", "warnings", "resources_checked", "not_run", "rules", "blueprint_warnings"}
    assert payload["stance"] == "strict" and payload["violations"] == [] and payload["warnings"] == [] and payload["not_run"] == [] and payload["blueprint_warnings"] == []
    assert payload["passed"] == sorted(payload["passed"]) and len(payload["passed"]) == len(select("stance"))
    assert payload["rules"] == {r.id: {"family": "stance", "status": "passed"} for r in select("stance")}
    assert payload["resources_checked"] > 100
    assert check(str(projects["strict"]), "--json", "--family", "stance").stdout == result.stdout  # stable


def test_both_families_by_default_each_counted_and_shown_apart(projects):
    """Stance rules, then works rules, each with its own violations; exit 1 exactly when either family has one."""
    payload = json.loads(check(str(projects["strict"]), "--json").stdout)
    families = {entry["family"] for entry in payload["rules"].values()}
    assert families == {"stance", "works"} and {r for r, e in payload["rules"].items() if e["family"] == "works"} == {r.id for r in select("works")}
    assert all(v["family"] == payload["rules"][v["rule"]]["family"] for v in payload["violations"])
    passed = {f: sum(1 for r in payload["passed"] if payload["rules"][r]["family"] == f) for f in ("stance", "works")}

    result = check(str(projects["strict"]))
    assert result.exit_code == (1 if payload["violations"] else 0), result.output
    text = result.stdout
    assert text.index("\nstance rules: ") < text.index("\nworks rules: ")
    assert f"stance rules: {passed['stance']} passed; works rules: {passed['works']} passed" in text.splitlines()[-1]
    works_part = text[text.index("\nworks rules: ") :]
    assert all(v["rule"] in works_part for v in payload["violations"] if v["family"] == "works")
    assert not any(v["rule"] in text[: text.index("\nworks rules: ")] for v in payload["violations"] if v["family"] == "works")


def test_family_works_runs_only_the_works_rules(projects):
    payload = json.loads(check(str(projects["open"]), "--json", "--family", "works").stdout)
    assert {e["family"] for e in payload["rules"].values()} == {"works"} and payload["not_run"] == []


def _no_helm(monkeypatch) -> None:
    from blueprint.charts import z2jh

    monkeypatch.setenv(z2jh.HELM_ENV, "/nonexistent/helm")
    monkeypatch.setattr(z2jh, "find_helm", lambda: None)


def test_without_helm_rules_over_the_rendered_chart_are_not_run_and_asking_for_them_exits_2(projects, monkeypatch):
    _no_helm(monkeypatch)
    result = check(str(projects["open"]), "--family", "works")
    assert result.exit_code == 2, result.output
    assert "works.hub.connect-url  not run: helm not found, install helm v4.1.4 (https://helm.sh/docs/intro/install/)" in result.stdout
    assert "warning:" in result.stderr and "BLUEPRINT_HELM" in result.stderr
    payload = json.loads(check(str(projects["open"]), "--family", "works", "--json").stdout)
    assert payload["rules"]["works.hub.connect-url"]["status"] == "not-run" and "works.hub.connect-url" not in payload["passed"]


def test_without_helm_the_default_check_warns_and_judges_what_ran(projects, monkeypatch):
    _no_helm(monkeypatch)
    result = check(str(projects["strict"]))
    payload = json.loads(check(str(projects["strict"]), "--json").stdout)
    assert sorted(n["rule"] for n in payload["not_run"]) == sorted(r.id for r in RULES if r.needs_render)
    assert {"works.hub.connect-url", "works.images.pullable", "works.sessions.refs-exist", "works.cluster.volumes-bind"} <= {n["rule"] for n in payload["not_run"]}
    assert result.exit_code == (1 if payload["violations"] else 0) and "helm not found" in result.stderr
    assert check(str(projects["strict"]), "--family", "stance").exit_code == 0  # nothing of the stance family needs helm


def test_an_unknown_family_exits_2(projects):
    result = check(str(projects["open"]), "--family", "vibes")
    assert result.exit_code == 2 and "--family" in result.output


def test_against_strict_the_open_project_fails_with_the_strict_rules(projects):
    result = check(str(projects["open"]), "--against", "strict", "--json")
    assert result.exit_code == 1, result.output
    payload = json.loads(result.stdout)
    assert payload["stance"] == "strict"
    rules = {v["rule"] for v in payload["violations"]}
    assert STRICT_ONLY <= rules
    for violation in payload["violations"]:
        assert set(violation) == {"rule", "family", "concern", "severity", "urn", "message"}
        assert violation["urn"].startswith("urn:pulumi:dev::open-dsw::")
    ranks = [Concern(v["concern"]).rank for v in payload["violations"]]
    assert ranks == sorted(ranks)
    assert check(str(projects["open"]), "--family", "stance").exit_code == 0  # by its own stance it is fine


def test_human_output_groups_violations_by_concern_biggest_first(projects):
    result = check(str(projects["open"]), "--against", "strict", "--family", "stance")
    assert result.exit_code == 1
    text = result.stdout
    headers = [c.value for c in Concern if f"\n{c.value} (" in text]
    assert headers[0] == "data-theft-outsider" and [text.index(f"\n{h} (") for h in headers] == sorted(text.index(f"\n{h} (") for h in headers)
    assert "network.sessions-no-route-out  acme-network-private-0-egress (aws:ec2/route:Route)" in text
    assert "stance strict (project stance open)" in text
    assert "violation(s) in" in text.splitlines()[-1]


def test_expiring_exceptions_are_warnings_and_expired_ones_fail(projects, monkeypatch, tmp_path):
    project = tmp_path / "acme-dsw"
    project.mkdir()
    for name in ("blueprint.yaml", "Pulumi.yaml"):
        (project / name).write_text((projects["strict"] / name).read_text())
    data = read_yaml(project / "blueprint.yaml")
    exception = {"team": "genomics", "control": "compute.default_quota.cpu", "value": "32", "reason": "assembly sprint in June", "approved_by": "ciso@acme.example"}
    data["exceptions"] = [{**exception, "expires": "2026-06-10"}]
    (project / "blueprint.yaml").write_text(dump_yaml(data))
    monkeypatch.setattr("blueprint.model.spec.today", lambda: dt.date(2026, 6, 1))
    result = check(str(project), "--json", "--family", "stance")
    assert result.exit_code == 0, result.output
    (warning,) = [w for w in json.loads(result.stdout)["warnings"] if w["rule"] != "works.ingress.hub-reachable"]
    assert warning["rule"] == "governance.exceptions-current" and "2026-06-10" in warning["message"] and "in 9 days" in warning["message"]
    assert "warnings" in check(str(project)).stdout

    monkeypatch.setattr("blueprint.model.spec.today", lambda: dt.date(2026, 6, 11))
    result = check(str(project), "--json", "--family", "stance")
    assert result.exit_code == 1
    (violation,) = json.loads(result.stdout)["violations"]
    assert "team genomics on compute.default_quota.cpu" in violation["message"] and "expired on 2026-06-10" in violation["message"]


def test_a_bad_blueprint_exits_2_naming_the_file(tmp_path):
    project = tmp_path / "broken"
    project.mkdir()
    (project / "blueprint.yaml").write_text("org: acme\nstance: strict\n")
    result = check(str(project))
    assert result.exit_code == 2 and "blueprint.yaml" in result.output and "Traceback" not in result.output


def test_a_missing_directory_exits_2(tmp_path):
    result = check(str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "not found" in result.output


def test_an_unknown_against_stance_exits_2_before_previewing(projects, monkeypatch):
    monkeypatch.setattr(blueprint.preview, "preview_spec", lambda *_a, **_k: pytest.fail("previewed"))
    result = check(str(projects["open"]), "--against", "paranoid")
    assert result.exit_code == 2 and "--against" in result.output and "strict, balanced, open" in result.output


def test_check_is_registered_and_help_does_not_import_pulumi():
    import subprocess
    import sys

    code = "import sys; from blueprint.cli import app; import blueprint.cli.check; assert 'pulumi' not in sys.modules, 'pulumi imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert any(c.callback.__name__ == "check" for c in app.registered_commands)
