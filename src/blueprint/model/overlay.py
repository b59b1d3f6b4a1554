"""Team overlays (`teams/<name>.yaml`), the org floor and recorded exceptions.

An overlay may only touch its own team, and may not weaken a floor control
below the org's value unless blueprint.yaml records an unexpired exception
for exactly that team, control and value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator

from ..errors import Problem, SpecError
from .base import StrictModel
from .controls import ControlMeta, compare, has_path, read_path
from .spec import ControlException, Description, ExtraPackages, FloorSpec, QuotaOverride, TeamEntry
from .stance import CONTROL_IDS, META, TEAM_FIELDS, Stance, control_value, stance_controls, validate_control_value
from .types import ProfileName, TeamName

TEAMS_DIR = "teams"
EXPIRY_WARNING_DAYS = 14

TEAM_SCOPED_CONTROLS = tuple(TEAM_FIELDS)


class TeamOverlay(StrictModel):
    """What a team may tune in its own file; everything else belongs to the org blueprint."""

    team: TeamName = Field(description="The team this file tunes: the file's name (teams/<team>.yaml) and a team in blueprint.yaml.")
    description: Description | None = Field(default=None, description="Replaces the team's description.")
    quota: QuotaOverride = Field(
        default=QuotaOverride(), description="The team's ResourceQuota; unset fields keep the org's values, and going above them needs an exception."
    )
    profiles: tuple[ProfileName, ...] | None = Field(default=None, description="Profiles offered to the team, replacing the org's list; each must fit the quota.")
    extra_packages: ExtraPackages | None = Field(default=None, description="Packages added for this team, replacing what blueprint.yaml adds for it.")
    idle_timeout_minutes: Annotated[int, Field(ge=10, le=10080)] | None = None
    budget_usd: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    controls: dict[str, Any] = Field(default_factory=dict, description="Team-scoped stance controls by id, e.g. compute.sessions.root_allowed.")

    @field_validator("controls")
    @classmethod
    def _team_scoped_only(cls, controls: dict[str, Any]) -> dict[str, Any]:
        for control_id in controls:
            if control_id not in CONTROL_IDS:
                raise ValueError(f"unknown control {control_id!r}; `blueprint explain --json` lists the ids")
            if control_id not in TEAM_SCOPED_CONTROLS:
                raise ValueError(
                    f"{control_id!r} is not team-scoped: only the org blueprint can change it "
                    f"(team-scoped controls: {', '.join(TEAM_SCOPED_CONTROLS)})"
                )
        return {control_id: _validated(control_id, value) for control_id, value in controls.items()}


# Team fields an overlay (and a `teams[]` entry) writes directly, and the stance control each tunes for that team:
# the team-scoped controls whose `team_field` both files declare. The others are set under `controls:` by id.
TEAM_FIELD_CONTROLS: dict[str, str] = {
    field: control_id for control_id, field in TEAM_FIELDS.items() if has_path(TeamOverlay, field) and has_path(TeamEntry, field)
}


def _validated(control_id: str, value: Any) -> Any:
    try:
        return validate_control_value(control_id, value)
    except ValueError as exc:
        raise ValueError(f"{control_id}: {value!r} is not valid: {str(exc).splitlines()[-1].strip()}") from None


def floor_ids(floor: FloorSpec) -> frozenset[str]:
    return frozenset(c.id for c in stance_controls() if c.meta.in_default_floor) | frozenset(floor.add)


@dataclass(frozen=True)
class OverlayChange:
    """One value an overlay sets for its team, as a stance control."""

    control: str
    field: str
    floor_value: Any
    value: Any


def overlay_changes(overlay: TeamOverlay, team_floor: dict[str, Any]) -> list[OverlayChange]:
    """The controls an overlay sets, each with the value the org gave the team before the overlay."""
    changes = []
    for field, control in TEAM_FIELD_CONTROLS.items():
        value = read_path(overlay, field)
        if value is not None:
            changes.append(OverlayChange(control, field, team_floor[control], value))
    for control, value in overlay.controls.items():
        changes.append(OverlayChange(control, f"controls.{control}", team_floor[control], value))
    return changes


def team_floor_values(team: TeamEntry, stance: Stance) -> dict[str, Any]:
    """The org's value of every team-scoped control for one team (stance default, then blueprint.yaml)."""
    values = {control: control_value(stance, control) for control in TEAM_SCOPED_CONTROLS}
    for field, control in TEAM_FIELD_CONTROLS.items():
        value = read_path(team, field)
        if value is not None:
            values[control] = value
    return values


def _same_value(meta: ControlMeta, a: Any, b: Any) -> bool:
    if a == b:
        return True
    if meta.direction is None:
        return False
    try:
        return compare(meta, a, b) == 0 and compare(meta, b, a) == 0
    except (TypeError, ValueError):
        return False


def check_floor(
    overlay: TeamOverlay,
    team: TeamEntry,
    stance: Stance,
    floor: frozenset[str],
    exceptions: tuple[ControlException, ...],
    source: str,
) -> None:
    """Raise SpecError for every overlay value below the floor that no exception covers."""
    problems = []
    for change in overlay_changes(overlay, team_floor_values(team, stance)):
        meta = META[change.control]
        if change.control not in floor or compare(meta, change.floor_value, change.value) >= 0:
            continue
        covered = any(
            e.team == overlay.team and e.control == change.control and _same_value(meta, e.value, change.value) for e in exceptions
        )
        if not covered:
            problems.append(
                Problem(
                    change.field,
                    f"{change.value!r} goes below the org floor for {change.control}: the floor is {change.floor_value!r} "
                    f"({meta.direction.value if meta.direction else 'unordered'})",
                    f"stay within the floor, or ask the org to add an exception to blueprint.yaml: "
                    f"{{team: {overlay.team}, control: {change.control}, value: {change.value!r}, reason, approved_by, expires}}",
                )
            )
    if problems:
        raise SpecError(source=source, problems=problems)


def apply_overlay(team: TeamEntry, overlay: TeamOverlay) -> TeamEntry:
    """The team entry with the overlay's values on top; `controls:` entries that name a team field count as that field."""
    fields = {field: read_path(overlay, field) for field in TEAM_FIELD_CONTROLS}
    by_control = {control: field for field, control in TEAM_FIELD_CONTROLS.items()}
    fields.update({by_control[c]: v for c, v in overlay.controls.items() if c in by_control})
    quota = {field.split(".")[1]: value for field, value in fields.items() if field.startswith("quota.") and value is not None}
    update: dict[str, Any] = {field: value for field, value in fields.items() if "." not in field and value is not None}
    if quota:
        update["quota"] = team.quota.model_copy(update=quota)
    for field in ("description", "profiles", "extra_packages"):
        if getattr(overlay, field) is not None:
            update[field] = getattr(overlay, field)
    return team.model_copy(update=update)


def overlay_files(project: Path) -> list[Path]:
    directory = project / TEAMS_DIR
    return sorted(directory.glob("*.yaml")) if directory.is_dir() else []


def expiring(exceptions: tuple[ControlException, ...], today: dt.date) -> tuple[list[ControlException], list[ControlException]]:
    """(expired, expiring within EXPIRY_WARNING_DAYS) exceptions as of `today`."""
    expired = [e for e in exceptions if e.expires < today]
    soon = [e for e in exceptions if today <= e.expires <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS)]
    return expired, soon
