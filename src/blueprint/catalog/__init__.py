"""Read-only facts about stances: listing, explaining every control (and a project's teams), and the JSON Schemas."""

from __future__ import annotations

from pathlib import Path

from ..model import BUILTIN_STANCES, Stance, builtin_stance
from ..model.builtin import stance_path
from .explain import NO_OFFLINE_RULE, Enforcement, ExplainedControl, Explanation, TeamControl, TeamExplanation, enforcement, explain, explain_argument
from .schema import BLUEPRINT_SCHEMA_FILE, OVERLAY_SCHEMA_FILE, blueprint_schema, modeline, overlay_schema, project_schema, schema_text, stance_schema

__all__ = [
    "BLUEPRINT_SCHEMA_FILE",
    "NO_OFFLINE_RULE",
    "OVERLAY_SCHEMA_FILE",
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
    "modeline",
    "overlay_schema",
    "project_schema",
    "schema_text",
    "stance_schema",
]


def list_stances() -> list[Stance]:
    return [builtin_stance(name) for name in BUILTIN_STANCES]


def builtin_stance_file(name: str) -> Path:
    return stance_path(name)
