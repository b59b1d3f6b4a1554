"""Check results cached under the graph they judge, so `check` and `review` of an unchanged project judge nothing twice.

A result is a function of: the graph (named by its preview cache key, `ResourceGraph.key`, which covers the spec,
the stack, the project name, every file of this package, rules included, and the SDK versions), the subject it is
judged for (the spec or bare stance, as data), the judging stance (`--against`), the rules asked for, the day (exceptions
expire, the governance rules warn before they do) and the helm binary that renders the chart for the works rules
(which file, its size and modification time: a different helm may render differently, and no helm is "not run").
All of it is in the key; tests/policy/test_memo.py changes each in turn. A graph without a key (a run with the cache
off, or one built by hand) is never looked up. Entries live in the user cache (`blueprint.usercache`) under `results/`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import usercache

if TYPE_CHECKING:
    from ..model import BlueprintSpec, Stance
    from ..preview.graph import ResourceGraph
    from .base import Rule

FORMAT = 1
MAX_ENTRIES = 64


def directory() -> Path:
    return usercache.cache_dir() / "results"


def helm_identity() -> dict[str, Any] | None:
    """Which helm the works rules would render with: its resolved path, size and modification time; None without one."""
    from ..charts.z2jh import find_helm

    helm = find_helm()
    if helm is None:
        return None
    resolved = helm.resolve()
    stat = resolved.stat()
    return {"path": str(resolved), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def result_key(
    subject: BlueprintSpec | Stance, graph: ResourceGraph, *, day: dt.date, against: Stance | None, rules: Iterable[Rule]
) -> str | None:
    """The key of judging `graph` for `subject` this way; None when the graph has no key or the cache is off."""
    if graph.key is None or not usercache.enabled():
        return None
    return usercache.content_key(
        {
            "format": FORMAT,
            "graph": graph.key,
            "subject": {"kind": type(subject).__name__, "data": subject.model_dump()},
            "against": against.model_dump() if against is not None else None,
            "rules": [rule.id for rule in rules],
            "day": day.isoformat(),
            "helm": helm_identity(),
        }
    )


def load(key: str) -> dict[str, Any] | None:
    """The stored result's data (`CheckResult.to_cache()`), or None."""
    data = usercache.read_entry(directory() / f"{key}.json", format=FORMAT, key=key)
    return data["result"] if data is not None and isinstance(data.get("result"), dict) else None


def store(key: str, result: dict[str, Any]) -> None:
    usercache.write_entry(directory() / f"{key}.json", {"result": result}, format=FORMAT, key=key, keep=MAX_ENTRIES)
