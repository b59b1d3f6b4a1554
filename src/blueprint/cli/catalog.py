"""`blueprint stances`, `explain` and `schema`: what the stances say and why."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from ..errors import UsageError
from ._app import NO_VALUE, app, handles_errors, out

if TYPE_CHECKING:
    from ..catalog import ExplainedControl, Explanation, TeamExplanation

# Lists longer than this are cut in human output (`--json` has every entry).
SHOWN_ITEMS = 8


def _wrapped(text: str | Text, indent: int, style: str = "", hang: int = 0) -> None:
    """Print `text` wrapped to the console's width (a pipe: 80 columns), indented by `indent`, later lines by `hang` more."""
    body = text if isinstance(text, Text) else Text(text, style=style)
    for i, line in enumerate(body.wrap(out, max(out.width - indent - hang, 20))):
        line.rstrip()
        out.print(Text(" " * (indent + (hang if i else 0))) + line, soft_wrap=True)


def _shown(value: Any) -> str:
    if isinstance(value, list) and len(value) > SHOWN_ITEMS:
        head = ", ".join(json.dumps(v) for v in value[:SHOWN_ITEMS])
        return f"[{head}, … and {len(value) - SHOWN_ITEMS} more] (--json lists all)"
    return json.dumps(value)


@app.command()
@handles_errors
def stances(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: {stances: [{name, summary}]}.", metavar=NO_VALUE)] = False,
) -> None:
    """List the built-in stances with one line each (derived from their values)."""
    from ..catalog import list_stances

    found = list_stances()
    if as_json:
        typer.echo(json.dumps({"stances": [{"name": s.name, "summary": s.summary} for s in found]}, indent=2, sort_keys=True))
        return
    for stance in found:
        out.print(Text(stance.name, style="bold"), soft_wrap=False)
        _wrapped(stance.summary, 2)


def _control(control: ExplainedControl) -> None:
    head = Text.assemble((control.id, "bold"), ": ", _shown(control.value))
    _wrapped(head, 2, hang=4)
    facts = "floor · " if control.floor else ""
    _wrapped(f"{facts}{control.weaker}", 4, style="dim")
    _wrapped(control.why, 4)
    if control.rules:
        skipped = set(control.not_applied or ())
        applied = [r for r in control.rules if r not in skipped]
        if applied:
            _wrapped(f"rules: {', '.join(applied)}", 4, style="cyan", hang=2)
        if skipped:
            _wrapped(f"not applied here (this blueprint does not ask for them): {', '.join(sorted(skipped))}", 4, style="yellow", hang=2)
        resources = "every resource type" if control.resources == ("*",) else ", ".join(control.resources)
        _wrapped(f"resources: {resources}", 4, style="cyan", hang=2)
    else:
        _wrapped("rules: none (no rule enforces this control)", 4, style="yellow")


def _team(team: TeamExplanation, today: Any) -> None:
    out.print(Text(team.name, style="bold"), soft_wrap=False)
    for control in team.controls:
        line = Text.assemble("* " if control.differs else "  ", (control.id, "bold" if control.differs else ""), ": ", json.dumps(control.value))
        if control.differs:
            how = "weaker than" if control.change < 0 else "stronger than"
            line.append(f" ({how} the org's {json.dumps(control.org_value)}; set in {control.source})", style="yellow" if control.change < 0 else "")
        _wrapped(line, 2, hang=4)
        if control.exception is not None:
            e = control.exception
            state = "EXPIRED " if e.expires < today else ""
            _wrapped(f"exception: approved by {e.approved_by}, {state}expires {e.expires.isoformat()}: {e.reason}", 6, style="magenta", hang=2)


def _render(explanation: Explanation) -> None:
    from ..model import Concern

    stance = explanation.stance
    title = Text.assemble((stance.name, "bold"), f" (extends {stance.extends})" if stance.extends else "", ": ", stance.summary)
    _wrapped(title, 0)
    if stance.note:
        _wrapped(f"note (written in blueprint.yaml, not checked): {stance.note}", 2, style="dim")
    for concern in Concern:
        group = [c for c in explanation.controls if c.concern == concern.value]
        if group:
            out.print(Text(f"\n{concern.value}", style="bold underline"), soft_wrap=False)
            for control in group:
                _control(control)
    unenforced = [c.id for c in explanation.controls if not c.rules]
    out.print(soft_wrap=False)
    _wrapped(f"{len(unenforced)} of {len(explanation.controls)} controls have no rule: {', '.join(unenforced) or 'none'}", 0, style="yellow")
    idle = [c.id for c in explanation.controls if c.rules and set(c.rules) == set(c.not_applied or ())]
    if idle:
        _wrapped(f"{len(idle)} more have only rules this blueprint does not ask for: {', '.join(idle)}", 0, style="yellow")
    if explanation.project is not None:
        out.print(soft_wrap=False)
        _wrapped(Text(f"teams of {explanation.project}", style="bold underline"), 0)
        _wrapped("Effective values after overlays and exceptions; * marks a value that differs from the org's.", 0, style="dim")
        for team in explanation.teams:
            _team(team, explanation.today)


@app.command()
@handles_errors
def explain(
    stance: Annotated[
        str,
        typer.Argument(
            help="A built-in stance (strict, balanced, open), or a project directory or its blueprint.yaml.", metavar="STANCE_OR_PROJECT"
        ),
    ] = ".",
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help=(
                "Print JSON: {stance, summary, controls: [{id, value, concern, why, floor, direction, ranking, rules, resources}]}; "
                "for a project also rules_not_applied per control, and teams: [{name, controls: [{id, value, org_value, differs, "
                "weaker, source, exception}]}]."
            ),
            metavar=NO_VALUE,
        ),
    ] = False,
) -> None:
    """Show every control, its value, which way is weaker, why it exists and what enforces it; for a project, each team's values."""
    from ..catalog import explain_argument

    explanation = explain_argument(stance)
    if as_json:
        typer.echo(json.dumps(explanation.as_json(), indent=2, sort_keys=True))
        return
    _render(explanation)


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
