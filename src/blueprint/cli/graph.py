"""`blueprint graph`: draw a project's component/resource tree as Mermaid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import NO_VALUE, app, handles_errors


@app.command()
@handles_errors
def graph(
    directory: Annotated[Path, typer.Argument(help="The project directory.")],
    every_resource: Annotated[bool, typer.Option("--every-resource", help="One node per resource instead of counts by type.", metavar=NO_VALUE)] = False,
) -> None:
    """Print the project's component/resource tree (offline preview) as a Mermaid flowchart."""
    from ..diagram import mermaid
    from ..preview import preview_project

    typer.echo(mermaid(preview_project(directory), every_resource=every_resource), nl=False)
