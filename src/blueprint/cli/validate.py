"""`blueprint validate`: load and validate a project (blueprint.yaml, team overlays, exceptions, floor) without a preview.

Only the model is imported: no Pulumi SDK, no program run, so it answers in a fraction of a second (an editor's
save hook, a pre-commit hook, the first step of CI).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from ..errors import SpecError
from ._app import HERE, ProjectDir, app, err, handles_errors, out


@app.command()
@handles_errors
def validate(
    directory: ProjectDir = HERE,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print JSON: {valid, blueprint, stance, teams: [{name, overlay}], exceptions: [{team, control, expires}], expiring, floor}; "
            "on bad input {valid: false, source, problems: [{field, message, fix}]} (exit 2, the error on stderr too).",
        ),
    ] = False,
) -> None:
    """Load and validate the project (blueprint.yaml, teams/*.yaml, exceptions, floor) without a preview; exit 2 on bad input."""
    from ..model import blueprint_path, load_blueprint
    from ..model.overlay import expiring, overlay_files
    from ..model.spec import today

    path = blueprint_path(directory)
    try:
        spec = load_blueprint(path)
    except SpecError as exc:
        if as_json:
            problems = [{"field": p.field, "message": p.message, "fix": p.fix} for p in exc.problems]
            typer.echo(json.dumps({"valid": False, "source": exc.source, "problems": problems}, indent=2, sort_keys=True))
        raise
    overlays = {file.stem: str(file) for file in overlay_files(path.parent)}
    _, soon = expiring(spec.exceptions, today())
    for exception in soon:
        err.print(f"[yellow]note:[/] the exception for team {escape(exception.team)} on {escape(exception.control)} expires on {exception.expires} (renew it or plan for the floor value)")
    if as_json:
        payload = {
            "valid": True,
            "blueprint": str(path),
            "stance": spec.stance.name,
            "teams": [{"name": team.name, "overlay": overlays.get(team.name)} for team in spec.teams],
            "exceptions": [{"team": e.team, "control": e.control, "expires": e.expires.isoformat()} for e in spec.exceptions],
            "expiring": [{"team": e.team, "control": e.control, "expires": e.expires.isoformat()} for e in soon],
            "floor": sorted(spec.floor),
        }
        typer.echo(json.dumps(payload, indent=2, sort_keys=True))
        return
    teams = f"{len(spec.teams)} team(s)" + (f" ({len(overlays)} with an overlay)" if overlays else "")
    out.print(
        f"[green]valid[/] {escape(str(path))}: stance {escape(spec.stance.name)}, {teams}, "
        f"{len(spec.exceptions)} exception(s), {len(spec.floor)} floor control(s)"
    )

