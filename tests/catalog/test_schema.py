"""The JSON Schemas editors get (`blueprint schema`, blueprint.schema.json, overlay.schema.json), judged by a real
JSON Schema validator against the committed examples, the bad-input corpus and the model's own decisions."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from blueprint.catalog import OVERLAY_SCHEMA_FILE, blueprint_schema, overlay_schema, project_schema, stance_schema
from blueprint.cli import app
from blueprint.errors import SpecError
from blueprint.model import BUILTIN_STANCES, BlueprintFile, load_blueprint, stance_controls
from blueprint.model.loading import validate
from blueprint.model.overlay import TEAM_FIELD_CONTROLS, TEAM_SCOPED_CONTROLS, TeamOverlay
from blueprint.model.stance import META
from blueprint.model.units import parse_quantity
from blueprint.model.yamlio import dump_yaml, read_yaml
from tests.bad_inputs.test_corpus import header
from tests.conftest import blueprint_data, write_blueprint
from tests.property.strategies import mutated, valid_documents

ROOT = Path(__file__).parents[2]
CASES = ROOT / "tests/bad_inputs/cases"
runner = CliRunner()


def as_editor_reads(data: Any) -> Any:
    """YAML as a YAML 1.2 editor hands it to the schema: plain JSON values, dates as their text."""
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v)))


def load(path: Path) -> Any:
    return as_editor_reads(read_yaml(path))


def errors(schema: dict[str, Any], document: Any) -> list[tuple[str, str]]:
    """(JSON path, message) of every error, deepest first inside anyOf/oneOf."""
    found = []
    for error in Draft202012Validator(schema).iter_errors(document):
        found.append((error.json_path, error.message))
    return found


def properties_without_description(schema: dict[str, Any]) -> list[str]:
    """Every property schema, anywhere, that has no description. `if` conditions describe no property a user writes."""
    missing: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, child in (node.get("properties") or {}).items():
                if not (isinstance(child, dict) and child.get("description")):
                    missing.append(f"{where}.{name}")
            for key, child in node.items():
                if key != "if":
                    walk(child, f"{where}/{key}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{where}[{index}]")

    walk(schema, "#")
    return missing


SCHEMAS = {
    "blueprint": blueprint_schema,
    "blueprint-of-a-project": lambda: blueprint_schema(declared=["mine"]),
    "overlay": overlay_schema,
    "stance": stance_schema,
}


@pytest.mark.parametrize("name", SCHEMAS)
def test_each_schema_is_valid_2020_12_and_describes_every_property(name):
    schema = SCHEMAS[name]()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert properties_without_description(schema) == []
    refs = set(re.findall(r'"\$ref": "#/\$defs/([^"]+)"', json.dumps(schema)))
    assert refs == set(schema.get("$defs", {})), "every definition used, every used one defined"


def test_the_description_check_would_catch_a_missing_one():
    schema = blueprint_schema()
    del schema["$defs"]["TeamEntry"]["properties"]["name"]["description"]
    assert properties_without_description(schema) == ["#/$defs/TeamEntry.name"]


# ---- the committed examples --------------------------------------------------------------------------------

STANCE_FILES = sorted((ROOT / "blueprints").glob("*.yaml"))
BLUEPRINT_FILES = sorted([*ROOT.glob("stacks/*/blueprint.yaml"), *ROOT.glob("stacks/sources/*.yaml")])
OVERLAY_FILES = sorted(ROOT.glob("stacks/*/teams/*.yaml"))


def test_there_are_examples_of_each_kind():
    assert len(STANCE_FILES) == len(BUILTIN_STANCES) and len(BLUEPRINT_FILES) >= 3 and len(OVERLAY_FILES) >= 3


@pytest.mark.parametrize("path", STANCE_FILES, ids=lambda p: p.name)
def test_built_in_stances_validate(path):
    assert errors(stance_schema(), load(path)) == []


@pytest.mark.parametrize("path", BLUEPRINT_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_blueprints_validate_against_both_blueprint_schemas(path):
    document = load(path)
    assert errors(blueprint_schema(), document) == []
    assert errors(project_schema(path), document) == []


@pytest.mark.parametrize("path", OVERLAY_FILES, ids=lambda p: f"{p.parents[1].name}/{p.name}")
def test_committed_overlays_validate(path):
    assert errors(overlay_schema(), load(path)) == []


# ---- what the model rejects for a pattern or enum reason, the schema rejects at the same place ------------

BLUEPRINT_CASES = {
    "org-name-with-spaces": "$.org",
    "region-invalid": "$.region",
    "hub-hostname-with-scheme": "$.hub_hostname",
    "schema-version-unsupported": "$.schema_version",
    "team-name-uppercase": "$.teams[0].name",
    "idp-group-with-shell": "$.teams[0].idp_group",
    "email-invalid": "$.budgets.alert_emails[0]",
    "wrong-type-gpu-string": "$.teams[0].quota.gpu",
    "quota-memory-negative": "$.teams[0].quota.memory",
    "exception-unknown-control": "$.exceptions[0].control",
    "custom-stance-bad-override": "$.stances.mine.overrides.network.egress",
    "unknown-key-typo-region": "$",
}
# Stance names are closed only once the project's declared stances are known (`blueprint schema DIR`).
PROJECT_CASES = {"unknown-stance": "$.stance", "unknown-stance-in-extends": "$.stances.mine.extends"}
OVERLAY_CASES = {
    "overlay-bad-control-value": "$.controls['compute.sessions.idle_timeout_minutes']",
    "overlay-changes-network": "$.controls",
    "overlay-unknown-key": "$",
}


def model_rejects(case: Path, tmp_path: Path) -> str:
    """The message the real loader gives for the case, placed in a valid project as the corpus places it."""
    project = tmp_path / "acme-dsw"
    write_blueprint(project, blueprint_data(teams=[{"name": "genomics", "idp_group": "dsw-genomics"}, {"name": "vision", "idp_group": "dsw-vision"}]))
    team = header(case, "overlay")
    target = project / "teams" / f"{team}.yaml" if team else project / "blueprint.yaml"
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(case, target)
    with pytest.raises(SpecError) as caught:
        load_blueprint(project)
    return str(caught.value)


@pytest.mark.parametrize(("name", "where"), [*BLUEPRINT_CASES.items(), *PROJECT_CASES.items(), *OVERLAY_CASES.items()])
def test_model_and_schema_reject_the_same_cases(name, where, tmp_path):
    case = CASES / f"{name}.yaml"
    assert header(case, "expect") in model_rejects(case, tmp_path)
    if name in OVERLAY_CASES:
        schema = overlay_schema()
    elif name in PROJECT_CASES:
        schema = project_schema(case)
        assert errors(blueprint_schema(), load(case)) == [], "without a project any stance name is allowed"
    else:
        schema = blueprint_schema()
    found = errors(schema, load(case))
    assert where in [path for path, _ in found], found


# ---- the quantity pattern is the model's: both agree on every text ------------------------------------------

QUANTITIES = ["16Gi", "1.5Gi", "16384Mi", "17179869184", "16G", "64Mi", "1Ti", "16 Gi", "16gi", "16GiB", "Gi", ".5Gi", "1.Gi", "+16Gi", "-16Gi", "1e10", " 16Gi", "16Gi ", "0x10", "16Ki16"]


@pytest.mark.parametrize("text", QUANTITIES)
def test_memory_text_is_judged_alike(text):
    document = {"team": "genomics", "quota": {"memory": text}}
    try:
        validate(TeamOverlay, document, "teams/genomics.yaml")
        model_accepts = True
    except SpecError:
        model_accepts = False
    assert (errors(overlay_schema(), document) == []) is model_accepts, f"{text!r}: the model {'accepts' if model_accepts else 'rejects'} it"


@pytest.mark.parametrize("value", ["16", "500m", 16, 0.5, "1.5", True, -2, "2 ", "two"])
def test_cpu_values_are_judged_alike(value):
    document = {"team": "genomics", "quota": {"cpu": value}}
    try:
        validate(TeamOverlay, document, "teams/genomics.yaml")
        model_accepts = True
    except SpecError:
        model_accepts = False
    assert (errors(overlay_schema(), document) == []) is model_accepts, repr(value)


def test_quota_patterns_come_from_the_parser():
    text = overlay_schema()["$defs"]["QuotaOverride"]["properties"]["memory"]["anyOf"][0]
    from blueprint.model.units import QUANTITY_LOOKS_LIKE, QUANTITY_PATTERN

    assert text["pattern"] == QUANTITY_PATTERN
    assert QUANTITY_LOOKS_LIKE in text["patternErrorMessage"], "editors say what a quantity looks like, not the regex"
    parse_quantity("16Gi")  # the parser reads what the pattern admits


# ---- stances, overrides, exceptions ------------------------------------------------------------------------


def blueprint_with(**changes: Any) -> dict[str, Any]:
    return as_editor_reads(blueprint_data(**changes))


def test_stance_is_a_built_in_or_any_declared_name_without_a_project():
    schema = blueprint_schema()
    assert errors(schema, blueprint_with(stance="mine", stances={"mine": {"extends": "strict"}})) == []
    assert [p for p, _ in errors(schema, blueprint_with(stance="Strict"))] == ["$.stance"]
    # A key pattern alone (pydantic's patternProperties) would let any other key through; the model refuses them.
    badly_named = blueprint_with(stances={"Mine": {"extends": "strict"}})
    assert "$.stances" in [p for p, _ in errors(schema, badly_named)]
    assert not model_accepts(badly_named)
    offered = schema["properties"]["stance"]["anyOf"][0]
    assert offered["enum"] == list(BUILTIN_STANCES)


def test_a_projects_schema_closes_the_stance_names(tmp_path):
    path = write_blueprint(tmp_path / "p", blueprint_data(stance="mine", stances={"mine": {"extends": "strict"}}))
    schema = project_schema(path.parent)
    assert schema["properties"]["stance"]["enum"] == [*BUILTIN_STANCES, "mine"]
    assert schema["$defs"]["CustomStance"]["properties"]["extends"]["enum"] == [*BUILTIN_STANCES, "mine"]
    assert errors(schema, load(path)) == []
    assert [p for p, _ in errors(schema, blueprint_with(stance="yours"))] == ["$.stance"]


def test_overrides_are_a_typed_partial_stance():
    schema = blueprint_schema()
    partial = {"network": {"egress": "allowlist", "egress_allowlist": ["pypi.org"]}, "compute": {"default_quota": {"cpu": "8"}}}
    assert errors(schema, blueprint_with(stance="mine", stances={"mine": {"extends": "strict", "overrides": partial}})) == []
    wrong = {"network": {"egres": "open"}, "compute": {"default_quota": {"memory": "lots"}, "profiles": [{"name": "small"}]}}
    found = {p for p, _ in errors(schema, blueprint_with(stance="mine", stances={"mine": {"extends": "strict", "overrides": wrong}}))}
    assert {"$.stances.mine.overrides.network", "$.stances.mine.overrides.compute.default_quota.memory", "$.stances.mine.overrides.compute.profiles[0]"} <= found


def control_node(root: dict[str, Any], defs: dict[str, Any], control_id: str) -> dict[str, Any]:
    *parents, leaf = control_id.split(".")
    node = root
    for part in parents:
        node = defs[node["properties"][part]["$ref"].removeprefix("#/$defs/")]
    return node["properties"][leaf]


def test_every_control_is_described_by_its_own_why_and_facts():
    blueprint, stance, overlay = blueprint_schema(), stance_schema(), overlay_schema()
    for info in stance_controls():
        for root, defs in ((blueprint["$defs"]["StanceOverrides"], blueprint["$defs"]), (stance, stance["$defs"])):
            description = control_node(root, defs, info.id)["description"]
            assert description.startswith(info.meta.why) and f"Control {info.id}; concern {info.meta.concern.value}" in description
            assert ("on the org floor by default" in description) is info.meta.in_default_floor
        if info.meta.ranking:
            assert "strongest first: " + ", ".join(info.meta.ranking) in description
        if info.id in ("identity.mfa", "compute.sessions.root_allowed"):  # booleans: which value is the weaker one
            assert {"identity.mfa": "false is weaker", "compute.sessions.root_allowed": "true is weaker"}[info.id] in description
        if info.id in TEAM_SCOPED_CONTROLS:
            assert overlay["properties"]["controls"]["properties"][info.id]["description"].startswith(info.meta.why)


def test_team_fields_are_described_by_the_controls_they_tune():
    quota = overlay_schema()["$defs"]["QuotaOverride"]["properties"]
    for field, control_id in TEAM_FIELD_CONTROLS.items():
        if field.startswith("quota."):
            assert quota[field.removeprefix("quota.")]["description"].startswith(META[control_id].why)
    assert blueprint_schema()["$defs"]["TeamEntry"]["properties"]["idle_timeout_minutes"]["description"].startswith(
        META["compute.sessions.idle_timeout_minutes"].why
    )


def exception(control: str, value: Any) -> dict[str, Any]:
    return {"team": "genomics", "control": control, "value": value, "reason": "protein folding runs", "approved_by": "ciso", "expires": "2099-01-01"}


def test_exception_controls_are_the_ordered_ones_each_with_its_value_type():
    schema = blueprint_schema()
    ordered = [c.id for c in stance_controls() if c.meta.ordered]
    assert schema["$defs"]["ControlException"]["properties"]["control"]["enum"] == ordered
    assert schema["$defs"]["FloorSpec"]["properties"]["add"]["items"]["enum"] == ordered
    assert errors(schema, blueprint_with(exceptions=[exception("compute.default_quota.cpu", "64")])) == []
    unordered = next(c.id for c in stance_controls() if not c.meta.ordered)
    for bad, where in ((exception(unordered, "x"), "$.exceptions[0].control"), (exception("network.egress", "wide-open"), "$.exceptions[0].value")):
        assert where in [p for p, _ in errors(schema, blueprint_with(exceptions=[bad]))]
        with pytest.raises(SpecError):
            validate(BlueprintFile, blueprint_data(exceptions=[bad]), "blueprint.yaml")


def test_overlay_controls_are_the_team_scoped_ones():
    controls = overlay_schema()["properties"]["controls"]
    assert list(controls["properties"]) == list(TEAM_SCOPED_CONTROLS) and controls["additionalProperties"] is False
    assert errors(overlay_schema(), {"team": "genomics", "controls": {"compute.sessions.root_allowed": False}}) == []
    assert errors(overlay_schema(), {"team": "genomics", "controls": {"compute.sessions.root_allowed": "no"}})


# ---- through the CLI and into projects ---------------------------------------------------------------------


def schema_cli(*args: str):
    result = runner.invoke(app, ["schema", *args])
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def test_cli_prints_each_schema(tmp_path):
    assert schema_cli()[1] == blueprint_schema()
    assert schema_cli("--kind", "overlay")[1] == overlay_schema()
    assert schema_cli("--kind", "stance")[1] == stance_schema()
    path = write_blueprint(tmp_path / "p", blueprint_data(stance="mine", stances={"mine": {"extends": "balanced"}}))
    assert schema_cli(str(path.parent))[1]["properties"]["stance"]["enum"] == [*BUILTIN_STANCES, "mine"]


def test_cli_refuses_a_project_for_schemas_no_project_changes(tmp_path):
    result, _ = schema_cli(str(tmp_path), "--kind", "overlay")
    assert result.exit_code == 2 and "only read for --kind blueprint" in result.output
    result, _ = schema_cli(str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "file not found" in result.output


def test_new_and_fork_write_the_schemas_and_their_modelines(tmp_path):
    target = tmp_path / "acme-dsw"
    assert runner.invoke(app, ["new", str(target), "--org", "acme", "--team", "genomics:dsw-genomics"]).exit_code == 0
    assert runner.invoke(app, ["fork", str(target), "--team", "vision"]).exit_code == 0
    overlay = target / "teams/vision.yaml"
    assert overlay.read_text().startswith(f"# yaml-language-server: $schema=../{OVERLAY_SCHEMA_FILE}\n")
    assert errors(json.loads((target / OVERLAY_SCHEMA_FILE).read_text()), load(overlay)) == []
    assert errors(json.loads((target / "blueprint.schema.json").read_text()), load(target / "blueprint.yaml")) == []


def test_new_from_a_file_knows_its_stances_and_upgrade_learns_new_ones(tmp_path):
    source = write_blueprint(tmp_path / "src", blueprint_data(stance="mine", stances={"mine": {"extends": "strict"}}))
    target = tmp_path / "acme-dsw"
    assert runner.invoke(app, ["new", str(target), "--from", str(source)]).exit_code == 0
    assert json.loads((target / "blueprint.schema.json").read_text())["properties"]["stance"]["enum"] == [*BUILTIN_STANCES, "mine"]

    data = read_yaml(target / "blueprint.yaml")
    data["stances"]["theirs"] = {"extends": "mine"}
    (target / "blueprint.yaml").write_text(dump_yaml(data), encoding="utf-8")
    result = runner.invoke(app, ["upgrade", str(target), "--force", "--no-preview"])
    assert result.exit_code == 0, result.output
    assert json.loads((target / "blueprint.schema.json").read_text())["properties"]["stance"]["enum"] == [*BUILTIN_STANCES, "mine", "theirs"]


def test_fork_in_a_project_without_the_overlay_schema_writes_no_dangling_modeline(tmp_path):
    target = tmp_path / "acme-dsw"
    assert runner.invoke(app, ["new", str(target), "--org", "acme", "--team", "genomics:dsw-genomics"]).exit_code == 0
    (target / OVERLAY_SCHEMA_FILE).unlink()  # as in a project made before this release
    assert runner.invoke(app, ["fork", str(target), "--team", "genomics"]).exit_code == 0
    assert "yaml-language-server" not in (target / "teams/genomics.yaml").read_text()


# ---- the schema never flags what the model accepts ---------------------------------------------------------

SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def model_accepts(document: Any) -> bool:
    with tempfile.TemporaryDirectory() as scratch:
        write_blueprint(Path(scratch) / "acme-dsw", document)
        try:
            load_blueprint(Path(scratch) / "acme-dsw")
        except SpecError:
            return False
    return True


def test_every_valid_document_validates():
    validator = Draft202012Validator(blueprint_schema())

    @settings(max_examples=150, deadline=None, suppress_health_check=SLOW)
    @given(valid_documents())
    def check(document):
        assert [e.message for e in validator.iter_errors(as_editor_reads(document))] == []

    check()


def test_a_broken_document_the_schema_flags_the_model_refuses():
    """Editors must not flag what `blueprint check` accepts. The one known difference: pydantic's lax mode reads
    `true` and numeric text as integers (`gpu: "1"`), where the schema asks for the number itself."""
    validator = Draft202012Validator(blueprint_schema())

    @settings(max_examples=200, deadline=None, suppress_health_check=SLOW)
    @given(mutated())
    def check(mutation):
        kind, document, edit = mutation
        if edit is not None:  # a text edit: YAML syntax, which no schema sees
            return
        flagged = list(validator.iter_errors(as_editor_reads(document)))
        if flagged and model_accepts(document):
            coerced = [e for e in flagged if e.validator in ("type", "const") and isinstance(e.instance, (bool, str))]
            assert coerced == flagged, [(e.json_path, e.message) for e in flagged]

    check()


@pytest.mark.parametrize("name", SCHEMAS)
def test_patterns_use_no_python_only_regex_syntax(name):
    """Editors run the patterns as ECMA-262 regular expressions: named groups `(?P<`, `\\A`/`\\Z` and inline flags
    are Python's alone, and would make an editor reject (or ignore) the pattern."""
    patterns = [node["pattern"] for node in _all_nodes(SCHEMAS[name]()) if isinstance(node.get("pattern"), str)]
    patterns += [key for node in _all_nodes(SCHEMAS[name]()) for key in (node.get("patternProperties") or {})]
    assert patterns
    assert [p for p in patterns if re.search(r"\(\?P|\\[AZz]|\(\?[aiLmsux]", p)] == []


def _all_nodes(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _all_nodes(value)
    elif isinstance(node, list):
        for value in node:
            found += _all_nodes(value)
    return found
