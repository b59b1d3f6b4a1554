"""What `blueprint explain` says: every control with its direction and the rules and resource types that enforce it,
and for a project each team's effective values after overlays and exceptions.

Nothing here keeps a list: controls come from the model (`stance_controls`), what enforces them from the rule
list (`policy.RULES`: each rule names its controls and the resource types it reads), team values from the
model's own resolution (`load_blueprint`, `overlay.team_floor_values`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..model import BUILTIN_STANCES, BlueprintSpec, Stance, blueprint_path, builtin_stance, compare, load_blueprint, load_file, stance_controls
from ..model import spec as spec_module
from ..model.controls import read_path
from ..model.loading import load_overlays
from ..model.overlay import TEAMS_DIR, team_floor_values
from ..model.spec import ControlException
from ..model.stance import META, TEAM_FIELDS

# Written in a control's `why` when no rule can check it offline, and why (tests/catalog/test_explain.py holds
# every floor control to having a rule or saying this).
NO_OFFLINE_RULE = "No offline rule can check this"


@dataclass(frozen=True)
class Enforcement:
    """The rules that enforce one control, and the resource types they judge (`*`: every type)."""

    rules: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()


@cache
def enforcement() -> Mapping[str, Enforcement]:
    """Control id -> what enforces it, derived from the rule list (`*`: a rule reads every resource type)."""
    from ..policy import EVERY_TYPE, RULES

    rules: dict[str, set[str]] = {}
    resources: dict[str, set[str]] = {}
    for rule in RULES:
        for control in rule.controls:
            rules.setdefault(control, set()).add(rule.id)
            resources.setdefault(control, set()).update(rule.types)
    return {
        control: Enforcement(tuple(sorted(ids)), (EVERY_TYPE,) if EVERY_TYPE in resources[control] else tuple(sorted(resources[control])))
        for control, ids in rules.items()
    }


@dataclass(frozen=True)
class ExplainedControl:
    id: str
    value: Any
    concern: str
    why: str
    floor: bool
    direction: str | None
    ranking: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    # For a project: the enforcing rules its blueprint does not ask for (their `applies` is false), so they check
    # nothing there; None for a bare stance, whose teams and blueprint settings are unknown.
    not_applied: tuple[str, ...] | None = None

    @property
    def weaker(self) -> str:
        """Which way is weaker, in words."""
        if self.direction is None:
            return "unordered (neither weaker nor stronger)"
        if self.ranking:
            return f"strongest first: {', '.join(self.ranking)}"
        return self.direction.replace("-", " ")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "value": self.value, "concern": self.concern, "why": self.why, "floor": self.floor,
            "direction": self.direction, "ranking": list(self.ranking), "rules": list(self.rules), "resources": list(self.resources),
            **({} if self.not_applied is None else {"rules_not_applied": list(self.not_applied)}),
        }  # fmt: skip


@dataclass(frozen=True)
class TeamControl:
    """One team-scoped control as a team gets it: the effective value, the org's, and where the value was set."""

    id: str
    value: Any
    org_value: Any
    source: str  # "stance", "blueprint.yaml" (the team's entry) or "teams/<team>.yaml" (the overlay)
    change: int  # compare(org, value): -1 weaker than the org, +1 stronger, 0 the same
    exception: ControlException | None = None

    @property
    def differs(self) -> bool:
        return self.change != 0

    def as_json(self, on: dt.date) -> dict[str, Any]:
        exception = None
        if self.exception is not None:
            e = self.exception
            exception = {"approver": e.approved_by, "expires": e.expires.isoformat(), "reason": e.reason, "value": e.value, "expired": e.expires < on}
        return {
            "id": self.id, "value": self.value, "org_value": self.org_value, "differs": self.differs,
            "weaker": self.change < 0, "source": self.source, "exception": exception,
        }  # fmt: skip


@dataclass(frozen=True)
class TeamExplanation:
    name: str
    controls: tuple[TeamControl, ...]


