"""A content-addressed cache of preview graphs, so `check`, `export`, `graph`, `diff` and `review` do no work twice.

The key hashes every input the offline program reads: the resolved spec (blueprint.yaml, its team overlays and
the stance they resolve to, region and stack included), the Pulumi project name, the code that runs (every file
of this package: components, program, the vendored chart) and the versions of Python and the Pulumi SDKs. A
wrong hit would be a correctness bug, so anything the program could read is in the key, and
tests/preview/test_cache.py changes each input in turn and asserts the key changes.

Graphs live in the user's cache directory, with the rules every cache here follows (atomic writes, damage never
trusted, `BLUEPRINT_NO_CACHE=1` or `--no-cache` turns it off): see `blueprint.usercache`. The newest MAX_ENTRIES are kept.
Warnings the program logged are stored with the graph and logged again on a hit, so a hit says what a run says.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..usercache import CACHE_DIR_ENV, NO_CACHE_ENV, cache_dir, content_key, enabled, installed_version, read_entry, write_entry
from .graph import ResourceGraph

__all__ = ["CACHE_DIR_ENV", "NO_CACHE_ENV", "Entry", "WarningRecorder", "cache_dir", "code_digest", "content_key", "enabled", "graph_key", "load", "store"]

FORMAT = 1
MAX_ENTRIES = 64
SDKS = ("pulumi", "pulumi-aws", "pulumi-kubernetes")


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
    versions = {name: installed_version(name) for name in SDKS}
    digest.update(json.dumps({"python": sys.version, "sdks": versions}, sort_keys=True).encode())
    return digest.hexdigest()


def graph_key(spec_data: Any, project: str, *, code: str | None = None) -> str:
    """The cache key of one preview: `spec_data` is the resolved spec as data (`spec.model_dump()`).

    Sets (the floor is a frozenset) are written sorted: their iteration order changes from one process to the
    next with hash randomisation, and the key must not.
    """
    return content_key({"format": FORMAT, "spec": spec_data, "project": project, "code": code or code_digest()})


@dataclass(frozen=True)
class Entry:
    graph: ResourceGraph
    warnings: tuple[str, ...]


def load(key: str) -> Entry | None:
    """The cached graph for `key`; None when absent or unreadable (a damaged entry is removed, never trusted)."""
    path = cache_dir() / f"{key}.json"
    data = read_entry(path, format=FORMAT, key=key)
    if data is None:
        return None
    try:
        return Entry(ResourceGraph.from_json(data["graph"], normalised=True), tuple(data.get("warnings") or ()))
    except (ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)
        return None


def store(key: str, entry: Entry) -> None:
    """Write the entry atomically; a cache that cannot be written (read-only home, full disk) is only skipped."""
    payload = {"graph": entry.graph.to_json(), "warnings": list(entry.warnings)}
    write_entry(cache_dir() / f"{key}.json", payload, format=FORMAT, key=key, keep=MAX_ENTRIES)


class WarningRecorder(logging.Handler):
    """Collects the WARNING+ messages a program run logs, to store them with its graph."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
