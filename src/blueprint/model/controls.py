"""What a control is: the concern it serves, why it exists, and which direction is weaker.

This is the one place that defines "weaker" for every control; floors, diffs,
reviews and the stance-ordering tests all ask it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from .units import parse_quantity


class Concern(str, Enum):
    """IT/admin concerns from DESIGN.md, biggest first (the enum order is the risk order)."""

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


@dataclass(frozen=True)
class ControlMeta:
    """Metadata attached to a stance field with `Annotated[T, control(...)]`."""

    concern: Concern
    why: str
    direction: Direction | None = None
    ranking: tuple[str, ...] = ()
    team_scoped: bool = False

    @property
    def ordered(self) -> bool:
        return self.direction is not None

    @property
    def in_default_floor(self) -> bool:
        return self.ordered and self.concern in FLOOR_CONCERNS


def control(
    concern: Concern,
    why: str,
    *,
    direction: Direction | None = None,
    ranking: Sequence[str] = (),
    team_scoped: bool = False,
) -> ControlMeta:
    if ranking and direction is None:
        direction = Direction.RANKED
    return ControlMeta(concern, why, direction, tuple(ranking), team_scoped)


@dataclass(frozen=True)
class ControlInfo:
    """A control's dotted id (the name used in overlays, errors and diffs) and its metadata."""

    id: str
    meta: ControlMeta


def _meta_of(field_info: Any) -> ControlMeta | None:
    return next((m for m in field_info.metadata if isinstance(m, ControlMeta)), None)


def walk_controls(model: type[BaseModel], prefix: str = "") -> Iterator[ControlInfo]:
    """Yield every control of a model class in declaration order."""
    for name, field_info in model.model_fields.items():
        path = f"{prefix}{name}"
        meta = _meta_of(field_info)
        if meta is not None:
            yield ControlInfo(path, meta)
            continue
        annotation = field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from walk_controls(annotation, f"{path}.")


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


def compare(meta: ControlMeta, old: Any, new: Any) -> int:
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


def is_weaker(meta: ControlMeta, floor: Any, value: Any) -> bool:
    return compare(meta, floor, value) < 0
