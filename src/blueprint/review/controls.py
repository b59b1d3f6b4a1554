"""Which controls changed between two resolved blueprints, each judged weaker or stronger by `model.compare`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from ..model import BlueprintSpec, Concern, compare, control_value, stance_controls
from ..model.controls import FieldMeta, SettingInfo, read_path
from ..model.overlay import expiring
from ..model.spec import ORG_SETTINGS, TEAM_SETTINGS, ControlException
from ..model.stance import META, QUOTA_CONTROLS, TEAM_FIELDS

ORG = "org"


class Change(str, Enum):
    """How a value moved, by `compare`; `changed` for controls without an order."""

    WEAKER = "weaker"
    STRONGER = "stronger"
    CHANGED = "changed"

    @property
    def order(self) -> int:
        return {Change.WEAKER: 0, Change.CHANGED: 1, Change.STRONGER: 2}[self]


@dataclass(frozen=True)
class ControlChange:
    """One control (or team value, or floor membership) whose value differs between old and new."""

    scope: str  # "org", "team:<name>" or "floor"
    control: str
    old: Any
    new: Any
    change: Change
    concern: Concern

    @property
    def team(self) -> str | None:
        return self.scope.removeprefix("team:") if self.scope.startswith("team:") else None

    @property
    def is_quota(self) -> bool:
        """Capacity a team or the cluster may use: increases are reviewed as their own kind."""
        return self.control in QUOTA_CONTROLS

    def to_json(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "control": self.control,
            "old": _jsonable(self.old),
            "new": _jsonable(self.new),
            "change": self.change.value,
            "concern": self.concern.value,
        }


def _setting_value(info: SettingInfo, holder: Any) -> Any:
    value = read_path(holder, info.path)
    return info.meta.shown(value) if info.meta.shown else value


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, frozenset, set)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (frozenset, set)) else items
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value


def _judged(meta: FieldMeta | None, old: Any, new: Any) -> Change:
    if meta is None or not meta.ordered:
        return Change.CHANGED
    try:
        verdict = compare(meta, old, new)
    except (TypeError, ValueError):
        return Change.CHANGED
    return Change.WEAKER if verdict < 0 else Change.STRONGER if verdict > 0 else Change.CHANGED


def _control_change(scope: str, control: str, old: Any, new: Any) -> ControlChange | None:
    old, new = _jsonable(old), _jsonable(new)
    if old == new:
        return None
    meta = META[control]
    return ControlChange(scope, control, old, new, _judged(meta, old, new), meta.concern)


def stance_changes(old: BlueprintSpec, new: BlueprintSpec) -> list[ControlChange]:
    """Every stance control whose org value differs."""
    changes = []
    for info in stance_controls():
        change = _control_change(ORG, info.id, control_value(old.stance, info.id), control_value(new.stance, info.id))
        if change is not None:
            changes.append(change)
    return changes


def team_changes(old: BlueprintSpec, new: BlueprintSpec) -> list[ControlChange]:
    """Team-scoped controls (quotas, idle timeout, budget, root) and team settings of teams present on both sides."""
    changes: list[ControlChange] = []
    old_teams = {t.name: t for t in old.teams}
    for team in new.teams:
        before = old_teams.get(team.name)
        if before is None:
            continue
        scope = f"team:{team.name}"
        for control, field in TEAM_FIELDS.items():
            change = _control_change(scope, control, read_path(before, field), read_path(team, field))
            if change is not None:
                changes.append(change)
        for setting in TEAM_SETTINGS:
            old_value, new_value = _jsonable(_setting_value(setting, before)), _jsonable(_setting_value(setting, team))
            if old_value != new_value:
                changes.append(ControlChange(scope, setting.id, old_value, new_value, _judged(setting.meta, old_value, new_value), setting.meta.concern))
    return changes


def floor_changes(old: BlueprintSpec, new: BlueprintSpec) -> list[ControlChange]:
    """Controls that joined or left the org floor: leaving it lets teams weaken the control."""
    changes = []
    for control in sorted(old.floor ^ new.floor):
        in_new = control in new.floor
        changes.append(ControlChange("floor", control, not in_new, in_new, Change.STRONGER if in_new else Change.WEAKER, META[control].concern))
    return changes


def settings_changes(old: BlueprintSpec, new: BlueprintSpec) -> list[ControlChange]:
    changes = []
    for setting in ORG_SETTINGS:
        old_value, new_value = _jsonable(_setting_value(setting, old)), _jsonable(_setting_value(setting, new))
        if old_value != new_value:
            changes.append(ControlChange(ORG, setting.id, old_value, new_value, _judged(setting.meta, old_value, new_value), setting.meta.concern))
    return changes


@cache
def _control_order() -> dict[str, int]:
    ids = [*(info.id for info in stance_controls()), *(info.id for info in (*ORG_SETTINGS, *TEAM_SETTINGS))]
    return {control: i for i, control in enumerate(ids)}


def risk_key(change: ControlChange) -> tuple[Any, ...]:
    """Weaker first, then by concern (biggest first), org before floor before teams, then control order."""
    scope_rank = 0 if change.scope == ORG else 1 if change.scope == "floor" else 2
    return (change.change.order, change.concern.rank, scope_rank, _control_order().get(change.control, 1 << 20), change.control, change.scope)


def control_changes(old: BlueprintSpec, new: BlueprintSpec) -> list[ControlChange]:
    """Stance controls, org settings, floor and per-team values that differ, riskiest first."""
    changes = [*stance_changes(old, new), *settings_changes(old, new), *floor_changes(old, new), *team_changes(old, new)]
    return sorted(changes, key=risk_key)


@dataclass(frozen=True)
class TeamsDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"added": list(self.added), "removed": list(self.removed)}


def teams_diff(old: BlueprintSpec, new: BlueprintSpec) -> TeamsDiff:
    old_names, new_names = {t.name for t in old.teams}, {t.name for t in new.teams}
    return TeamsDiff(tuple(sorted(new_names - old_names)), tuple(sorted(old_names - new_names)))


def exception_json(exception: ControlException) -> dict[str, Any]:
    return {
        "team": exception.team,
        "control": exception.control,
        "value": _jsonable(exception.value),
        "reason": exception.reason,
        "approved_by": exception.approved_by,
        "expires": exception.expires.isoformat(),
    }


def _exception_key(exception: ControlException) -> tuple[str, str, str, str]:
    return (exception.team, exception.control, exception.expires.isoformat(), repr(_jsonable(exception.value)))


@dataclass(frozen=True)
class ExceptionsDiff:
    """Exceptions that appeared or went, and those of the new blueprint that expired or expire soon."""

    added: tuple[ControlException, ...]
    removed: tuple[ControlException, ...]
    expired: tuple[ControlException, ...]
    expiring: tuple[ControlException, ...]

    def to_json(self) -> dict[str, Any]:
        return {kind: [exception_json(e) for e in getattr(self, kind)] for kind in ("added", "removed", "expired", "expiring")}


def exceptions_diff(old: BlueprintSpec, new: BlueprintSpec, today: dt.date) -> ExceptionsDiff:
    old_keys = {_exception_key(e) for e in old.exceptions}
    new_keys = {_exception_key(e) for e in new.exceptions}
    added = sorted((e for e in new.exceptions if _exception_key(e) not in old_keys), key=_exception_key)
    removed = sorted((e for e in old.exceptions if _exception_key(e) not in new_keys), key=_exception_key)
    expired, soon = expiring(new.exceptions, today)
    return ExceptionsDiff(tuple(added), tuple(removed), tuple(sorted(expired, key=_exception_key)), tuple(sorted(soon, key=_exception_key)))
