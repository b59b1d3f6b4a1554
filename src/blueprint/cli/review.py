"""`blueprint diff`, `review` and `upgrade`: what a change to a blueprint does, before anyone applies it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ._app import HERE, ExitCode, NoCache, ProjectDir, app, err, handles_errors, out, progress, use_cache

if TYPE_CHECKING:
    from ..review.diff import ProjectDiff

_STYLE = {"weaker": "bold red", "stronger": "green", "changed": "yellow"}
_ACTION = {"add": ("+", "green"), "change": ("~", "yellow"), "remove": ("-", "red")}


def _value(value: object) -> str:
    return escape(json.dumps(value, sort_keys=True, default=str))


NOT_PREVIEWED = "not previewed (--no-preview)"


def print_diff(diff: ProjectDiff, *, limit: int | None = None, not_previewed: str = NOT_PREVIEWED) -> None:
    """Human view of a ProjectDiff on stdout: controls riskiest first, then teams, exceptions and resources
    (`not_previewed` says why there are none when the diff has no resources)."""
    old, new = diff.old.stance.name, diff.new.stance.name
    out.print(f"[bold]stance[/] {escape(old)}" + (f" → {escape(new)}" if old != new else " (unchanged)") + f" · teams {len(diff.old.teams)} → {len(diff.new.teams)}")
    if diff.controls:
        # One line per change rather than a table: ids stay whole (greppable) at any terminal width.
        out.print(f"[bold]controls[/] ({len(diff.weakened)} weaker, riskiest first):")
        for change in diff.controls[:limit]:
            style = _STYLE[change.change.value]
            out.print(
                f"  [{style}]{change.change.value:<8}[/] {change.concern.value:<20} {escape(change.scope):<16} "
                f"{escape(change.control)}: {_value(change.old)} → {_value(change.new)}"
            )
        if limit is not None and len(diff.controls) > limit:
            out.print(f"  …and {len(diff.controls) - limit} more (--json lists all)")
    else:
        out.print("controls: no changes")
    for label, names in (("teams added", diff.teams.added), ("teams removed", diff.teams.removed)):
        if names:
            out.print(f"{label}: {escape(', '.join(names))}")
    exceptions = diff.exceptions
    for label, items in (("exceptions added", exceptions.added), ("exceptions removed", exceptions.removed), ("exceptions expiring", exceptions.expiring), ("exceptions expired", exceptions.expired)):
        for item in items:
            out.print(f"{label}: {escape(item.team)} {escape(item.control)}={_value(item.value)} until {item.expires} ({escape(item.reason)})")
    resources = diff.resources
    if resources is None:
        out.print(f"resources: {escape(not_previewed)}")
        return
    summary = resources.summary()
    out.print(f"[bold]resources[/] (offline preview, not `pulumi preview`): +{summary['add']} ~{summary['change']} -{summary['remove']}, {summary['same']} unchanged")
    shown = 0
    for change in resources:
        if limit is not None and shown >= limit:
            break
        shown += 1
        sign, style = _ACTION[change.action]
        out.print(f"  [{style}]{sign}[/] {escape(change.type)} {escape(change.name)}")
        for item in change.inputs:
            out.print(f"      {escape(item.path)}: {_value(item.old)} → {_value(item.new)}")
    total = len(resources.added) + len(resources.changed) + len(resources.removed)
    if limit is not None and total > limit:
        out.print(f"  …and {total - limit} more (--json lists all)")
    for finding in diff.findings:
        out.print(f"[bold red]risk[/] {finding.kind}: {escape(finding.change.name)} {escape(finding.path)} — {escape(finding.why)}")


@app.command()
@handles_errors
def diff(
    old: Annotated[Path, typer.Argument(help="The old project directory (or its blueprint.yaml).", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The new project directory (or its blueprint.yaml). Default: the current directory.", show_default=False)] = HERE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: {controls, teams, exceptions, resources, risks}, keys sorted.")] = False,
    preview: Annotated[bool, typer.Option("--preview/--no-preview", help="Also compare the resources of both offline previews.")] = True,
    no_cache: NoCache = False,
) -> None:
    """Show which controls got weaker or stronger and which resources change between two projects."""
    from ..review.diff import diff_projects

    use_cache(no_cache)
    with progress("running two offline previews under Pulumi's mock engine…" if preview else "comparing the blueprints…"):
        result = diff_projects(old, new, preview=preview)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2, sort_keys=True))
        return
    print_diff(result)


@app.command()
@handles_errors
def review(
    base: Annotated[str, typer.Option(help="Git ref to compare with, e.g. origin/main or HEAD~1.")],
    directory: ProjectDir = HERE,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the markdown (or, with --json, the JSON) here instead of stdout.")] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON instead of markdown: {base, blocked, diff, check}; blocked is null unless the head does not load."),
    ] = False,
    preview: Annotated[bool, typer.Option("--preview/--no-preview", help="Include resource changes and the check from the offline preview.")] = True,
    no_cache: NoCache = False,
) -> None:
    """Print a pull-request comment (GitHub markdown) reviewing the project against a git ref.

    When the head does not load (a floor breach, an expired exception, bad YAML) the comment is still written:
    a "blocked" section naming each file, field and fix, then the files the change touches; exit status 1.
    """
    from ..errors import SpecError
    from ..review.blocked import FileChange, render_blocked
    from ..review.check import run_check, unavailable
    from ..review.diff import diff_projects
    from ..review.git import changed_files, project_at_ref, work_tree
    from ..review.markdown import render_review

    use_cache(no_cache)
    blocked: SpecError | None = None
    with project_at_ref(directory, base) as base_dir:
        err.print(f"comparing {escape(str(directory))} with {escape(base)}" + (" (two offline previews)" if preview else ""))
        try:
            with progress("running two offline previews under Pulumi's mock engine…" if preview else "comparing the blueprints…"):
                result = diff_projects(base_dir, directory, preview=preview)
        except SpecError as exc:
            if not exc.source.startswith(str(base_dir)):
                blocked = exc  # the head does not load: review what can be reviewed
                located = work_tree(directory)
                if located and Path(exc.source).resolve().is_relative_to(located[0].resolve()):
                    relative = Path(exc.source).resolve().relative_to(located[0].resolve())
                    blocked = SpecError(source=str(relative), problems=exc.problems)
            else:
                # Name the file as it is in git, not by the temporary copy it was read from.
                located = work_tree(directory)
                prefix = located[1] if located else ""
                raise SpecError(source=f"{base}:{prefix}{exc.source[len(str(base_dir)) :].lstrip('/')}", problems=exc.problems) from None
    if blocked is not None:
        # The head did not load: `result` is unbound, and only what needs no loading is reviewed.
        changes = tuple(FileChange(status, path) for status, path in changed_files(directory, base))
        if as_json:
            problems = [{"field": p.field, "message": p.message, "fix": p.fix} for p in blocked.problems]
            changed = [{"status": c.status, "path": c.path} for c in changes]
            text = _json({"base": base, "blocked": {"source": blocked.source, "problems": problems, "changes": changed}, "diff": None, "check": None})
        else:
            text = render_blocked(blocked, base_label=base, changes=changes)
    else:
        check = run_check(result.new, result.new_graph) if preview else unavailable("offline preview skipped (--no-preview)")
        if as_json:
            text = _json({"base": base, "blocked": None, "diff": result.to_json(), "check": check.to_json()})
        else:
            text = render_review(result, check, base_label=base)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {escape(str(output))} ({len(text)} characters)")
    if blocked is not None:
        err.print(f"[bold red]blocked:[/] the head does not load\n{escape(str(blocked))}")
        raise typer.Exit(ExitCode.CHECK_FAILED)


def _json(payload: object) -> str:
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


@app.command()
@handles_errors
def upgrade(
    directory: ProjectDir = HERE,
    force: Annotated[bool, typer.Option("--force", help="Upgrade even when the directory has uncommitted git changes.")] = False,
    allow_conflicts: Annotated[bool, typer.Option("--allow-conflicts", help="Write conflict markers into files that both you and this version changed.")] = False,
    preview: Annotated[bool, typer.Option("--preview/--no-preview", help="Show the resources this version's stance data changes (offline previews of both sides).")] = True,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON: {directory, old_version, new_version, written, files: {path: status}, conflicts, notes, diff}."),
    ] = False,
) -> None:
    """Regenerate the project's files with this version, keeping your edits (three-way merge)."""
    from ..generate.upgrade import upgrade_project

    with progress("merging this version's files…"):
        result = upgrade_project(directory, force=force, allow_conflicts=allow_conflicts, dry_run=dry_run, preview=preview)
    refused = bool(result.conflicts) and not allow_conflicts
    if as_json:
        payload = {
            "directory": str(directory),
            "old_version": result.old_version,
            "new_version": result.new_version,
            "written": result.written,
            "files": dict(sorted(result.files.items())),
            "conflicts": list(result.conflicts),
            "notes": list(result.notes),
            "diff": None if result.diff is None else result.diff.to_json(),
        }
        typer.echo(_json(payload), nl=False)
        if refused:
            raise typer.Exit(ExitCode.BAD_INPUT)
        return
    for path, status in sorted(result.files.items()):
        if status != "unchanged":
            out.print(f"  {escape(status):<12} {escape(path)}")
    if refused:
        err.print("[bold red]error:[/] these files were changed both by you and by this version; nothing was written:")
        for path in result.conflicts:
            err.print(f"       {escape(path)}")
        err.print("       resolve by hand, or run again with --allow-conflicts to write conflict markers")
        raise typer.Exit(ExitCode.BAD_INPUT)
    if result.diff is not None:
        print_diff(result.diff, limit=50, not_previewed=_why_no_resources(result.diff, preview=preview))
    for note in result.notes:
        err.print(f"[yellow]note:[/] {escape(note)}")
    verb = "would upgrade" if dry_run else "upgraded"
    out.print(f"[green]{verb}[/] {escape(str(directory))}: {escape(result.old_version)} → {escape(result.new_version)}" + (f", {len(result.conflicts)} file(s) with conflict markers" if result.conflicts else ""))


def _why_no_resources(diff: ProjectDiff, *, preview: bool) -> str:
    """Why an upgrade's diff has no resources: --no-preview, or the same stance values on both sides (the offline
    diff runs this version's program on both, so equal stances make equal resources and nothing is previewed)."""
    if not preview:
        return NOT_PREVIEWED
    if diff.old.stance == diff.new.stance:
        return "no change (this version's stance values are the project's: both sides make the same resources, so neither was previewed)"
    return "not previewed"
