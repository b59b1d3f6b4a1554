"""What the pinned pulumi-aws SDK says about each property's shape: a scalar, a map, an object (a Terraform block) or a list.

The SDK is the one place that still knows which Pulumi objects were Terraform blocks (`MaxItems: 1` blocks
become single objects in Pulumi, but stay one-element lists in a Terraform plan) and which were maps such as
`tags`; guessing from the value alone would turn every map into a block. Imports pulumi: call only from commands.
"""

from __future__ import annotations

import collections.abc
import functools
import importlib
import typing
import warnings
from dataclasses import dataclass
from typing import Literal

Kind = Literal["scalar", "map", "object", "list"]


@dataclass(frozen=True)
class Shape:
    """The shape of one property; `item` for lists, `owner` (the SDK class) for objects."""

    kind: Kind
    item: Shape | None = None
    owner: type | None = None


SCALAR = Shape("scalar")


def resource_class(token: str) -> type:
    """The pulumi-aws Python class registered for a resource type token, e.g. `aws:eks/cluster:Cluster`."""
    import pulumi_aws  # noqa: F401  (registers its resource modules)
    from pulumi.runtime.rpc import get_resource_module

    package, module, _ = token.split(":")
    registered = get_resource_module(package, module, "")
    mod_info = getattr(registered, "mod_info", None) if registered is not None else None
    if not mod_info or token not in mod_info.get("classes", {}):
        raise LookupError(f"the installed pulumi-{package} SDK has no resource {token}")
    with warnings.catch_warnings():
        # Importing an SDK module announces every deprecated resource in it; the export uses none of them.
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(importlib.import_module(mod_info["fqn"]), mod_info["classes"][token])


@functools.cache
def resource_fields(token: str) -> dict[str, Shape]:
    """Pulumi property name -> shape for every property of a resource type."""
    from pulumi import _types

    cls = resource_class(token)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return {name: _shape(typ) for name, typ in _types.resource_types(cls).items()}


@functools.cache
def object_fields(owner: type) -> dict[str, Shape]:
    """Pulumi property name -> shape for every property of a nested (output) object type."""
    from pulumi import _types

    return {name: _shape(typ) for name, typ in _types.output_type_types(owner).items()}


def object_token(owner: type) -> str:
    """The Pulumi type token of a nested object class, as the bridge names it: `aws:backup/PlanRule:PlanRule`."""
    package, module = owner.__module__.split(".")[:2]
    return f"{package.removeprefix('pulumi_')}:{module.rstrip('_')}/{owner.__name__}:{owner.__name__}"


def _shape(typ: object) -> Shape:
    from pulumi import _types

    typ = _types.unwrap_type(typ)  # type: ignore[arg-type]
    origin = typing.get_origin(typ)
    if origin in (collections.abc.Mapping, dict, typing.Mapping):  # noqa: UP006 (the SDK annotates with typing.Mapping)
        return Shape("map")
    if origin in (collections.abc.Sequence, list, typing.Sequence):  # noqa: UP006
        (item,) = typing.get_args(typ) or (object,)
        return Shape("list", item=_shape(item))
    if isinstance(typ, type) and _types.is_output_type(typ):
        return Shape("object", owner=typ)
    return SCALAR
