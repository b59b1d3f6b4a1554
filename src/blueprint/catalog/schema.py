"""The JSON Schemas of blueprint.yaml, teams/<team>.yaml and a stance file, for editors: derived from the model.

Pydantic writes the shape, the types, the patterns and the field descriptions (`Field(description=...)`, and a
control's or setting's `why` through `model.controls`). What pydantic cannot know is added here, each from the
model's own tables: the stance names a project declares, the partial stance under `stances.*.overrides`, the
control ids (`exceptions[].control`, `floor.add`, an overlay's `controls:`) with each control's value type, the
facts about a control (its id, concern, which way is weaker, whether it is on the floor), and the descriptions of
the team fields that tune a control.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..model import BUILTIN_STANCES, BlueprintFile, blueprint_path
from ..model.controls import ControlInfo, Direction
from ..model.overlay import TEAM_FIELD_CONTROLS, TEAM_SCOPED_CONTROLS, TeamOverlay
from ..model.stance import Stance, StanceControls, stance_controls
from ..model.yamlio import read_yaml

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BLUEPRINT_SCHEMA_FILE = "blueprint.schema.json"
OVERLAY_SCHEMA_FILE = "overlay.schema.json"
_REF = "#/$defs/"
_OVERRIDES = "StanceOverrides"


def modeline(schema: str) -> str:
    """The comment that tells yaml-language-server (VS Code's YAML extension, and others) which schema a file has."""
    return f"yaml-language-server: $schema={schema}"


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as the file a project carries: stable, sorted JSON."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def blueprint_schema(declared: Iterable[str] | None = None) -> dict[str, Any]:
    """The schema of blueprint.yaml.

    `declared`: the stances a project declares under `stances:`; `stance` and `extends` are then exactly the
    built-in and those names (what the model accepts for that file). None, for no project in particular: the
    built-ins are offered and any stance name is accepted, since a file may declare its own.
    """
    schema = _document(BlueprintFile, "workbench-blueprint blueprint.yaml")
    defs = schema["$defs"]
    controls = _controls_schema(StanceControls)
    _merge_defs(defs, controls.pop("$defs"))
    defs[_OVERRIDES] = _partial(controls, defs, "Partial stance controls: only what differs from the stance this one extends.")
    custom = defs["CustomStance"]["properties"]
    custom["overrides"] = {**custom["overrides"], "$ref": _REF + _OVERRIDES}
    for key in ("additionalProperties", "type"):
        custom["overrides"].pop(key, None)

    names = None if declared is None else (*BUILTIN_STANCES, *(n for n in dict.fromkeys(declared) if n not in BUILTIN_STANCES))
    schema["properties"]["stance"] = _stance_name(schema["properties"]["stance"], names)
    custom["extends"] = _stance_name(custom["extends"], names)

    ordered = [c for c in stance_controls() if c.meta.ordered]
    exception = defs["ControlException"]
    exception["properties"]["control"]["enum"] = [c.id for c in ordered]
    exception["allOf"] = [
        {
            "if": {"properties": {"control": {"const": c.id}}, "required": ["control"]},
            "then": {"properties": {"value": _leaf(controls, defs, c.id)}},
        }
        for c in ordered
    ]
    defs["FloorSpec"]["properties"]["add"]["items"] = {"enum": [c.id for c in ordered]}
    _describe_team_fields(defs["TeamEntry"], defs)
    return _pruned(schema)


def overlay_schema() -> dict[str, Any]:
    """The schema of a team's overlay, teams/<team>.yaml (written by `blueprint fork`)."""
    schema = _document(TeamOverlay, "workbench-blueprint team overlay (teams/<team>.yaml)")
    controls = _controls_schema(StanceControls)
    _merge_defs(schema["$defs"], controls.pop("$defs"))
    schema["properties"]["controls"] = {
        "description": schema["properties"]["controls"]["description"],
        "type": "object",
        "properties": {control_id: _leaf(controls, schema["$defs"], control_id) for control_id in TEAM_SCOPED_CONTROLS},
        "additionalProperties": False,
    }
    _describe_team_fields(schema, schema["$defs"])  # the overlay is a team's fields
    return _pruned(schema)


def stance_schema() -> dict[str, Any]:
    """The schema of a stance file (blueprints/<name>.yaml): every control, each described."""
    return _pruned(_document(Stance, "workbench-blueprint stance", _controls_schema(Stance)))


def project_schema(project: str | Path) -> dict[str, Any]:
    """The schema of one project's blueprint.yaml: its declared stances are known.

    Read from the YAML without validating it, so a file in the middle of an edit still gets its schema.
    """
    data = read_yaml(blueprint_path(project))
    stances = data.get("stances") if isinstance(data, dict) else None
    return blueprint_schema(declared=[name for name in stances if isinstance(name, str)] if isinstance(stances, dict) else ())


# ---- from pydantic's schema to the one editors get ---------------------------------------------------------


@cache
def _generated(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _pydantic(model: type[BaseModel]) -> dict[str, Any]:
    """Pydantic's schema of a model, generated once per process (`new` writes two schemas from the same models)."""
    return copy.deepcopy(_generated(model))


def _document(model: type[BaseModel], title: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = _pydantic(model) if schema is None else schema
    schema["$schema"] = DIALECT
    schema["title"] = title
    schema.setdefault("$defs", {})
    for node in _nodes(schema):
        # Pydantic writes a dict's key pattern as patternProperties, which does not forbid other keys; the model does.
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
    return schema


def _merge_defs(defs: dict[str, Any], more: dict[str, Any]) -> None:
    for name, definition in more.items():
        if name in defs and defs[name] != definition:
            raise RuntimeError(f"two models are both called {name!r}; the blueprint schema needs distinct names")
        defs[name] = definition


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _deref(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return defs[ref.removeprefix(_REF)] if ref else node


def _property(root: dict[str, Any], defs: dict[str, Any], dotted: str) -> dict[str, Any]:
    """The schema of the property at a dotted path, through nested models (and `X | None`)."""
    *parents, leaf = dotted.split(".")
    node = root
    for part in parents:
        child = node["properties"][part]
        options = [_deref(o, defs) for o in child.get("anyOf", [child])]
        node = next(o for o in options if "properties" in o)
    return node["properties"][leaf]


def _controls_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The schema of a stance model, each control described by its why and what the model knows of it."""
    schema = _pydantic(model)
    for info in stance_controls():
        node = _property(schema, schema["$defs"], info.id)
        node["description"] = f"{info.meta.why} {_facts(info, boolean=node.get('type') == 'boolean')}."
    return schema


def _facts(info: ControlInfo, *, boolean: bool) -> str:
    meta = info.meta
    facts = [f"Control {info.id}", f"concern {meta.concern.value}"]
    if meta.direction is Direction.RANKED:
        facts.append("strongest first: " + ", ".join(meta.ranking))
    elif boolean and meta.direction in (Direction.LOWER_IS_WEAKER, Direction.HIGHER_IS_WEAKER):
        facts.append("false is weaker" if meta.direction is Direction.LOWER_IS_WEAKER else "true is weaker")
    elif meta.direction is not None:
        facts.append(meta.direction.value.replace("-", " "))
    if meta.in_default_floor:
        facts.append("on the org floor by default")
    if meta.team_scoped:
        facts.append("a team may tune it")
    return "; ".join(facts)


def _leaf(controls: dict[str, Any], defs: dict[str, Any], control_id: str) -> dict[str, Any]:
    node = copy.deepcopy(_property(controls, defs, control_id))
    node.pop("default", None)  # the default of a stance field, not of this value
    return node


def _partial(model_schema: dict[str, Any], defs: dict[str, Any], description: str) -> dict[str, Any]:
    """A stance model with nothing required, nested models partial too; list items stay whole, since a list replaces."""
    partial = copy.deepcopy(model_schema)
    partial.pop("required", None)
    partial.pop("$defs", None)
    partial["title"] = f"{partial.get('title', 'Stance')} overrides"
    partial["description"] = description
    for node in partial["properties"].values():
        node.pop("default", None)  # an unset key keeps the parent stance's value, not the model's default
        ref = node.get("$ref")
        if ref:
            name = ref.removeprefix(_REF)
            overrides = f"{name}Overrides"
            if overrides not in defs:
                defs[overrides] = {}  # taken before recursing
                defs[overrides] = _partial(defs[name], defs, f"Partial {name}: only the values to change.")
            node["$ref"] = _REF + overrides
    return partial


def _stance_name(node: dict[str, Any], names: tuple[str, ...] | None) -> dict[str, Any]:
    # No per-value descriptions (the built-ins' summaries): reading the other stance files would cost `blueprint new`
    # a fifth of a second; `blueprint stances` lists them.
    described = {k: v for k, v in node.items() if k in ("description", "title", "default")}
    if names is None:
        name_pattern = {k: v for k, v in node.items() if k in ("type", "pattern")}
        return {
            **described,
            "anyOf": [{"enum": list(BUILTIN_STANCES)}, {**name_pattern, "description": "A stance declared under `stances:` in this file."}],
        }
    refresh = "`blueprint schema . > blueprint.schema.json` brings a stance declared since then into this list."
    return {**described, "description": f"{described.get('description', '')} {refresh}".strip(), "enum": list(names)}


def _describe_team_fields(team: dict[str, Any], defs: dict[str, Any]) -> None:
    """A team field (of a `teams:` entry or an overlay) that tunes a stance control is described by the control."""
    by_id = {c.id: c for c in stance_controls()}
    for field, control_id in TEAM_FIELD_CONTROLS.items():
        info = by_id[control_id]
        floor = "; weakening it past the org's value needs an `exceptions:` entry" if info.meta.in_default_floor else ""
        node = _property(team, defs, field)
        node.setdefault("description", f"{info.meta.why} Unset: the org's value for the team (its `teams:` entry, else the stance's {control_id}){floor}.")


def _pruned(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with only the definitions it refers to."""
    defs = schema["$defs"]
    used: set[str] = set()
    pending = [schema[k] for k in schema if k != "$defs"]
    while pending:
        for node in _nodes(pending.pop()):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF) and ref.removeprefix(_REF) not in used:
                used.add(ref.removeprefix(_REF))
                pending.append(defs[ref.removeprefix(_REF)])
    schema["$defs"] = {name: defs[name] for name in sorted(used)}
    if not schema["$defs"]:
        del schema["$defs"]
    return schema
