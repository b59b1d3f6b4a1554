"""Regression tests for what the hardening tests found: fixed in model/generate, or reported (strict xfail)."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.errors import SpecError
from blueprint.model import load_blueprint, load_file
from blueprint.model.spec import TeamEntry
from blueprint.model.yamlio import dump_yaml, parse_yaml_text
from tests.conftest import blueprint_data, write_blueprint

runner = CliRunner()


# ---- NEL (U+0085): ruamel wrote it raw in single quotes, where YAML reads it back as a space -------


def test_dump_yaml_round_trips_nel():
    for text in ("a\x85b", "\x85", "a\x85\x85b", "a\n\x85b", "a\u2028b"):
        assert parse_yaml_text(dump_yaml({"k": text, "l": [text]}), "x") == {"k": text, "l": [text]}


def test_fork_keeps_an_exception_reason_holding_nel(tmp_path):
    """`fork` re-dumps blueprint.yaml to add a team; every other value must survive it exactly."""
    reason = "approved by the CISO\x85ticket SEC-42"
    data = blueprint_data("balanced", teams=[{"name": "genomics", "idp_group": "dsw-genomics"}])
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    data["exceptions"] = [{"team": "genomics", "control": "compute.default_quota.cpu", "value": "64", "reason": reason, "approved_by": "ciso", "expires": expires}]
    project = write_blueprint(tmp_path / "acme-dsw", data).parent
    assert load_file(project).exceptions[0].reason == reason
    result = runner.invoke(app, ["fork", str(project), "--team", "newcomers"])
    assert result.exit_code == 0, result.output
    assert load_file(project).exceptions[0].reason == reason


@pytest.mark.parametrize("character", ["\x85", "\x7f", "\x9b", "\x80"])
def test_descriptions_refuse_c1_control_characters(character):
    """The Helm-values export writes descriptions with its own YAML dumper, which also turns NEL into a space."""
    with pytest.raises(ValueError, match="control character"):
        TeamEntry(name="ab", idp_group="g", description=f"a{character}b")


# ---- quantities with whitespace around them went verbatim into ResourceQuota objects ----------


@pytest.mark.parametrize(("field", "value"), [("memory", " 16Gi"), ("memory", "16Gi\n"), ("cpu", "4 "), ("storage", "\t100Gi")])
def test_quantities_with_surrounding_whitespace_are_refused(tmp_path, field, value):
    data = blueprint_data("balanced", teams=[{"name": "genomics", "idp_group": "dsw-genomics", "quota": {field: value}}])
    with pytest.raises(SpecError, match=f"teams\\[0\\].quota.{field}.*whitespace"):
        load_blueprint(write_blueprint(tmp_path / "acme-dsw", data))


def test_custom_stance_profiles_refuse_whitespace_in_quantities(tmp_path):
    data = blueprint_data("custom", teams=[{"name": "genomics", "idp_group": "dsw-genomics"}])
    data["stances"] = {"custom": {"extends": "balanced", "overrides": {"compute": {"profiles": [{"name": "small", "display_name": "Small", "cpu": "2", "memory": "8Gi "}]}}}}
    with pytest.raises(SpecError, match="whitespace"):
        load_blueprint(write_blueprint(tmp_path / "acme-dsw", data))


# ---- error messages: no raw control characters, no 5000-character values -----------------------


def test_a_hostile_key_is_quoted_in_the_error_message(tmp_path):
    data = blueprint_data(teams=[{"name": "genomics", "idp_group": "dsw-genomics", "\x1b[2Jx\nforged: line": 1}])
    with pytest.raises(SpecError) as caught:
        load_blueprint(write_blueprint(tmp_path / "acme-dsw", data))
    message = str(caught.value)
    assert "\x1b" not in message and message.count("\n") == 0, repr(message)
    # Written as a YAML double-quoted string (errors.shown): the escape and the line break stay visible, inert.
    assert 'teams[0]."\\u001b[2Jx\\nforge' in message


def test_a_huge_value_is_shortened_in_the_error_message(tmp_path):
    data = blueprint_data(idp={"kind": "oidc", "issuer_url": "A" * 5000, "client_id": "x"})
    with pytest.raises(SpecError) as caught:
        load_blueprint(write_blueprint(tmp_path / "acme-dsw", data))
    assert len(str(caught.value)) < 400 and "idp.issuer_url" in str(caught.value)


# ---- found by the preview property; fixed in components/identity.py (0c08ff5) ----------------


def test_cognito_groups_that_differ_only_by_slash_get_their_own_user_groups(tmp_path):
    """Cognito user group logical names turned '/' into '-', so 'dsw/ml' and 'dsw-ml' collided (duplicate URN, traceback)."""
    from blueprint.preview import preview_project

    teams = [{"name": "ml", "idp_group": "dsw/ml"}, {"name": "ml-b", "idp_group": "dsw-ml"}]
    project = write_blueprint(tmp_path / "acme-dsw", blueprint_data("balanced", teams=teams, idp={"kind": "cognito"})).parent
    graph = preview_project(project)
    assert {r.inputs["name"] for r in graph.of_type("aws:cognito/userGroup:UserGroup")} >= {"dsw/ml", "dsw-ml"}
