"""`blueprint preview`: what a project would create, offline, as a tree like `pulumi preview` or as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._app import NO_VALUE, app, err, handles_errors, out

if TYPE_CHECKING:
    from ..preview.graph import Resource, ResourceGraph

CACHED_NOTE = "[dim](cached graph: an identical preview ran before; --no-cache runs the program again)[/]"
DISCLAIMER = "offline preview (Pulumi mock engine) — not `pulumi preview`: nothing was contacted, computed values are placeholders"


@app.command()
@handles_errors
def preview(
    directory: Annotated[Path, typer.Argument(help="Project directory (or its blueprint.yaml).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the resource graph as JSON: {resources: [{urn, type, name, parent, inputs, ...}], summary}.", metavar=NO_VALUE)] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run the program even when an identical preview is cached.", metavar=NO_VALUE)] = False,
) -> None:
    """Show every resource the project's program would create, without a cloud account or the Pulumi CLI."""
    from ..preview import preview_project

    with err.status("running the program under Pulumi's mock engine…"):
        graph = preview_project(directory, use_cache=False if no_cache else None)
    if graph.cached:
        err.print(CACHED_NOTE)
    if as_json:
        err.print(f"[dim]{DISCLAIMER}[/]")
        typer.echo(json.dumps(graph.to_json(), indent=2))
        return
    out.print(f"[yellow]{DISCLAIMER}[/]")
    for line in tree_lines(graph):
        out.print(line)
    out.print(f"\nResources:\n    [green]+ {graph.summary()['create']} to create[/]")


def tree_lines(graph: ResourceGraph) -> list[str]:
    """The graph as `pulumi preview` draws it (rich markup): the stack at the root, children under their parents."""
    # Drawn by hand rather than with rich's Tree, which crops long type tokens at the
    # console width (80 columns in CI logs); these lines soft-wrap instead.
    lines: list[str] = []

    def walk(resource: Resource, lead: str, indent: str) -> None:
        lines.append(f"[dim]{lead}[/]{_label(resource)}")
        children = graph.children(resource.urn)
        for index, child in enumerate(children):
            last = index == len(children) - 1
            walk(child, indent + ("└── " if last else "├── "), indent + ("    " if last else "│   "))

    for root in graph.roots():
        walk(root, "", "")
    return lines


def _label(resource: Resource) -> str:
    from rich.markup import escape

    flags = [flag for flag, on in (("protected", resource.protect), ("retain on delete", resource.retain_on_delete)) if on]
    suffix = f" [dim]\\[{', '.join(flags)}][/]" if flags else ""
    return f"[green]+[/] {escape(resource.type)} [bold]{escape(resource.name)}[/]{suffix}"
