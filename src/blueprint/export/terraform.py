"""Terraform plan JSON of a preview graph's AWS resources, complete enough for checkov to scan every one of them.

The plan says what a first `terraform apply` would show: every resource is created; values that come from other
resources are not known yet, so they are left out of `values`, marked in `after_unknown` and named in
`configuration` as references (`aws_s3_bucket.data.id`). Scanners build their resource graph from those
references (a bucket "has" a public access block when the block refers to it), so they matter as much as values.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import INFINITY as _INFINITY
from json.encoder import encode_basestring_ascii as _encode_string
from typing import Any

from ..preview.graph import SECRET, UNKNOWN, Resource, ResourceGraph
from .errors import ExportError
from .shapes import Shape, ShapeTable, shape_table
from .tokens import RENAMES_FILE, property_renames, terraform_types_of

FORMAT = "terraform-plan"
FORMAT_VERSION = "1.2"
# The Terraform release whose plan format this imitates; pulumi-aws 7 bridges the Terraform AWS provider 6.
TERRAFORM_VERSION = "1.9.8"
PROVIDER_NAME = "registry.terraform.io/hashicorp/aws"
PROVIDER_KEY = "aws"

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_NOT_IDENTIFIER_CHAR = re.compile(r"[^A-Za-z0-9_-]")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Computed outputs another resource may take as an input; everything else a mock returns (status, region,
# echoed inputs) would match unrelated strings.
_REFERENCE_OUTPUT = re.compile(r"^(id|arn|name|.*(Id|Arn|Name))$")

OutputsOf = Callable[[Resource], Mapping[str, Any]]
"""What a resource handed the program after creation (`id` included): the offline preview records inputs only,
so whoever ran the preview supplies these (`blueprint.cli.export.preview_outputs` asks the preview's mocks)."""


@dataclass(frozen=True)
class TerraformPlan:
    """A plan document and, per resource address, the URN it came from."""

    document: dict[str, Any]
    urns: Mapping[str, str] = field(default_factory=dict)

    @property
    def resource_count(self) -> int:
        return len(self.urns)

    def to_json(self) -> str:
        """The document as `json.dumps(document, indent=2, sort_keys=True)` writes it, and a newline."""
        return dumps_indented(self.document) + "\n"


def dumps_indented(document: Any) -> str:
    """Exactly `json.dumps(document, indent=2, sort_keys=True)`, three times faster on a plan.

    With `indent`, the json module leaves its C encoder for the pure-Python one (CPython's `JSONEncoder.iterencode`
    takes `c_make_encoder` only when `indent is None`), which takes most of an export served from the cache. This walks
    the plain data a plan is made of (dicts with string keys, lists, strings, numbers, booleans, None) with the
    json module's own C string escaper and number spellings; anything else (a tuple, an int subclass, a cycle)
    goes back to `json.dumps`, so the text is the same either way.
    """
    parts: list[str] = []
    try:
        _encode_into(parts.append, document, "\n")
    except (_NotPlain, RecursionError):
        return json.dumps(document, indent=2, sort_keys=True)
    return "".join(parts)


class _NotPlain(Exception):
    pass


def _encode_into(add: Callable[[str], object], value: Any, indent: str) -> None:
    kind = type(value)
    if kind is str:
        add(_encode_string(value))
    elif kind is dict:
        if not value:
            add("{}")
            return
        inner = indent + "  "
        opening = "{" + inner
        separator = "," + inner
        for key in sorted(value):  # sorts only the keys; json.dumps sorts (key, value) pairs, the same order for unique keys
            if type(key) is not str:
                raise _NotPlain
            add(opening)
            opening = separator
            add(_encode_string(key))
            add(": ")
            _encode_into(add, value[key], inner)
        add(indent + "}")
    elif kind is list:
        if not value:
            add("[]")
            return
        inner = indent + "  "
        opening = "[" + inner
        separator = "," + inner
        for item in value:
            add(opening)
            opening = separator
            _encode_into(add, item, inner)
        add(indent + "]")
    elif value is None:
        add("null")
    elif value is True:
        add("true")
    elif value is False:
        add("false")
    elif kind is int:
        add(int.__repr__(value))
    elif kind is float:
        add(_encode_float(value))
    else:
        raise _NotPlain


def _encode_float(value: float) -> str:
    # As json.encoder's floatstr with allow_nan=True.
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def aws_resources(graph: ResourceGraph) -> tuple[Resource, ...]:
    """The AWS resources a plan holds: custom resources of the `aws` package (not providers, not components)."""
    return tuple(r for r in graph if r.custom and r.type.startswith("aws:"))


@functools.cache  # a few hundred property names, each converted thousands of times in a large plan
def snake_case(name: str) -> str:
    """A Pulumi property name in Terraform's spelling: `vpcConfig` -> `vpc_config`, `ipv6CidrBlock` -> `ipv6_cidr_block`."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def terraform_name(name: str) -> str:
    """A valid Terraform identifier for a Pulumi logical name (letters, digits, `_`, `-`; not starting with a digit or `-`)."""
    cleaned = _NOT_IDENTIFIER_CHAR.sub("_", name)
    return cleaned if _IDENTIFIER.match(cleaned) else f"_{cleaned}"


def addresses(resources: Iterable[Resource], types: Mapping[str, str]) -> dict[str, str]:
    """URN -> `<terraform type>.<name>`, unique: names that collide once sanitised get a short hash of their URN."""
    by_address: dict[str, list[Resource]] = {}
    for resource in resources:
        by_address.setdefault(f"{types[resource.type]}.{terraform_name(resource.name)}", []).append(resource)
    result: dict[str, str] = {}
    for address, group in by_address.items():
        if len(group) == 1:
            result[group[0].urn] = address
            continue
        for resource in group:
            result[resource.urn] = f"{address}_{hashlib.sha256(resource.urn.encode()).hexdigest()[:8]}"
    return result


def terraform_plan(graph: ResourceGraph, *, region: str, outputs: OutputsOf | None = None) -> TerraformPlan:
    """The plan of every AWS resource in `graph`; ExportError naming every type or property it cannot map.

    With `outputs`, inputs that came from another resource's computed output (an id, an ARN) become references,
    as in a first `terraform plan`; without, every input stays a plain value and scanners see no connections.
    """
    resources = aws_resources(graph)
    types = terraform_types_of(r.type for r in resources)
    address_of = addresses(resources, types)
    identifiers = _identifier_index(resources, address_of, outputs) if outputs else {}
    shapes = shape_table(types.keys())
    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    configured: list[dict[str, Any]] = []
    problems: list[str] = []
    for resource in sorted(resources, key=lambda r: address_of[r.urn]):
        address = address_of[resource.urn]
        tf_type, name = address.split(".", 1)
        converter = _Converter(resource, identifiers, shapes)
        values, unknown, expressions = converter.convert()
        problems.extend(converter.problems)
        if "tags" in values and "tags_all" not in values:
            values["tags_all"] = dict(values["tags"])  # what the provider computes without default_tags
        common = {"address": address, "mode": "managed", "type": tf_type, "name": name, "provider_name": PROVIDER_NAME}
        planned.append({**common, "schema_version": 0, "values": values, "sensitive_values": {}})
        changes.append(
            {
                **common,
                "change": {
                    "actions": ["create"],
                    "before": None,
                    "after": values,
                    "after_unknown": unknown,
                    "before_sensitive": False,
                    "after_sensitive": {},
                },
            }
        )
        configured.append(
            {
                "address": address,
                "mode": "managed",
                "type": tf_type,
                "name": name,
                "provider_config_key": PROVIDER_KEY,
                "expressions": expressions,
                "schema_version": 0,
            }
        )
    if problems:
        raise ExportError(
            export_format=FORMAT,
            problems=problems,
            fix=f"a renamed list: record its Terraform name in src/blueprint/export/data/{RENAMES_FILE} (see data/SOURCES.md)",
        )
    document = {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {
            "provider_config": {
                PROVIDER_KEY: {"name": PROVIDER_KEY, "full_name": PROVIDER_NAME, "expressions": {"region": {"constant_value": region}}}
            },
            "root_module": {"resources": configured},
        },
        "applyable": True,
        "complete": True,
        "errored": False,
    }
    return TerraformPlan(document, {address_of[r.urn]: r.urn for r in resources})


# ---- references ---------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    address: str
    attribute: str

    def expression(self) -> list[str]:
        return [f"{self.address}.{self.attribute}", self.address]


def _identifier_index(resources: Sequence[Resource], address_of: Mapping[str, str], outputs: OutputsOf) -> dict[str, dict[str, _Reference]]:
    """URN -> {output value -> reference}: the computed outputs (id, ARN, generated names) each resource hands others.

    Only outputs that are not also inputs count (an input echoed back is known at plan time), and only those
    named like identifiers: everything else a provider returns (status, region) would match unrelated strings.
    """
    index: dict[str, dict[str, _Reference]] = {}
    for resource in resources:
        computed = {k: v for k, v in outputs(resource).items() if k == "id" or k not in resource.inputs}
        index[resource.urn] = {
            value: _Reference(address_of[resource.urn], snake_case(key))
            for key, value in sorted(computed.items(), key=lambda kv: kv[0] != "id")  # `id` wins when outputs share a value
            if isinstance(value, str) and value and _REFERENCE_OUTPUT.match(key) and value not in (SECRET, UNKNOWN)
        }
    return index


# ---- values -------------------------------------------------------------------


class _Converter:
    """Pulumi inputs of one resource -> Terraform `values`, `after_unknown` and `expressions` (references)."""

    def __init__(self, resource: Resource, identifiers: Mapping[str, Mapping[str, _Reference]], shapes: ShapeTable) -> None:
        self.resource = resource
        self.problems: list[str] = []
        self.renames = property_renames()
        # Only the resources it depends on can have handed it a value.
        self.references: dict[str, _Reference] = {}
        for urn in resource.dependencies:
            for value, reference in identifiers.get(urn, {}).items():
                self.references.setdefault(value, reference)
        self.shapes = shapes
        try:
            self.fields = shapes.resource_fields(resource.type)
        except LookupError as exc:
            self.fields = {}
            self.problems.append(f"{resource.urn}: {exc}")

    def convert(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        return self._object(self.resource.inputs, self.fields, self.resource.type, self.resource.type)

    def _object(self, inputs: Mapping[str, Any], fields: Mapping[str, Shape], owner: str, path: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        values: dict[str, Any] = {}
        unknown: dict[str, Any] = {}
        expressions: dict[str, Any] = {}
        renames = self.renames.get(owner, {})
        for key in sorted(inputs):
            if key.startswith("__"):
                continue  # engine bookkeeping such as __defaults, not a resource property
            shape: Shape | None = fields.get(key)
            where = f"{path}.{key}"
            if shape is None:
                self.problems.append(f"{self.resource.urn}: property {where} is unknown to the installed pulumi-aws SDK")
                continue
            name = renames.get(key) or snake_case(key)
            if key not in renames and _maybe_pluralised(key, shape):
                self.problems.append(f"{self.resource.urn}: {where} is a list; is its Terraform name {name!r} or {_singular(name)!r}?")
            value, value_unknown, value_expression = self._value(inputs[key], shape, where)
            if value is not _ABSENT:
                values[name] = value
            if value_unknown:
                unknown[name] = value_unknown
            if value_expression:
                expressions[name] = value_expression
        return values, unknown, expressions

    def _value(self, value: Any, shape: Shape, path: str) -> tuple[Any, Any, Any]:
        """(value or _ABSENT, after_unknown entry, configuration expression) of one property."""
        if value is None:
            return _ABSENT, None, None
        if isinstance(value, str) and value in (UNKNOWN, SECRET):
            return _ABSENT, True, None
        if shape.kind == "map":
            if not isinstance(value, Mapping):
                return self._scalar(value)
            return {k: v for k, v in value.items() if v not in (UNKNOWN, SECRET)}, None, None
        if shape.kind == "object":
            if not isinstance(value, Mapping):
                self.problems.append(f"{self.resource.urn}: {path} should be an object, got {type(value).__name__}")
                return _ABSENT, None, None
            assert shape.token is not None
            inner = self._object(value, self.shapes.object_fields(shape.token), shape.token, path)
            return [inner[0]], [inner[1]] if inner[1] else None, [inner[2]] if inner[2] else None
        if shape.kind == "list":
            if not isinstance(value, list):
                value = [value]
            item = shape.item
            if item is not None and item.kind == "object":
                converted = [self._value(v, item, f"{path}[{i}]") for i, v in enumerate(value)]
                # Each element converts to a one-element list (an object is a block); a list of blocks is flat.
                # A wholly unknown element is `true` in after_unknown, as Terraform writes it.
                values = [c[0][0] for c in converted if c[0] is not _ABSENT]
                unknown = [c[1][0] if isinstance(c[1], list) else (c[1] or {}) for c in converted]
                expressions = [c[2][0] if isinstance(c[2], list) else {} for c in converted]
                return values, unknown if any(unknown) else None, expressions if any(expressions) else None
            references = [r for r in (self._reference(v) for v in value) if r is not None]
            if references or any(v in (UNKNOWN, SECRET) for v in value if isinstance(v, str)):
                expression = {"references": [ref for r in references for ref in r.expression()]} if references else None
                return _ABSENT, True, expression
            return list(value), None, None
        return self._scalar(value)

    def _scalar(self, value: Any) -> tuple[Any, Any, Any]:
        reference = self._reference(value)
        if reference is not None:
            return _ABSENT, True, {"references": reference.expression()}
        return value, None, None

    def _reference(self, value: Any) -> _Reference | None:
        """The output `value` came from: equal to it, or an ARN extended by a path or wildcard, as Terraform's
        `"${aws_cloudwatch_log_group.x.arn}:*"` (a string built around an ARN is unknown until the ARN is)."""
        if not isinstance(value, str):
            return None
        if value in self.references:
            return self.references[value]
        for output, reference in self.references.items():
            if output.startswith("arn:") and value.startswith(output) and value[len(output)] in ":/":
                return reference
        return None


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def _maybe_pluralised(key: str, shape: Shape) -> bool:
    """True for a list the bridge may have renamed: blocks are singular in Terraform (`rule`) and plural in Pulumi
    (`rules`); primitive lists are plural in both (`subnet_ids`) except Terraform's `*_list` (Pulumi `*Lists`)."""
    if shape.kind != "list" or shape.item is None:
        return False
    name = snake_case(key)
    if shape.item.kind == "object":
        return _singular(name) != name
    return name.endswith("_lists")


def _singular(name: str) -> str:
    """English singular of a snake_case plural, as the bridge's inflector would have produced the plural."""
    for plural, singular in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if name.endswith(plural):
            return name[: -len(plural)] + singular
    if name.endswith("s") and not name.endswith(("ss", "us", "is")):
        return name[:-1]
    return name
