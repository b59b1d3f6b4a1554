"""What a control is: the concern it serves, why it exists, which direction is weaker, and where else it lives.

This is the one place that defines "weaker" for every control; floors, diffs,
reviews and the stance-ordering tests all ask it. Every other fact about a
control (the team field that tunes it, whether it is capacity, whether it opens
the workbench to the internet) is declared here too, on the field, and every
table elsewhere is derived from the model (`model.stance`, `model.spec`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from .units import parse_quantity


class Concern(str, Enum):
    """IT/admin concerns of the design brief's stance model (docs/architecture.md), biggest first (the enum order is the risk order)."""

    DATA_THEFT_OUTSIDER = "data-theft-outsider"
    DATA_THEFT_INSIDER = "data-theft-insider"
    RESOURCE_HIJACKING = "resource-hijacking"
    DATA_LOSS = "data-loss"
    LOST_TIME = "lost-time"
    INCORRECT_WORK = "incorrect-work"
    USER_EXPERIENCE = "user-experience"

    @property
    def rank(self) -> int:
        return list(Concern).index(self)


# Concerns whose controls an org protects with its floor by default.
FLOOR_CONCERNS = frozenset(
    {
        Concern.DATA_THEFT_OUTSIDER,
        Concern.DATA_THEFT_INSIDER,
        Concern.RESOURCE_HIJACKING,
        Concern.DATA_LOSS,
        Concern.INCORRECT_WORK,
    }
)


class Direction(str, Enum):
    """How two values of one control compare."""

    LOWER_IS_WEAKER = "lower-is-weaker"  # retention days, booleans that enable a control
    HIGHER_IS_WEAKER = "higher-is-weaker"  # quotas, timeouts, session lengths
    RANKED = "ranked"  # enums: `ranking` lists values strongest first
    SUPERSET_IS_WEAKER = "superset-is-weaker"  # allowlists: adding an entry widens access
    SUBSET_IS_WEAKER = "subset-is-weaker"  # log types: dropping one loses evidence


class Exposure(str, Enum):
    """What kind of door a control or setting is, for the reviewer's sections (`blueprint review`)."""

    PUBLIC = "public"  # opens the workbench towards the internet: endpoints, ingress, egress
    ACCESS = "access"  # decides who gets in or who can read data: identity, IAM, encryption


@dataclass(frozen=True)
class FieldMeta:
    """What stance controls and spec settings share: the concern, the why, and how two values compare."""

    concern: Concern
    why: str
    direction: Direction | None = None
    ranking: tuple[str, ...] = ()
    exposure: Exposure | None = None

    @property
    def ordered(self) -> bool:
        return self.direction is not None

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        # Pydantic asks each `Annotated` metadata for its JSON Schema: the why describes the field (editors show it
        # on hover), unless the field says more with `Field(description=...)`. `catalog.schema` adds the rest.
        schema = handler(core_schema)
        if self.why:
            schema.setdefault("description", self.why)
        return schema


@dataclass(frozen=True)
class ControlMeta(FieldMeta):
    """Metadata attached to a stance field with `Annotated[T, control(...)]`.

    `team_field` is the dotted path of the resolved value in `TeamSpec` when a team may tune the control
    (team-scoped); the same path in a team overlay / `teams[]` entry, when the overlay has it, sets it.
    `quota` marks capacity (what a team or the cluster may use): reviews list its increases apart.
    """

    team_field: str | None = None
    quota: bool = False

    @property
    def team_scoped(self) -> bool:
        return self.team_field is not None

    @property
    def in_default_floor(self) -> bool:
        return self.ordered and self.concern in FLOOR_CONCERNS


@dataclass(frozen=True)
class SettingMeta(FieldMeta):
    """Metadata on a blueprint field that is not a stance control but that a reviewer must see change.

    `written_as` is the field's path as a user writes it, when the resolved model names it differently;
    `shown` turns the value into what a review compares (e.g. profiles by name).
    """

    written_as: str | None = None
    shown: Callable[[Any], Any] | None = None


def control(
    concern: Concern,
    why: str,
    *,
    direction: Direction | None = None,
    ranking: Sequence[str] = (),
    team_field: str | None = None,
    quota: bool = False,
    exposure: Exposure | None = None,
) -> ControlMeta:
    if ranking and direction is None:
        direction = Direction.RANKED
    return ControlMeta(concern, why, direction, tuple(ranking), exposure, team_field, quota)


