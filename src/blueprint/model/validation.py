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
    "region": "an AWS region code such as eu-west-1",
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
    holder = _holder(model, loc)
    return list(holder.model_fields) if holder is not None else []


def _looks_like(model: type[BaseModel] | None, loc: Sequence[Any]) -> str | None:
    """What a valid value of the (string) field at `loc` looks like, from its pattern's hint; None when unknown."""
    holder = _holder(model, loc) if model is not None and loc else None
    field = holder.model_fields.get(str(loc[-1])) if holder is not None else None
    if field is None:
        return None
    constraints = [*field.metadata, *(m for a in getattr(field.annotation, "__args__", ()) for m in getattr(a, "__metadata__", ()))]
    return next((PATTERN_HINTS[c.pattern] for c in constraints if getattr(c, "pattern", None) in PATTERN_HINTS), None)


def _holder(model: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model class whose field `loc[-1]` is (through nested models, lists and optionals)."""
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
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


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
        message, fix = described(error, model)
        problems.append(Problem(field=field, message=message, fix=fix))
    return problems


def first_described(exc: ValidationError) -> str:
    """One value's first problem as a sentence (for validators that check a value with another type's rules)."""
    message, fix = described(exc.errors(include_url=False)[0])
    return f"{message} ({fix})" if fix else message


# Bounds pydantic checks, by error type: (context key, how a value breaks it, what to write instead).
_BOUNDS = {
    "greater_than_equal": ("ge", "is less than {}", "use {} or more"),
    "greater_than": ("gt", "is not more than {}", "use more than {}"),
    "less_than_equal": ("le", "is more than {}", "use {} or less"),
    "less_than": ("lt", "is not less than {}", "use less than {}"),
    "string_too_long": ("max_length", "is longer than {} characters", "shorten it to {} characters at most"),
    "string_too_short": ("min_length", "is shorter than {} characters", "write at least {} characters"),
    "too_long": ("max_length", "has more than {} items", "list {} at most"),
    "too_short": ("min_length", "has fewer than {} items", "list at least {}"),
}


def described(error: Any, model: type[BaseModel] | None = None) -> tuple[str, str]:
    """(message, fix) for one pydantic error: the value as YAML, what is wrong with it, and what to write instead."""
    loc, kind, ctx = error["loc"], error["type"], error.get("ctx", {})
    value = shown(error.get("input"))
    message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if isinstance(error.get("input"), str) and len(shown(error["input"], limit=10**6)) > 60:
        message = message.replace(shown(error["input"], limit=10**6), shown(error["input"]))  # validators quote the whole value
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _fields_at(model, loc) if model is not None else []
        close = did_you_mean(key, allowed)
        if key in ("client_secret", "secret", "password", "client_secret_value"):
            fix = "never put secrets in blueprint.yaml; run `pulumi config set --secret idpClientSecret <value>` and keep idp.client_secret_config"
        elif close:
            fix = f"did you mean {close}?"
        else:
            fix = f"allowed keys: {', '.join(allowed)}" if allowed else ""
        return f"unknown key {shown(key)}", fix
    if kind == "literal_error":
        expected = re.sub(r"'([^']*)'", r"\1", str(ctx.get("expected", "")))  # pydantic quotes each as Python does
        return f"{value} is not allowed", f"allowed: {expected}"
    if kind == "string_pattern_mismatch":
        last = next((str(p) for p in reversed(loc) if not isinstance(p, int)), "")
        hint = _FIELD_HINTS.get(last) or PATTERN_HINTS.get(ctx.get("pattern", ""))
        return f"{value} is not valid", f"use {hint}" if hint else "`blueprint schema` shows the format"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return f"{value} is empty", "list at least one"
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        key, broken, instead = _BOUNDS[kind]
        return f"{value} {broken.format(ctx[key])}", instead.format(ctx[key])
    if kind == "missing":
        looks_like = _FIELD_HINTS.get(str(loc[-1])) or _looks_like(model, loc)
        return "is required", f"add it: {looks_like}" if looks_like else "add it; `blueprint schema` shows the format"
    if kind in ("tuple_type", "list_type"):
        return f"{value} must be a list", "write it as [a, b] or one '- item' per line"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{value} must be a mapping", "write `key: value` pairs"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{value} must be a whole number", ""
    if kind in ("float_parsing", "float_type"):
        return f"{value} must be a number", ""
    if kind in ("string_type",):
        return f"{value} must be text", "write one value, quoted if YAML would read it as a number or a list: '16'"
    if kind in ("bool_parsing", "bool_type"):
        return f"{value} must be true or false", ""
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type"):
        return f"{value} is not a date", "write it as YYYY-MM-DD"
    if "input" in error and kind not in ("value_error", "assertion_error") and not isinstance(error["input"], dict):
        return f"{value}: {message}", ""
    return message, ""
