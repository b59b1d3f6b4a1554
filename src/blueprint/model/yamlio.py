"""Reading YAML defensively (size, depth, aliases, duplicate keys) and writing it with comments kept."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent
from ruamel.yaml.representer import RoundTripRepresenter

from ..errors import SpecError

MAX_BYTES = 1_000_000
MAX_DEPTH = 32


def _safe_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


class _Representer(RoundTripRepresenter):
    """ruamel's representer, except that a string holding NEL (U+0085) is written double-quoted.

    ruamel writes NEL raw inside single quotes, where every YAML reader folds it to a space;
    double quotes write it as the escape `\\N`, which reads back exactly.
    """

    def represent_str(self, data: str) -> object:
        if "\x85" in data:
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return super().represent_str(data)


_Representer.add_representer(str, _Representer.represent_str)


def roundtrip_yaml() -> YAML:
    """A YAML that keeps comments and key order, for files users edit."""
    yaml = YAML(typ="rt")
    yaml.Representer = _Representer
    yaml.allow_duplicate_keys = False
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 120
    return yaml


def _problem(source: str, message: str, fix: str, field: str = "") -> SpecError:
    return SpecError.single(source=source, field=field, message=message, fix=fix)


def _check_structure(text: str, source: str) -> None:
    """Reject aliases and deep nesting before building any objects (alias bombs, stack exhaustion)."""
    depth = 0
    for event in _safe_yaml().parse(io.StringIO(text)):
        if isinstance(event, AliasEvent):
            where = f"line {event.start_mark.line + 1}" if event.start_mark else "a node"
            raise _problem(source, f"YAML alias at {where}: anchors and aliases are not supported", "write the values out in full")
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise _problem(source, f"nesting deeper than {MAX_DEPTH} levels at line {line}", "a blueprint is never that deep; check the indentation")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


def parse_yaml_text(text: str, source: str) -> Any:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _problem(source, f"file is larger than {MAX_BYTES // 1000} kB", "a blueprint is a few kB; check you opened the right file")
    try:
        _check_structure(text, source)
        return _safe_yaml().load(text)
    except SpecError:
        raise
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        if mark and _is_tab(text, mark.line, mark.column):
            # The scanner's "found character '\\t' that cannot start any token" says what it saw, not what to do.
            before = text.splitlines()[mark.line][: mark.column]
            what = "tabs cannot indent YAML" if not before.strip() else "a tab cannot separate YAML values here"
            raise _problem(source, f"{where}{what}; use spaces", "replace it with spaces, e.g. two per level of indentation") from None
        if "duplicate key" in str(exc):
            what = "duplicate key " + (str(exc.problem).split('"')[1] if '"' in str(exc.problem) else "")
            return_fix = "each key may appear once in a mapping; remove or merge the repeated one"
        else:
            what, return_fix = _plainly(exc, what)
        raise _problem(source, f"{where}{what.strip()}", return_fix) from None
    except (YAMLError, RecursionError) as exc:
        raise _problem(source, f"not valid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", "fix the YAML syntax") from None


def _plainly(exc: MarkedYAMLError, what: str) -> tuple[str, str]:
    """The scanner's or parser's complaint in a user's words, with the likely fix."""
    problem, context = str(exc.problem or ""), str(exc.context or "")
    opened = exc.context_mark
    at = f"line {opened.line + 1}, column {opened.column + 1}" if opened else "earlier"
    if "flow sequence" in context:
        return f"the '[' at {at} is not closed", "close the list with ']' and separate its items with ','"
    if "flow mapping" in context:
        return f"the '{{' at {at} is not closed", "close the mapping with '}' and separate its entries with ','"
    if "quoted scalar" in context:
        return f"the quote at {at} is not closed", "end the quoted text with the same quote it starts with"
    if "mapping values are not allowed" in problem:
        return "a ':' where no key can start", "quote a value that contains ': ', put each `key: value` on its own line, or fix this line's indentation"
    if "expected <block end>" in problem:
        return f"this line is indented differently from the block that starts at {at}", "indent every key of a mapping, and every '- ' of a list, by the same number of spaces"
    if "cannot start any token" in problem and "'" in problem:
        character = problem.split("'")[1]
        return f"'{character}' cannot start a YAML value", f"quote the value, e.g. '{character}...'"
    if "could not determine a constructor for the tag" in problem:
        return f"the tag {problem.rsplit(' ', 1)[-1]} is not supported: a blueprint holds plain values", "remove the tag: the word that starts with '!'"
    return what, "fix the YAML syntax: indentation, quotes, colons"


def _is_tab(text: str, line: int, column: int) -> bool:
    lines = text.splitlines()
    return line < len(lines) and column < len(lines[line]) and lines[line][column] == "\t"


def read_yaml(path: Path) -> Any:
    """Load a YAML file as plain data, or raise SpecError naming the file and what to fix."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _problem(source, f"file is {size} bytes, larger than {MAX_BYTES // 1000} kB", "a blueprint is a few kB; check you opened the right file")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _problem(source, "file not found", "check the path, or run `blueprint new` to create a project") from None
    except IsADirectoryError:
        raise _problem(source, "is a directory, not a YAML file", "point at the file or at the project directory") from None
    except PermissionError:
        raise _problem(source, "permission denied", "make the file readable by this user") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _problem(source, f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8") from None
    if "\x00" in text:
        raise _problem(source, "contains NUL bytes; this is not a text file", "save the file as UTF-8 text")
    return parse_yaml_text(text, source)


def dump_yaml(data: Any) -> str:
    buffer = io.StringIO()
    roundtrip_yaml().dump(data, buffer)
    return buffer.getvalue()
