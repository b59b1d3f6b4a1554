"""The fast YAML path (libyaml's events, ruamel's own YAML 1.2 resolver and constructors) reads a text exactly as
ruamel's guarded safe loader does, or declines it; parse_yaml_text's results and messages are ruamel's either way."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from blueprint.errors import SpecError
from blueprint.model import yamlio
from blueprint.model.builtin import BUILTIN_STANCES, stance_path
from blueprint.model.loading import load_blueprint
from blueprint.model.yamlio import MAX_DEPTH, dump_yaml, parse_yaml_text, read_yaml
from tests.conftest import blueprint_data, write_blueprint

ROOT = Path(__file__).resolve().parents[2]
YAML_FILES = sorted(
    path
    for top in ("blueprints", "bench", "docs", "scan", "src", "stacks", "tests")
    for pattern in ("*.yaml", "*.yml")
    for path in (ROOT / top).rglob(pattern)
)


def typed(data: Any) -> Any:
    """The data with each value's type beside it: `1 == True == 1.0` and `date('2024-01-01') != '2024-01-01'` would
    otherwise hide or fake a difference; floats by repr, so that nan equals nan; mappings keep their key order."""
    if isinstance(data, dict):
        return ("dict", [(typed(key), typed(value)) for key, value in data.items()])
    if isinstance(data, list):
        return ("list", [typed(item) for item in data])
    if isinstance(data, float):
        return ("float", repr(data))
    if isinstance(data, datetime.datetime):
        return ("datetime", data.isoformat(), repr(data.tzinfo))
    return (type(data).__name__, data)


def ruamel_reads(text: str) -> Any:
    """What the ruamel path alone makes of the text: ("data", typed data) or ("error", the exception's type)."""
    try:
        return ("data", typed(yamlio._safe_yaml().load(text)))
    except Exception as exc:  # noqa: BLE001 - any outcome of ruamel's is the one to compare with
        return ("error", type(exc).__name__)


def fast_reads(text: str) -> Any:
    """What the fast path makes of it: ("data", typed data), or None when it declines."""
    data = yamlio._load_fast(text)
    return None if data is yamlio._DECLINED else ("data", typed(data))


def same_as_ruamel(text: str) -> bool:
    """Assert the fast path declines the text or reads it as ruamel does; whether it read it."""
    fast = fast_reads(text)
    if fast is not None:
        assert fast == ruamel_reads(text), f"the fast path reads {text!r} otherwise than ruamel"
    return fast is not None


def ruamel_only(monkeypatch: pytest.MonkeyPatch, text: str) -> Any:
    """parse_yaml_text as it was before the fast path: its data, or its error message."""
    with monkeypatch.context() as patched:
        patched.setattr(yamlio, "_load_fast", lambda _text: yamlio._DECLINED)
        return outcome(text)


def outcome(text: str) -> Any:
    """parse_yaml_text's data or its message; anything else it raises is a bug and fails the test."""
    try:
        return ("data", typed(parse_yaml_text(text, "blueprint.yaml")))
    except SpecError as exc:
        return ("error", str(exc))


# ---- scalars: YAML 1.2 as ruamel resolves it, not YAML 1.1 as libyaml (and PyYAML) would ---------------------------

PLAIN_SCALARS = [
    ("hello", "hello"),
    ("", None),
    ("~", None),
    ("null", None),
    ("Null", None),
    ("NULL", None),
    ("nULL", "nULL"),
    ("true", True),
    ("True", True),
    ("TRUE", True),
    ("false", False),
    ("tRUE", "tRUE"),
    ("yes", "yes"),
    ("No", "No"),
    ("on", "on"),
    ("OFF", "OFF"),
    ("y", "y"),
    ("0", 0),
    ("-0", 0),
    ("+12", 12),
    ("0777", 777),
    ("0o17", 15),
    ("0x1F", 31),
    ("-0x1f", -31),
    ("0b101", 5),
    ("1_000", 1000),
    ("1:20", "1:20"),
    ("190:20:30", "190:20:30"),
    ("1.5", 1.5),
    ("1.", 1.0),
    (".5", 0.5),
    ("-.5", -0.5),
    ("1e5", 100000.0),
    ("1.5E-3", 0.0015),
    (".inf", float("inf")),
    ("-.Inf", float("-inf")),
    (".NaN", float("nan")),
    ("2024-01-01", datetime.date(2024, 1, 1)),
    ("2024-01-01T10:20:30Z", datetime.datetime(2024, 1, 1, 10, 20, 30, tzinfo=datetime.timezone(datetime.timedelta(0), "Z"))),
    ("2024-1-1 10:20:30", datetime.datetime(2024, 1, 1, 10, 20, 30)),
    ("2024-01-01x", "2024-01-01x"),
    ("10.40.0.0/16", "10.40.0.0/16"),
    ("1.33", 1.33),
    ("v1.33", "v1.33"),
    ("16Gi", "16Gi"),
    ("--", "--"),
    ("-a", "-a"),
    ("a:b", "a:b"),
    ("a#b", "a#b"),
    ("日本語", "日本語"),
]


@pytest.mark.parametrize(("plain", "expected"), PLAIN_SCALARS, ids=[repr(plain) for plain, _ in PLAIN_SCALARS])
def test_plain_scalars_take_the_fast_path_and_resolve_as_ruamel_reads_yaml_1_2(plain, expected):
    for text in (f"key: {plain}\n", f"- {plain}\n", f"[{plain}]\n" if plain else "[~]\n", f"{{k: {plain}}}\n"):
        assert same_as_ruamel(text), f"the fast path declined {text!r}"
    data = parse_yaml_text(f"key: {plain}\n", "t.yaml")["key"]
    assert typed(data) == typed(expected)
    assert typed(parse_yaml_text(f"{plain or '~'}: v\n", "t.yaml")) == typed({expected: "v"})


@pytest.mark.parametrize("plain", [plain for plain, _ in PLAIN_SCALARS if plain])
def test_quoted_and_block_scalars_are_strings(plain):
    for text, expected in ((f"key: '{plain}'\n", plain), (f'key: "{plain}"\n', plain), (f"key: |\n  {plain}\n", f"{plain}\n")):
        assert same_as_ruamel(text)
        assert typed(parse_yaml_text(text, "t.yaml")) == typed({"key": expected})


LAYOUTS = {
    "folded plain": "a: b\n  c\n\n  d\n",
    "folded double quotes": 'a: "b  \n\n  c"\n',
    "escaped line break": 'a: "b\\\n  c"\n',
    "folded single quotes": "a: 'b\n\n\n  c'\n",
    "escapes": 'a: "\\N\\_\\L\\P\\x41\\u00e9\\U0001F600\\0\\/\\ "\n',
    "doubled single quote": "a: 'it''s'\n",
    "CRLF": 'a: "b\r\n c"\r\nd: e\r\n  f\r\ng:\r\n  - {h: [i, j]}\r\n',
    "CR": "a: b\rc: d\r",
    "sequence at the key's indentation": "key:\n- a\n- b\n",
    "nested sequences": "- - a\n  - b\n- c\n",
    "mapping in a sequence": "- a: b\n  c: d\n-\n  e: f\n",
    "comments everywhere": "# top\na: 1 # one\n# between\nb:  # before\n  # inside\n  c: 2\n",
    "flow across lines": "a: [\n  b,\n  c,\n]\nd: {\n e: f\n }\n",
    "flow keys without values": "{a, b: c}\n",
    "nested flow": 'a: {b: [c, {d: e}], "f g": h, ? i : j}\n',
    "explicit keys": "? a\n? b\n: c\n",
    "literal block": "a: |\n  x\n   y\n\n  z\nb: 1\n",
    "folded block": "a: >\n  x\n\n  y\n   z\n  w\n",
    "block indicators": "a: |2\n   x\nb: >-\n\n  y\n\nc: |+\n  z\n\nd: 1\n",
    "empty entries": "a:\n  - b\n  -\n  - c\nd:\ne: ~\n",
    "document start": "--- # the blueprint\na: 1\n",
    "unicode": "名前: 日本語\némoji: 😀 and more\n",
    "null key": "~: a\nb: null\n",
    "trailing spaces": "a:   x   \nb: 'y'   \n",
    "long plain": "a: " + "word " * 400 + "\n",
}


@pytest.mark.parametrize("text", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_layouts_of_every_kind_take_the_fast_path_and_read_as_ruamel_reads_them(text):
    assert same_as_ruamel(text), f"the fast path declined {text!r}"


# ---- what the fast path leaves to ruamel, and that ruamel then says what it always said -------------------------------

DECLINED = {
    "merge key": "base: {a: 1}\nteam:\n  <<: {a: 1}\n  b: 2\n",
    "value key": "=: x\n",
    "value scalar": "a: =\n",
    "anchor": "a: &x 1\n",
    "alias": "a: &x 1\nb: *x\n",
    "tag": "a: !!str 1\n",
    "local tag": "a: !shell rm\n",
    "non-specific tag": "a: ! 12\n",
    "yaml 1.1 directive": "%YAML 1.1\n---\na: yes\nb: 0777\n",
    "yaml 1.2 directive": "%YAML 1.2\n---\na: 1\n",
    "tag directive": "%TAG !e! tag:example.com,2000:\n---\na: 1\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "document end twice": "a: 1\n...\n...\n",
    "tab indentation": "a:\n\tb: 1\n",
    "tab separator": "a:\t1\n",
    "NEL": "a: b\x85c\n",
    "line separator": "a: b\u2028c\n",
    "byte order mark": "\ufeffa: 1\n",
    "control character": "a: b\x07\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "duplicate after resolving": "1: a\n0x1: b\n",
    "true and one": "1: a\ntrue: b\n",
    "sequence key": "[a, b]: c\n",
    "mapping key": "? {a: 1}\n: c\n",
    "pair in a flow sequence": '["a":b]\n',
    "comment glued to a block header": "a: |#\n  x\n",
    "spaces after a block header": "a: |\n \n  x\n",
    "bad int": "a: 0o_\n",
    "bad float": "a: ._\n",
    "unclosed bracket": "teams: [a, b\n",
    "mapping in a plain scalar": "a: b: c\n",
    "too deep": "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
}


@pytest.mark.parametrize("text", DECLINED.values(), ids=DECLINED.keys())
def test_the_fast_path_declines_what_it_cannot_vouch_for_and_ruamel_answers_as_before(text, monkeypatch):
    assert fast_reads(text) is None
    assert outcome(text) == ruamel_only(monkeypatch, text)


def test_nesting_up_to_the_limit_takes_the_fast_path_and_one_more_level_is_refused_as_before(monkeypatch):
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert same_as_ruamel(deepest)
    too_deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert outcome(too_deep) == ruamel_only(monkeypatch, too_deep)
    assert f"nesting deeper than {MAX_DEPTH} levels" in outcome(too_deep)[1]


BROKEN = [
    "a: 'unclosed\n",
    'a: "unclosed\n',
    "a: {b: c\n",
    "a:\n  b: 1\n c: 2\n",
    "a: b\n- c\n",
    "a: @x\n",
    "a: `x\n",
    "- a\nb: c\n",
    'a: "\\q"\n',
    "a:\n  - b\n  c: d\n",
    "? a\n? a\n",
    "x" * 1100 + ": 1\n",
]


@pytest.mark.parametrize("text", BROKEN, ids=range(len(BROKEN)))
def test_broken_yaml_gives_the_message_it_gave_before(text, monkeypatch):
    assert outcome(text)[0] == "error"
    assert outcome(text) == ruamel_only(monkeypatch, text)


# ---- real files ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", YAML_FILES, ids=[str(path.relative_to(ROOT)) for path in YAML_FILES])
def test_every_yaml_file_in_the_repository_reads_as_ruamel_reads_it(path, monkeypatch):
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8: read_yaml refuses it before parsing")
    same_as_ruamel(text)
    if len(text.encode("utf-8")) <= yamlio.MAX_BYTES:
        assert outcome(text) == ruamel_only(monkeypatch, text)


def test_the_repository_holds_the_yaml_files_the_comparison_is_about():
    names = {str(path.relative_to(ROOT)) for path in YAML_FILES}
    assert {f"blueprints/{name}.yaml" for name in BUILTIN_STANCES} <= names
    assert len([name for name in names if name.startswith("tests/bad_inputs/cases/")]) >= 50
    assert any(name.startswith("stacks/") and name.endswith("/blueprint.yaml") for name in names)


def blueprints_users_have() -> list[Path]:
    """The project's own stances, and blueprints and overlays as `blueprint new` and `fork` write them."""
    stacks = sorted((ROOT / "stacks").glob("*/blueprint.yaml")) + sorted((ROOT / "stacks").glob("*/teams/*.yaml"))
    return [stance_path(name) for name in BUILTIN_STANCES] + stacks + sorted((ROOT / "stacks" / "sources").glob("*.yaml"))


@pytest.mark.parametrize("path", blueprints_users_have(), ids=lambda path: str(path.relative_to(ROOT)))
def test_blueprints_and_stances_take_the_fast_path(path):
    assert same_as_ruamel(path.read_text(encoding="utf-8")), f"{path} fell back to ruamel's pure-Python loader"


def test_loading_a_blueprint_never_reaches_ruamels_loader(tmp_path, monkeypatch):
    """The regression the speed depends on: a normal blueprint (200 teams, as `blueprint new` writes it) and the
    built-in stances are read without ruamel's pure-Python parser, which costs ~40 times as much."""
    teams = [{"name": f"team-{i:03}", "idp_group": f"dsw-team-{i:03}", "description": f"Team {i}: it's \"quoted\""} for i in range(200)]
    path = write_blueprint(tmp_path / "acme-dsw", blueprint_data(teams=teams))
    expected = read_yaml(path)

    def refuse() -> None:
        raise AssertionError("ruamel's pure-Python loader was used")

    monkeypatch.setattr(yamlio, "_safe_yaml", refuse)
    assert read_yaml(path) == expected
    assert len(load_blueprint(path).teams) == 200
    for name in BUILTIN_STANCES:
        assert read_yaml(stance_path(name))["name"] == name
    assert parse_yaml_text(dump_yaml(expected), "round-trip") == expected
