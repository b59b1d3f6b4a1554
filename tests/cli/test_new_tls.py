"""`blueprint new` and the hub: tls answers land in blueprint.yaml, a public certificate for .internal is refused."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.model import load_blueprint
from blueprint.model.yamlio import read_yaml

runner = CliRunner()
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-4333-8444-555555555555"


def test_tls_and_on_premises_answers_are_written_and_checked(tmp_path):
    target = tmp_path / "acme-dsw"
    args = ["new", str(target), "--org", "acme", "--region", "eu-west-1", "--certificate-arn", ARN, "--hub-zone-id", "Z0PRIVATE45"]
    result = runner.invoke(app, [*args, "--on-premises-cidr", "192.168.0.0/16"])
    assert result.exit_code == 0, result.output
    data = read_yaml(target / "blueprint.yaml")
    assert data["tls"] == {"certificate_arn": ARN, "hub_zone_id": "Z0PRIVATE45"} and data["network"]["on_premises_cidrs"] == ["192.168.0.0/16"]
    assert load_blueprint(target).tls.certificate_source == "brought"
    readme = (target / "README.md").read_text()
    assert "## Reaching the hub" in readme and "zone `Z0PRIVATE45`" in readme and "192.168.0.0/16" in readme
    checked = runner.invoke(app, ["check", str(target), "--json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)["warnings"] == [], checked.output


def test_default_project_says_how_to_bring_the_certificate_and_warns_nobody_can_reach_it(tmp_path):
    target = tmp_path / "acme-dsw"
    assert runner.invoke(app, ["new", str(target), "--org", "acme"]).exit_code == 0
    text = (target / "blueprint.yaml").read_text()
    assert "pulumi config set hubCertificateArn <ARN>" in text and "on_premises_cidrs:" in text
    assert "pulumi config set hubCertificateArn <ARN>" in (target / "README.md").read_text()
    checked = runner.invoke(app, ["check", str(target), "--json"])
    assert checked.exit_code == 0, checked.output
    assert [w["rule"] for w in json.loads(checked.stdout)["warnings"]] == ["works.ingress.hub-reachable"]


def test_public_certificate_for_an_internal_name_is_refused_and_nothing_is_written(tmp_path):
    target = tmp_path / "acme-dsw"
    result = runner.invoke(app, ["new", str(target), "--org", "acme", "--validation-zone-id", "Z0PUBLIC123"])
    assert result.exit_code == 2 and not target.exists()
    assert "tls: --validation-zone-id asks for a public certificate" in result.output and "jupyter.acme.internal" in result.output
