"""`blueprint preview` through the real CLI: a tree like `pulumi preview`, or the graph as JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import blueprint
import blueprint.cli.preview  # noqa: F401  (registers the command until the CLI package imports it)
from blueprint.cli import app
from blueprint.preview import preview_project
from tests.preview.conftest import make_project, small_program

runner = CliRunner()


def test_json_is_exactly_the_graph_alone_on_stdout(fake_program, project_dir):
    result = runner.invoke(app, ["preview", str(project_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == preview_project(project_dir).to_json()
    assert "not `pulumi preview`" in result.stderr


def test_json_output_is_byte_for_byte_stable(fake_program, project_dir):
    first = runner.invoke(app, ["preview", str(project_dir), "--json"]).stdout
    assert runner.invoke(app, ["preview", str(project_dir), "--json"]).stdout == first


def test_human_output_is_a_tree_under_the_stack_with_a_summary_and_a_disclaimer(fake_program, project_dir):
    result = runner.invoke(app, ["preview", str(project_dir)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "offline preview (Pulumi mock engine) — not `pulumi preview`: nothing was contacted, computed values are placeholders" in lines[0]
    assert lines[1] == "+ pulumi:pulumi:Stack acme-dsw-dev"
    assert any(line.endswith("+ aws:ec2/vpc:Vpc acme-vpc") for line in lines)
    assert any(line.endswith("+ kubernetes:core/v1:Namespace genomics") for line in lines)
    assert "+ 5 to create" in result.stdout


def test_components_nest_their_children_and_long_lines_are_never_cropped(monkeypatch, fake_program, project_dir):
    monkeypatch.setattr(blueprint.program, "build", lambda spec: small_program())
    lines = runner.invoke(app, ["preview", str(project_dir)]).stdout.splitlines()
    component = lines.index("└── + workbench:storage:Storage storage")
    assert lines[component + 1 : component + 4] == [
        "    ├── + aws:kms/key:Key storage-key",
        "    ├── + aws:s3/bucket:Bucket storage-data [protected, retain on delete]",
        "    └── + aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration storage-encryption",
    ]


def test_a_bad_blueprint_exits_2_with_the_field_and_no_traceback(fake_program, tmp_path):
    directory = make_project(tmp_path / "acme-dsw", teams=[{"name": "Genomics", "idp_group": "dsw-genomics"}])
    result = runner.invoke(app, ["preview", str(directory), "--json"])
    assert result.exit_code == 2
    assert "teams[0].name" in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""


def test_a_missing_directory_exits_2(fake_program, tmp_path):
    result = runner.invoke(app, ["preview", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "file not found" in result.stderr