def setting(
    concern: Concern,
    why: str = "",
    *,
    direction: Direction | None = None,
    exposure: Exposure | None = None,
    written_as: str | None = None,
    shown: Callable[[Any], Any] | None = None,
) -> SettingMeta:
    return SettingMeta(concern, why, direction, (), exposure, written_as, shown)


@dataclass(frozen=True)
class ControlInfo:
    """A control's dotted id (the name used in overlays, errors and diffs) and its metadata."""

    id: str
    meta: ControlMeta


@dataclass(frozen=True)
class SettingInfo:
    """A setting's id (`settings.<path>` for the org, `team.<path>` for a team), its path in the model, and its metadata."""

    id: str
    path: str
    meta: SettingMeta


def _meta_of(field_info: Any, kind: type[FieldMeta]) -> Any:
    return next((m for m in field_info.metadata if isinstance(m, kind)), None)


def _walk(model: type[BaseModel], kind: type[FieldMeta], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, field_info in model.model_fields.items():
        path = f"{prefix}{name}"
        meta = _meta_of(field_info, kind)
        if meta is not None:
            yield path, meta
            continue
        annotation = field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _walk(annotation, kind, f"{path}.")


def walk_controls(model: type[BaseModel], prefix: str = "") -> Iterator[ControlInfo]:
    """Yield every control of a model class in declaration order."""
    for path, meta in _walk(model, ControlMeta, prefix):
        yield ControlInfo(path, meta)


def walk_settings(model: type[BaseModel], scope: str) -> Iterator[SettingInfo]:
    """Yield every setting of a model class in declaration order, its id under `scope`."""
    for path, meta in _walk(model, SettingMeta):
        yield SettingInfo(f"{scope}.{meta.written_as or path}", path, meta)


def read_path(holder: Any, dotted: str) -> Any:
    """The value at a dotted attribute path (`quota.cpu`) of a model instance."""
    for part in dotted.split("."):
        holder = getattr(holder, part)
    return holder


def has_path(model: type[BaseModel], dotted: str) -> bool:
    """Whether a model class declares the dotted field path (through nested models, optional or not)."""
    current: Any = model
    for part in dotted.split("."):
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return False
        annotation = current.model_fields[part].annotation
        current = next((a for a in (annotation, *getattr(annotation, "__args__", ())) if isinstance(a, type) and issubclass(a, BaseModel)), annotation)
    return True


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        try:
            return parse_quantity(value)
        except ValueError:
            return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return value


def _covers(patterns: Sequence[str], item: str) -> bool:
    from fnmatch import fnmatchcase

    return any(p == item or fnmatchcase(item, p) for p in patterns)


def compare(meta: FieldMeta, old: Any, new: Any) -> int:
    """-1 if `new` is weaker than `old`, +1 if stronger, 0 if equal or not ordered.

    Lists that both add and drop entries count as weaker: one widened door is
    enough for a reviewer to look.
    """
    if old == new or meta.direction is None:
        return 0
    direction = meta.direction
    if direction is Direction.RANKED:
        old_rank, new_rank = meta.ranking.index(old), meta.ranking.index(new)
        return 0 if old_rank == new_rank else (-1 if new_rank > old_rank else 1)
    if direction in (Direction.SUPERSET_IS_WEAKER, Direction.SUBSET_IS_WEAKER):
        old_items, new_items = list(old or []), list(new or [])
        if direction is Direction.SUPERSET_IS_WEAKER:
            widened = any(not _covers(old_items, item) for item in new_items)
            narrowed = any(not _covers(new_items, item) for item in old_items)
        else:
            widened = any(item not in new_items for item in old_items)
            narrowed = any(item not in old_items for item in new_items)
        return -1 if widened else (1 if narrowed else 0)
    old_value, new_value = _scalar(old), _scalar(new)
    if old_value == new_value:
        return 0
    lower = new_value < old_value
    if direction is Direction.LOWER_IS_WEAKER:
        return -1 if lower else 1
    return 1 if lower else -1


def is_weaker(meta: FieldMeta, floor: Any, value: Any) -> bool:
    return compare(meta, floor, value) < 0
