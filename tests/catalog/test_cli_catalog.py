"""`blueprint stances`, `explain` and `schema` through the real CLI."""

import json

from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.model import CONTROL_IDS

runner = CliRunner()


def test_stances_lists_the_three_builtins():
    result = runner.invoke(app, ["stances"])
    assert result.exit_code == 0
    for name in ("strict", "balanced", "open"):
        assert name in result.output


def test_explain_json_lists_every_control_with_concern_and_why():
    result = runner.invoke(app, ["explain", "strict", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["stance"] == "strict"
    ids = [c["id"] for c in payload["controls"]]
    assert set(ids) == CONTROL_IDS
    egress = next(c for c in payload["controls"] if c["id"] == "network.egress")
    assert egress == {"id": "network.egress", "value": "mirror", "concern": "data-theft-outsider", "why": egress["why"], "floor": True}
    assert all(set(c) == {"id", "value", "concern", "why", "floor"} for c in payload["controls"])


def test_explain_unknown_stance_is_exit_2():
    result = runner.invoke(app, ["explain", "paranoid"])
    assert result.exit_code == 2
    assert "strict, balanced, open" in result.output


def test_schema_is_json_schema_that_forbids_unknown_keys():
    result = runner.invoke(app, ["schema"])
    payload = json.loads(result.stdout)
    assert payload["additionalProperties"] is False
    assert "teams" in payload["properties"]
