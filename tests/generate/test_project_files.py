"""The generated Pulumi.yaml, Pulumi.<stack>.yaml and README.md, through the real `blueprint new`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from blueprint.cli import app

PROJECT_SCHEMA = json.loads((Path(__file__).parents[1] / "refdata/pulumi/project.schema.json").read_text())
OIDC = ["--idp", "oidc", "--issuer-url", "https://login.acme.example/realms/dsw", "--client-id", "jupyterhub"]
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-4333-8444-555555555555"


def new(target: Path, *args: str) -> Path:
    result = CliRunner().invoke(app, ["new", str(target), "--org", "acme", "--team", "genomics", *args])
    assert result.exit_code == 0, result.output
    return target


def test_pulumi_yaml_declares_the_idp_secret_and_validates_against_pulumis_schema(tmp_path):
    project = new(tmp_path / "acme-dsw", *OIDC)
    data = YAML(typ="safe").load((project / "Pulumi.yaml").read_text())
    jsonschema.validate(data, PROJECT_SCHEMA)
    assert data["config"]["idpClientSecret"]["secret"] is True and data["config"]["idpClientSecret"]["type"] == "string"
    assert "default" not in data["config"]["idpClientSecret"]  # required: Pulumi refuses to run a stack without it
    # The certificate the default `tls` reads from the stack config is declared (plain) too.
    assert data["config"]["hubCertificateArn"] == {"type": "string", "description": data["config"]["hubCertificateArn"]["description"]}
    # The schema is live: a declaration with a key Pulumi does not know is refused.
    data["config"]["idpClientSecret"]["encrypted"] = True
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, PROJECT_SCHEMA)


def test_cognito_needs_no_secret_and_a_brought_certificate_no_config(tmp_path):
    project = new(tmp_path / "acme-dsw", "--idp", "cognito", "--certificate-arn", CERTIFICATE)
    data = YAML(typ="safe").load((project / "Pulumi.yaml").read_text())
    jsonschema.validate(data, PROJECT_SCHEMA)
    assert "config" not in data
    assert "--secret" not in (project / "Pulumi.dev.yaml").read_text()


def test_the_secret_is_set_without_its_value_on_the_command_line(tmp_path):
    project = new(tmp_path / "acme-dsw", *OIDC, "--stack", "prod")
    readme, stack_file = (project / "README.md").read_text(), (project / "Pulumi.prod.yaml").read_text()
    for text in (readme, stack_file):
        commands = [line for line in text.splitlines() if "pulumi config set --secret" in line]
        assert commands and all(re.search(r"pulumi config set --secret idpClientSecret(\s|`|$)", c) and "<value>" not in c for c in commands), commands
    assert "pulumi stack select --create prod" in readme and "Pulumi prompts" in readme


def _section(readme: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert match, title
    return match[1]


def test_readme_says_what_to_have_before_the_first_up(tmp_path):
    project = new(tmp_path / "acme-dsw", *OIDC, "--on-premises-cidr", "10.0.0.0/16")
    readme = (project / "README.md").read_text()
    before = _section(readme, "Before the first `pulumi up`")
    for needed in ("Pulumi CLI", "state backend", "pulumi login s3://", "apply role", "AWS_APPLY_ROLE_ARN", "permissions boundary", "/hub/oauth_callback", "claim `groups`", "DNS"):
        assert needed in before, needed
    needs = _section(readme, "What this stance needs from your organisation")
    assert "internal" in needs and "`10.0.0.0/16`" in needs and "Route 53 Resolver" in needs
    assert "CA's root on every device" in needs and "No internet path for sessions" in needs and "MFA at your IdP" in needs
    open_readme = (new(tmp_path / "open-dsw", "--stance", "open", "--admin-cidr", "203.0.113.0/24", "--idp", "cognito", "--certificate-arn", CERTIFICATE) / "README.md").read_text()
    assert "internal" not in _section(open_readme, "What this stance needs from your organisation")


def test_the_group_claim_named_is_the_blueprints(tmp_path):
    project = new(tmp_path / "acme-dsw", *OIDC)
    path = project / "blueprint.yaml"
    path.write_text(path.read_text().replace("  client_id: jupyterhub\n", "  client_id: jupyterhub\n  group_claim: roles\n"))
    result = CliRunner().invoke(app, ["new", str(tmp_path / "again"), "--from", str(path)])
    assert result.exit_code == 0, result.output
    assert "claim `roles`" in (tmp_path / "again" / "README.md").read_text()


def test_new_refuses_a_stack_that_cannot_name_resources(tmp_path):
    result = CliRunner().invoke(app, ["new", str(tmp_path / "acme-dsw"), "--org", "acme", "--team", "genomics", "--stack", "Prod_1"])
    assert result.exit_code == 2 and "--stack" in result.output and "'Prod_1'" in result.output
    assert not (tmp_path / "acme-dsw").exists()
