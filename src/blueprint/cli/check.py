"""`blueprint check`: the stance rules and the works rules over the offline preview, each family biggest concern first."""

from __future__ import annotations

import json
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ._app import HERE, ExitCode, NoCache, ProjectDir, Stack, app, err, handles_errors, note_cached, out, progress, use_cache

if TYPE_CHECKING:
    from ..policy import CheckResult

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim"}
DISCLAIMER = "offline check (Pulumi mock engine) — not `pulumi preview --policy-pack policy`, which CI runs"
FAMILY_TITLE = {"stance": "stance rules", "works": "works rules"}


class FamilyChoice(str, Enum):
    stance = "stance"
    works = "works"


@app.command()
@handles_errors
def check(
    directory: ProjectDir = HERE,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print JSON: {stance, violations: [{rule, family, concern, severity, urn, message}], passed, warnings, not_run, "
            "rules: {id: {family, status}}, resources_checked, blueprint_warnings: [{source, field, message, fix}]}.",
        ),
    ] = False,
    against: Annotated[str | None, typer.Option(help="Judge the project by another built-in stance's rules (strict, balanced, open): would it pass?")] = None,
    family: Annotated[
        FamilyChoice | None,
        typer.Option("--family", help="Run one rule family: 'stance' (what the stance forbids) or 'works' (what day 1 needs). Default: both."),
    ] = None,
    no_cache: NoCache = False,
    stack: Stack = None,
) -> None:
    """Check the project's offline preview against its stance rules and works rules; exit 1 when any rule is broken."""
    from ..errors import UsageError, shown
    from ._app import print_warnings
    from ..model import BUILTIN_STANCES, blueprint_path, builtin_stance, load_blueprint
    from ..policy import HELM_NOT_FOUND, evaluate, select
    from ..preview import preview_spec

    if against is not None and against not in BUILTIN_STANCES:
        raise UsageError(option="--against", message=f"{shown(against)} is not a built-in stance", fix=f"use one of: {', '.join(BUILTIN_STANCES)}")
    use_cache(no_cache)
    spec = load_blueprint(directory)
    print_warnings(spec)
    judge = builtin_stance(against) if against else None
    with progress("running the program under Pulumi's mock engine…"):
        graph = preview_spec(spec, blueprint_path(directory).parent, stack=stack)  # the spec loaded once
    note_cached(graph)
    rules = select(family.value if family else None)
    result = evaluate(spec, graph, against=judge, rules=rules)
    if as_json:
        typer.echo(json.dumps({**result.as_json(), "blueprint_warnings": [w.as_json() for w in spec.warnings]}, indent=2, sort_keys=True))
    else:
        print_result(result, total_rules=len(rules), project_stance=spec.stance.name)
    if result.not_run:
        # Rules over the rendered chart need helm: never a silent pass. Asked for explicitly, an incomplete check
        # is a usage problem (exit 2); otherwise a warning, and the verdict covers the rules that ran.
        names = ", ".join(n.rule for n in result.not_run)
        err.print(f"[yellow]warning:[/] {len(result.not_run)} rule(s) {escape(names)}: {escape(HELM_NOT_FOUND)}")
        if family is not None:
            raise typer.Exit(ExitCode.BAD_INPUT)
    if not result.ok:
        raise typer.Exit(ExitCode.CHECK_FAILED)


def _where(urn: str) -> str:
    """`name (type)` from a URN; the URN itself when it is not one."""
    parts = urn.split("::")
    if len(parts) < 4:
        return urn or "(the whole program)"
    return f"{parts[-1]} ({parts[-2].rsplit('$', 1)[-1]})"


def print_result(result: CheckResult, *, total_rules: int, project_stance: str) -> None:
    """Each family on its own (stance rules, then works rules), violations biggest concern first, then one verdict."""
    judged = f"stance {result.stance}" + (f" (project stance {project_stance})" if result.stance != project_stance else "")
    out.print(f"[yellow]{DISCLAIMER}[/]")
    out.print(f"[bold]{escape(judged)}[/]: {result.resources_checked} resources, {total_rules} rules")
    present = [f for f in FAMILY_TITLE if any(family == f for _, family in result.families)]
    for family in present:
        part = result.in_family(family)  # type: ignore[arg-type]
        out.print(f"\n[bold underline]{FAMILY_TITLE[family]}[/]: {len(part.passed)} passed, {len(part.violations)} violation(s)")
        for concern, violations in part.by_concern().items():
            out.print(f"\n[bold]{concern.value}[/] ({len(violations)})")
            for v in violations:
                style = SEVERITY_STYLE[v.severity.value]
                out.print(f"  [{style}]✗ {v.severity.value:<8}[/] {escape(v.rule)}  {escape(_where(v.urn))}")
                out.print(f"      {escape(v.message)}")
        for n in part.not_run:
            out.print(f"  [yellow]?[/] {escape(n.rule)}  {escape(n.reason)}")
    if result.warnings:
        out.print("\n[bold]warnings[/] (not violations yet)")
        for w in result.warnings:
            out.print(f"  [yellow]![/] {escape(w.rule)}  {escape(w.message)}")
    counts = "; ".join(f"{FAMILY_TITLE[f]}: {len(result.in_family(f).passed)} passed" for f in present)  # type: ignore[arg-type]
    concerns = len(result.by_concern())
    verdict = "[green]no violations[/]" if result.ok else f"[red]{len(result.violations)} violation(s) in {concerns} concern(s)[/]"
    not_run = f", {len(result.not_run)} not run" if result.not_run else ""
    out.print(
        f"\n{verdict}; {counts}; {len(result.not_applicable)} not asked for by the stance{not_run}, "
        f"{len(result.warnings)} warning(s)"
    )
