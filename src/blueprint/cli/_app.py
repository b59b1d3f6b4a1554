"""The typer app, the error boundary and the consoles every command shares."""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import BlueprintError


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2


app = typer.Typer(
    name="blueprint",
    help="Turn an organisation's security/stability/usefulness stance into a reviewed Pulumi program for a data-science workbench on AWS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Human output; `--json` output goes to plain stdout so nothing else is mixed in.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def handles_errors(function: F) -> F:
    """Print a BlueprintError on stderr without a traceback and exit with its code."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _recover_interrupted_write(kwargs.get("directory"))
            return function(*args, **kwargs)
        except BlueprintError as exc:
            _print_error(exc)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _recover_interrupted_write(directory: object) -> None:
    """A `blueprint` write killed mid-way is rolled back before any command reads the project."""
    if directory is None:
        return
    from ..generate.writer import recover_interrupted

    project = Path(str(directory))
    if project.is_file():
        project = project.parent
    if recover_interrupted(project):
        err.print(f"[yellow]note:[/] rolled back an interrupted blueprint write in {escape(str(project))}")


def _print_error(exc: BlueprintError) -> None:
    lines = str(exc).splitlines() or [type(exc).__name__]
    err.print(f"[bold red]error:[/] {escape(lines[0])}")
    for line in lines[1:]:
        err.print(f"       {escape(line)}")
