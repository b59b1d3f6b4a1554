"""Command-line conventions through the real CLI: -h as well as --help, --version, flags that take no value."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from blueprint import __version__
from blueprint.cli import app

runner = CliRunner()
COMMANDS = [command.name or command.callback.__name__ for command in app.registered_commands]


def test_every_command_is_listed():
    assert {"new", "check", "explain", "review", "upgrade"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_flags_show_no_value_in_help_and_h_is_help(command):
    long = runner.invoke(app, [command, "--help"])
    short = runner.invoke(app, [command, "-h"])
    assert long.exit_code == short.exit_code == 0, long.output
    assert short.output == long.output
    # typer's own --help line keeps its placeholder; no flag of ours shows one.
    shown = [line for line in long.output.splitlines() if "<bool>" in line and "--help" not in line]
    assert not shown, "\n".join(shown)


def test_json_is_a_flag():
    result = runner.invoke(app, ["explain", "strict", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stance"] == "strict"
    refused = runner.invoke(app, ["explain", "strict", "--json", "true"])
    assert refused.exit_code == 2


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"blueprint {__version__}\n"
