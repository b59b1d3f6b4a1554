"""Reading YAML defensively (size, depth, aliases, duplicate keys) and writing it with comments kept."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.events import AliasEvent, CollectionStartEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import Reader
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver

from ..errors import SpecError

MAX_BYTES = 1_000_000
MAX_DEPTH = 32


class _Refused(Exception):
    """An alias or too deep a nesting, found while composing: (message, fix) for the SpecError."""


class _GuardedComposer(Composer):
    """ruamel's composer, refusing aliases and deep nesting as it meets them: before any object is built
    (alias bombs, stack exhaustion), in the same single pass over the text that loads it."""

    _collections = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            where = f"line {event.start_mark.line + 1}" if event.start_mark else "a node"
            raise _Refused(f"YAML alias at {where}: anchors and aliases are not supported", "write the values out in full")
        if not isinstance(event, CollectionStartEvent):
            return super().compose_node(parent, index)
        self._collections += 1
        try:
            if self._collections > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels at line {line}", "a blueprint is never that deep; check the indentation")
            return super().compose_node(parent, index)
        finally:
            self._collections -= 1


def _safe_yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = _GuardedComposer
    yaml.allow_duplicate_keys = False
    return yaml


# The fast path. ruamel's pure-Python scanner and parser cost 0.12-0.16 s CPU for a 200-team blueprint.yaml (12 kB);
# libyaml (PyYAML's C parser) reads the same text in ~2 ms. libyaml reads YAML 1.1 and ruamel YAML 1.2, so only the
# events come from libyaml: every plain scalar is resolved by ruamel's own 1.2 resolver and built by ruamel's own
# safe constructors, and anything where the two readers could differ, or that ruamel would refuse or warn about, is
# declined: parse_yaml_text then loads the text with ruamel as before, so results and error messages are ruamel's.
# tests/model/test_yamlio_fast.py and tests/property/test_yaml_fast.py hold the two paths to the same results.
try:
    from yaml import __with_libyaml__ as _WITH_LIBYAML
    from yaml.events import (
        DocumentEndEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
        StreamStartEvent,
    )

    if _WITH_LIBYAML:
        from yaml._yaml import CParser as _CParser
    else:  # PyYAML without libyaml: its pure-Python parser would be no faster than ruamel's
        _CParser = None
except ImportError:  # pragma: no cover - PyYAML is a dependency
    _CParser = None

_DECLINED = object()
_NO_KEY = object()
_IN_LIST = object()


class _Decline(Exception):
    """The fast path is not sure it reads this text as ruamel would."""


# Text the fast path leaves to ruamel: characters ruamel's reader refuses (it names them); tabs, whose handling
# differs between the two scanners; NEL, LS and PS, line breaks in YAML 1.1 (libyaml) but not in 1.2; a byte order
# mark. Then the places where libyaml accepts what ruamel refuses or reads otherwise (found by differential fuzzing,
# which tests/property/test_yaml_fast.py keeps doing): a line starting with '%' (a directive: `%YAML 1.1` changes how ruamel resolves
# scalars) or '...' (a document end: ruamel counts a second one as a second document, and reads a '...' line inside
# a block scalar as text); a '#' right after a block scalar's header (ruamel: "expected a comment or a line break");
# and a line of spaces right after one (ruamel: "more indented follow up line than first in a block scalar").
_UNSURE_SUBSTRINGS = ("\t", "\x85", "\u2028", "\u2029", "\ufeff", "\n%", "\r%", "\n...", "\r...")
_UNSURE_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*(?:#|[ ]*(?:#[^\r\n]*)?(?:\r\n?|\n) +(?:[\r\n]|\Z))")
_NON_PRINTABLE = Reader.NON_PRINTABLE

# ruamel's safe loader reads YAML 1.2 when the text has no %YAML directive (ruamel/yaml/compat.py
# _DEFAULT_YAML_VERSION); a VersionedResolver with no loader reads that version too.
_RESOLVER = VersionedResolver()
# Its patterns by first character, as VersionedResolver.resolve looks them up ("" for the empty scalar); a plain
# scalar no pattern matches is a string. Patterns under None would apply to every first character: ruamel has none.
_PATTERNS: dict[Any, list[tuple[str, Any]]] = _RESOLVER.versioned_resolver
if None in _PATTERNS:  # pragma: no cover - a ruamel that does this needs _plain_scalar updated; until then, no fast path
    _CParser = None


class _Scalars(SafeConstructor):
    """ruamel's safe constructors, asking the 1.2 resolver above which version they read (0777 is 777, not 511)."""

    @property
    def resolver(self) -> Any:
        return _RESOLVER


_SCALARS = _Scalars()
# The tags a plain scalar resolves to that the safe loader builds into a value by itself. The others it resolves
# (merge `<<`, value `=`) need the mapping around them or are errors: declined.
_CONSTRUCTORS = {
    f"tag:yaml.org,2002:{name}": _Scalars.yaml_constructors[f"tag:yaml.org,2002:{name}"]
    for name in ("null", "bool", "int", "float", "timestamp")
}
_NOTHING: tuple[()] = ()


