"""One exception hierarchy for everything a user can get wrong; the CLI maps it to exit codes.

Every error is a list of `Problem`s about one source (a file, a command-line option, a target
directory, an export format) and is printed by one formatter, `Problem.render_all`. Anything
that is not a `BlueprintError` is a bug: the CLI reports it as an internal error (exit 3).

Values inside messages go through one helper, `shown` (as YAML writes them: `true`, `[gpu]`, `{cpu: 16}`,
never Python's `True` or `['gpu']`), and near-miss names through `did_you_mean`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any


@cache
def _plain() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(what a bare string may look like, what YAML would read as another type): compiled on the error path only.

    A string YAML reads back as the same string when written bare (inside `[...]` or `{...}` too): no indicator
    first, no flow or comment characters, not a number, boolean, null or date.
    """
    plain = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./@+=~:-]*")
    not_plain = re.compile(
        r"(?i:null|~|true|false|yes|no|on|off|y|n)"
        r"|[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?"
        r"|0[xob][0-9a-fA-F_]+|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
        r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?|[0-9:]+(\.[0-9]*)?"
    )
    return plain, not_plain


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}  # YAML double-quoted escapes


def _escaped(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _yaml(value: Any, *, quote_strings: bool) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if not value.isprintable():  # a line break or control character: escaped, so a message stays one line
            return '"' + "".join(_ESCAPES.get(ch) or (ch if ch.isprintable() else _escaped(ord(ch))) for ch in value) + '"'
        plain, not_plain = _plain()
        if not quote_strings and plain.fullmatch(value) and not value.endswith(":") and not not_plain.fullmatch(value):
            return value
        return "'" + value.replace("'", "''") + "'"
    if hasattr(value, "isoformat"):  # a date or a datetime, as YAML writes one
        return value.isoformat()
    if hasattr(value, "model_dump"):  # a pydantic model, as the YAML that would give it
        return _yaml(value.model_dump(mode="json", exclude_defaults=True), quote_strings=quote_strings)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_yaml(k, quote_strings=False)}: {_yaml(v, quote_strings=False)}" for k, v in value.items()) + "}"
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    if isinstance(value, Iterable):
        return "[" + ", ".join(_yaml(v, quote_strings=False) for v in value) + "]"
    return str(value)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: Any, limit: int = 60) -> str:
    """A value inside a message, as YAML writes it: `true`, `16`, `[gpu, cpu-small]`, `{cpu: 16}`; a string on
    its own in single quotes (`'eu-west-9'`), so prose around it reads unambiguously. Cut to `limit` characters."""
    return _cut(_yaml(value, quote_strings=True), limit)


def as_yaml(value: Any, limit: int = 200) -> str:
    """A value as the user would type it into a YAML file (strings bare when YAML reads them back unchanged)."""
    return _cut(_yaml(value, quote_strings=False), limit)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest of `choices` to a misspelt or misremembered `word` (a dotted id matches on its last part first)."""
    import difflib  # only on the error path; `blueprint --help` does not pay for it

    options = sorted(set(choices))
    # Dotted ids share their section ("network."), which makes any two look alike: ask for more of the rest.
    close = difflib.get_close_matches(word, options, n=3, cutoff=0.75 if "." in word else 0.6)
    leaf = word.rsplit(".", 1)[-1]
    same_leaf = [c for c in close if c.rsplit(".", 1)[-1] == leaf]
    if same_leaf or close:
        return (same_leaf or close)[0]
    # A shortened name: `quota` for `default_quota`, `cooldown` for `cooldown_days` (the only choice with all its words).
    words = set(re.split(r"[._-]", word))
    containing = [c for c in options if words <= set(re.split(r"[._-]", c))]
    return containing[0] if len(containing) == 1 else None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what, and how to fix it."""

    field: str
    message: str
    fix: str = ""
    source: str = ""  # where this one problem is, when not where the error as a whole is (a command-line option)

    def render(self, source: str) -> str:
        source = self.source or source
        where = f"{source}: {self.field}" if self.field else source
        line = f"{where}: {self.message}"
        return f"{line} ({self.fix})" if self.fix else line

    def as_json(self) -> dict[str, str]:
        return {"source": self.source, "field": self.field, "message": self.message, "fix": self.fix}

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

    def from_options(self, options: Mapping[str, str]) -> SpecError:
        """This error about a document built from command-line options (`options`: field path -> option, e.g.
        `idp.issuer_url` -> `--issuer-url`), told in the options' terms: a problem in a field an option set is
        that option's problem, and every field an option sets is called by the option's name."""
        names = sorted(options, key=len, reverse=True)
        leaves = [path.rsplit(".", 1)[-1] for path in options]
        # Prose names a field by its path (`idp.kind`) or its last part (`issuer_url`); only distinctive names are
        # replaced (with '.' or '_'), never a plain word like "stance" or "org".
        spoken = {leaf: options[path] for path, leaf in zip(options, leaves) if "_" in leaf and leaves.count(leaf) == 1}
        spoken.update({path: option for path, option in options.items() if "." in path or "_" in path})
        pattern = re.compile(r"(?<![\w.`-])`?(" + "|".join(re.escape(n) for n in sorted(spoken, key=len, reverse=True)) + r")`?(?![\w-])")

        def told(text: str) -> str:
            return pattern.sub(lambda match: spoken[match.group(1)], text) if spoken else text

        problems = []
        for problem in self.problems:
            path = re.sub(r"\[[0-9]+\]", "", problem.field)
            option = next((options[name] for name in names if path == name), None)
            if option is None:
                problems.append(replace(problem, message=told(problem.message), fix=told(problem.fix)))
                continue
            fix = f"pass {option}" if problem.message == "is required" else told(problem.fix)
            problems.append(Problem(field="", message=told(problem.message), fix=fix, source=option))
        return SpecError(source=self.source, problems=problems)


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
