"""Atomic project writes: everything goes to a temporary sibling directory that replaces the target only when complete."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from ..errors import GenerateError

# Tests inject faults here to prove an interrupted write leaves the old content.
AfterFileHook = Callable[[Path], None]


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _write_file(root: Path, relative: str, content: str) -> Path:
    path = root / relative
    if path.resolve().parent != root.resolve() and root.resolve() not in path.resolve().parents:
        raise GenerateError(target=root, message=f"refusing to write outside the project: {relative}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def write_tree(
    target: Path,
    files: Mapping[str, str],
    *,
    force: bool = False,
    keep_existing: bool = True,
    after_file: AfterFileHook | None = None,
) -> None:
    """Write `files` (relative path -> text) as the directory `target`, all or nothing.

    With `force`, an existing project is copied first so files we do not
    generate (a .git directory, team overlays, the user's notes) survive; the
    copy is then swapped in with two renames.
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise GenerateError(target=target, message=f"parent directory {parent} does not exist", fix="create it first or choose another path")
    exists = target.exists()
    if exists and not target.is_dir():
        raise GenerateError(target=target, message="exists and is not a directory", fix="choose another path")
    if exists and not force and not _is_empty_dir(target):
        raise GenerateError(target=target, message="already exists and is not empty", fix="choose a new directory, or pass --force to regenerate it")
    if not os.access(parent, os.W_OK):
        raise GenerateError(target=target, message=f"cannot write in {parent}", fix="check the directory's permissions")

    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=parent))
    try:
        if exists and keep_existing:
            shutil.copytree(target, staging, symlinks=True, dirs_exist_ok=True)
        for relative, content in sorted(files.items()):
            written = _write_file(staging, relative, content)
            if after_file is not None:
                after_file(written)
        _swap_into_place(staging, target, exists)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_into_place(staging: Path, target: Path, exists: bool) -> None:
    if not exists:
        os.rename(staging, target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rmdir(retired)
    os.rename(target, retired)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(retired, target)
        raise
    shutil.rmtree(retired, ignore_errors=True)
