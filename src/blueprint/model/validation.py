"""Turn pydantic's ValidationError into `file: dotted.field: message (fix)` problems."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, did_you_mean, shown
from .types import PATTERN_HINTS

# What a valid value looks like, for the fields where the name says more than the pattern's own hint
# (`types.PATTERN_HINTS`, which every pattern of the model has: a message never shows a regular expression).
_FIELD_HINTS = {
    "name": "lowercase letters, digits and '-', starting with a letter, e.g. genomics; it becomes a Kubernetes namespace and IAM name",
    "org": "2-24 lowercase letters, digits and '-', starting with a letter, e.g. acme; it prefixes AWS resource names",
    "stance": "a built-in stance (strict, balanced, open) or a name under `stances`",
}


def _key(part: Any) -> str:
    """A mapping key as shown in a field path: as written when short and printable, else quoted and cut."""
    text = str(part)
    return text if text.isprintable() and 0 < len(text) <= 60 else shown(text)


def _path(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "constrained-")) or part in ("tagged-union", "list", "tuple"):
            continue
        else:
            text += f".{_key(part)}" if text else _key(part)
    return text


def _fields_at(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The allowed keys of the mapping that holds `loc[-1]`, for 'did you mean' hints."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            annotation = current.model_fields[part].annotation
            args = getattr(annotation, "__args__", ())
            candidates = [annotation, *args, *(getattr(a, "__args__", ()) for a in args)]
            flattened = []
            for candidate in candidates:
                flattened.extend(candidate if isinstance(candidate, tuple) else (candidate,))
            current = next((c for c in flattened if isinstance(c, type) and issubclass(c, BaseModel)), None)
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def problems_from(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> list[Problem]:
    problems: list[Problem] = []
    errors = exc.errors(include_url=False)
    version = [e for e in errors if tuple(e["loc"]) == ("schema_version",)]
    if version and version[0]["type"] == "value_error":
        errors = version  # a file of another schema version: the rest of what is wrong follows from that
    for error in errors:
        loc = error["loc"]
        if error["type"] == "too_short" and any(len(e["loc"]) > len(loc) and e["loc"][: len(loc)] == loc for e in errors):
            continue  # pydantic re-counts a list after its items failed; the item errors say it all
        field = _path(loc)
        if prefix:
            field = f"{prefix}.{field}" if field and not field.startswith("[") else f"{prefix}{field}"
        kind = error["type"]
        message = error["msg"]
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if isinstance(error.get("input"), str) and len(shown(error["input"], limit=10**6)) > 60:
            message = message.replace(shown(error["input"], limit=10**6), shown(error["input"]))  # validators quote the whole value
        fix = ""
        if kind == "extra_forbidden":
            key = str(loc[-1])
            allowed = _fields_at(model, loc)
            close = did_you_mean(key, allowed)
            message = f"unknown key {shown(key)}"
            if key in ("client_secret", "secret", "password", "client_secret_value"):
                fix = "never put secrets in blueprint.yaml; run `pulumi config set --secret idpClientSecret <value>` and keep idp.client_secret_config"
            elif close:
                fix = f"did you mean {close}?"
            elif allowed:
                fix = f"allowed keys: {', '.join(allowed)}"
        elif kind == "literal_error":
            expected = re.sub(r"'([^']*)'", r"\1", str(error.get("ctx", {}).get("expected", "")))  # pydantic quotes each as Python does
            message = f"{shown(error.get('input'))} is not allowed"
            fix = f"allowed: {expected}"
        elif kind == "string_pattern_mismatch":
            message = f"{shown(error.get('input'))} is not valid"
            last = next((str(p) for p in reversed(loc) if not isinstance(p, int)), "")
            hint = _FIELD_HINTS.get(last) or PATTERN_HINTS.get(error.get("ctx", {}).get("pattern", ""))
            fix = f"use {hint}" if hint else "`blueprint schema` shows the format"
        elif kind == "missing":
            message = "is required"
            fix = "add it; `blueprint schema` shows the format"
        elif kind in ("tuple_type", "list_type"):
            message = f"{shown(error.get('input'))} must be a list"
            fix = "write it as [a, b] or one '- item' per line"
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            message = f"{shown(error.get('input'))} must be a mapping"
            fix = "write `key: value` pairs"
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            message = f"{shown(error.get('input'))} must be a whole number"
        elif kind in ("bool_parsing", "bool_type"):
            message = f"{shown(error.get('input'))} must be true or false"
        elif kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
            message = f"{shown(error.get('input'))} is not a date"
            fix = "write it as YYYY-MM-DD"
        elif "input" in error and kind not in ("model_type", "dict_type", "value_error", "assertion_error") and not isinstance(error["input"], dict):
            message = f"{shown(error['input'])}: {message}"
        problems.append(Problem(field=field, message=message, fix=fix))
    return problems
