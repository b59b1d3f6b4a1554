"""Which Pulumi stack the offline preview runs as: the argument, else the project's one Pulumi.<stack>.yaml, else dev."""

from __future__ import annotations

import pytest

from blueprint.errors import SpecError, UsageError
from blueprint.preview import project_stack, stack_names


def test_the_only_stack_file_names_the_stack(tmp_path):
    assert project_stack(tmp_path) == "dev"  # no stack file yet: what `blueprint new` writes
    (tmp_path / "Pulumi.yaml").write_text("name: acme\n")
    (tmp_path / "Pulumi.prod.yaml").write_text("config: {}\n")
    assert project_stack(tmp_path) == "prod"
    assert project_stack(tmp_path, "staging") == "staging"  # `pulumi stack init staging` writes no file until a config set


def test_several_stacks_need_a_choice_naming_the_option(tmp_path):
    for stack in ("dev", "prod"):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    assert stack_names(tmp_path) == ["dev", "prod"]
    with pytest.raises(SpecError) as caught:
        project_stack(tmp_path)
    message = str(caught.value)
    assert "Pulumi.dev.yaml, Pulumi.prod.yaml" in message and "--stack dev" in message
    assert project_stack(tmp_path, "prod") == "prod"


def test_a_stack_that_cannot_name_resources_is_refused(tmp_path):
    with pytest.raises(UsageError, match="--stack.*'Prod'"):
        project_stack(tmp_path, "Prod")
    (tmp_path / "Pulumi.My_Stack.yaml").write_text("config: {}\n")
    with pytest.raises(SpecError, match="Pulumi.My_Stack.yaml: stack: the Pulumi stack 'My_Stack'"):
        project_stack(tmp_path)
