"""A project's component/resource tree: as a Mermaid flowchart or JSON (`blueprint graph`), or summarised by type (`blueprint preview`)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ..preview.graph import Resource, ResourceGraph

STACK_TYPE = "pulumi:pulumi:Stack"


def _label(text: str) -> str:
    # Mermaid labels are quoted; quotes and brackets inside would end them early.
    return re.sub(r'["\[\]{}<>|`]', "_", text)


def _short_type(token: str) -> str:
    """`aws:ec2/subnet:Subnet` -> `aws:ec2:Subnet`, `workbench:network:PrivateNetwork` unchanged."""
    package, _, rest = token.partition(":")
    module, _, kind = rest.rpartition(":")
    return f"{package}:{module.split('/')[0]}:{kind}" if module else token


def mermaid(graph: ResourceGraph, *, every_resource: bool = False) -> str:
    """Components as nodes; their plain resources listed individually or counted by type."""
    ids: dict[str, str] = {}

    def node_id(resource: Resource) -> str:
        return ids.setdefault(resource.urn, f"n{len(ids)}")

    lines = ["flowchart LR"]

    def visit(resource: Resource) -> None:
        ident = node_id(resource)
        if resource.type == STACK_TYPE:
            lines.append(f'    {ident}(["stack {_label(resource.name)}"])')
        else:
            lines.append(f'    {ident}["{_label(resource.name)}<br/><small>{_label(resource.type)}</small>"]')
        children = graph.children(resource.urn)
        components = [c for c in children if not c.custom]
        plain = [c for c in children if c.custom]
        for child in components:
            visit(child)
            lines.append(f"    {ident} --> {node_id(child)}")
        if every_resource:
            for child in plain:
                child_id = node_id(child)
                lines.append(f'    {child_id}["{_label(child.name)}<br/><small>{_label(_short_type(child.type))}</small>"]')
                lines.append(f"    {ident} --> {child_id}")
        elif plain:
            counts = Counter(_short_type(c.type) for c in plain)
            summary_id = f"{ident}r"
            body = "<br/>".join(f"{count} × {_label(kind)}" for kind, count in sorted(counts.items()))
            lines.append(f'    {summary_id}["{body}"]')
            lines.append(f"    {ident} -.-> {summary_id}")

    for root in graph.roots():
        visit(root)
    return "\n".join(lines) + "\n"


def _natural(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting `team-t2` before `team-t10`."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part)


def component_tree(graph: ResourceGraph, *, every_resource: bool = False) -> list[dict[str, Any]]:
    """The tree `mermaid` draws, as JSON: each component with its nested components, and its plain resources
    counted by type (`{type: count}`) or, with `every_resource`, listed (`[{urn, type, name}]`)."""

    def node(resource: Resource) -> dict[str, Any]:
        children = graph.children(resource.urn)
        plain = [c for c in children if c.custom]
        resources: Any = (
            [{"urn": c.urn, "type": c.type, "name": c.name} for c in plain] if every_resource else dict(sorted(Counter(c.type for c in plain).items()))
        )
        return {
            "urn": resource.urn,
            "type": resource.type,
            "name": resource.name,
            "components": [node(c) for c in children if not c.custom],
            "resources": resources,
        }

    return [node(root) for root in graph.roots()]


@dataclass(frozen=True)
class ComponentKind:
    """The components of one type under the same kind of parent: how many, their names, and the resources
    directly under them (not under their nested components) counted by type."""

    type: str
    depth: int
    names: tuple[str, ...]
    resources: tuple[tuple[str, int], ...]

    @property
    def resource_count(self) -> int:
        return sum(count for _, count in self.resources)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "depth": self.depth, "names": list(self.names), "resources": dict(self.resources)}


def summarise(graph: ResourceGraph) -> tuple[ComponentKind, ...]:
    """The graph by component type, depth first (a parent kind before the kinds nested in it), types sorted.

    Fifty team spaces are one kind with fifty names, so the summary's length follows the program's shape,
    not the number of teams. Plain resources directly under a root (the stack) form that root's kind.
    """
    kinds: list[ComponentKind] = []

    def visit(members: list[Resource], depth: int) -> None:
        plain: Counter[str] = Counter()
        nested: dict[str, list[Resource]] = {}
        for member in members:
            for child in graph.children(member.urn):
                if child.custom:
                    plain[child.type] += 1
                else:
                    nested.setdefault(child.type, []).append(child)
        kinds.append(ComponentKind(members[0].type, depth, tuple(sorted((m.name for m in members), key=_natural)), tuple(sorted(plain.items()))))
        for kind in sorted(nested):
            visit(nested[kind], depth + 1)

    roots: dict[str, list[Resource]] = {}
    for root in graph.roots():
        roots.setdefault(root.type, []).append(root)
    for kind in sorted(roots):
        visit(roots[kind], 0)
    return tuple(kinds)
