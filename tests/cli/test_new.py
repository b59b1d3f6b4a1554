"""`blueprint new` end to end through the real CLI, checked with independent tools."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.model import load_blueprint

runner = CliRunner()
PROJECT_SCHEMA = json.loads((Path(__file__).parents[1] / "refdata/pulumi/project.schema.json").read_text())


def new(*args: str):
    return runner.invoke(app, ["new", *args])


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_new_writes_a_complete_valid_project(tmp_path, stance):
    target = tmp_path / "acme-dsw"
    result = new(str(target), "--stance", stance, "--org", "acme", "--team", "genomics:dsw-genomics", "--team", "vision", "--admin-cidr", "203.0.113.0/24")
    assert result.exit_code == 0, result.output
    files = {p.name for p in target.iterdir()}
    assert {"blueprint.yaml", "Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "requirements.txt", "README.md", ".gitignore", "blueprint.schema.json"} <= files

    project = YAML(typ="safe").load((target / "Pulumi.yaml").read_text())
    jsonschema.validate(project, PROJECT_SCHEMA)
    assert project["runtime"]["name"] == "python"

    spec = load_blueprint(target)
    assert spec.stance.name == stance
    assert [(t.name, t.idp_group) for t in spec.teams] == [("genomics", "dsw-genomics"), ("vision", "vision")]

    blueprint = YAML(typ="safe").load((target / "blueprint.yaml").read_text())
    schema = json.loads((target / "blueprint.schema.json").read_text())
    jsonschema.validate(blueprint, schema)
    assert "$schema=./blueprint.schema.json" in (target / "blueprint.yaml").read_text()


def test_main_py_holds_no_user_strings(tmp_path):
    target = tmp_path / "zeta-dsw"
    assert new(str(target), "--org", "zeta", "--team", "quasar:grp-quasar", "--region", "ap-southeast-2").exit_code == 0
    source = (target / "__main__.py").read_text()
    ast.parse(source)
    literals = [n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    for user_string in ("zeta", "quasar", "grp-quasar", "ap-southeast-2", "zeta-dsw"):
        assert user_string not in source
        assert all(user_string not in literal for literal in literals)


def test_requirements_pin_exact_versions(tmp_path):
    target = tmp_path / "p"
    assert new(str(target), "--org", "acme").exit_code == 0
    lines = [line for line in (target / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    wheel, *pins = lines
    assert re.fullmatch(r"file:vendor/workbench_blueprint-[0-9.]+-py3-none-any\.whl#sha256=[0-9a-f]{64}", wheel)
    names = {line.split("==")[0] for line in pins}
    assert {"pulumi", "pulumi-aws", "pulumi-kubernetes"} <= names
    assert all("==" in line for line in pins)


def test_index_url_names_an_internal_index_instead_of_vendoring(tmp_path):
    target = tmp_path / "p"
    result = new(str(target), "--org", "acme", "--index-url", "https://pypi.acme.example/simple")
    assert result.exit_code == 0, result.output
    lines = (target / "requirements.txt").read_text().splitlines()
    assert "--index-url https://pypi.acme.example/simple" in lines and "workbench-blueprint==0.1.0" in lines
    assert not (target / "vendor").exists()


@pytest.mark.parametrize("url", ["http://pypi.acme.example/simple", "https://user:secret@pypi.acme.example/simple", "https://pypi.acme.example/simple\n--trusted-host x"])
def test_index_url_must_be_a_plain_https_url(tmp_path, url):
    target = tmp_path / "p"
    result = new(str(target), "--org", "acme", "--index-url", url)
    assert result.exit_code == 2 and "--index-url" in result.output, result.output
    assert not target.exists()


def test_pins_match_the_tested_constraints():
    from blueprint.generate.pins import PINS

    constraints = dict(
        line.strip().split("==") for line in (Path(__file__).parents[2] / "constraints.txt").read_text().splitlines() if "==" in line
    )
    normalised = {k.lower().replace("_", "-"): v for k, v in constraints.items()}
    for name, version in PINS.items():
        if name != "workbench-blueprint":
            assert normalised[name] == version, name


def test_secret_is_never_written(tmp_path):
    target = tmp_path / "p"
    assert new(str(target), "--org", "acme", "--idp", "oidc", "--issuer-url", "https://idp.acme.example", "--client-id", "hub").exit_code == 0
    stack = (target / "Pulumi.dev.yaml").read_text()
    assert "pulumi config set --secret idpClientSecret" in stack
    assert "secure:" not in stack


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stance", "paranoid"], "unknown stance 'paranoid'"),
        (["--team", "Genomics"], "--team: 'Genomics' is not valid"),
        (["--team", "ab:b", "--team", "ab:c"], "team names must be unique"),
        (["--region", "mars-1"], "region"),
        (["--idp", "oidc"], "idp"),
        (["--idp", "oidc", "--issuer-url", "http://idp.acme.example", "--client-id", "x"], "https://"),
        (["--team", ":group"], "--team"),
        (["--stance", "open"], "--admin-cidr: stance 'open' has a public Kubernetes API endpoint"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, args, message):
    target = tmp_path / "acme-dsw"
    result = new(str(target), "--org", "acme", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_existing_directory_needs_force_and_is_left_untouched(tmp_path):
    target = tmp_path / "acme-dsw"
    assert new(str(target), "--org", "acme").exit_code == 0
    (target / "notes.md").write_text("mine")
    before = snapshot(target)
    result = new(str(target), "--org", "acme", "--stance", "balanced")
    assert result.exit_code == 2 and "--force" in result.output
    assert snapshot(target) == before

    assert new(str(target), "--org", "acme", "--stance", "balanced", "--force").exit_code == 0
    assert load_blueprint(target).stance.name == "balanced"
    assert (target / "notes.md").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir()] == ["acme-dsw"]


def test_non_interactive_defaults(tmp_path):
    target = tmp_path / "omega-dsw"
    result = runner.invoke(app, ["new", str(target)], input="")
    assert result.exit_code == 0, result.output
    spec = load_blueprint(target)
    assert (spec.org, spec.stance.name, [t.name for t in spec.teams]) == ("omega", "strict", ["data-science"])
