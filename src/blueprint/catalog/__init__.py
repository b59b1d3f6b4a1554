"""Read-only facts about stances: listing, explaining every control, and the blueprint JSON Schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..model import BUILTIN_STANCES, Stance, builtin_stance, load_blueprint, stance_controls
from ..model.builtin import stance_path
from .schema import BLUEPRINT_SCHEMA_FILE, OVERLAY_SCHEMA_FILE, blueprint_schema, modeline, overlay_schema, project_schema, schema_text, stance_schema


@dataclass(frozen=True)
class ExplainedControl:
    id: str
    value: Any
    concern: str
    why: str
    floor: bool
    direction: str | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "value": self.value, "concern": self.concern, "why": self.why, "floor": self.floor}


def list_stances() -> list[Stance]:
    return [builtin_stance(name) for name in BUILTIN_STANCES]


def resolve_stance_argument(argument: str) -> Stance:
    """A built-in stance name, or a project directory / blueprint.yaml whose stance is meant."""
    if argument in BUILTIN_STANCES:
        return builtin_stance(argument)
    path = Path(argument)
    if path.exists():
        return load_blueprint(path).stance
    raise SpecError.single(
        source=argument,
        field="",
        message="is neither a built-in stance nor a project directory",
        fix=f"use one of {', '.join(BUILTIN_STANCES)} or a directory made by `blueprint new`",
    )


def explain(stance: Stance, floor_ids: frozenset[str] | None = None) -> list[ExplainedControl]:
    dumped = stance.model_dump(mode="json")
    explained = []
    for info in stance_controls():
        value: Any = dumped
        for part in info.id.split("."):
            value = value[part]
        in_floor = info.meta.in_default_floor if floor_ids is None else info.id in floor_ids
        explained.append(
            ExplainedControl(
                id=info.id,
                value=value,
                concern=info.meta.concern.value,
                why=info.meta.why,
                floor=in_floor,
                direction=info.meta.direction.value if info.meta.direction else None,
            )
        )
    return explained


def builtin_stance_file(name: str) -> Path:
    return stance_path(name)