def _plain_scalar(value: str) -> Any:
    """A plain scalar as ruamel's safe loader builds it: resolved by its YAML 1.2 patterns, built by its constructor."""
    for tag, pattern in _PATTERNS.get(value[0] if value else "", _NOTHING):
        if pattern.match(value):
            break
    else:
        return value
    construct = _CONSTRUCTORS.get(tag)
    if construct is None:
        raise _Decline(f"a plain scalar resolving to {tag}")
    return construct(_SCALARS, ScalarNode(tag, value))


def _unsure(text: str) -> bool:
    """Whether the text has anything the fast path leaves to ruamel (substring tests first: they cost least)."""
    return (
        text.startswith(("%", "..."))
        or any(unsure in text for unsure in _UNSURE_SUBSTRINGS)
        or _UNSURE_BLOCK_HEADER.search(text) is not None
        or _NON_PRINTABLE.search(text) is not None
    )


def _load_fast(text: str) -> Any:
    """The text's data as ruamel's guarded safe loader returns it, or _DECLINED (then ruamel must read it)."""
    if _CParser is None or _unsure(text):
        return _DECLINED
    parser = None
    try:
        parser = _CParser(text)
        return _build(text, parser.get_event)
    except Exception:  # noqa: BLE001 - any doubt at all (libyaml's errors included) is ruamel's to report
        return _DECLINED
    finally:
        if parser is not None:
            parser.dispose()


def _build(text: str, next_event: Any) -> Any:
    """Plain data from libyaml's events for the text, in one pass; raises _Decline where ruamel might read otherwise."""
    if type(next_event()) is not StreamStartEvent:
        raise _Decline("no stream start")
    event = next_event()
    if type(event) is StreamEndEvent:
        return None  # no document: ruamel's load returns None too
    if type(event) is not DocumentStartEvent or event.version is not None or event.tags is not None:
        raise _Decline("a directive")
    # Names the loop uses on every event, as locals.
    scalar_event, mapping_start, sequence_start, mapping_end, sequence_end = (
        ScalarEvent, MappingStartEvent, SequenceStartEvent, MappingEndEvent, SequenceEndEvent,
    )
    no_key, in_list, plain_scalar = _NO_KEY, _IN_LIST, _plain_scalar
    memo: dict[str, Any] = {}  # plain scalars already resolved: blueprints repeat their values
    # The collection being read (None before the root) and where its next item goes: in_list for a list; for a
    # mapping, no_key while the next scalar is a key, else that key. The ones around it wait on the stack.
    top: Any = None
    key: Any = None
    stack: list[tuple[Any, Any]] = []
    root: Any = None
    while True:
        event = next_event()
        kind = type(event)
        if kind is scalar_event:
            if event.anchor is not None or event.tag is not None:
                raise _Decline("an anchor or a tag")
            value = event.value
            if event.implicit[0]:  # plain (an untagged quoted or block scalar is a string)
                if value in memo:
                    value = memo[value]
                else:
                    value = memo[value] = plain_scalar(value)
            if key is in_list:
                top.append(value)
            elif key is no_key:
                if value in top:
                    raise _Decline("a duplicate key")  # ruamel refuses it (allow_duplicate_keys = False)
                key = value
            elif top is not None:
                top[key] = value
                key = no_key
            else:
                if event.style in ("|", ">"):
                    # A block scalar as the whole document may have text at column 0 (YAML 1.2, as ruamel reads
                    # it); libyaml takes a '#' there for a comment.
                    raise _Decline("a block scalar document")
                root = value
                break
        elif kind is mapping_start or kind is sequence_start:
            if event.anchor is not None or event.tag is not None:
                raise _Decline("an anchor or a tag")
            if len(stack) >= MAX_DEPTH:
                raise _Decline("deep nesting")  # ruamel's _GuardedComposer refuses it, naming the line
            if kind is mapping_start:
                if event.flow_style and text[event.start_mark.index] != "{":
                    # `[a: b]`, a one-pair mapping in a flow sequence: libyaml reads `["a":b]`, which ruamel refuses.
                    raise _Decline("a flow pair")
                value = {}
            else:
                value = []
            if key is in_list:
                top.append(value)
            elif key is no_key:
                raise _Decline("a collection as a mapping key")  # ruamel makes a list key a tuple
            elif top is not None:
                top[key] = value
                key = no_key
            else:
                root = value
            stack.append((top, key))
            top, key = value, (no_key if kind is mapping_start else in_list)
        elif kind is mapping_end or kind is sequence_end:
            top, key = stack.pop()
            if top is None:
                break
        else:  # an alias (ruamel refuses it), or an event out of place
            raise _Decline(kind.__name__)
    if type(next_event()) is not DocumentEndEvent or type(next_event()) is not StreamEndEvent:
        raise _Decline("more than one document")  # ruamel: "expected a single document in the stream"
    return root


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


def parse_yaml_text(text: str, source: str) -> Any:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _problem(source, f"file is larger than {MAX_BYTES // 1000} kB", "a blueprint is a few kB; check you opened the right file")
    data = _load_fast(text)
    if data is not _DECLINED:
        return data
    try:
        return _safe_yaml().load(text)
    except _Refused as refused:
        raise _problem(source, *refused.args) from None
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
    except ValueError as exc:
        # ruamel resolves `._`, `0o_` or `-_` as a number by its patterns, then its constructor cannot build one.
        raise _problem(
            source,
            f"a value that looks like a number is not one ({exc})",
            "write the number in full (e.g. 0.5, 0o17, -1), or quote the value if it is text",
        ) from None


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
