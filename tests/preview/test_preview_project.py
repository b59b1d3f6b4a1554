"""`preview_project` runs a project's program with the project's name, stack, region and a placeholder secret."""

from __future__ import annotations

import importlib
import json

import pytest

from blueprint.errors import SpecError
from blueprint.preview import PLACEHOLDER_SECRET, SECRET, preview_project
from tests.preview.conftest import make_project


def test_project_name_stack_and_region_come_from_the_project(fake_program, tmp_path):
    directory = make_project(tmp_path / "checkout", project="acme-workbench", region="ca-central-1")
    (directory / "Pulumi.prod.yaml").write_text("config:\n  aws:region: ca-central-1\n", encoding="utf-8")  # the stack: its settings file
    graph = preview_project(directory)
    (stack,) = graph.roots()
    assert stack.urn == "urn:pulumi:prod::acme-workbench::pulumi:pulumi:Stack::acme-workbench-prod"
    assert graph.of_type("aws:ec2/vpc:Vpc")[0].inputs["tags"] == {"region": "ca-central-1"}
    assert [spec.org for spec in fake_program] == ["acme"]


def test_the_blueprint_file_itself_is_accepted(fake_program, project_dir):
    assert preview_project(project_dir / "blueprint.yaml") == preview_project(project_dir)


def test_without_pulumi_yaml_the_directory_names_the_project(fake_program, tmp_path):
    graph = preview_project(make_project(tmp_path / "acme-dsw", project=None))
    assert graph.roots()[0].name == "acme-dsw-dev"


@pytest.mark.parametrize("idp", [None, {"kind": "cognito", "client_secret_config": "hubOidcSecret"}])
def test_the_idp_client_secret_is_a_placeholder_secret(fake_program, tmp_path, idp):
    directory = make_project(tmp_path / "acme-dsw", **({"idp": idp} if idp else {}))
    graph = preview_project(directory)
    assert graph.of_type("aws:secretsmanager/secretVersion:SecretVersion")[0].inputs["secretString"] == SECRET
    assert PLACEHOLDER_SECRET not in json.dumps(graph.to_json())


def test_a_bad_blueprint_raises_spec_error_before_running_anything(fake_program, tmp_path):
    directory = make_project(tmp_path / "acme-dsw", region="mars-north-1")
    with pytest.raises(SpecError, match="region"):
        preview_project(directory)
    assert fake_program == []


def test_a_pulumi_yaml_without_a_name_is_a_spec_error(fake_program, project_dir):
    (project_dir / "Pulumi.yaml").write_text("runtime: python\n", encoding="utf-8")
    with pytest.raises(SpecError, match="Pulumi.yaml: name: is missing"):
        preview_project(project_dir)


def _program_importable() -> bool:
    try:
        importlib.import_module("blueprint.program")
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _program_importable(), reason="blueprint.program is not written yet")
@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_the_real_program_previews_offline(tmp_path, stance):
    directory = make_project(tmp_path / "acme-dsw", stance=stance)
    graph = preview_project(directory)
    assert graph.roots()[0].type == "pulumi:pulumi:Stack"
    assert graph.of_type("aws:eks/cluster:Cluster"), "a workbench always has an EKS cluster"
    assert all(r.parent in graph for r in graph if r.parent is not None)
    assert preview_project(directory) == graph
