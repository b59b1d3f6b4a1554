"""`blueprint stances`, `explain` and `schema` through the real CLI."""

import json

from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.model import CONTROL_IDS, builtin_stance
from blueprint.policy import RULES

runner = CliRunner()
EXPLAINED_KEYS = {"id", "value", "concern", "why", "floor", "direction", "ranking", "rules", "resources"}


def test_stances_lists_the_three_builtins():
    result = runner.invoke(app, ["stances"])
    assert result.exit_code == 0
    for name in ("strict", "balanced", "open"):
        assert name in result.output
    assert "No internet egress" in result.output


def test_stances_json_is_each_stance_and_its_derived_summary():
    result = runner.invoke(app, ["stances", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload == {"stances": [{"name": name, "summary": builtin_stance(name).summary} for name in ("strict", "balanced", "open")]}


def test_explain_json_lists_every_control_with_direction_and_what_enforces_it():
    result = runner.invoke(app, ["explain", "strict", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["stance"] == "strict" and payload["summary"].startswith("No internet egress")
    assert "teams" not in payload  # a stance, not a project
    ids = [c["id"] for c in payload["controls"]]
    assert set(ids) == CONTROL_IDS
    assert all(set(c) == EXPLAINED_KEYS for c in payload["controls"])
    egress = next(c for c in payload["controls"] if c["id"] == "network.egress")
    assert egress["value"] == "mirror" and egress["concern"] == "data-theft-outsider" and egress["floor"] is True
    assert egress["direction"] == "ranked" and egress["ranking"] == ["mirror", "allowlist", "open"]
    retention = next(c for c in payload["controls"] if c["id"] == "network.flow_logs.retention_days")
    assert retention["direction"] == "lower-is-weaker" and retention["ranking"] == []
    # Derived from the rule list: the rules naming the control, and the types those rules judge.
    for control in payload["controls"]:
        enforcing = [r for r in RULES if control["id"] in r.controls]
        assert control["rules"] == sorted(r.id for r in enforcing), control["id"]
        types = {t for r in enforcing for t in r.types}
        assert control["resources"] == (["*"] if "*" in types else sorted(types)), control["id"]
    mfa = next(c for c in payload["controls"] if c["id"] == "identity.mfa")
    assert mfa["rules"] == ["identity.mfa-enforced"] and mfa["resources"] == ["aws:cognito/userPool:UserPool"]


def test_explain_names_the_controls_no_rule_enforces():
    unenforced = sorted(c for c in CONTROL_IDS if not any(c in r.controls for r in RULES))
    assert unenforced, "every control has a rule: drop this test's premise"
    result = runner.invoke(app, ["explain", "balanced"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"{len(unenforced)} of {len(CONTROL_IDS)} controls have no rule" in result.output
    assert result.output.count("rules: none (no rule enforces this control)") == len(unenforced)


def test_explain_unknown_stance_is_exit_2():
    result = runner.invoke(app, ["explain", "paranoid"])
    assert result.exit_code == 2
    assert "strict, balanced, open" in result.output


def test_schema_is_json_schema_that_forbids_unknown_keys():
    result = runner.invoke(app, ["schema"])
    payload = json.loads(result.stdout)
    assert payload["additionalProperties"] is False
    assert "teams" in payload["properties"]