@dataclass(frozen=True)
class Explanation:
    """A stance's controls; for a project also its teams (`project` is its blueprint.yaml)."""

    stance: Stance
    controls: tuple[ExplainedControl, ...]
    project: Path | None = None
    teams: tuple[TeamExplanation, ...] = ()
    today: dt.date = field(default_factory=lambda: spec_module.today())  # the model's clock (tests replace it)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stance": self.stance.name,
            "extends": self.stance.extends,
            "summary": self.stance.summary,
            "note": self.stance.note,
            "controls": [c.as_json() for c in self.controls],
        }
        if self.project is not None:
            data["project"] = str(self.project)
            data["teams"] = [{"name": t.name, "controls": [c.as_json(self.today) for c in t.controls]} for t in self.teams]
        return data


def _dig(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


def explain(stance: Stance, floor: frozenset[str] | None = None) -> tuple[ExplainedControl, ...]:
    """Every control of `stance` (its value, concern, why, direction, and what enforces it); `floor` defaults to the stance's."""
    dumped = stance.model_dump(mode="json")
    enforced = enforcement()
    explained = []
    for info in stance_controls():
        found = enforced.get(info.id, Enforcement())
        explained.append(
            ExplainedControl(
                id=info.id,
                value=_dig(dumped, info.id),
                concern=info.meta.concern.value,
                why=info.meta.why,
                floor=info.meta.in_default_floor if floor is None else info.id in floor,
                direction=info.meta.direction.value if info.meta.direction else None,
                ranking=info.meta.ranking,
                rules=found.rules,
                resources=found.resources,
            )
        )
    return tuple(explained)


def _change(control: str, org: Any, value: Any) -> int:
    """compare(org, value) for an ordered control; for an unordered one, 1 when they differ."""
    meta = META[control]
    return compare(meta, org, value) if meta.ordered else int(org != value)


def _team_controls(spec: BlueprintSpec, path: Path) -> tuple[TeamExplanation, ...]:
    """Each team's team-scoped controls as the model resolved them, compared with the stance's value."""
    blueprint = load_file(path)
    written = {t.name: t for t in blueprint.teams}
    overlays = load_overlays(path.parent, blueprint)
    stance = spec.stance.model_dump(mode="json")
    teams = []
    for team in spec.teams:
        # The org's value for this team: the stance's, then the team's entry in blueprint.yaml (the overlay's floor).
        org_for_team = team_floor_values(written[team.name], spec.stance)
        resolved = team.model_dump(mode="json")
        controls = []
        for control, team_field in TEAM_FIELDS.items():
            value, org = _dig(resolved, team_field), _dig(stance, control)
            if team.name in overlays and _change(control, org_for_team[control], value):
                source = f"{TEAMS_DIR}/{team.name}.yaml"
            elif _change(control, read_path(spec.stance, control), org_for_team[control]):
                source = path.name
            else:
                source = "stance"
            exception = next((e for e in spec.exceptions if e.team == team.name and e.control == control), None)
            controls.append(TeamControl(control, value, org, source, _change(control, org, value), exception))
        teams.append(TeamExplanation(team.name, tuple(controls)))
    return tuple(teams)


def explain_argument(argument: str) -> Explanation:
    """A built-in stance name, or a project directory / blueprint.yaml: that project's stance, floor and teams."""
    if argument in BUILTIN_STANCES:
        stance = builtin_stance(argument)
        return Explanation(stance, explain(stance))
    path = blueprint_path(argument)
    if not path.is_file():
        raise SpecError.single(
            source=argument,
            field="",
            message="is neither a built-in stance nor a project directory (no blueprint.yaml there)",
            fix=f"use one of {', '.join(BUILTIN_STANCES)}, or a directory made by `blueprint new`",
        )
    spec = load_blueprint(path)
    controls = explain(spec.stance, spec.floor)
    return Explanation(spec.stance, _with_applicability(controls, spec), project=path, teams=_team_controls(spec, path))


def _with_applicability(controls: tuple[ExplainedControl, ...], spec: BlueprintSpec) -> tuple[ExplainedControl, ...]:
    """Mark the rules this project does not ask for: `blueprint check` skips them as not applicable."""
    from ..policy import BY_ID, context

    ctx = context(spec)
    return tuple(replace(c, not_applied=tuple(r for r in c.rules if not BY_ID[r].applies(ctx))) for c in controls)
