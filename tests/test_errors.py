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
