"""`blueprint export` through the real CLI: files written atomically, stdout alone for `-o -`, summaries on stderr."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from blueprint.cli import app

runner = CliRunner()


def export(*args: str):
    return runner.invoke(app, ["export", *args])


def test_terraform_plan_to_a_file(stance_projects, tmp_path):
    target = tmp_path / "plan.json"
    target.write_text("old content")
    result = export(str(stance_projects["strict"]), "--format", "terraform-plan", "-o", str(target))
    assert result.exit_code == 0, result.output
    plan = json.loads(target.read_text())
    assert plan["planned_values"]["root_module"]["resources"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # no temporary file left behind
    assert "AWS resources" in result.stderr and result.stdout == ""


def test_stdout_holds_only_the_document(stance_projects):
    result = export(str(stance_projects["strict"]), "--format", "terraform-plan", "-o", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format_version"]
    assert "not `pulumi preview`" in result.stderr


def test_kubernetes_lists_what_it_cannot_know_on_stderr_and_in_the_header(stance_projects):
    result = export(str(stance_projects["balanced"]), "--format", "kubernetes")
    assert result.exit_code == 0, result.output
    assert "Helm release jupyterhub" in result.stderr
    assert result.stdout.startswith("# Kubernetes objects")
    assert "Helm release jupyterhub" in result.stdout.split("---", 1)[0]
    documents = [d for d in YAML(typ="safe", pure=True).load_all(io.StringIO(result.stdout)) if d]
    assert documents and all({"apiVersion", "kind", "metadata"} <= set(d) for d in documents)


def test_helm_values(stance_projects, tmp_path):
    target = tmp_path / "values.yaml"
    result = export(str(stance_projects["open"]), "--format", "helm-values", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert "hub" in YAML(typ="safe", pure=True).load(target.read_text())


def test_an_unknown_format_is_bad_input(stance_projects):
    result = export(str(stance_projects["strict"]), "--format", "cloudformation")
    assert result.exit_code == 2


def test_a_missing_output_directory_writes_nothing(stance_projects, tmp_path):
    result = export(str(stance_projects["strict"]), "--format", "terraform-plan", "-o", str(tmp_path / "no" / "plan.json"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "no").exists()


def test_a_type_without_a_terraform_name_fails_and_writes_nothing(stance_projects, tmp_path, monkeypatch):
    from blueprint.export import tokens

    table = dict(tokens.terraform_types())
    del table["aws:ec2/vpc:Vpc"]
    monkeypatch.setattr(tokens, "terraform_types", lambda: table)
    target = tmp_path / "plan.json"
    result = export(str(stance_projects["strict"]), "--format", "terraform-plan", "-o", str(target))
    assert result.exit_code == 2
    assert "no Terraform type known for Pulumi type aws:ec2/vpc:Vpc" in result.stderr
    assert not target.exists()


def test_a_directory_without_a_blueprint_is_bad_input(tmp_path):
    result = export(str(tmp_path), "--format", "terraform-plan")
    assert result.exit_code == 2


@pytest.mark.parametrize("module", ["blueprint.export", "blueprint.cli.export"])
def test_importing_the_export_does_not_load_pulumi(module):
    code = f"import sys, {module}; sys.exit(1 if any(m == 'pulumi' or m.startswith('pulumi.') for m in sys.modules) else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_export_rendered_writes_our_objects_and_the_rendered_chart(stance_projects, tmp_path):
    from blueprint.charts import z2jh

    target = tmp_path / "rendered.yaml"
    result = export(str(stance_projects["strict"]), "--format", "rendered", "-o", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert f"rendered by helm {z2jh.HELM_VERSION}" in text and "stand-in for the secret hub.config" in text
    from ruamel.yaml import YAML

    documents = [d for d in YAML(typ="safe", pure=True).load_all(text) if d]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert ("Deployment", "hub") in kinds and ("Namespace", "jupyterhub") in kinds, "the chart's objects and ours"
    hub = next(d for d in documents if (d["kind"], d["metadata"]["name"]) == ("Deployment", "hub"))
    assert hub["metadata"]["namespace"] == "jupyterhub"


def test_export_rendered_without_helm_says_how_to_install_and_exits_2(stance_projects, tmp_path, monkeypatch):
    from blueprint.charts import z2jh

    monkeypatch.setattr(z2jh, "find_helm", lambda: None)
    target = tmp_path / "rendered.yaml"
    result = export(str(stance_projects["strict"]), "--format", "rendered", "-o", str(target))
    assert result.exit_code == 2, result.output
    assert "make tools" in result.output and not target.exists()


def test_the_blueprint_is_loaded_once(stance_projects, monkeypatch):
    import blueprint.model

    loads = []
    load = blueprint.model.load_blueprint
    monkeypatch.setattr(blueprint.model, "load_blueprint", lambda *a, **k: loads.append(a) or load(*a, **k))
    result = export(str(stance_projects["strict"]), "--format", "terraform-plan", "-o", "-")
    assert result.exit_code == 0, result.output
    assert len(loads) == 1  # the spec it loaded is the one it previews (preview_spec), not a second read


def test_an_export_of_a_cached_graph_imports_no_pulumi(stance_projects, tmp_path, monkeypatch):
    """The graph, the property shapes and the computed outputs all come without the SDK (seconds of imports)."""
    from blueprint.usercache import CACHE_DIR_ENV, NO_CACHE_ENV
    from tests.test_cold_start import loaded_by

    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(NO_CACHE_ENV, raising=False)
    args = ("export", str(stance_projects["strict"]), "--format", "terraform-plan", "-o", str(tmp_path / "plan.json"))
    first, loaded = loaded_by(tmp_path, *args)
    assert first.returncode == 0 and "pulumi_aws" in loaded, "the first export previews and derives the shapes"
    plan = (tmp_path / "plan.json").read_bytes()
    again, loaded = loaded_by(tmp_path, *args)
    assert again.returncode == 0 and "(cached graph" in again.stderr, again.stderr[-1000:]
    assert not loaded & {"pulumi", "pulumi_aws", "pulumi_kubernetes"}, sorted(loaded & {"pulumi", "pulumi_aws", "pulumi_kubernetes"})
    assert (tmp_path / "plan.json").read_bytes() == plan
