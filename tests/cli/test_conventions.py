"""Command-line conventions through the real CLI: -h as well as --help, --version, flags that take no value,
shell completion, and the project directory defaulting to the current one (as `pulumi` does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from blueprint import __version__
from blueprint.cli import app
from tests.conftest import blueprint_data, write_blueprint

runner = CliRunner()
COMMANDS = [command.name or command.callback.__name__ for command in app.registered_commands]
# Every command that reads or changes a project takes its directory as an optional argument (default: `.`).
PROJECT_COMMANDS = {
    "validate": [],
    "preview": [],
    "check": [],
    "graph": [],
    "export": ["--format", "kubernetes"],
    "fork": ["--team", "vision"],
    "review": ["--base", "HEAD"],
    "upgrade": ["--dry-run"],
}
# Commands with a --json flag, with what they need besides it.
JSON_COMMANDS = {**PROJECT_COMMANDS, "diff": ["old"], "new": ["somewhere"]}
del JSON_COMMANDS["export"]  # its formats are the machine-readable output


def test_every_command_is_listed():
    assert {"new", "validate", "check", "explain", "review", "upgrade"} <= set(COMMANDS)


def test_help_lists_commands_in_the_order_a_user_meets_them():
    assert COMMANDS.index("new") < COMMANDS.index("fork") < COMMANDS.index("validate") < COMMANDS.index("preview") < COMMANDS.index("check")


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_flags_show_no_value_in_help_and_h_is_help(command):
    args = [command] if command else []
    long = runner.invoke(app, [*args, "--help"])
    short = runner.invoke(app, [*args, "-h"])
    assert long.exit_code == short.exit_code == 0, long.output
    assert short.output == long.output
    assert "<bool>" not in long.output, long.output  # not even on --help, -h or the completion options
    assert "--help" in long.output and "-h" in long.output


def test_usage_names_the_program_blueprint_also_under_python_m():
    done = subprocess.run([sys.executable, "-m", "blueprint", "validate", "-h"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Usage: blueprint validate [OPTIONS]" in done.stdout


def test_shell_completion_is_offered_and_prints_a_script():
    help_text = runner.invoke(app, ["--help"]).output
    assert "--install-completion" in help_text and "--show-completion" in help_text
    # Shell detection off (typer's own switch for this), so the shell is named: the same script a user installs.
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    done = subprocess.run([sys.executable, "-m", "blueprint", "--show-completion", "bash"], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "_BLUEPRINT_COMPLETE=complete_bash" in done.stdout and "complete -o default -F _blueprint_completion blueprint" in done.stdout


def test_json_is_a_flag():
    result = runner.invoke(app, ["explain", "strict", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stance"] == "strict"
    refused = runner.invoke(app, ["explain", "strict", "--json", "true"])
    assert refused.exit_code == 2


@pytest.mark.parametrize("command", sorted(JSON_COMMANDS))
def test_json_takes_no_value(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused = runner.invoke(app, [command, *JSON_COMMANDS[command], "--json=true"])
    assert refused.exit_code == 2 and "does not take a value" in refused.output, refused.output


@pytest.mark.parametrize("command", sorted(PROJECT_COMMANDS))
def test_a_value_after_a_flag_is_refused_saying_flags_take_none(command, tmp_path, monkeypatch):
    # `blueprint preview --json true`: `true` lands where the project directory goes.
    monkeypatch.chdir(tmp_path)
    flag = {"upgrade": "--dry-run", "fork": "--force", "export": "--no-cache"}.get(command, "--json")
    args = [a for a in PROJECT_COMMANDS[command] if a != flag]
    result = runner.invoke(app, [command, *args, flag, "true"])
    assert result.exit_code == 2, result.output
    assert "take no value" in result.stderr and "drop 'true'" in result.stderr, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_value_after_a_flag_of_diff_is_refused_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["diff", "--no-preview", "false"])
    assert result.exit_code == 2 and "take no value" in result.stderr, result.output


@pytest.mark.parametrize("command", sorted(PROJECT_COMMANDS))
def test_the_project_directory_defaults_to_the_current_directory(command, tmp_path, monkeypatch):
    help_text = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
    assert "Default: the current directory." in help_text and "[required]" not in help_text.split("Options")[0]
    # In a directory with no project, the command looked for ./blueprint.yaml.
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [command, *PROJECT_COMMANDS[command]])
    assert result.exit_code == 2, result.output
    assert "blueprint.yaml" in result.stderr or "not a git work tree" in result.stderr or "git" in result.stderr, result.stderr
    assert "Missing argument" not in result.output


def test_validate_runs_on_the_current_directory(tmp_path, monkeypatch):
    write_blueprint(tmp_path, blueprint_data())
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("valid blueprint.yaml: stance strict")


def test_diff_compares_with_the_current_directory(tmp_path, monkeypatch):
    write_blueprint(tmp_path / "old", blueprint_data())
    write_blueprint(tmp_path / "here", blueprint_data(stance="balanced"))
    monkeypatch.chdir(tmp_path / "here")
    result = runner.invoke(app, ["diff", "../old", "--no-preview", "--json"])
    assert result.exit_code == 0, result.output
    assert any(change["control"] == "network.egress" for change in json.loads(result.stdout)["controls"])


def test_new_still_requires_its_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "--stance", "strict"])
    assert result.exit_code == 2 and "Missing argument" in result.output
    assert list(tmp_path.iterdir()) == []


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"blueprint {__version__}\n"
