"""Which resources two offline previews add, change (with the changed inputs as dotted paths) or remove."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the graph module imports no pulumi, but keep this module free of preview imports at run time
    from ..preview.graph import Resource, ResourceGraph

_MISSING = object()


@dataclass(frozen=True)
class InputChange:
    """One changed input: `path` like `vpcConfig.publicAccessCidrs[0]`; `old`/`new` absent as None with `added`/`removed`."""

    path: str
    old: Any
    new: Any
    kind: str  # "changed", "added" or "removed"

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new, "kind": self.kind}


@dataclass(frozen=True)
class ResourceChange:
    """A resource that exists on one side only (added/removed) or whose inputs or options differ (changed)."""

    urn: str  # without stack and project: `urn:<type chain>::<name>`
    type: str
    name: str
    action: str  # "add", "change" or "remove"
    inputs: tuple[InputChange, ...] = ()
    resource: Resource | None = None  # the new resource (or the old one, when removed)
    old_resource: Resource | None = None

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(c.path for c in self.inputs)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"urn": self.urn, "type": self.type, "name": self.name, "action": self.action}
        if self.action == "change":
            data["inputs"] = [c.to_json() for c in self.inputs]
        return data


@dataclass(frozen=True)
class ResourceDiff:
    """Changes sorted by URN within each action; `unchanged` counts resources equal on both sides."""

    added: tuple[ResourceChange, ...]
    changed: tuple[ResourceChange, ...]
    removed: tuple[ResourceChange, ...]
    unchanged: int

    def __iter__(self) -> Iterator[ResourceChange]:
        yield from self.added
        yield from self.changed
        yield from self.removed

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def summary(self) -> dict[str, int]:
        return {"add": len(self.added), "change": len(self.changed), "remove": len(self.removed), "same": self.unchanged}

    def by_type(self) -> list[tuple[str, int, int, int]]:
        """(type, added, changed, removed) per resource type, most changes first."""
        counts: dict[str, Counter[str]] = {}
        for change in self:
            counts.setdefault(change.type, Counter())[change.action] += 1
        rows = [(token, c["add"], c["change"], c["remove"]) for token, c in counts.items()]
        return sorted(rows, key=lambda r: (-(r[1] + r[2] + r[3]), r[0]))

    def to_json(self) -> dict[str, Any]:
        return {
            "added": [c.to_json() for c in self.added],
            "changed": [c.to_json() for c in self.changed],
            "removed": [c.to_json() for c in self.removed],
            "summary": self.summary(),
        }


def join_path(prefix: str, key: str) -> str:
    if key.replace("_", "").replace("-", "").isalnum():
        return f"{prefix}.{key}" if prefix else key
    return f'{prefix}["{key}"]'


def input_changes(old: Any, new: Any, prefix: str = "") -> Iterator[InputChange]:
    """Leaf differences between two plain-data values; keys sorted, list items compared by position."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            path = join_path(prefix, str(key))
            before, after = old.get(key, _MISSING), new.get(key, _MISSING)
            if before is _MISSING:
                yield InputChange(path, None, after, "added")
            elif after is _MISSING:
                yield InputChange(path, before, None, "removed")
            else:
                yield from input_changes(before, after, path)
        return
    if isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            path = f"{prefix}[{index}]"
            if index >= len(old):
                yield InputChange(path, None, new[index], "added")
            elif index >= len(new):
                yield InputChange(path, old[index], None, "removed")
            else:
                yield from input_changes(old[index], new[index], path)
        return
    # True == 1 in Python; a flag turning into a number is still a change.
    if old != new or isinstance(old, bool) != isinstance(new, bool):
        yield InputChange(prefix or "(value)", old, new, "changed")


_OPTIONS = ("protect", "retain_on_delete", "provider", "parent")


def _option_changes(old: Resource, new: Resource) -> Iterator[InputChange]:
    for option in _OPTIONS:
        before, after = getattr(old, option), getattr(new, option)
        if before != after:
            yield InputChange(f"(options).{option}", before, after, "changed")


