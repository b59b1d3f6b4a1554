"""Errors and warnings a user can act on, through the real CLI: no regular expressions, no Python reprs, the
command-line flag when the mistake came from the command line, did-you-mean for control ids, known regions only,
tabs, schema versions, and the warnings `check` prints."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.errors import as_yaml, shown
from blueprint.facts.aws_regions import AWS_REGIONS
from blueprint.model import BlueprintFile, Stance
from blueprint.model.controls import has_path
from blueprint.model.overlay import TeamOverlay
from blueprint.model.spec import SCHEMA_VERSION
from blueprint.model.types import PATTERN_HINTS
from tests.conftest import blueprint_data, write_blueprint

runner = CliRunner()
SRC = Path(__file__).parents[2] / "src" / "blueprint"
# What a regular expression leaks into a message: anchors, classes, quantifiers.
REGEX_BITS = re.compile(r"\^\[|\]\{|\$\)|\(\?|\\\.|\]\*|\]\+")


def project(tmp_path: Path, **overrides) -> Path:
    directory = tmp_path / "acme-dsw"
    write_blueprint(directory, blueprint_data(**overrides))
    return directory


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def refused(args: list[str], root: Path) -> str:
    """Run the CLI on bad input: exit 2, no traceback, nothing on disk changed; the output."""
    before = snapshot(root)
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert snapshot(root) == before
    return result.output


# ---- one helper shows values, as YAML -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "in_prose", "in_yaml"),
    [
        (True, "true", "true"),
        (None, "null", "null"),
        (["gpu"], "[gpu]", "[gpu]"),
        ({"cpu": "16", "gpu": 1}, "{cpu: '16', gpu: 1}", "{cpu: '16', gpu: 1}"),
        ("eu-west-9", "'eu-west-9'", "eu-west-9"),
        ("64", "'64'", "'64'"),
        ("yes", "'yes'", "'yes'"),
        ("it's", "'it''s'", "'it''s'"),
        ("*.pypi.org", "'*.pypi.org'", "'*.pypi.org'"),
        ("1.33", "'1.33'", "'1.33'"),
        (frozenset({"b", "a"}), "[a, b]", "[a, b]"),
        ("genomics\n  kind: ClusterRole", '"genomics\\n  kind: ClusterRole"', '"genomics\\n  kind: ClusterRole"'),
        ("tab\there\x85", '"tab\\there\\u0085"', '"tab\\there\\u0085"'),
    ],
)
def test_values_are_shown_as_yaml_and_read_back_unchanged(value, in_prose, in_yaml):
    assert shown(value) == in_prose
    assert as_yaml(value) == in_yaml
    expected = sorted(value) if isinstance(value, frozenset) else value
    assert YAML(typ="safe", pure=True).load(f"v: {as_yaml(value)}")["v"] == expected
    assert YAML(typ="safe", pure=True).load(f"v: [{as_yaml(value)}]")["v"] == [expected]


def test_no_message_is_built_with_a_python_repr():
    """`!r` in an f-string shows Python (`True`, `['gpu']`); messages go through errors.shown (one home)."""
    found = []
    for layer in ("model", "generate", "cli"):
        for path in sorted((SRC / layer).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FormattedValue) and node.conversion == ord("r"):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == [], "use errors.shown(value) instead of !r: " + ", ".join(found)


def test_a_floor_breach_shows_values_as_yaml(tmp_path):
    directory = project(tmp_path)
    (directory / "teams").mkdir()
    (directory / "teams" / "genomics.yaml").write_text("team: genomics\ncontrols: {compute.sessions.root_allowed: true}\n")
    output = refused(["check", str(directory)], tmp_path)
    assert "true goes below the org floor for compute.sessions.root_allowed: the floor is false" in output
    assert "value: true, reason" in output
    assert "True" not in output


def test_a_list_in_a_message_is_yaml(tmp_path):
    teams = [{"name": "genomics", "idp_group": "dsw-genomics", "profiles": ["huge", "tiny"]}]
    output = refused(["check", str(project(tmp_path, teams=teams))], tmp_path)
    assert "unknown profile(s) [huge, tiny]" in output
    assert "['huge'" not in output


def test_an_expired_exception_shows_its_value_as_yaml(tmp_path):
    exceptions = [{"team": "genomics", "control": "compute.sessions.root_allowed", "value": True, "reason": "installs CUDA drivers", "approved_by": "ciso", "expires": "2020-01-01"}]
    directory = project(tmp_path, exceptions=exceptions)
    (directory / "teams").mkdir()
    (directory / "teams" / "genomics.yaml").write_text("team: genomics\ncontrols: {compute.sessions.root_allowed: true}\n")
    result = runner.invoke(app, ["check", str(directory), "--family", "stance"])
    assert result.exit_code == 1, result.output
    assert "the exception for team genomics on compute.sessions.root_allowed (value true, approved by ciso) expired on 2020-01-01" in result.stdout


# ---- what a valid value looks like, never the pattern ----------------------------------------------


def _patterns(schema: object) -> set[str]:
    if isinstance(schema, dict):
        return {v for k, v in schema.items() if k == "pattern"} | {p for k, v in schema.items() if k != "pattern" for p in _patterns(v)}
    if isinstance(schema, list):
        return {p for item in schema for p in _patterns(item)}
    return set()


@pytest.mark.parametrize("model", [BlueprintFile, TeamOverlay, Stance])
def test_every_pattern_of_the_model_says_what_a_valid_value_looks_like(model):
    patterns = _patterns(model.model_json_schema())
    assert patterns
    assert sorted(patterns - set(PATTERN_HINTS)) == []
    assert all(("e.g." in PATTERN_HINTS[p] or "such as" in PATTERN_HINTS[p] or "without" in PATTERN_HINTS[p]) for p in patterns)


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"hub_hostname": "https://jupyter.acme.example"}, "use a lowercase DNS name such as jupyter.acme.example"),
        ({"budgets": {"alert_emails": ["platform at acme"]}}, "use an e-mail address such as platform@acme.example"),
        ({"idp": {"kind": "oidc", "issuer_url": "https://login.acme.example", "client_id": "hub client"}}, "e.g. jupyterhub"),
        ({"ci": {"admin_role_arns": ["arn:aws:iam::1234:role/x"]}}, "e.g. arn:aws:iam::123456789012:role/platform-admin"),
        ({"tls": {"hub_zone_id": "zone-1"}}, "e.g. Z0123456789ABCDEFGHIJ"),
        ({"exceptions": [{"team": "genomics", "control": "compute.default_quota.cpu", "value": "64", "reason": "protein folding", "approved_by": "<ciso>", "expires": "2099-01-01"}]}, "a name or e-mail address"),
    ],
)
def test_a_pattern_mismatch_says_what_a_valid_value_looks_like(tmp_path, overrides, says):
    output = refused(["check", str(project(tmp_path, **overrides))], tmp_path)
    assert says in output
    assert not REGEX_BITS.search(output), output


@pytest.mark.parametrize(
    ("missing", "says"),
    [
        ("hub_hostname", "hub_hostname: is required (add it: a lowercase DNS name such as jupyter.acme.example"),
        ("region", "region: is required (add it: an AWS region code such as eu-west-1)"),
        ("org", "org: is required (add it: 2-24 lowercase letters, digits and '-', starting with a letter, e.g. acme"),
    ],
)
def test_a_missing_field_says_what_to_add(tmp_path, missing, says):
    data = blueprint_data()
    del data[missing]
    directory = tmp_path / "acme-dsw"
    write_blueprint(directory, data)
    assert says in refused(["check", str(directory)], tmp_path)


# ---- a mistake on the command line names the flag ---------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--idp", "oidc"], "--issuer-url: is required with --idp oidc: the URL your IdP serves"),
        (["--idp", "oidc", "--issuer-url", "https://login.acme.example"], "--client-id: is required with --idp oidc"),
        (["--idp", "saml", "--client-id", "hub"], "--client-id: is not used with --idp saml; remove it"),
        (["--region", "eu-west-9"], "--region: 'eu-west-9' is not an AWS region pulumi-aws"),
        (["--alert-email", "platform"], "--alert-email: 'platform' is not valid (use an e-mail address such as platform@acme.example)"),
        (["--hub-hostname", "https://jupyter.acme.example"], "--hub-hostname: 'https://jupyter.acme.example' is not valid"),
        (["--team", "Genomics"], "--team: 'Genomics' is not valid"),
        (["--stance", "open"], "--admin-cidr: stance 'open' has a public Kubernetes API endpoint"),
    ],
)
def test_new_names_the_flag_not_the_yaml_field(tmp_path, args, says):
    output = refused(["new", str(tmp_path / "acme-dsw"), "--org", "acme", *args], tmp_path)
    assert says in output
    assert "blueprint.yaml" not in output.splitlines()[0]
    assert not (tmp_path / "acme-dsw").exists()


def test_a_problem_no_flag_sets_keeps_the_file_but_speaks_in_flags(tmp_path):
    output = refused(["new", str(tmp_path / "p"), "--org", "acme", "--certificate-arn", "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d", "--validation-zone-id", "Z0123"], tmp_path)
    assert "(from command-line options): tls: --certificate-arn and --validation-zone-id are each a certificate source; keep one" in output


def test_every_option_field_is_a_field_of_blueprint_yaml():
    from blueprint.generate.project import OPTION_FIELDS

    for path in OPTION_FIELDS:
        assert has_path(BlueprintFile, path) or has_path(BlueprintFile.model_fields["teams"].annotation.__args__[0], path.removeprefix("teams.")), path


def test_the_same_mistake_in_blueprint_yaml_names_the_field(tmp_path):
    output = refused(["check", str(project(tmp_path, idp={"kind": "oidc", "client_id": "jupyterhub"}))], tmp_path)
    assert "blueprint.yaml: idp.issuer_url: is required with idp.kind oidc" in output


# ---- did you mean, for control ids ----------------------------------------------------------------


def test_an_exception_for_a_misremembered_control_suggests_the_id(tmp_path):
    exception = {"team": "genomics", "control": "compute.quota.cpu", "value": "64", "reason": "protein folding runs", "approved_by": "ciso", "expires": "2099-01-01"}
    output = refused(["check", str(project(tmp_path, exceptions=[exception]))], tmp_path)
    assert "exceptions[0].control: unknown control 'compute.quota.cpu'; did you mean compute.default_quota.cpu?" in output


def test_an_overlay_control_typo_suggests_a_team_scoped_id(tmp_path):
    directory = project(tmp_path)
    (directory / "teams").mkdir()
    (directory / "teams" / "genomics.yaml").write_text("team: genomics\ncontrols: {compute.sessions.idle_timeout: 30}\n")
    output = refused(["check", str(directory)], tmp_path)
    assert "did you mean compute.sessions.idle_timeout_minutes?" in output


def test_a_floor_addition_typo_suggests_the_id(tmp_path):
    output = refused(["check", str(project(tmp_path, floor={"add": ["packages.cooldown"]}))], tmp_path)
    assert "unknown control 'packages.cooldown'; did you mean packages.cooldown_days?" in output


def test_a_stance_override_with_a_shortened_key_suggests_the_field(tmp_path):
    stances = {"mine": {"extends": "strict", "overrides": {"compute": {"quota": {"cpu": "64"}}}}}
    output = refused(["check", str(project(tmp_path, stance="mine", stances=stances))], tmp_path)
    assert "stances.mine.overrides.compute.quota: unknown key 'quota' (did you mean default_quota?)" in output


# ---- regions the pinned pulumi-aws knows -----------------------------------------------------------


def test_an_unknown_region_in_blueprint_yaml_is_refused_with_the_regions_near_it(tmp_path):
    output = refused(["check", str(project(tmp_path, region="eu-west-9"))], tmp_path)
    assert "region: 'eu-west-9' is not an AWS region pulumi-aws" in output
    assert "the eu regions are eu-central-1" in output and "eu-west-3" in output


@pytest.mark.parametrize("region", ["eusc-de-east-1", "us-gov-west-1", "ap-southeast-7"])
def test_every_region_pulumi_aws_knows_is_accepted(tmp_path, region):
    assert region in AWS_REGIONS
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--org", "acme", "--region", region])
    assert result.exit_code == 0, result.output
    assert f"region: {region}" in (tmp_path / "p" / "blueprint.yaml").read_text()


# ---- YAML tabs and schema versions ------------------------------------------------------------------


def test_a_tab_gets_line_column_and_the_fix(tmp_path):
    directory = project(tmp_path)
    path = directory / "blueprint.yaml"
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  "))
    lines[at] = "\t" + lines[at].lstrip()
    path.write_text("\n".join(lines) + "\n")
    output = refused(["check", str(directory)], tmp_path)
    assert f"line {at + 1}, column 1: tabs cannot indent YAML; use spaces" in output
    assert "cannot start any token" not in output


@pytest.mark.parametrize(
    ("version", "says"),
    [
        (99, "schema_version: 99 is from a newer workbench-blueprint: workbench-blueprint "),
        (0, "schema_version: 0 was never written by workbench-blueprint"),
    ],
)
def test_a_schema_version_from_another_time_says_what_to_do(tmp_path, version, says):
    output = refused(["check", str(project(tmp_path, schema_version=version, future_key={"a": 1}))], tmp_path)
    assert says in output
    assert f"reads and writes schema_version {SCHEMA_VERSION}" in output
    assert ("pip install --upgrade workbench-blueprint" in output) == (version > 1)
    assert "future_key" not in output  # the version says it all; no cascade of unknown keys
    assert len(output.splitlines()) == 1


# ---- warnings: valid, likely not meant --------------------------------------------------------------


def test_check_warns_when_team_budgets_add_up_to_more_than_the_org_budget(tmp_path):
    teams = [{"name": "genomics", "idp_group": "dsw-genomics", "budget_usd": 30000}, {"name": "vision", "idp_group": "dsw-vision", "budget_usd": 30000}]
    directory = project(tmp_path, teams=teams, budgets={"alert_emails": ["platform@acme.example"], "org_monthly_usd": 50000})
    result = runner.invoke(app, ["check", str(directory), "--json"])
    assert result.exit_code in (0, 1), result.output
    assert "warning: " in result.stderr and "budgets.org_monthly_usd: the team budgets add up to 60000 USD a month (genomics 30000, vision 30000)" in result.stderr
    warnings = json.loads(result.stdout)["blueprint_warnings"]
    assert [w["field"] for w in warnings] == ["budgets.org_monthly_usd"]
    assert "raise budgets.org_monthly_usd to at least 60000" in warnings[0]["fix"]


def test_no_budget_warning_when_the_org_budget_covers_the_teams(tmp_path):
    from blueprint.model import load_blueprint

    teams = [{"name": "genomics", "idp_group": "dsw-genomics", "budget_usd": 20000}, {"name": "vision", "idp_group": "dsw-vision", "budget_usd": 30000}]
    directory = project(tmp_path, teams=teams, budgets={"org_monthly_usd": 50000})
    assert load_blueprint(directory).warnings == ()


def test_check_warns_about_an_exception_that_changes_nothing(tmp_path):
    def exception(team: str, control: str, value: str) -> dict:
        return {"team": team, "control": control, "value": value, "reason": "recorded for a reason", "approved_by": "ciso", "expires": "2099-01-01"}

    exceptions = [
        exception("genomics", "compute.default_quota.cpu", "8"),  # strict's default quota is 16 CPU: 8 is within the floor
        exception("genomics", "network.egress", "open"),  # no overlay can set the egress of one team
        exception("team-1", "compute.default_quota.cpu", "64"),  # needed: teams/team-1.yaml asks for 64
        exception("team-1", "compute.default_quota.memory", "256Gi"),  # teams/team-1.yaml does not raise its memory
    ]
    directory = project(tmp_path, exceptions=exceptions)
    (directory / "teams").mkdir()
    (directory / "teams" / "team-1.yaml").write_text("team: team-1\nquota: {cpu: '64'}\n")
    result = runner.invoke(app, ["check", str(directory)])
    assert result.exit_code in (0, 1), result.output
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:") and "exceptions[" in line]
    assert len(warned) == 3, result.stderr
    assert "exceptions[0]: permits '8' for compute.default_quota.cpu, which is within the floor ('16') now: this exception changes nothing" in warned[0]
    assert "remove it from blueprint.yaml: the entry for team genomics on compute.default_quota.cpu" in warned[0]
    assert "exceptions[1]: network.egress is not team-scoped" in warned[1]
    assert "exceptions[3]: permits '256Gi' for compute.default_quota.memory, but team-1.yaml does not set it" in warned[2]


def test_an_exception_no_overlay_uses_yet_is_warned_about(tmp_path):
    from blueprint.model import load_blueprint

    exceptions = [{"team": "genomics", "control": "compute.sessions.root_allowed", "value": True, "reason": "installs CUDA drivers", "approved_by": "ciso", "expires": "2099-01-01"}]
    (warning,) = load_blueprint(project(tmp_path, exceptions=exceptions)).warnings
    assert warning.field == "exceptions[0]" and "permits true for compute.sessions.root_allowed, but teams/genomics.yaml does not set it" in warning.message


def test_validate_prints_the_same_warnings_without_a_preview(tmp_path):
    teams = [{"name": "genomics", "idp_group": "dsw-genomics", "budget_usd": 30000}, {"name": "vision", "idp_group": "dsw-vision", "budget_usd": 30000}]
    exceptions = [{"team": "genomics", "control": "compute.default_quota.cpu", "value": "8", "reason": "was 4 before the floor was lowered", "approved_by": "ciso", "expires": "2099-01-01"}]
    directory = project(tmp_path, teams=teams, exceptions=exceptions, budgets={"org_monthly_usd": 50000})
    result = runner.invoke(app, ["validate", str(directory)])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 2, result.stderr
    assert "budgets.org_monthly_usd: the team budgets add up to 60000 USD a month" in warned[0]
    assert "exceptions[0]: permits '8' for compute.default_quota.cpu, which is within the floor ('16') now" in warned[1]
    payload = json.loads(runner.invoke(app, ["validate", str(directory), "--json"]).stdout)
    assert [w["field"] for w in payload["warnings"]] == ["budgets.org_monthly_usd", "exceptions[0]"]
