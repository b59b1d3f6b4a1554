"""README teardown: what `pulumi destroy` leaves, derived from the spec and checked against the graph's options."""

from __future__ import annotations

import pytest

from blueprint.generate.teardown import protected
from tests.generate.conftest import VARIANTS


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_kept_list_is_exactly_what_the_program_protects(previewed, variant):
    project, spec, graph = previewed(variant)
    in_graph = {r.type for r in graph.resources if r.protect or r.retain_on_delete}
    assert {r.type for r in graph.resources if r.protect} == {r.type for r in graph.resources if r.retain_on_delete}
    listed = {s.type for s in protected(spec)}
    assert listed == in_graph
    readme = (project / "README.md").read_text()
    teardown = readme.split("## Teardown", 1)[1].split("\n## ", 1)[0]
    for kept in protected(spec):
        assert f"`{kept.type}`" in teardown
    if listed:
        assert "pulumi state unprotect" in teardown and "pulumi destroy" in teardown and "retainOnDelete" in teardown
    else:
        assert "protects nothing" in teardown and "pulumi destroy" in teardown


def test_the_strict_list_names_the_data_and_the_key(previewed):
    _, spec, _ = previewed("strict-cognito")
    assert {s.what for s in protected(spec)} >= {"S3 buckets", "EFS file system", "KMS key", "Cognito user pool"}
