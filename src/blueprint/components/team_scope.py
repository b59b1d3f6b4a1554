"""Which teams a program run declares, and which team each resource is declared for: how a preview rebuilds only changed teams.

A team's own resources (its TeamSpace, its data role, its mirror reader policy, its pip-token binding, its budget)
are declared in loops over `each_team(...)`. Normally that is every team. `only_teams(names)` narrows a run to
some teams: everything else (the shared infrastructure, and the aggregates built from every team's entry in the
spec, such as the hub's profile list) is still declared in full. While a loop body declares a team's resources,
`current_team()` names that team, so the preview can tell which resources are whose (blueprint.preview.incremental).

The contract that makes a narrowed run plus the other teams' earlier resources equal a full run (tested in
tests/property/test_incremental.py): a team's own resources read only the spec's shared settings and that team's
entry; nothing outside `each_team` loops is skipped; resources outside the loops may depend on a team's resources
(their dependency lists are completed from the earlier run) but never read their outputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_ONLY: ContextVar[frozenset[str] | None] = ContextVar("blueprint_only_teams", default=None)
_CURRENT: ContextVar[str | None] = ContextVar("blueprint_current_team", default=None)


@contextlib.contextmanager
def only_teams(names: Iterable[str] | None) -> Iterator[None]:
    """Declare only the named teams' own resources inside this block (None: every team)."""
    token = _ONLY.set(None if names is None else frozenset(names))
    try:
        yield
    finally:
        _ONLY.reset(token)


def each_team(teams: Iterable[T], name: Callable[[T], str] = str) -> Iterator[T]:
    """The teams (by `name(team)`) whose own resources this run declares, each with `current_team()` set to it
    while the caller's loop body runs."""
    only = _ONLY.get()
    for team in teams:
        team_name = name(team)
        if only is not None and team_name not in only:
            continue
        token = _CURRENT.set(team_name)
        try:
            yield team
        finally:
            _CURRENT.reset(token)


def current_team() -> str | None:
    """The team whose own resources are being declared, or None for shared ones."""
    return _CURRENT.get()
