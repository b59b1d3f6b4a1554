"""Reading a project as it was at a git ref (into a temporary directory), and whether a work tree is clean."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import BlueprintError, Problem
from ..model.migrate import migrate_copy

GIT_TIMEOUT = 60


class GitError(BlueprintError):
    """A git repository, ref or path could not be read as asked."""

    def __init__(self, *, where: str | Path, message: str, fix: str = "") -> None:
        super().__init__(source=where, problems=[Problem(field="", message=message, fix=fix)])


def _git(directory: Path, args: Sequence[str], *, binary: bool = False) -> subprocess.CompletedProcess:
    if shutil.which("git") is None:
        raise GitError(where=directory, message="git is not installed", fix="install git, or compare two directories with `blueprint diff OLD NEW`")
    return subprocess.run(
        ["git", "-C", str(directory), *args],
        capture_output=True,
        text=not binary,
        timeout=GIT_TIMEOUT,
        check=False,
        env=_git_env(),
    )


def _git_env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


def _first_line(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return (text.strip().splitlines() or ["(no message)"])[-1]


def work_tree(directory: Path) -> tuple[Path, str] | None:
    """(repository top level, path of `directory` inside it with a trailing '/' or ''), or None outside a work tree."""
    if not directory.is_dir():
        raise GitError(where=directory, message="is not a directory", fix="point at the project directory")
    if shutil.which("git") is None:
        return None
    inside = _git(directory, ["rev-parse", "--is-inside-work-tree"])
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    top = _git(directory, ["rev-parse", "--show-toplevel"]).stdout.strip()
    prefix = _git(directory, ["rev-parse", "--show-prefix"]).stdout.strip()
    return Path(top), prefix


def resolve_ref(directory: Path, ref: str) -> str:
    """The commit id `ref` names in the repository holding `directory`; GitError if it names none."""
    if not ref or ref.startswith("-") or any(ch.isspace() or ch == "\x00" for ch in ref):
        raise GitError(where=ref or "''", message="is not a git ref", fix="pass a branch, tag or commit such as origin/main or HEAD~1")
    if work_tree(directory) is None:
        raise GitError(where=directory, message="is not inside a git work tree", fix="run it in a clone of the repository, or compare directories with `blueprint diff OLD NEW`")
    found = _git(directory, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"])
    if found.returncode != 0:
        raise GitError(
            where=ref,
            message="is not a known commit in this repository",
            fix="fetch it first (in CI: checkout with fetch-depth: 0), or check the spelling",
        )
    return found.stdout.strip()


@contextlib.contextmanager
def project_at_ref(directory: Path, ref: str, *, required: str = "blueprint.yaml") -> Iterator[Path]:
    """The files of `directory` as they were at `ref`, extracted into a temporary directory removed afterwards."""
    directory = Path(directory)
    commit = resolve_ref(directory, ref)
    located = work_tree(directory)
    assert located is not None  # resolve_ref checked it
    _, prefix = located
    pathspec = prefix.rstrip("/") or "."
    present = _git(directory, ["cat-file", "-e", f"{commit}:{prefix}{required}"])
    if present.returncode != 0:
        raise GitError(
            where=f"{ref}:{prefix}{required}",
            message=f"the project has no {required} at {ref}",
            fix="choose a base ref where the project already existed, or review a new project with `blueprint check`",
        )
    archive = _git(located[0], ["archive", "--format=tar", commit, "--", pathspec], binary=True)
    if archive.returncode != 0:
        raise GitError(where=f"{ref}:{prefix}", message=f"git archive failed: {_first_line(archive.stderr)}")
    with tempfile.TemporaryDirectory(prefix="blueprint-base-") as temporary:
        root = Path(temporary)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout), mode="r:") as tar:
            tar.extractall(root, filter="data")
        base = root / prefix if prefix else root
        # A base from before a schema change (the pull request of `blueprint upgrade`) reads as the upgrade leaves it.
        migrate_copy(base / "blueprint.yaml")
        yield base


def uncommitted(directory: Path) -> list[str] | None:
    """Paths under `directory` with uncommitted changes (untracked included), or None if it is not in a git work tree."""
    if work_tree(Path(directory)) is None:
        return None
    status = _git(Path(directory), ["status", "--porcelain=v1", "--untracked-files=all", "--", "."])
    if status.returncode != 0:
        raise GitError(where=directory, message=f"git status failed: {_first_line(status.stderr)}")
    return sorted(line[3:] for line in status.stdout.splitlines() if line.strip())


def changed_files(directory: Path, ref: str) -> list[tuple[str, str]]:
    """(status letter, path inside the project) of every file under `directory` that differs from `ref`
    (committed, staged or not, untracked included); [] outside a work tree."""
    located = work_tree(Path(directory))
    if located is None:
        return []
    commit = resolve_ref(Path(directory), ref)
    diff = _git(Path(directory), ["diff", "--name-status", "--relative", commit, "--", "."])
    if diff.returncode != 0:
        raise GitError(where=directory, message=f"git diff failed: {_first_line(diff.stderr)}")
    found = [(line.split("\t")[0][:1], line.split("\t")[-1]) for line in diff.stdout.splitlines() if "\t" in line]
    untracked = _git(Path(directory), ["ls-files", "--others", "--exclude-standard", "--", "."])
    found += [("A", path) for path in untracked.stdout.splitlines() if path.strip()]
    return sorted(set(found), key=lambda item: item[1])
