"""`blueprint preview` through the real CLI: a tree like `pulumi preview`, or the graph as JSON."""

from __future__ import annotations

import json
import re

import pytest
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


def test_the_plain_tree_a_pipe_gets_is_what_rich_renders_from_the_styled_one(monkeypatch, fake_program, project_dir):
    """A pipe gets plain lines written at once; a styled console the markup. With the styles taken off they agree,
    escapes and flags included (a `[` in a name is markup-escaped in one and verbatim in the other)."""
    import io

    from rich.console import Console

    from blueprint.cli.preview import tree_lines

    monkeypatch.setattr(blueprint.program, "build", lambda spec: small_program())
    graph = preview_project(project_dir)
    graph = type(graph)(tuple(r if r.type != "aws:kms/key:Key" else type(r)(**{**r.__dict__, "name": "key-[dim]x[/]"}) for r in graph))
    console = Console(file=io.StringIO(), color_system=None, highlight=False, soft_wrap=True)
    console.print("\n".join(tree_lines(graph)))
    plain = tree_lines(graph, markup=False)
    assert console.file.getvalue() == "".join(f"{line}\n" for line in plain)
    assert any("[protected, retain on delete]" in line for line in plain) and any("key-[dim]x[/]" in line for line in plain)


# ---- many teams: a summary on a terminal, the whole tree otherwise; stack outputs ----------------------------


def exporting_program() -> None:
    """small_program plus stack outputs, one of them secret."""
    import pulumi

    small_program()
    pulumi.export("hubUrl", "https://jupyter.acme.example")
    pulumi.export("teams", ["genomics", "vision"])
    pulumi.export("token", pulumi.Output.secret("hunter2"))


@pytest.fixture
def terminal(monkeypatch):
    """stdout is a terminal (as rich sees it), and the summary starts above 3 resources."""
    from rich.console import Console

    import blueprint.cli.preview as command

    monkeypatch.setattr(command, "out", Console(force_terminal=True, color_system=None, highlight=False, soft_wrap=True, width=200))
    monkeypatch.setattr(command, "SUMMARY_ABOVE", 3)


