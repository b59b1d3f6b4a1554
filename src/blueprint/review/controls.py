"""Which controls changed between two resolved blueprints, each judged weaker or stronger by `model.compare`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from ..model import BlueprintSpec, Concern, ControlMeta, Direction, TeamSpec, compare, control_value, stance_controls
from ..model.overlay import expiring
from ..model.spec import ControlException
from ..model.stance import META

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


QUOTA_CONTROLS = frozenset(
    {
        "compute.default_quota.cpu",
        "compute.default_quota.memory",
        "compute.default_quota.gpu",
        "compute.default_quota.storage",
        "compute.default_quota.pods",
        "compute.nodes.max_nodes",
        "compute.nodes.max_gpu_nodes",
        "budgets.team_monthly_usd",
    }
)

# The resolved value of each team-scoped control for one team, read from the TeamSpec the program builds.
TEAM_CONTROLS: dict[str, Callable[[TeamSpec], Any]] = {
    "compute.default_quota.cpu": lambda t: t.quota.cpu,
    "compute.default_quota.memory": lambda t: t.quota.memory,
    "compute.default_quota.gpu": lambda t: t.quota.gpu,
    "compute.default_quota.storage": lambda t: t.quota.storage,
    "compute.default_quota.pods": lambda t: t.quota.pods,
    "compute.sessions.idle_timeout_minutes": lambda t: t.idle_timeout_minutes,
    "compute.sessions.root_allowed": lambda t: t.root_allowed,
    "budgets.team_monthly_usd": lambda t: t.budget_usd,
}

# Team values that are not stance controls: offered, not limited, so they have no order.
TEAM_SETTINGS: dict[str, Callable[[TeamSpec], Any]] = {
    "team.idp_group": lambda t: t.idp_group,
    "team.description": lambda t: t.description,
    "team.profiles": lambda t: [p.name for p in t.profiles],
    "team.extra_packages.python": lambda t: list(t.python_packages),
    "team.extra_packages.r": lambda t: list(t.r_packages),
}

# Org settings outside the stance that a reviewer should see; admin_cidrs is who reaches a public API.
_ADMIN_CIDRS = ControlMeta(Concern.DATA_THEFT_OUTSIDER, "Who may reach a public Kubernetes API endpoint.", Direction.SUPERSET_IS_WEAKER)
ORG_SETTINGS: dict[str, tuple[Callable[[BlueprintSpec], Any], ControlMeta | None, Concern]] = {
    "settings.network.admin_cidrs": (lambda s: list(s.network.admin_cidrs), _ADMIN_CIDRS, Concern.DATA_THEFT_OUTSIDER),
    "settings.network.vpc_cidr": (lambda s: s.network.vpc_cidr, None, Concern.LOST_TIME),
    "settings.network.on_premises_cidrs": (lambda s: list(s.network.on_premises_cidrs), None, Concern.DATA_THEFT_OUTSIDER),
    "settings.idp": (lambda s: s.idp.model_dump(mode="json"), None, Concern.DATA_THEFT_INSIDER),
    "settings.hub_hostname": (lambda s: s.hub_hostname, None, Concern.USER_EXPERIENCE),
    "settings.region": (lambda s: s.region, None, Concern.LOST_TIME),
    "settings.budgets.alert_emails": (lambda s: list(s.budgets.alert_emails), None, Concern.RESOURCE_HIJACKING),
    "settings.budgets.org_monthly_usd": (lambda s: s.budgets.org_monthly_usd, None, Concern.RESOURCE_HIJACKING),
    "settings.packages.internal_prefixes": (lambda s: list(s.packages.internal_prefixes), None, Concern.INCORRECT_WORK),
}


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


def _judged(meta: ControlMeta | None, old: Any, new: Any) -> Change:
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
        for control, read in TEAM_CONTROLS.items():
            change = _control_change(scope, control, read(before), read(team))
            if change is not None:
                changes.append(change)
        for setting, read in TEAM_SETTINGS.items():
            old_value, new_value = _jsonable(read(before)), _jsonable(read(team))
            if old_value != new_value:
                concern = Concern.USER_EXPERIENCE if setting != "team.idp_group" else Concern.DATA_THEFT_INSIDER
                changes.append(ControlChange(scope, setting, old_value, new_value, Change.CHANGED, concern))
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
    for setting, (read, meta, concern) in ORG_SETTINGS.items():
        old_value, new_value = _jsonable(read(old)), _jsonable(read(new))
        if old_value != new_value:
            changes.append(ControlChange(ORG, setting, old_value, new_value, _judged(meta, old_value, new_value), concern))
    return changes


@cache
def _control_order() -> dict[str, int]:
    order = {info.id: i for i, info in enumerate(stance_controls())}
    for i, key in enumerate([*ORG_SETTINGS, *TEAM_SETTINGS]):
        order[key] = len(order) + i
    return order


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
