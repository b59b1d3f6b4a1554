"""What the pinned pulumi-aws SDK says about each property's shape: a scalar, a map, an object (a Terraform block) or a list.

The SDK is the one place that still knows which Pulumi objects were Terraform blocks (`MaxItems: 1` blocks
become single objects in Pulumi, but stay one-element lists in a Terraform plan) and which were maps such as
`tags`; guessing from the value alone would turn every map into a block.

Learning a shape means importing pulumi_aws and the SDK module of every service the graph uses (seconds), so the
table is derived from the SDK once and kept as JSON in the user's cache, next to the preview graphs
(`usercache.cache_dir() / "shapes"`): the key covers the installed pulumi and pulumi-aws versions, FORMAT and
this module's own source (the derivation), so another SDK or another derivation never reads an old table. Tokens
the stored table lacks are derived from the SDK and added. A damaged or foreign entry is not trusted (the table is
derived again); a cache that cannot be written is skipped; `BLUEPRINT_NO_CACHE=1` turns the cache off.
This module imports pulumi only to derive: a hit imports neither pulumi nor pulumi_aws.
"""

from __future__ import annotations

import collections.abc
import contextlib
import functools
import hashlib
import importlib
import json
import typing
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .. import usercache as cache

Kind = Literal["scalar", "map", "object", "list"]

FORMAT = 1
SDKS = ("pulumi", "pulumi-aws")
DIRECTORY = "shapes"
KEPT_ENTRIES = 8  # one per SDK version pair: a few upgrades back is plenty


@dataclass(frozen=True)
class Shape:
    """The shape of one property; `item` for lists, `token` (the nested type token, see `object_token`) for objects."""

    kind: Kind
    item: Shape | None = None
    token: str | None = None


SCALAR = Shape("scalar")
MAP = Shape("map")

Fields = Mapping[str, Shape]


@dataclass(frozen=True)
class ShapeTable:
    """Pulumi property name -> shape, per resource type token and per nested object type token."""

    resources: Mapping[str, Fields]
    objects: Mapping[str, Fields]

    def resource_fields(self, token: str) -> Fields:
        """The properties of a resource type; LookupError when the installed SDK has no such resource."""
        fields = self.resources.get(token)
        if fields is None:
            raise LookupError(_no_resource(token))
        return fields

    def object_fields(self, token: str) -> Fields:
        """The properties of a nested object type (a Terraform block) such as `aws:backup/PlanRule:PlanRule`."""
        return self.objects[token]


def shape_table(tokens: Iterable[str]) -> ShapeTable:
    """The shapes of the resource types `tokens` (and every object nested in them): from the user's cache when an
    earlier run derived them from the installed SDK, else from the SDK, stored for the next run."""
    wanted = set(tokens)
    if not cache.enabled():
        return sdk_table(wanted)
    key = table_key()
    path = cache.cache_dir() / DIRECTORY / f"{key}.json"
    stored = _load(path, key) or ShapeTable({}, {})
    if wanted <= stored.resources.keys():
        return stored
    derived = sdk_table(wanted - stored.resources.keys())
    if not derived.resources:
        return stored  # only tokens the SDK lacks were missing: nothing to add
    table = ShapeTable({**stored.resources, **derived.resources}, {**stored.objects, **derived.objects})
    _store(path, key, table)
    return table


def table_key() -> str:
    """The cache key of the shape table: FORMAT, the installed pulumi and pulumi-aws versions and this module's source."""
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    return cache.content_key({"format": FORMAT, "sdks": {name: cache.installed_version(name) for name in SDKS}, "code": code})


# ---- from the SDK -----------------------------------------------------------------------------------


def sdk_table(tokens: Iterable[str]) -> ShapeTable:
    """The shapes of `tokens` as the installed SDK declares them (imports pulumi_aws); tokens it lacks are left out."""
    resources: dict[str, Fields] = {}
    for token in sorted(set(tokens)):
        with contextlib.suppress(LookupError):
            resources[token] = _sdk_resource_fields(token)
    return ShapeTable(resources, _reachable(resources.values(), _SDK_OBJECTS))


def resource_class(token: str) -> type:
    """The pulumi-aws Python class registered for a resource type token, e.g. `aws:eks/cluster:Cluster`."""
    import pulumi_aws  # noqa: F401  (registers its resource modules)
    from pulumi.runtime.rpc import get_resource_module

    package, module, _ = token.split(":")
    registered = get_resource_module(package, module, "")
    mod_info = getattr(registered, "mod_info", None) if registered is not None else None
    if not mod_info or token not in mod_info.get("classes", {}):
        raise LookupError(_no_resource(token))
    with warnings.catch_warnings():
        # Importing an SDK module announces every deprecated resource in it; the export uses none of them.
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(importlib.import_module(mod_info["fqn"]), mod_info["classes"][token])


