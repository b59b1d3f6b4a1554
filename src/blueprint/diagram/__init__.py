"""A project's component/resource tree as a Mermaid flowchart (`blueprint graph`)."""

from __future__ import annotations

import re
from collections import Counter

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
