"""`blueprint preview`: what a project would create, offline, as a tree like `pulumi preview`, a summary, or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ..errors import UsageError
from ._app import HERE, NoCache, ProjectDir, Stack, app, err, handles_errors, note_cached, out, progress

if TYPE_CHECKING:
    from ..preview.graph import Resource, ResourceGraph

DISCLAIMER = "offline preview (Pulumi mock engine) — not `pulumi preview`: nothing was contacted, computed values are placeholders"
# A terminal gets the summary above this many resources: one team's project (about 320) still shows its whole
# tree; ten teams or more (about 500) would scroll past a screen many times over. Piped output is the whole tree,
# so logs, files and scripts see every resource whatever the size.
SUMMARY_ABOVE = 500


@app.command()
@handles_errors
def preview(
    directory: ProjectDir = HERE,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the whole graph as JSON: {resources: [{urn, type, name, parent, inputs, ...}], outputs, summary}; outputs are the stack outputs."),
    ] = False,
    tree: Annotated[
        bool | None,
        typer.Option(
            "--tree/--summary",
            help=f"--tree: every resource, as `pulumi preview` draws it; --summary: the components by type with their resources counted by type. "
            f"Default: the tree, or the summary on a terminal when there are more than {SUMMARY_ABOVE} resources.",
            show_default=False,
        ),
    ] = None,
    no_cache: NoCache = False,
    stack: Stack = None,
) -> None:
    """Show every resource the project's program would create, without a cloud account or the Pulumi CLI."""
    from ..preview import preview_project

    if as_json and tree is False:
        raise UsageError(option="--summary", message="cannot be combined with --json, which prints the whole graph", fix="drop --summary or --json")
    with progress("running the program under Pulumi's mock engine…"):
        graph = preview_project(directory, stack=stack, use_cache=False if no_cache else None)
    note_cached(graph)
    if as_json:
        err.print(f"[dim]{DISCLAIMER}[/]")
        typer.echo(json.dumps(graph.to_json(), indent=2))
        return
    out.print(f"[yellow]{DISCLAIMER}[/]")
    summary = not tree if tree is not None else (out.is_terminal and len(graph) > SUMMARY_ABOVE)
    if summary:
        print_summary(graph)
    elif out.color_system is None:
        # Not a terminal (a pipe, a CI log, a file): nothing to style, so the plain lines in one write. Through rich,
        # a line at a time, the 4,000 lines of a 200-team tree cost 1.5 s of CPU, a tenth of the whole preview.
        out.file.write("".join(f"{line}\n" for line in tree_lines(graph, markup=False)))
    else:
        out.print("\n".join(tree_lines(graph)))
    if graph.outputs:
        out.print("\nOutputs:")
        for name, value in graph.outputs.items():
            out.print(f"    {escape(name)}: {escape(json.dumps(value))}")
    out.print(f"\nResources:\n    [green]+ {graph.summary()['create']} to create[/]")
    if summary:
        out.print(f"[dim]a summary of {len(graph)} resources: --tree lists every one, --json prints the whole graph[/]")


def print_summary(graph: ResourceGraph) -> None:
    """The components by type (nested kinds indented under their parent's), each with its resources counted by type."""
    from ..diagram import summarise

    kinds = summarise(graph)
    components = sum(len(kind.names) for kind in kinds if kind.depth > 0)
    types = len({kind.type for kind in kinds if kind.depth > 0})
    for kind in kinds:
        if kind.depth == 0:
            out.print(f"[green]+[/] {escape(kind.type)} [bold]{escape(', '.join(kind.names))}[/]: {components} components of {types} types")
        else:
            names = kind.names[0] if len(kind.names) == 1 else f"{kind.names[0]} … {kind.names[-1]}"
            lead = "│   " * (kind.depth - 1) + "├── "
            out.print(f"[dim]{lead}[/]{len(kind.names)} × {escape(kind.type)} [bold]{escape(names)}[/] [dim]({kind.resource_count} resources)[/]")
        for resource_type, count in kind.resources:
            out.print(f"[dim]{'│   ' * kind.depth}[/]{count:>5}  {escape(resource_type)}")


def tree_lines(graph: ResourceGraph, *, markup: bool = True) -> list[str]:
    """The graph as `pulumi preview` draws it: the stack at the root, children under their parents; rich markup, or
    the plain text it renders to (`markup=False`)."""
    # Drawn by hand rather than with rich's Tree, which crops long type tokens at the
    # console width (80 columns in CI logs); these lines soft-wrap instead.
    lines: list[str] = []

    def walk(resource: Resource, lead: str, indent: str) -> None:
        lines.append(f"[dim]{lead}[/]{_label(resource)}" if markup else f"{lead}{_label(resource, markup=False)}")
        children = graph.children(resource.urn)
        for index, child in enumerate(children):
            last = index == len(children) - 1
            walk(child, indent + ("└── " if last else "├── "), indent + ("    " if last else "│   "))

    for root in graph.roots():
        walk(root, "", "")
    return lines


def _label(resource: Resource, *, markup: bool = True) -> str:
    flags = [flag for flag, on in (("protected", resource.protect), ("retain on delete", resource.retain_on_delete)) if on]
    if not markup:
        return f"+ {resource.type} {resource.name}" + (f" [{', '.join(flags)}]" if flags else "")
    suffix = f" [dim]\\[{', '.join(flags)}][/]" if flags else ""
    return f"[green]+[/] {escape(resource.type)} [bold]{escape(resource.name)}[/]{suffix}"
