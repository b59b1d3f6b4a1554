"""One exception hierarchy for everything a user can get wrong; the CLI maps it to exit codes.

Every error is a list of `Problem`s about one source (a file, a command-line option, a target
directory, an export format) and is printed by one formatter, `Problem.render_all`. Anything
that is not a `BlueprintError` is a bug: the CLI reports it as an internal error (exit 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what, and how to fix it."""

    field: str
    message: str
    fix: str = ""

    def render(self, source: str) -> str:
        where = f"{source}: {self.field}" if self.field else source
        line = f"{where}: {self.message}"
        return f"{line} ({self.fix})" if self.fix else line

    @staticmethod
    def render_all(source: str, problems: Iterable[Problem], fix: str = "") -> str:
        """One line per problem (`source: field: message (fix)`), then a fix they all share on its own line."""
        lines = [problem.render(source) for problem in problems]
        if fix:
            lines.append(f"fix: {fix}")
        return "\n".join(lines)


class BlueprintError(Exception):
    """Base for every error a user can cause; exit status 2 unless a subclass says otherwise."""

    exit_code = 2

    def __init__(self, message: str = "", *, source: str | Path = "", problems: Iterable[Problem] = (), fix: str = "") -> None:
        self.source = str(source)
        self.problems = tuple(problems)
        self.fix = fix
        super().__init__(message or Problem.render_all(self.source, self.problems, fix))


class SpecError(BlueprintError):
    """A blueprint, stance or overlay file is unreadable or invalid."""

    def __init__(self, *, source: str | Path, problems: Iterable[Problem]) -> None:
        super().__init__(source=source, problems=problems)

    @classmethod
    def single(cls, *, source: str | Path, field: str, message: str, fix: str = "") -> SpecError:
        return cls(source=source, problems=[Problem(field=field, message=message, fix=fix)])


class PlanError(BlueprintError):
    """A fact known only while the program runs (what the region or account offers) rules out a blueprint value.

    Raise it from the component that learns the fact, even inside an `apply`: it is not a ValueError, which the
    Pulumi SDK would wrap in its own ValueError ("While processing input: ...") and so make an internal error.
    """

    def __init__(self, *, field: str, message: str, fix: str = "", source: str | Path = "blueprint.yaml") -> None:
        super().__init__(source=source, problems=[Problem(field=field, message=message, fix=fix)])


class GenerateError(BlueprintError):
    """A project could not be written where the user asked."""

    def __init__(self, *, target: str | Path, message: str, fix: str = "") -> None:
        self.target = str(target)
        super().__init__(source=target, problems=[Problem(field="", message=message, fix=fix)])


class UsageError(BlueprintError):
    """A command-line argument is invalid."""

    def __init__(self, *, option: str, message: str, fix: str = "") -> None:
        super().__init__(source=option, problems=[Problem(field="", message=message, fix=fix)])
