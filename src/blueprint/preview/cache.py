"""A content-addressed cache of preview graphs, so `check`, `export`, `graph`, `diff` and `review` do no work twice.

The key hashes every input the offline program reads: the resolved spec (blueprint.yaml, its team overlays and
the stance they resolve to, region and stack included), the Pulumi project name, the code that runs (every file
of this package: components, program, the vendored chart) and the versions of Python and the Pulumi SDKs. A
wrong hit would be a correctness bug, so anything the program could read is in the key, and
tests/preview/test_cache.py changes each input in turn and asserts the key changes.

Graphs live in the user's cache directory (`$BLUEPRINT_CACHE_DIR`, else `$XDG_CACHE_HOME/workbench-blueprint`,
else `~/.cache/workbench-blueprint`), never in the project: a checkout stays clean and may be read-only. The
newest entries are kept (MAX_ENTRIES); writes are atomic. `BLUEPRINT_NO_CACHE=1` (or `--no-cache`) turns it off.
Warnings the program logged are stored with the graph and logged again on a hit, so a hit says what a run says.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from .graph import ResourceGraph

FORMAT = 1
MAX_ENTRIES = 64
NO_CACHE_ENV = "BLUEPRINT_NO_CACHE"
CACHE_DIR_ENV = "BLUEPRINT_CACHE_DIR"
SDKS = ("pulumi", "pulumi-aws", "pulumi-kubernetes")


def enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "").strip().lower() not in ("1", "true", "yes", "on")


def cache_dir() -> Path:
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "workbench-blueprint" / "graphs"


@cache
def code_digest() -> str:
    """sha256 of every file of the installed `blueprint` package (paths and bytes), plus Python and SDK versions."""
    digest = hashlib.sha256()
    root = Path(str(resources.files("blueprint")))
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    versions = {name: _version(name) for name in SDKS}
    digest.update(json.dumps({"python": sys.version, "sdks": versions}, sort_keys=True).encode())
    return digest.hexdigest()


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def graph_key(spec_data: Any, project: str, *, code: str | None = None) -> str:
    """The cache key of one preview: `spec_data` is the resolved spec as data (`spec.model_dump()`).

    Sets (the floor is a frozenset) are written sorted: their iteration order changes from one process to the
    next with hash randomisation, and the key must not.
    """
    return content_key({"format": FORMAT, "spec": spec_data, "project": project, "code": code or code_digest()})


def content_key(payload: Any) -> str:
    """sha256 of `payload` as canonical JSON (keys sorted, sets sorted)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=_canonical).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=lambda item: json.dumps(item, sort_keys=True, default=_canonical))
    return str(value)


@dataclass(frozen=True)
class Entry:
    graph: ResourceGraph
    warnings: tuple[str, ...]


def load(key: str) -> Entry | None:
    """The cached graph for `key`; None when absent or unreadable (a damaged entry is removed, never trusted)."""
    path = cache_dir() / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("key") != key:
            raise ValueError("not an entry for this key")
        entry = Entry(ResourceGraph.from_json(data["graph"], normalised=True), tuple(data.get("warnings") or ()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # the newest entries are kept
    return entry


def store(key: str, entry: Entry) -> None:
    """Write the entry atomically; a cache that cannot be written (read-only home, full disk) is only skipped."""
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{key[:12]}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                # One-shot dumps use the C encoder; json.dump streams through the pure-Python one (6x slower at 200 teams).
                stream.write(json.dumps({"format": FORMAT, "key": key, "graph": entry.graph.to_json(), "warnings": list(entry.warnings)}))
            os.replace(temporary, directory / f"{key}.json")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _prune(directory)
    except OSError:
        return


def _prune(directory: Path) -> None:
    entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[MAX_ENTRIES:]:
        stale.unlink(missing_ok=True)


class WarningRecorder(logging.Handler):
    """Collects the WARNING+ messages a program run logs, to store them with its graph."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
