"""`blueprint stances`, `explain` and `schema`: what the stances say and why."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import UsageError
from ._app import NO_VALUE, app, handles_errors, out


@app.command()
@handles_errors
def stances() -> None:
    """List the built-in stances with one line each."""
    from ..catalog import list_stances

    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("stance")
    table.add_column("summary")
    for stance in list_stances():
        table.add_row(stance.name, stance.summary)
    out.print(table)


@app.command()
@handles_errors
def explain(
    stance: Annotated[str, typer.Argument(help="A built-in stance (strict, balanced, open) or a project directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: {stance, controls: [{id, value, concern, why, floor}]}.", metavar=NO_VALUE)] = False,
) -> None:
    """Show every control of a stance, its value, the concern it serves and why."""
    from ..catalog import explain as explain_stance
    from ..catalog import resolve_stance_argument

    resolved = resolve_stance_argument(stance)
    controls = explain_stance(resolved)
    if as_json:
        payload = {"stance": resolved.name, "controls": [c.as_json() for c in controls]}
        typer.echo(json.dumps(payload, indent=2, sort_keys=True))
        return
    out.print(f"[bold]{resolved.name}[/]: {resolved.summary}")
    table = Table(show_header=True, header_style="bold", expand=False)
    for column in ("control", "value", "concern", "floor", "why"):
        table.add_column(column, overflow="fold")
    for control in controls:
        table.add_row(control.id, json.dumps(control.value), control.concern, "yes" if control.floor else "", control.why)
    out.print(table)


class SchemaKind(str, Enum):
    blueprint = "blueprint"
    overlay = "overlay"
    stance = "stance"


@app.command()
@handles_errors
def schema(
    project: Annotated[
        Path | None,
        typer.Argument(
            help="A project directory (or its blueprint.yaml): the schema then knows the stances it declares. "
            "Without it, any stance name is accepted. Only for --kind blueprint.",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        SchemaKind, typer.Option("--kind", help="blueprint: blueprint.yaml; overlay: a team's teams/<team>.yaml; stance: a stance file (blueprints/*.yaml).")
    ] = SchemaKind.blueprint,
) -> None:
    """Print the JSON Schema of blueprint.yaml, a team overlay or a stance file (editors use it to complete and validate)."""
    from ..catalog import blueprint_schema, overlay_schema, project_schema, schema_text, stance_schema

    if kind is SchemaKind.blueprint:
        document = blueprint_schema() if project is None else project_schema(project)
    elif project is not None:
        raise UsageError(option="PROJECT", message=f"is only read for --kind blueprint; the {kind.value} schema is the same for every project", fix="drop the project argument")
    else:
        document = overlay_schema() if kind is SchemaKind.overlay else stance_schema()
    typer.echo(schema_text(document), nl=False)
