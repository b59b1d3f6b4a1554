"""A `blueprint` write killed with SIGKILL leaves the project as it was or as the finished run leaves it.

Each command runs in a subprocess (`python -m blueprint ...`) that is killed after a range of
delays spread over the command's measured duration; the expected new content comes from one
uninterrupted run on a copy. A second set of runs kills the process from inside at exact
points of the write (the n-th staged file, the n-th rename), which timing alone rarely hits.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.security.conftest import (
    age_project,
    commit_all,
    make_git_project,
    new_options,
    new_project,
)

DELAYS = 10
# Left beside the project by a killed run (documented in blueprint.generate.writer and the generated .gitignore).
STAGING_BESIDE = re.compile(r"^\.acme-dsw\.(staging|new)-[A-Za-z0-9_]+$")

# Runs the CLI, killing itself with SIGKILL at the n-th call of one writer step.
KILL_AT = """
import os, runpy, signal, sys
from blueprint.generate import writer

step, at = sys.argv[1], int(sys.argv[2])
sys.argv = ["blueprint", *sys.argv[3:]]
calls = 0

def killing(original):
    def wrapper(*args, **kwargs):
        global calls
        calls += 1
        if calls == at:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    return wrapper

if step == "stage":
    writer._write_file = killing(writer._write_file)
else:
    writer.os.replace = killing(writer.os.replace)