def object_token(owner: type) -> str:
    """The Pulumi type token of a nested object class, as the bridge names it: `aws:backup/PlanRule:PlanRule`."""
    package, module = owner.__module__.split(".")[:2]
    return f"{package.removeprefix('pulumi_')}:{module.rstrip('_')}/{owner.__name__}:{owner.__name__}"


def _no_resource(token: str) -> str:
    return f"the installed pulumi-{token.split(':')[0]} SDK has no resource {token}"


# Nested object token -> its fields, and the class each token was derived from (tokens must name one class each).
_SDK_OBJECTS: dict[str, dict[str, Shape]] = {}
_SDK_CLASSES: dict[str, type] = {}


@functools.cache
def _sdk_resource_fields(token: str) -> Fields:
    from pulumi import _types

    cls = resource_class(token)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return {name: _shape(typ) for name, typ in _types.resource_types(cls).items()}


def _shape(typ: object) -> Shape:
    from pulumi import _types

    typ = _types.unwrap_type(typ)  # type: ignore[arg-type]
    origin = typing.get_origin(typ)
    if origin in (collections.abc.Mapping, dict, typing.Mapping):  # noqa: UP006 (the SDK annotates with typing.Mapping)
        return MAP
    if origin in (collections.abc.Sequence, list, typing.Sequence):  # noqa: UP006
        (item,) = typing.get_args(typ) or (object,)
        return Shape("list", item=_shape(item))
    if isinstance(typ, type) and _types.is_output_type(typ):
        token = object_token(typ)
        known = _SDK_CLASSES.setdefault(token, typ)
        if known is not typ:  # the renames table and the cache name objects by token: two classes under one would mix
            raise RuntimeError(f"two SDK classes share the object token {token}: {known!r} and {typ!r}")
        if token not in _SDK_OBJECTS:
            fields = _SDK_OBJECTS[token] = {}  # in place first: an object type may nest itself
            fields.update((name, _shape(t)) for name, t in _types.output_type_types(typ).items())
        return Shape("object", token=token)
    return SCALAR


def _reachable(roots: Iterable[Fields], objects: Mapping[str, Fields]) -> dict[str, Fields]:
    """The object types nested (at any depth) in `roots`, with their fields from `objects`."""
    found: dict[str, Fields] = {}
    pending = [shape for fields in roots for shape in fields.values()]
    while pending:
        shape = pending.pop()
        if shape.item is not None:
            pending.append(shape.item)
        if shape.token is not None and shape.token not in found:
            found[shape.token] = objects[shape.token]
            pending.extend(found[shape.token].values())
    return found


# ---- the cache entry ---------------------------------------------------------------------------------
# A shape as JSON: "scalar", "map", {"object": token}, {"list": item shape}.


def _encode(shape: Shape) -> Any:
    if shape.kind == "object":
        return {"object": shape.token}
    if shape.kind == "list":
        return {"list": _encode(shape.item or SCALAR)}
    return shape.kind


def _decode(data: Any) -> Shape:
    if data == "scalar":
        return SCALAR
    if data == "map":
        return MAP
    if isinstance(data, dict) and len(data) == 1:
        if isinstance(data.get("object"), str):
            return Shape("object", token=data["object"])
        if "list" in data:
            return Shape("list", item=_decode(data["list"]))
    raise ValueError(f"not a shape: {data!r}")


def _decode_fields(data: Any) -> dict[str, Shape]:
    if not isinstance(data, dict):
        raise ValueError("not a property table")
    return {str(name): _decode(shape) for name, shape in data.items()}


def _load(path: Path, key: str) -> ShapeTable | None:
    """The stored table for `key`; None when there is none or it cannot be trusted (damaged, edited, another key)."""
    data = cache.read_entry(path, format=FORMAT, key=key)
    if data is None:
        return None
    try:
        if data.get("digest") != _digest(data["table"]):
            raise ValueError("the table is not the one written")
        resources = {token: _decode_fields(fields) for token, fields in data["table"]["resources"].items()}
        objects = {token: _decode_fields(fields) for token, fields in data["table"]["objects"].items()}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return ShapeTable(resources, objects)


def _digest(body: Any) -> str:
    # A shape edited in place (a map turned scalar) still parses; its digest no longer matches.
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _store(path: Path, key: str, table: ShapeTable) -> None:
    """Write the table atomically (`usercache.write_entry`); a cache that cannot be written is only skipped."""
    body = {
        "resources": {token: {name: _encode(s) for name, s in fields.items()} for token, fields in table.resources.items()},
        "objects": {token: {name: _encode(s) for name, s in fields.items()} for token, fields in table.objects.items()},
    }
    payload = {"sdks": {name: cache.installed_version(name) for name in SDKS}, "digest": _digest(body), "table": body}
    cache.write_entry(path, payload, format=FORMAT, key=key, keep=KEPT_ENTRIES)
