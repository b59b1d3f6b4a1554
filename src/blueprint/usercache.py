"""The user's cache directory: content-addressed JSON entries that let a command skip work an earlier one did.

One home for where the caches live, whether they are on, how a key is made and how an entry is written, so the
preview graphs (`preview.cache`), the per-team subgraphs (`preview.incremental`), the check results
(`policy.memo`) and the SDK's property shapes (`export.shapes`) all follow the same rules:

- The directory is `$BLUEPRINT_CACHE_DIR`, else `$XDG_CACHE_HOME/workbench-blueprint/graphs`, else
  `~/.cache/workbench-blueprint/graphs`; each kind of entry but the graphs has a subdirectory. Never the project:
  a checkout stays clean and may be read-only.
- `BLUEPRINT_NO_CACHE=1` (every previewing command's `--no-cache`) turns every cache off.
- A key is the sha256 of canonical JSON of everything the cached value was computed from; a wrong hit is a
  correctness bug, so each user's tests change every input in turn and assert the key changes.
- Writes are atomic (a temporary file renamed into place), and a cache that cannot be written (read-only home,
  full disk) is skipped, never an error; an entry that cannot be read is removed, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

NO_CACHE_ENV = "BLUEPRINT_NO_CACHE"
CACHE_DIR_ENV = "BLUEPRINT_CACHE_DIR"


def enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() not in ("1", "true", "yes", "on")


def cache_dir() -> Path:
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "workbench-blueprint" / "graphs"


def installed_version(distribution: str) -> str:
    """The installed version of `distribution` (for keys: another SDK must not read an old entry), or "absent"."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def content_key(payload: Any) -> str:
    """sha256 of `payload` as canonical JSON (keys sorted, sets sorted)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=_canonical).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    # Sets (the floor is a frozenset) are written sorted: their iteration order changes from one process to the next
    # with hash randomisation, and a key must not.
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=lambda item: json.dumps(item, sort_keys=True, default=_canonical))
    return str(value)


def read_entry(path: Path, *, format: int, key: str) -> dict[str, Any] | None:
    """The JSON entry at `path` written by `write_entry` with this format and key; None when absent. A damaged or
    foreign entry is removed and None returned. A hit touches the file, so pruning keeps the newest."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != format or data.get("key") != key:
            raise ValueError("not an entry for this key")
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    return data


def write_entry(path: Path, payload: dict[str, Any], *, format: int, key: str, keep: int | None = None) -> None:
    """Write `payload` (with its format and key) atomically as JSON at `path`; keep the `keep` newest entries of its
    directory when given. A cache that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem[:12]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                # One-shot dumps use the C encoder; json.dump streams through the pure-Python one (6x slower at 200 teams).
                stream.write(json.dumps({"format": format, "key": key, **payload}))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if keep is not None:
            prune(path.parent, keep)
    except OSError:
        return


def prune(directory: Path, keep: int) -> None:
    """Remove all but the `keep` most recently used entries of `directory`."""
    entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[keep:]:
        stale.unlink(missing_ok=True)
