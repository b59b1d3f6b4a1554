"""Every `blueprint ...` command shown in README.md and docs/ runs (doc examples cannot rot).

Commands run through the real CLI in a scratch git repository holding the project the
docs talk about (`acme-dsw`, plus the committed `stacks/`), with `origin/main` pointing
at its first commit. Placeholders in square brackets are optional flags and are dropped.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blueprint.cli import app

ROOT = Path(__file__).parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.DOTALL)
runner = CliRunner()
GIT = ["git", "-c", "user.name=docs", "-c", "user.email=docs@example.org"]


def documented_commands() -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        for block in FENCE.findall(document.read_text()):
            for line in block.splitlines():
                command = re.sub(r"\s+#.*$", "", line).strip()
                if command.startswith("blueprint "):
                    found.append((document.name, re.sub(r"\s*\[[^\]]*\]", "", command)))
    return found


COMMANDS = documented_commands()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "stacks", root / "stacks")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    result = runner.invoke(app, ["new", str(root / "acme-dsw"), "--stance", "strict", "--org", "acme", "--team", "genomics:dsw-genomics"])
    assert result.exit_code == 0, result.output
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "base"], cwd=root, check=True)
    subprocess.run(["git", "update-ref", "refs/remotes/origin/main", "HEAD"], cwd=root, check=True)
    return root


def test_docs_show_commands():
    assert len(COMMANDS) >= 10
    assert {c.split()[1] for _, c in COMMANDS} >= {"new", "preview", "check", "fork", "explain", "review"}


@pytest.mark.parametrize(("document", "command"), COMMANDS, ids=[f"{d}: {c}" for d, c in COMMANDS])
def test_documented_command_runs(workspace, document, command, monkeypatch):
    monkeypatch.chdir(workspace)
    args = shlex.split(command)[1:]
    if args[0] == "new":
        target = workspace / "scratch" / args[1]
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(exist_ok=True)
        args[1] = str(target)
    if args[0] == "fork":
        args.append("--force")
    result = runner.invoke(app, args, env={**os.environ, "COLUMNS": "120"})
    assert result.exception is None or isinstance(result.exception, SystemExit), f"{document}: {command}\n{result.output}"
    assert result.exit_code in (0, 1), f"{document}: `{command}` exited {result.exit_code}:\n{result.output}"
    # A user commits what a command changed before the next step (upgrade refuses a dirty tree).
    subprocess.run(["git", "add", "-A"], cwd=workspace, check=True)
    subprocess.run([*GIT, "commit", "-qm", command, "--allow-empty"], cwd=workspace, check=True)
