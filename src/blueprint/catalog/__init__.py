"""Read-only facts about stances: listing, explaining every control (and a project's teams), and the blueprint JSON Schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..model import BUILTIN_STANCES, BlueprintFile, Stance, builtin_stance
from ..model.builtin import stance_path
from .explain import NO_OFFLINE_RULE, Enforcement, ExplainedControl, Explanation, TeamControl, TeamExplanation, enforcement, explain, explain_argument

__all__ = [
    "NO_OFFLINE_RULE",
    "Enforcement",
    "ExplainedControl",
    "Explanation",
    "TeamControl",
    "TeamExplanation",
    "blueprint_schema",
    "builtin_stance_file",
    "enforcement",
    "explain",
    "explain_argument",
    "list_stances",
]


def list_stances() -> list[Stance]:
    return [builtin_stance(name) for name in BUILTIN_STANCES]


def blueprint_schema() -> dict[str, Any]:
    schema = BlueprintFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "workbench-blueprint blueprint.yaml"
    return schema


def builtin_stance_file(name: str) -> Path:
    return stance_path(name)
