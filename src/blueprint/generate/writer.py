"""Atomic project writes: nothing half-written, whether the project is new or being updated.

A new project is written to a temporary sibling directory that is renamed into place
when complete. Files of an existing project (`new --force`, `fork`, `upgrade`) are all
staged in a sibling directory first; the originals are hard-linked there and a journal
written; then the staged files are renamed over the originals. A failure puts the
originals back at once. A process killed during the renames leaves its journal behind,
and the next `blueprint` command on the project rolls the interrupted write back
(`recover_interrupted`) before it reads anything, so a project is only ever seen by
blueprint as wholly old or wholly new. A run killed while staging never touched the
project; its leftover staging directory sits beside the project and is removed.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..errors import GenerateError

# Tests inject faults here to prove an interrupted write leaves the old content.
AfterFileHook = Callable[[Path], None]
JOURNAL = "journal.json"


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _inside(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if root.resolve() not in path.parents:
        raise GenerateError(target=root, message=f"refusing to write outside the project: {relative}")
    return path


def _write_file(path: Path, content: str | bytes, *, sync: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") if isinstance(content, bytes) else open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(content)  # type: ignore[arg-type]
        handle.flush()
        if sync:
            os.fsync(handle.fileno())


def _sync_all(paths: Sequence[Path]) -> None:
    """fsync every staged file before the rename that publishes them, many at once: the filesystem then commits
    its journal for several files together (a new project's 77 files: ~40 ms instead of ~300 ms on ext4)."""

    def sync(path: Path) -> None:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(16, len(paths)))) as pool:
        list(pool.map(sync, paths))


def write_tree(target: Path, files: Mapping[str, str | bytes], *, force: bool = False, after_file: AfterFileHook | None = None) -> None:
    """Write `files` (relative path -> text, or bytes for a binary file such as the vendored wheel) into `target`, all or nothing.

    A missing or empty `target` is created whole; an existing one needs `force` and only
    the given files change (a .git directory, virtualenv or the user's notes are untouched).
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise GenerateError(target=target, message=f"parent directory {parent} does not exist", fix="create it first or choose another path")
    if target.exists() and not target.is_dir():
        raise GenerateError(target=target, message="exists and is not a directory", fix="choose another path")
    if target.exists() and not _is_empty_dir(target):
        if not force:
            raise GenerateError(target=target, message="already exists and is not empty", fix="choose a new directory, or pass --force to regenerate it")
        replace_files(target, files, after_file=after_file)
        return
    if not os.access(parent, os.W_OK):
        raise GenerateError(target=target, message=f"cannot write in {parent}", fix="check the directory's permissions")
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=parent))
    try:
        written = []
        for relative, content in sorted(files.items()):
            path = _inside(staging, relative)
            _write_file(path, content, sync=False)
            written.append(path)
            if after_file is not None:
                after_file(path)
        _sync_all(written)
        if target.exists():
            os.rmdir(target)  # empty: replaced by the complete staging directory
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes 0700; a project gets the usual mode
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def replace_files(root: Path, files: Mapping[str, str | bytes], *, after_file: AfterFileHook | None = None) -> None:
    """Replace or add some files of the existing directory `root`, all or nothing."""
    if not os.access(root, os.W_OK):
        raise GenerateError(target=root, message="cannot write in the project directory", fix="check its permissions")
    recover_interrupted(root)
    staging = _staging_for(root)
    try:
        staged: list[tuple[Path, Path]] = []
        for index, (relative, content) in enumerate(sorted(files.items())):
            target = _inside(root, relative)
            new = staging / f"{index}.new"
            _write_file(new, content, sync=False)
            if after_file is not None:
                after_file(new)
            staged.append((target, new))
        _sync_all([new for _, new in staged])
        _commit(root, staged, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _staging_for(root: Path) -> Path:
    """A staging directory on the project's file system (renames must not cross devices)."""
    parent = root.resolve().parent
    if os.access(parent, os.W_OK) and parent.stat().st_dev == root.stat().st_dev:
        return Path(tempfile.mkdtemp(prefix=f".{root.name}.staging-", dir=parent))
    return Path(tempfile.mkdtemp(prefix=".blueprint-staging-", dir=root))


def write_file(path: Path, text: str) -> None:
    """Write one file (an export) through a temporary sibling, so readers never see half a file. The file keeps the
    mode of the one it replaces, or gets the usual mode under the umask: mkstemp alone makes it 0600, which a CI job
    uploading the plan as another user, or a colleague on a shared checkout, could not read."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise GenerateError(target=path, message=f"directory {parent} does not exist", fix="create it first or choose another path")
    if path.is_dir():
        raise GenerateError(target=path, message="is a directory", fix="give a file name")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    os.close(handle)  # mkstemp only reserves the name; the text is written as every project file is
    try:
        os.chmod(temporary, mode)
        _write_file(Path(temporary), text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _staging_dirs(root: Path) -> list[Path]:
    parent = root.resolve().parent
    return sorted([*parent.glob(f".{root.name}.staging-*"), *root.glob(".blueprint-staging-*")])


def recover_interrupted(root: Path) -> bool:
    """Roll back a write to `root` that was killed mid-way; True if there was one. Safe to call any time."""
    root = Path(root)
    if not root.is_dir():
        return False
    recovered = False
    for staging in _staging_dirs(root):
        journal = staging / JOURNAL
        if journal.is_file():
            _roll_back(root, json.loads(journal.read_text(encoding="utf-8")), staging)
            recovered = True
        shutil.rmtree(staging, ignore_errors=True)
    return recovered


def _roll_back(root: Path, entries: list[dict[str, str | None]], staging: Path) -> None:
    for entry in reversed(entries):
        target = root.resolve() / str(entry["target"])
        if entry["backup"] is not None:
            os.replace(staging / str(entry["backup"]), target)
        elif target.exists():
            target.unlink()


def _commit(root: Path, staged: list[tuple[Path, Path]], staging: Path) -> None:
    entries = []
    for index, (target, _new) in enumerate(staged):
        backup = None
        if target.exists():
            backup = f"{index}.old"
            _keep_copy(target, staging / backup)
        entries.append({"target": str(target.relative_to(root.resolve())), "backup": backup})
    # Written last: its presence says "the renames may have started; undo them".
    _write_file(staging / JOURNAL, json.dumps(entries))
    done = 0
    try:
        for target, new in staged:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(new, target)  # atomic per file: the original stays in place until this very rename
            done += 1
    except BaseException:
        _roll_back(root, entries[: done + 1], staging)
        raise


def _keep_copy(target: Path, backup: Path) -> None:
    """Keep the original for a rollback without taking it away, so every file stays whole at every moment."""
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:  # a file system without hard links
        shutil.copy2(target, backup)