def test_json_has_the_stack_outputs_secrets_masked(monkeypatch, fake_program, project_dir):
    monkeypatch.setattr(blueprint.program, "build", lambda spec: exporting_program())
    result = runner.invoke(app, ["preview", str(project_dir), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["outputs"] == {"hubUrl": "https://jupyter.acme.example", "teams": ["genomics", "vision"], "token": "[secret]"}
    assert "hunter2" not in result.stdout


def test_stack_outputs_survive_the_preview_cache(monkeypatch, fake_program, project_dir, tmp_path):
    monkeypatch.setattr(blueprint.program, "build", lambda spec: exporting_program())
    monkeypatch.setenv("BLUEPRINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BLUEPRINT_NO_CACHE", raising=False)
    first = runner.invoke(app, ["preview", str(project_dir), "--json"])
    again = runner.invoke(app, ["preview", str(project_dir), "--json"])
    assert "cached graph" in again.stderr
    assert json.loads(again.stdout)["outputs"] == json.loads(first.stdout)["outputs"] != {}


def test_the_tree_shows_the_stack_outputs_like_pulumi_preview(monkeypatch, fake_program, project_dir):
    monkeypatch.setattr(blueprint.program, "build", lambda spec: exporting_program())
    lines = runner.invoke(app, ["preview", str(project_dir)]).stdout.splitlines()
    outputs = lines.index("Outputs:")
    assert lines[outputs + 1 : outputs + 4] == ['    hubUrl: "https://jupyter.acme.example"', '    teams: ["genomics", "vision"]', '    token: "[secret]"']
    assert outputs < lines.index("Resources:")


def test_a_terminal_gets_the_summary_above_the_threshold(monkeypatch, terminal, fake_program, project_dir):
    monkeypatch.setattr(blueprint.program, "build", lambda spec: small_program())
    result = runner.invoke(app, ["preview", str(project_dir)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == "+ pulumi:pulumi:Stack acme-dsw-dev: 1 components of 1 types"
    assert "├── 1 × workbench:storage:Storage storage (3 resources)" in lines
    assert "│       1  aws:s3/bucket:Bucket" in lines
    assert "    1  aws:eks/cluster:Cluster" in lines  # resources directly under the stack
    assert "storage-data" not in result.stdout  # no resource names: counts by type
    assert "a summary of 9 resources: --tree lists every one" in result.stdout


def test_tree_gives_the_whole_tree_on_a_terminal(monkeypatch, terminal, fake_program, project_dir):
    monkeypatch.setattr(blueprint.program, "build", lambda spec: small_program())
    tree = runner.invoke(app, ["preview", str(project_dir), "--tree"]).stdout
    assert "└── + workbench:storage:Storage storage" in tree and "a summary" not in tree


def test_a_pipe_gets_the_tree_and_summary_forces_one(monkeypatch, fake_program, project_dir):
    monkeypatch.setattr(blueprint.cli.preview, "SUMMARY_ABOVE", 3)  # above it, yet piped
    monkeypatch.setattr(blueprint.program, "build", lambda spec: small_program())
    piped = runner.invoke(app, ["preview", str(project_dir)]).stdout
    assert "└── + workbench:storage:Storage storage" in piped
    forced = runner.invoke(app, ["preview", str(project_dir), "--summary"]).stdout
    assert "1 × workbench:storage:Storage storage (3 resources)" in forced


def test_summary_and_json_do_not_combine(fake_program, project_dir):
    result = runner.invoke(app, ["preview", str(project_dir), "--json", "--summary"])
    assert result.exit_code == 2 and "--summary" in result.stderr and result.stdout == ""


def test_help_documents_when_the_summary_is_shown():
    text = " ".join(runner.invoke(app, ["preview", "--help"], env={"COLUMNS": "300"}).output.split())
    assert "--tree --summary" in text
    assert "the summary on a terminal when there are more than 500 resources" in text


def test_fifty_teams_on_a_terminal_get_a_summary_by_default(tmp_path):
    """The real program, the real CLI in a process whose stdout is a pseudo-terminal; piped, the whole tree."""
    import os
    import pty
    import subprocess
    import sys

    teams = [arg for i in range(50) for arg in ("--team", f"team-{i:02d}")]
    assert runner.invoke(app, ["new", str(tmp_path / "big"), "--stance", "balanced", "--org", "acme", *teams]).exit_code == 0
    env = {**os.environ, "BLUEPRINT_CACHE_DIR": str(tmp_path / "cache"), "COLUMNS": "120"}
    env.pop("BLUEPRINT_NO_CACHE", None)
    piped = subprocess.run([sys.executable, "-m", "blueprint", "preview", str(tmp_path / "big")], capture_output=True, text=True, env=env, timeout=600, check=True)
    tree = piped.stdout.splitlines()
    assert sum("+ workbench:teamspace:TeamSpace acme-team-team-" in line for line in tree) == 50
    primary, secondary = pty.openpty()
    with subprocess.Popen([sys.executable, "-m", "blueprint", "preview", str(tmp_path / "big")], stdout=secondary, stderr=subprocess.DEVNULL, env=env) as process:
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closed: the process is done
                break
            if not chunk:
                break
            chunks.append(chunk)
    os.close(primary)
    assert process.returncode == 0
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode()).replace("\r", "").splitlines()
    assert "├── 50 × workbench:teamspace:TeamSpace acme-team-team-00 … acme-team-team-49 (600 resources)" in shown
    assert "│      50  kubernetes:core/v1:ResourceQuota" in shown
    assert len(shown) < len(tree) / 5, f"the summary has {len(shown)} lines, the tree {len(tree)}"
    assert "Outputs:" in shown and any(line.startswith("    teamNamespaces: [") for line in shown)
