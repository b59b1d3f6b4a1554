"""The resources a program registers, as plain data: what policy checks, exports, diffs and reviews read (no pulumi)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

SECRET = "[secret]"
UNKNOWN = "[unknown]"


@dataclass(frozen=True)
class Resource:
    """One registered resource: its identity, parent, inputs as the engine received them, and options."""

    urn: str
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any] = field(hash=False)
    custom: bool = True
    protect: bool = False
    retain_on_delete: bool = False
    provider: str | None = None
    dependencies: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "inputs": self.inputs,
            "custom": self.custom,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "provider": self.provider,
            "dependencies": list(self.dependencies),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, normalised: bool = False) -> Resource:
        """`normalised`: the inputs were written by `to_json` of a Resource (the preview caches), so are plain already."""
        inputs = data.get("inputs") or {}
        return cls(
            urn=data["urn"],
            type=data["type"],
            name=data["name"],
            parent=data.get("parent"),
            inputs=inputs if normalised else normalise(inputs),
            custom=data.get("custom", True),
            protect=data.get("protect", False),
            retain_on_delete=data.get("retainOnDelete", False),
            provider=data.get("provider"),
            dependencies=tuple(data.get("dependencies") or ()),
        )


@dataclass(frozen=True)
class ResourceGraph:
    """Every resource of one program run, sorted by URN so equal programs give equal graphs."""

    resources: tuple[Resource, ...]
    outputs: dict[str, Any] = field(default_factory=dict, hash=False)
    """The stack outputs (`pulumi.export`), plain data as the engine received them; computed values are placeholders."""
    cached: bool = field(default=False, compare=False)
    """True when the graph came from the preview cache (`preview.cache`) rather than a run."""
    key: str | None = field(default=None, compare=False)
    """The preview cache key of the inputs the graph was previewed from (`preview.cache.graph_key`): equal keys, equal
    graphs, so what is computed from the graph alone may be cached under it (`policy.memo`). None when not keyed."""
    reran_teams: frozenset[str] | None = field(default=None, compare=False)
    """The teams the program ran for when the other teams' resources came from earlier previews (`preview.incremental`);
    None after a run of the whole program, or from the cache."""
    _by_urn: dict[str, Resource] = field(init=False, repr=False, compare=False, hash=False)
    _children: dict[str | None, tuple[Resource, ...]] = field(init=False, repr=False, compare=False, hash=False)
    _by_type: dict[str, tuple[Resource, ...]] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.resources, key=lambda r: r.urn))
        by_urn = {r.urn: r for r in ordered}
        if len(by_urn) != len(ordered):
            repeated = sorted(urn for urn, count in Counter(r.urn for r in ordered).items() if count > 1)
            raise ValueError(f"duplicate resource URNs: {repeated}")
        children: dict[str | None, list[Resource]] = {}
        by_type: dict[str, list[Resource]] = {}
        for resource in ordered:
            children.setdefault(resource.parent, []).append(resource)
            by_type.setdefault(resource.type, []).append(resource)
        object.__setattr__(self, "resources", ordered)
        object.__setattr__(self, "outputs", normalise(self.outputs))
        object.__setattr__(self, "_by_urn", by_urn)
        object.__setattr__(self, "_children", {parent: tuple(kids) for parent, kids in children.items()})
        # Rules ask for one type at a time, thousands of times a check: an index, not a scan (200 teams: 60k resources).
        object.__setattr__(self, "_by_type", {token: tuple(found) for token, found in by_type.items()})

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def __contains__(self, urn: object) -> bool:
        return urn in self._by_urn

    def __getitem__(self, urn: str) -> Resource:
        return self._by_urn[urn]

    def get(self, urn: str) -> Resource | None:
        return self._by_urn.get(urn)

    def of_type(self, token: str) -> tuple[Resource, ...]:
        """Resources whose type token is exactly `token`, e.g. `aws:eks/cluster:Cluster`."""
        return self._by_type.get(token, ())

    def children(self, urn: str) -> tuple[Resource, ...]:
        """Direct children of the resource `urn`."""
        return self._children.get(urn, ())

    def roots(self) -> tuple[Resource, ...]:
        """Resources without a parent: the stack, when the graph comes from a program run."""
        return self._children.get(None, ())

    def summary(self) -> dict[str, int]:
        # Everything in an offline preview is new: there is no prior state to diff against.
        return {"create": len(self.resources)}

    def to_json(self) -> dict[str, Any]:
        return {"resources": [r.to_json() for r in self.resources], "outputs": self.outputs, "summary": self.summary()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, normalised: bool = False) -> ResourceGraph:
        resources = tuple(Resource.from_json(r, normalised=normalised) for r in data["resources"])
        return cls(resources, outputs=normalise(data.get("outputs") or {}))


def dig(data: Any, *path: str | int, default: Any = None) -> Any:
    """`data[path[0]][path[1]]...`, or `default` when any step is missing or not a container.

    The one walk into resource inputs and values documents; policy rules and exports both use it.
    """
    for key in path:
        if isinstance(key, int):
            if not isinstance(data, list) or not -len(data) <= key < len(data):
                return default
        elif not isinstance(data, Mapping) or key not in data:
            return default
        data = data[key]
    return data


def normalise(value: Any) -> Any:
    """Plain JSON data with sorted keys, and integral floats (how Pulumi transports numbers) as ints."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {key: normalise(value[key]) for key in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [normalise(item) for item in value]
    return value
