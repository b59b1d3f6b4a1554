"""Per-team preview graphs, so editing one team of many re-runs the program for that team only.

A program run labels each resource with the team whose own resources were being declared (program.current_team;
see components.team_scope for the contract). A team's resources, and the edges other resources have into them,
are stored under a key of everything the team's resources can read: the spec without its `teams` (the shared
settings), that team's resolved entry, the project, the stack and the code (cache.code_digest). A later preview
looks every team up; the teams without an entry (changed, added, renamed) are declared by running the real program
with `only_teams` — which still declares the shared infrastructure and every aggregate (the hub's profile list,
the package allowlists, the pip-token job) from the whole spec — and the stored teams are merged in: their resources
added, their edges put back into the dependency lists of the run's resources. tests/property/test_incremental.py
checks that the merged graph equals a full run's byte for byte over random edits.

When nothing is stored for these shared settings, or a stored part does not fit the run (a URN twice, an edge from
a resource the run did not declare), the whole program runs instead: a fallback, never a guess. A whole run of many
teams is dealt out to forked processes, one per core (`workers`), and merged the same way.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import sys
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import usercache
from . import cache, cores
from .engine import garbage_collection_paused
from .graph import Resource, ResourceGraph

FORMAT = 1
KEPT_SHARED_SETTINGS = 8
WORKERS_ENV = "BLUEPRINT_PREVIEW_WORKERS"
MAX_WORKERS = 4
MIN_TEAMS_PER_WORKER = 25
"""Directories of team parts kept (one per distinct shared settings), newest first."""


@dataclass(frozen=True)
class TeamPart:
    """One team's resources as a run declared them, and which of them each outside resource depended on."""

    resources: tuple[Resource, ...]
    edges: Mapping[str, tuple[str, ...]]

    def to_json(self) -> dict[str, Any]:
        return {"resources": [r.to_json() for r in self.resources], "edges": {source: list(targets) for source, targets in sorted(self.edges.items())}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TeamPart:
        return cls(tuple(Resource.from_json(r, normalised=True) for r in data["resources"]), {source: tuple(targets) for source, targets in data["edges"].items()})


@dataclass(frozen=True)
class Outcome:
    """The merged graph and how it was made: the teams the program ran for (None: a full run)."""

    graph: ResourceGraph
    ran_teams: frozenset[str] | None


# A run of the real program: `only_teams` (None for every team) -> its graph and URN -> team labels.
Runner = Callable[[Collection[str] | None], tuple[ResourceGraph, Mapping[str, str]]]


def shared_key(spec_data: Mapping[str, Any], project: str, stack: str, *, code: str | None = None) -> str:
    """The key of what every team's resources may read: the spec without `teams`, project, stack, code."""
    shared = {key: value for key, value in spec_data.items() if key != "teams"}
    return cache.content_key({"format": FORMAT, "shared": shared, "project": project, "stack": stack, "code": code or cache.code_digest()})


def team_key(shared: str, team_data: Mapping[str, Any]) -> str:
    return cache.content_key({"format": FORMAT, "shared": shared, "team": team_data})


def split(graph: ResourceGraph, owners: Mapping[str, str]) -> dict[str, TeamPart]:
    """Each labelled team's resources, with the edges from resources outside the team into them."""
    resources: dict[str, list[Resource]] = {}
    edges: dict[str, dict[str, set[str]]] = {}
    for resource in graph:
        owner = owners.get(resource.urn)
        if owner is not None:
            resources.setdefault(owner, []).append(resource)
        for target in resource.dependencies:
            target_owner = owners.get(target)
            if target_owner is not None and target_owner != owner:
                edges.setdefault(target_owner, {}).setdefault(resource.urn, set()).add(target)
    return {
        team: TeamPart(tuple(found), {source: tuple(sorted(targets)) for source, targets in edges.get(team, {}).items()})
        for team, found in resources.items()
    }


def merge(run: ResourceGraph, parts: Iterable[TeamPart]) -> ResourceGraph | None:
    """The run's resources plus the parts', with the parts' edges added; None when a part does not fit the run."""
    parts = tuple(parts)
    resources = {r.urn: r for r in run}
    for part in parts:
        for resource in part.resources:
            if resource.urn in resources:
                return None
            resources[resource.urn] = resource
    added: dict[str, set[str]] = {}
    for part in parts:
        for source, targets in part.edges.items():
            if source not in resources:
                return None
            added.setdefault(source, set()).update(targets)
    for source, targets in added.items():
        resource = resources[source]
        dependencies = tuple(sorted(set(resource.dependencies) | targets))
        if dependencies != resource.dependencies:
            resources[source] = dataclasses.replace(resource, dependencies=dependencies)
    return ResourceGraph(tuple(resources.values()), outputs=run.outputs)  # the stack's outputs come from the whole spec


def preview(spec_data: Mapping[str, Any], project: str, stack: str, run: Runner) -> Outcome:
    """The graph of the whole spec: the program run for the teams without a stored part, merged with the others."""
    shared = shared_key(spec_data, project, stack)
    store = _Store(cache.cache_dir() / "teams" / shared)
    keys = {team["name"]: team_key(shared, team) for team in spec_data["teams"]}
    with garbage_collection_paused():  # thousands of small objects that stay: collections would find nothing
        stored = {name: store.load(key) for name, key in keys.items()}
    reused = {name: part for name, part in stored.items() if part is not None}
    if reused:
        changed = frozenset(keys) - frozenset(reused)
        graph, owners = run(changed)
        merged = merge(graph, reused.values())
        if merged is not None:
            store.save({name: keys[name] for name in changed}, split(graph, owners), teams=len(keys))
            return Outcome(merged, changed)
    graph, owners = whole(run, list(keys))
    store.save(keys, split(graph, owners), teams=len(keys))
    return Outcome(graph, None)


def workers(teams: int) -> int:
    """Processes for a whole run: this one plus one per core the rest of the machine left idle while this process
    imported the SDK (`preview.cores`; a core counts when at least three quarters idle; on a busy machine a second
    process only adds CPU), at most MAX_WORKERS, for MIN_TEAMS_PER_WORKER teams each. `BLUEPRINT_PREVIEW_WORKERS`
    sets it (1: never fork). Only where fork is the safe default (Linux)."""
    if not hasattr(os, "fork") or sys.platform != "linux":
        return 1
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return min(int(configured), max(teams, 1))
    available = len(os.sched_getaffinity(0))
    idle = cores.idle_cores()
    if idle is None:  # no /proc/stat, or no time passed since the last reading: the load average, late as it is
        idle = available - os.getloadavg()[0]
    return max(1, min(1 + int(idle + 0.25), available, MAX_WORKERS, teams // MIN_TEAMS_PER_WORKER))


def whole(run: Runner, teams: list[str]) -> tuple[ResourceGraph, Mapping[str, str]]:
    """A run for every team. With several workers the teams are dealt out: forked children (the SDK is imported
    already) run the program for their share and send back their teams' parts, this process runs the first share,
    and the parts are merged as an incremental preview merges stored ones. Any trouble in a child: one plain run."""
    count = workers(len(teams))
    if count == 1:
        return run(None)
    shares = [teams[i::count] for i in range(count)]
    children = [_fork(run, share) for share in shares[1:]]
    try:
        graph, owners = run(shares[0])
    except BaseException:
        for pid, read in children:
            os.close(read)
            os.waitpid(pid, 0)
        raise
    parts: dict[str, TeamPart] = {}
    failed = False
    for pid, read in children:
        with os.fdopen(read, "rb") as stream:
            payload = stream.read()
        _, status = os.waitpid(pid, 0)
        try:
            parts.update({team: TeamPart.from_json(part) for team, part in json.loads(payload).items()})
        except ValueError:
            failed = True
        failed = failed or status != 0
    merged = None if failed else merge(graph, parts.values())
    if merged is None:
        return run(None)
    return merged, {**owners, **{r.urn: team for team, part in parts.items() for r in part.resources}}


def _fork(run: Runner, share: list[str]) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write)
        return pid, read
    # The child: run, write the parts, and leave without running the parent's exit handlers or flushing its buffers.
    status = 1
    try:
        os.close(read)
        # What the program logs or warns is reported once, by the parent's share. The child writes nowhere else:
        # fresh stdout/stderr objects, as another thread (a progress spinner) may have held the old ones' locks.
        logging.disable(logging.CRITICAL)
        warnings.simplefilter("ignore")
        sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (left by os._exit)
        graph, owners = run(share)
        payload = json.dumps({team: part.to_json() for team, part in split(graph, owners).items()}).encode()
        with os.fdopen(write, "wb") as stream:
            stream.write(payload)
        status = 0
    finally:
        os._exit(status)


class _Store:
    """Team parts under one shared key: a file per team key, written atomically; unreadable entries are removed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def load(self, key: str) -> TeamPart | None:
        path = self.directory / f"{key}.json"
        data = usercache.read_entry(path, format=FORMAT, key=key)
        if data is None:
            return None
        try:
            return TeamPart.from_json(data["part"])
        except (ValueError, KeyError, TypeError, AttributeError):
            path.unlink(missing_ok=True)
            return None

    def save(self, keys: Mapping[str, str], parts: Mapping[str, TeamPart], *, teams: int) -> None:
        """Store each team's part under its key (a team that declared nothing gets an empty part), keeping about two
        entries per team of the spec (`teams`); a cache that cannot be written is only skipped."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for team, key in keys.items():
                part = parts.get(team, TeamPart((), {}))
                usercache.write_entry(self.directory / f"{key}.json", {"team": team, "part": part.to_json()}, format=FORMAT, key=key)
            os.utime(self.directory)
            self._prune(teams)
        except OSError:
            return

    def _prune(self, teams: int) -> None:
        # Old versions of edited teams stay for a while (an undo is then a hit), within a bound.
        entries = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in entries[2 * teams + 16 :]:
            stale.unlink(missing_ok=True)
        siblings = sorted((p for p in self.directory.parent.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale_directory in siblings[KEPT_SHARED_SETTINGS:]:
            for path in stale_directory.iterdir():
                path.unlink(missing_ok=True)
            stale_directory.rmdir()
