"""The typer app, the error boundary and the consoles every command shares.

The boundary (`handles_errors`, on every command) is the only place that turns an exception into
an exit status: a `BlueprintError` is the user's to fix (its message, exit 2 unless it says
otherwise); anything else is a bug in blueprint (exit 3, "internal error", traceback with --debug).
"""

from __future__ import annotations

import contextlib
import functools
import os
import traceback
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

from .. import ISSUE_TRACKER, __version__
from ..errors import BlueprintError, UsageError, shown

# The metavar of a flag in help: none (`_FlagsTakeNoValue` gives it to every flag, so options need not name it).
NO_VALUE = ""
F = TypeVar("F", bound=Callable[..., Any])


class ExitCode(IntEnum):
    """What `blueprint` exits with; CI tells a violation (1) from bad input (2) from a crash (3)."""

    OK = 0
    CHECK_FAILED = 1
    BAD_INPUT = 2
    INTERNAL_ERROR = 3


EXIT_CODES_HELP = "Exit codes: 0 ok, 1 check failed, 2 bad input (the message names the file, field and fix), 3 internal error (a bug: please report it)."
# Set by `--debug` (or BLUEPRINT_DEBUG=1): an internal error prints its traceback.
DEBUG_ENV = "BLUEPRINT_DEBUG"


class _FlagsTakeNoValue:
    """Help shows no `<bool>` placeholder after a flag (`--json`, `--help`, `--install-completion`, ...): it takes no value."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = NO_VALUE
        return params


class _Group(_FlagsTakeNoValue, TyperGroup):
    pass


class _Command(_FlagsTakeNoValue, TyperCommand):
    pass


class _Typer(typer.Typer):
    """Every command of the app is a `_Command` unless it asks for another class."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Callable[[F], F]:  # type: ignore[override]
        return super().command(*args, cls=cls or _Command, **kwargs)


# The program name in usage lines and the completion script, also when run as `python -m blueprint`.
PROG_NAME = "blueprint"

app = _Typer(
    name=PROG_NAME,
    cls=_Group,
    help="Turn an organisation's security/stability/usefulness stance into a reviewed Pulumi program for a data-science workbench on AWS.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion: typer's, for bash, zsh, fish and PowerShell
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_debug = False

# The project a command reads or changes: the current directory unless named, as `pulumi` does.
HERE = Path(".")
ProjectDir = Annotated[
    Path, typer.Argument(help="Project directory (or its blueprint.yaml). Default: the current directory.", show_default=False)
]
# What a stray value after a flag looks like when it lands in the project argument (`--json true`).
_FLAG_VALUES = frozenset({"true", "false", "yes", "no", "on", "off", "1", "0"})

# `--no-cache` on every command that previews: run the program even when the preview cache holds its graph.
NoCache = Annotated[bool, typer.Option("--no-cache", help="Run the program even when an identical offline preview is cached.")]
# `--stack` on every command that previews: the Pulumi stack names the physical resources (a second stack is a second workbench).
Stack = Annotated[
    str | None,
    typer.Option("--stack", metavar="NAME", help="Pulumi stack to preview as. Default: the project's only Pulumi.<stack>.yaml (dev when there is none).", show_default=False),
]
CACHED_NOTE = "[dim](cached graph: an identical preview ran before; --no-cache runs the program again)[/]"


def use_cache(no_cache: bool) -> None:
    """Apply `--no-cache` for this process (the previews a command runs read the same switch)."""
    if no_cache:
        from ..preview.cache import NO_CACHE_ENV

        os.environ[NO_CACHE_ENV] = "1"


def progress(message: str) -> contextlib.AbstractContextManager[Any]:
    """A spinner on stderr while a command works, only when stderr is a terminal: pipes and CI logs get no
    animation frames, and stdout (the command's output) never carries one."""
    return err.status(message) if err.is_terminal else contextlib.nullcontext()


def note_cached(graph: Any) -> None:
    """Say where the graph came from when the program did not run in full: the cache, or a run for some teams only."""
    if getattr(graph, "cached", False):
        err.print(CACHED_NOTE)
        return
    reran = getattr(graph, "reran_teams", None)
    if reran is not None:
        err.print(incremental_note(reran))


def incremental_note(reran: Any) -> str:
    """What an incremental preview (`preview.incremental`) ran, for the commands that preview."""
    if reran:
        named = ", ".join(sorted(reran)[:3]) + (", …" if len(reran) > 3 else "")
        ran = f"for the {len(reran)} team(s) changed since an earlier preview ({escape(named)}) and for what the teams share"
    else:
        ran = "only for what the teams share (no team changed since an earlier preview)"
    return f"[dim](incremental preview: the program ran {ran}; the other teams' resources come from that preview; --no-cache runs it in full)[/]"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"blueprint {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help=f"On an internal error, print the traceback (or set {DEBUG_ENV}=1).")] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True)
    ] = False,
) -> None:
    """Options every command shares (the app's help text is the Typer's `help`)."""
    global _debug
    _debug = debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")


# Human output; `--json` output goes to plain stdout so nothing else is mixed in.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def handles_errors(function: F) -> F:
    """Print a BlueprintError on stderr without a traceback and exit with its code; any other exception is an
    internal error: exit 3 with where to report it, and the traceback only with --debug."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            for name in ("directory", "old", "new"):
                _refuse_flag_value(kwargs.get(name))
            _recover_interrupted_write(kwargs.get("directory"))
            return function(*args, **kwargs)
        except BlueprintError as exc:
            _print_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, TyperException):
            raise  # the command line's own exits and usage errors
        except Exception as exc:  # noqa: BLE001 (the boundary: every other exception is a bug)
            _print_internal_error(exc)
            raise typer.Exit(ExitCode.INTERNAL_ERROR) from None

    return wrapper  # type: ignore[return-value]


def _refuse_flag_value(directory: object) -> None:
    """`blueprint preview --json true`: a flag takes no value, so `true` became the project directory; say so."""
    if isinstance(directory, Path) and str(directory).lower() in _FLAG_VALUES and not directory.exists():
        raise UsageError(
            option=str(directory),
            message="is not a project directory: flags (--json, --force, --dry-run, ...) take no value",
            fix=f"drop {shown(str(directory))}: a flag is on when given and off when left out",
        )


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


def print_warnings(spec: Any) -> None:
    """The blueprint's warnings (`BlueprintSpec.warnings`: valid, likely not meant) on stderr, one `warning:` line each."""
    for problem in spec.warnings:
        err.print(f"[yellow]warning:[/] {escape(problem.render(''))}")


def _print_internal_error(exc: Exception) -> None:
    if _debug:
        err.print("".join(traceback.format_exception(exc)), markup=False, highlight=False, end="")
    summary = " ".join(str(exc).split()) or "(no message)"
    err.print(f"[bold red]internal error:[/] please report this to {escape(ISSUE_TRACKER)}")
    err.print(f"       {escape(type(exc).__name__)}: {escape(summary[:300])}")
    if not _debug:
        err.print("       run again with --debug (blueprint --debug COMMAND ...) to print the traceback for the report")
