"""Every BlueprintError is printed by one formatter, Problem.render_all: `source: field: message (fix)`."""

from __future__ import annotations

import pytest

from blueprint.errors import BlueprintError, GenerateError, PlanError, Problem, SpecError, UsageError
from blueprint.export import ExportError
from blueprint.review.git import GitError


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (SpecError.single(source="bp.yaml", field="teams[0].name", message="is bad", fix="rename it"), "bp.yaml: teams[0].name: is bad (rename it)"),
        (GenerateError(target="out", message="already exists", fix="pass --force"), "out: already exists (pass --force)"),
        (UsageError(option="--against", message="'x' is not a built-in stance", fix="use strict"), "--against: 'x' is not a built-in stance (use strict)"),
        (GitError(where="repo", message="no such ref", fix="fetch it"), "repo: no such ref (fetch it)"),
        (PlanError(field="network.availability_zones", message="the region has 2 AZs", fix="ask for 2"), "blueprint.yaml: network.availability_zones: the region has 2 AZs (ask for 2)"),
        (ExportError(export_format="terraform-plan", problems=["no type for a", "no type for b"], fix="add them"), "terraform-plan export: no type for a\nterraform-plan export: no type for b\nfix: add them"),
        (GenerateError(target="out", message="cannot write"), "out: cannot write"),
    ],
)
def test_one_formatter_for_every_error(error, expected):
    assert isinstance(error, BlueprintError) and error.exit_code == 2
    assert str(error) == expected
    assert str(error) == Problem.render_all(error.source, error.problems, error.fix)


def test_an_error_from_command_line_options_names_each_option_once():
    error = SpecError(
        source="p/blueprint.yaml (from command-line options)",
        problems=[
            Problem("idp.issuer_url", "is required with idp.kind oidc"),
            Problem("teams[1].name", "'X' is not valid", "use lowercase letters"),
            Problem("budgets.alert_emails[0]", "is required"),
            Problem("tls", "certificate_arn and private_ca_arn are each a certificate source; keep one"),
            Problem("stance", "stance 'open' needs admin_cidrs"),
        ],
    )
    options = {"idp.kind": "--idp", "idp.issuer_url": "--issuer-url", "teams.name": "--team", "budgets.alert_emails": "--alert-email",
               "tls.certificate_arn": "--certificate-arn", "tls.private_ca_arn": "--private-ca-arn", "network.admin_cidrs": "--admin-cidr"}  # fmt: skip
    assert str(error.from_options(options)).splitlines() == [
        "--issuer-url: is required with --idp oidc",
        "--team: 'X' is not valid (use lowercase letters)",
        "--alert-email: is required (pass --alert-email)",
        "p/blueprint.yaml (from command-line options): tls: --certificate-arn and --private-ca-arn are each a certificate source; keep one",
        "p/blueprint.yaml (from command-line options): stance: stance 'open' needs --admin-cidr",
    ]
    assert error.from_options(options).exit_code == 2
