"""One exception hierarchy for everything a user can get wrong; the CLI maps it to exit codes."""

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


class BlueprintError(Exception):
    """Base for every error a user can cause; exit status 2 unless a subclass says otherwise."""

    exit_code = 2


class SpecError(BlueprintError):
    """A blueprint, stance or overlay file is unreadable or invalid."""

    def __init__(self, *, source: str | Path, problems: Iterable[Problem]) -> None:
        self.source = str(source)
        self.problems = tuple(problems)
        super().__init__("\n".join(p.render(self.source) for p in self.problems))

    @classmethod
    def single(cls, *, source: str | Path, field: str, message: str, fix: str = "") -> SpecError:
        return cls(source=source, problems=[Problem(field=field, message=message, fix=fix)])


class GenerateError(BlueprintError):
    """A project could not be written where the user asked."""

    def __init__(self, *, target: str | Path, message: str, fix: str = "") -> None:
        self.target = str(target)
        text = f"{self.target}: {message}"
        super().__init__(f"{text} ({fix})" if fix else text)


class UsageError(BlueprintError):
    """A command-line argument is invalid."""

    def __init__(self, *, option: str, message: str, fix: str = "") -> None:
        text = f"{option}: {message}"
        super().__init__(f"{text} ({fix})" if fix else text)