def _urn_prefix(graph: ResourceGraph) -> str:
    """`urn:pulumi:<stack>::<project>::`, shared by every resource of one program run."""
    for resource in graph:
        parts = resource.urn.split("::")
        if len(parts) >= 4:
            return f"{parts[0]}::{parts[1]}::"
    return "\x00"


_STACK = "pulumi:pulumi:Stack"


def _relative(value: Any, prefix: str) -> Any:
    if isinstance(value, str):
        if not value.startswith(prefix):
            return value
        rest = value[len(prefix) :]
        # The root stack is named `<project>-<stack>`: one per program, so its type identifies it.
        return f"urn:{_STACK}" if rest.startswith(f"{_STACK}::") else f"urn:{rest}"
    if isinstance(value, Mapping):
        return {k: _relative(v, prefix) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_relative(v, prefix) for v in value]
    return value


def _keyed(graph: ResourceGraph, prefix: str) -> dict[str, Resource]:
    """Resources by URN without stack and project (`prefix`), as the graph holds them otherwise."""
    return {_relative(resource.urn, prefix): resource for resource in graph}


def _relativized(resource: Resource, prefix: str, key: str) -> Resource:
    """The resource with references inside made the same way as its key: two project directories have different
    Pulumi project names (and maybe stacks), and the same logical resource must still match."""
    from dataclasses import replace

    return replace(
        resource,
        parent=_relative(resource.parent, prefix),
        provider=_relative(resource.provider, prefix),
        inputs=_relative(resource.inputs, prefix),
        dependencies=tuple(_relative(list(resource.dependencies), prefix)),
        urn=key,
    )


def _same(old: Resource, new: Resource) -> bool:
    """Equal inputs and options, written by the same program run's names. JSON, not `==`: `True == 1` in Python,
    and a flag turning into a number is a change (the inputs are normalised: keys sorted, integral floats ints)."""
    return all(getattr(old, o) == getattr(new, o) for o in _OPTIONS) and json.dumps(old.inputs) == json.dumps(new.inputs)



def diff_graphs(old: ResourceGraph, new: ResourceGraph) -> ResourceDiff:
    """Match resources by URN (ignoring stack and project names) and compare their inputs and options.

    Graphs of the same preview key are the same program run's output (`preview.cache`): nothing differs. Otherwise
    resources both runs named alike and that are equal as they stand are counted unchanged without a walk; only
    the rest are compared leaf by leaf (a one-team edit of 200 teams walks that team's resources, not 60,000)."""
    if old.key is not None and old.key == new.key:
        return ResourceDiff((), (), (), len(new))
    old_prefix, new_prefix = _urn_prefix(old), _urn_prefix(new)
    old_urns, new_urns = _keyed(old, old_prefix), _keyed(new, new_prefix)
    added = tuple(
        ResourceChange(key, r.type, r.name, "add", resource=_relativized(r, new_prefix, key)) for key, r in sorted(new_urns.items()) if key not in old_urns
    )
    removed = tuple(
        ResourceChange(key, r.type, r.name, "remove", resource=_relativized(r, old_prefix, key)) for key, r in sorted(old_urns.items()) if key not in new_urns
    )
    changed, same = [], 0
    for key, raw in sorted(new_urns.items()):
        raw_before = old_urns.get(key)
        if raw_before is None:
            continue
        if old_prefix == new_prefix and _same(raw_before, raw):
            same += 1
            continue
        before, resource = _relativized(raw_before, old_prefix, key), _relativized(raw, new_prefix, key)
        differences = (*input_changes(before.inputs, resource.inputs), *_option_changes(before, resource))
        if differences:
            changed.append(ResourceChange(key, resource.type, resource.name, "change", differences, resource, before))
        else:
            same += 1
    return ResourceDiff(added, tuple(changed), removed, same)