runpy.run_module("blueprint", run_name="__main__")
"""


def tree(root: Path) -> dict[str, bytes | None]:
    """Files (path -> bytes) and directories (path -> None) under root, without .git."""
    entries: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] == ".git":
            continue
        entries[str(relative)] = path.read_bytes() if path.is_file() else None
    return entries


def cli(args: list[str], *, prefix: list[str] | None = None) -> subprocess.Popen:
    command = [sys.executable, *(prefix or ["-m", "blueprint"]), *map(str, args)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})


def run_to_end(args: list[str]) -> float:
    started = time.monotonic()
    process = cli(args)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()
    return time.monotonic() - started


class Scenario:
    """A project in a known state, a command that rewrites it, and both expected outcomes."""

    def __init__(self, name: str, root: Path, make, args) -> None:
        self.name = name
        self.pristine = root / "pristine" / "acme-dsw"
        make(self.pristine)
        self.old = tree(self.pristine)
        finished = root / "finished" / "acme-dsw"
        shutil.copytree(self.pristine, finished, symlinks=True)
        self.args = args
        first = run_to_end(args(finished))
        self.new = tree(finished)
        self.work = root / "work"
        self.duration = min(first, run_to_end(args(self.fresh())))  # the first run pays for cold caches
        assert self.new != self.old, "the command must change the project for the test to mean anything"

    def fresh(self) -> Path:
        shutil.rmtree(self.work, ignore_errors=True)
        project = self.work / "acme-dsw"
        shutil.copytree(self.pristine, project, symlinks=True)
        return project

    def outcome(self, project: Path) -> str:
        state = tree(project)
        if state == self.old:
            outcome = "old"
        elif state == self.new:
            outcome = "new"
        else:
            changed = sorted(k for k in set(state) | set(self.old) if state.get(k, "missing") != self.old.get(k, "missing"))
            unfinished = sorted(k for k in set(self.new) | set(state) if state.get(k, "missing") != self.new.get(k, "missing"))
            missing = sorted(set(self.old) & set(self.new) - set(state))
            pytest.fail(f"{self.name}: a mix of old and new content; missing {missing}; differs from old in {changed[:8]}, from new in {unfinished[:8]}")
        beside = [p.name for p in self.work.iterdir() if p.name != "acme-dsw"]
        assert all(STAGING_BESIDE.match(name) for name in beside), f"unexpected files beside the project: {beside}"
        return outcome


def make_new_force(project: Path) -> None:
    new_project(project, "strict", "oidc")


def new_force_args(project: Path) -> list[str]:
    return ["new", project, "--force", *new_options("balanced", "cognito"), "--team", "ml:dsw/ml"]


def make_upgradable(project: Path) -> None:
    make_git_project(project, "strict", "oidc")
    age_project(project)
    commit_all(project, "as an older generator wrote it")


def upgrade_args(project: Path) -> list[str]:
    return ["upgrade", project, "--force", "--no-preview"]


def fork_args(project: Path) -> list[str]:
    return ["fork", project, "--team", "newcomers", "--group", "dsw/newcomers", "--force"]


SCENARIOS = {
    "new --force": (make_new_force, new_force_args),
    "upgrade --force": (make_upgradable, upgrade_args),
    "fork --force": (make_new_force, fork_args),
}


@pytest.fixture(params=sorted(SCENARIOS))
def scenario(request, tmp_path) -> Scenario:
    make, args = SCENARIOS[request.param]
    return Scenario(request.param, tmp_path, make, args)


def test_killed_after_any_delay_leaves_old_or_new_content(scenario):
    outcomes: Counter[str] = Counter()
    # From well into the interpreter's start-up to past the end of an uninterrupted run.
    delays = [scenario.duration * (0.35 + 0.8 * i / (DELAYS - 1)) for i in range(DELAYS)]
    for delay in delays:
        project = scenario.fresh()
        process = cli(scenario.args(project))
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        outcomes[scenario.outcome(project)] += 1
    assert sum(outcomes.values()) == DELAYS
    print(f"{scenario.name}: {dict(outcomes)} over delays {delays[0]:.2f}-{delays[-1]:.2f} s")


def staged_files(scenario: Scenario) -> int:
    return sum(1 for key, value in scenario.new.items() if value is not None and scenario.old.get(key) != value)


def test_killed_while_staging_any_file_leaves_the_old_content(scenario):
    """Staging writes nothing inside the project: a kill at the first, a middle or the last staged file changes nothing."""
    count = staged_files(scenario)
    for at in sorted({1, max(1, count // 2), count}):
        project = scenario.fresh()
        process = cli([*map(str, ["stage", at]), *map(str, scenario.args(project))], prefix=["-c", KILL_AT])
        process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL, f"not killed at staged file {at} of {count}"
        assert scenario.outcome(project) == "old"


def test_killed_between_renames_never_loses_a_file(scenario):
    """The renames at the end cannot all happen at once; a kill between two of them must still leave every file whole:
    each one old or new, none missing, no half-written file."""
    count = staged_files(scenario)
    for at in sorted({2, count, 2 * count - 1} - {0}):
        project = scenario.fresh()
        process = cli([*map(str, ["rename", at]), *map(str, scenario.args(project))], prefix=["-c", KILL_AT])
        process.communicate(timeout=60)
        if process.returncode != -signal.SIGKILL:
            continue  # fewer renames than `at`: the run finished
        state = tree(project)
        for path, content in state.items():
            assert content in (scenario.old.get(path, "absent"), scenario.new.get(path, "absent")), f"{path} is neither old nor new"
        missing = sorted(p for p in set(scenario.old) & set(scenario.new) if p not in state)
        assert not missing, f"killed at rename {at}: {missing} gone from the project"


def test_killed_between_renames_is_rolled_back_by_the_next_command(tmp_path):
    """The journal a killed write leaves beside the project makes the next `blueprint` command undo it."""
    make, args = SCENARIOS["new --force"]
    scenario = Scenario("new --force", tmp_path, make, args)
    project = scenario.fresh()
    process = cli(["rename", "2", *map(str, scenario.args(project))], prefix=["-c", KILL_AT])
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert any(p.name.startswith(".acme-dsw.staging-") for p in project.parent.iterdir()), "the killed write left its journal"
    after = subprocess.run([sys.executable, "-m", "blueprint", "graph", str(project)], capture_output=True, text=True, timeout=120)
    assert after.returncode == 0, after.stderr
    assert "rolled back an interrupted blueprint write" in after.stderr
    assert scenario.outcome(project) == "old"
    assert not any(p.name.startswith(".acme-dsw.staging-") for p in project.parent.iterdir())
