"""The typer app, the error boundary and the consoles every command shares."""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import IntEnum
from typing import Any, TypeVar

import typer
from rich.console import Console

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
            return function(*args, **kwargs)
        except BlueprintError as exc:
            _print_error(exc)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def _print_error(exc: BlueprintError) -> None:
    from rich.markup import escape

    lines = str(exc).splitlines() or [type(exc).__name__]
    err.print(f"[bold red]error:[/] {escape(lines[0])}")
    for line in lines[1:]:
        err.print(f"       {escape(line)}")
