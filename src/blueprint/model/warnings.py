"""What a valid blueprint holds that is allowed but likely not meant: `BlueprintSpec.warnings`, which every command can print.

Team budgets that add up to more than the org budget (the org can overspend with every team within its own), and recorded
exceptions that no longer change anything (the value they permit is within the floor now, no overlay can set
the control, or the team's overlay does not go below the floor on it): each can be removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from ..errors import Problem, shown
from .controls import compare
from .overlay import TEAM_SCOPED_CONTROLS, TeamOverlay, overlay_changes, team_floor_values
from .spec import BlueprintFile, TeamEntry, TeamSpec
from .stance import META, Stance


def budget_warnings(blueprint: BlueprintFile, stance: Stance, teams: Iterable[TeamSpec], source: str) -> list[Problem]:
    """The team budgets add up to more than the org's, when the stance budgets per team."""
    if stance.budgets.scope != "per-team":
        return []
    teams = tuple(teams)
    total, org = sum(t.budget_usd for t in teams), blueprint.budgets.org_monthly_usd
    if total <= org:
        return []
    each = ", ".join(f"{t.name} {t.budget_usd}" for t in teams[:6]) + (", ..." if len(teams) > 6 else "")
    return [
        Problem(
            "budgets.org_monthly_usd",
            f"the team budgets add up to {total} USD a month ({each}), more than the org budget of {org} USD, "
            "so the org can overspend while every team is within its own budget",
            f"raise budgets.org_monthly_usd to at least {total}, or lower the teams' budget_usd",
            source=source,
        )
    ]


def exception_warnings(
    blueprint: BlueprintFile, stance: Stance, floor: frozenset[str], overlays: Mapping[str, tuple[TeamOverlay, str]], source: str
) -> list[Problem]:
    """Recorded exceptions that permit nothing in use: the control is not team-scoped, the value is within the floor
    now, or the team's overlay does not go below the floor on that control."""
    entries: dict[str, TeamEntry] = {t.name: t for t in blueprint.teams}
    problems = []
    for i, exception in enumerate(blueprint.exceptions):
        entry = entries[exception.team]  # `resolve` refused an exception for a team that does not exist
        where = f"exceptions[{i}]"
        remove = f"remove it from blueprint.yaml: the entry for team {exception.team} on {exception.control}"
        if exception.control not in TEAM_SCOPED_CONTROLS:
            problems.append(
                Problem(where, f"{exception.control} is not team-scoped: no team overlay can set it, so this exception changes nothing", remove, source=source)
            )
            continue
        if exception.control not in floor:  # every team-scoped control is on the default floor today
            continue
        meta, team_floor = META[exception.control], team_floor_values(entry, stance)
        floor_value = team_floor[exception.control]
        if compare(meta, floor_value, exception.value) >= 0:
            message = f"permits {shown(exception.value)} for {exception.control}, which is within the floor ({shown(floor_value)}) now: this exception changes nothing"
            problems.append(Problem(where, message, remove, source=source))
            continue
        overlay, overlay_source = overlays.get(exception.team, (None, f"teams/{exception.team}.yaml"))
        changes = {c.control: c.value for c in overlay_changes(overlay, team_floor)} if overlay is not None else {}
        if exception.control not in changes or compare(meta, floor_value, changes[exception.control]) >= 0:
            uses = "does not set it" if exception.control not in changes else f"sets {shown(changes[exception.control])}, within the floor"
            message = f"permits {shown(exception.value)} for {exception.control}, but {Path(overlay_source).name if overlay else overlay_source} {uses}: this exception changes nothing"
            problems.append(Problem(where, message, f"{remove}, or set the value in the team's overlay", source=source))
    return problems
