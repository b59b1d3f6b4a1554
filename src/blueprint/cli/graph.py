"""`blueprint graph`: draw a project's component/resource tree as Mermaid, or give it as JSON."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ._app import HERE, NoCache, ProjectDir, app, handles_errors, note_cached, progress, use_cache


@app.command()
@handles_errors
def graph(
    directory: ProjectDir = HERE,
    every_resource: Annotated[bool, typer.Option("--every-resource", help="One node per resource instead of counts by type.")] = False,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the tree as JSON: {components: [{urn, type, name, components: [...], resources: {type: count}}]} "
            "(with --every-resource, resources: [{urn, type, name}]).",
        ),
    ] = False,
    no_cache: NoCache = False,
) -> None:
    """Print the project's component/resource tree (offline preview) as a Mermaid flowchart."""
    from ..diagram import component_tree, mermaid
    from ..preview import preview_project

    use_cache(no_cache)
    with progress("running the program under Pulumi's mock engine…"):
        graph = preview_project(directory)
    note_cached(graph)
    if as_json:
        typer.echo(json.dumps({"components": component_tree(graph, every_resource=every_resource)}, indent=2, sort_keys=True))
        return
    typer.echo(mermaid(graph, every_resource=every_resource), nl=False)
