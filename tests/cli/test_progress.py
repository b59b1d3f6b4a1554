"""Progress while a command works: a spinner on stderr when stderr is a terminal, nothing in pipes, never on stdout."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ..review.conftest import commit_all, new_project, repo  # noqa: F401  (repo is a fixture)

SPINNER = re.compile("[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]")


def run(args: list[str], *, stderr_terminal: bool, cwd: Path | None = None) -> tuple[int, str, str]:
    """The real CLI in a process whose stderr is a pseudo-terminal (or a pipe); stdout is always a pipe."""
    command = [sys.executable, "-m", "blueprint", *args]
    if not stderr_terminal:
        done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=600, check=False)
        return done.returncode, done.stdout, done.stderr
    primary, secondary = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=secondary, cwd=cwd) as process:
        os.close(secondary)
        reader.start()
        stdout = process.communicate(timeout=600)[0].decode()
    reader.join(timeout=10)
    os.close(primary)
    return process.returncode, stdout, b"".join(chunks).decode(errors="replace")


@pytest.fixture
def two_projects(tmp_path: Path) -> tuple[Path, Path]:
    return new_project(tmp_path / "strict"), new_project(tmp_path / "balanced", "balanced")


def test_diff_spins_on_a_terminal_stderr_only(two_projects):
    old, new = two_projects
    code, stdout, stderr = run(["diff", str(old), str(new)], stderr_terminal=True)
    assert code == 0, stderr
    assert "running two offline previews under Pulumi's mock engine" in stderr and SPINNER.search(stderr)
    assert not SPINNER.search(stdout) and "mock engine…" not in stdout
    assert "network.egress" in stdout


def test_diff_in_a_pipe_has_no_spinner(two_projects):
    old, new = two_projects
    code, stdout, stderr = run(["diff", str(old), str(new), "--no-preview"], stderr_terminal=False)
    assert code == 0, stderr
    assert not SPINNER.search(stderr + stdout) and "comparing the blueprints" not in stderr


def test_review_spins_on_a_terminal_stderr_only(repo):
    project = new_project(repo / "infra")
    commit_all(repo, "strict workbench")
    code, stdout, stderr = run(["review", "--base", "HEAD", "--no-preview"], stderr_terminal=True, cwd=project)
    assert code == 0, stderr
    assert "comparing the blueprints" in stderr and SPINNER.search(stderr)
    assert stdout.startswith("<!-- workbench-blueprint:review -->") and not SPINNER.search(stdout)
