"""Differential: for generated YAML texts (every tricky kind of scalar, block and flow nesting, quotes, comments,
block scalars, CRLF, unicode, then broken by random edits) the fast path reads what ruamel's loader reads, types
included, or declines; and what dump_yaml writes takes the fast path unless it holds a character left to ruamel."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprint.model import yamlio
from blueprint.model.yamlio import dump_yaml, parse_yaml_text
from tests.model.test_yamlio_fast import PLAIN_SCALARS, fast_reads, ruamel_reads, typed
from tests.property.counting import EXAMPLES

SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
TEXT_EXAMPLES = 800
DATA_EXAMPLES = 150

# Scalars where YAML 1.1 and 1.2, or libyaml and ruamel, could part ways, and the characters YAML gives a meaning.
TRICKY = [plain for plain, _ in PLAIN_SCALARS] + [
    "0o8", "0x", "0b", "0_0", "1__", "_1", "-_", "1e1_0", "1e+", "0.", "-0.0", ".5e+3", "+.5", "12:30", "1:1:1", "-1:20",
    "2024-13-45", "1999-02-30", "2001-12-14t21:59:43.10-05:00", "2024-01-01 10:00:00.5 +02:00",
    "2024-01-01T00:00:00.123456789+05:30", "<<", "=", "?", ":", "?a", ":a", "a?b", "a:b:c", "a :b", "a #b", "a,b", "a]b",
    "a}", "[a", "{a", "@a", "`a", "%a", "!a", "&a", "*a", "a'b", 'a"b', "a  b", " a", "a ", "\\", "\\n", "...", "---",
    "-- -", "é", "日本", "😀", "x: y", "- x", "| x", "> x", "#", "'", '"',
]
ESCAPES = ["\\n", "\\t", "\\\\", '\\"', "\\/", "\\ ", "\\0", "\\a", "\\e", "\\N", "\\_", "\\L", "\\P", "\\x41", "\\u00e9",
           "\\U0001F600", "\\ud800", "\\q", "\\\n"]
EDITS = list(" \n-:?,[]{}#&*!|>'\"%@`a0.~\\=+_") + [
    ": ", "- ", "\n  ", "\n- ", "...", "---", "? ", "\r\n", "\r", "\n ", "\n   ", "|", "|-", ">+", "|2", " #", "\t", "\x85",
]

# Plain functions of one `draw`, not nested strategies: building strategies per draw made generation the cost.
WORDS = st.one_of(st.sampled_from(TRICKY), st.text(alphabet=st.sampled_from("ab0 1.-_:#'\"é"), max_size=6))
PLAIN_WORDS = st.one_of(
    st.sampled_from([word for word in TRICKY if word and word[0] not in "-?:,[]{}#&*!|>'\"%@` " and ": " not in word and " #" not in word
                     and word[-1] not in ": " and word not in ("...", "---") and not any(c in word for c in ",[]{}")]),
    st.text(alphabet=st.sampled_from("abz019._/é日"), min_size=1, max_size=6),
)
STYLES = st.sampled_from(["plain", "plain", "plain", "single", "double"])
MAYBE_ESCAPE = st.sampled_from(["", "", *ESCAPES])
BLOCK_INDICATORS = st.sampled_from([f"{style}{chomp}{comment}" for style in "|>" for chomp in ("", "-", "+", "2", "-1", "+2") for comment in ("", "", " # c")])
STEPS = st.sampled_from([1, 2, 4])
COLONS = st.sampled_from([": ", ":", " : "])
BLOCK_COLONS = st.sampled_from([": ", ":  ", ":"])
SEPARATORS = st.sampled_from([", ", ","])
ENDINGS = st.sampled_from(["", ",", " "])
COMMENTS = st.sampled_from(["", "", "", " # note", "  #x", " #: -"])
STARTS = st.sampled_from(["", "", "---\n", "--- ", "# top\n", "\n"])
ENDS = st.sampled_from(["", "\n", "\n", "\n# end\n", "\n\n", "\n---\n", "\n...\n"])
EDIT_KINDS = st.sampled_from(["insert", "insert", "delete", "copy"])
EDIT_TEXTS = st.sampled_from(EDITS)


def scalar(draw) -> str:
    style = draw(STYLES)
    if style == "plain":  # mostly words a plain scalar can hold, so that most texts are valid YAML
        value = draw(WORDS) if draw(st.integers(0, 4)) == 0 else draw(PLAIN_WORDS)
        return value + " " + draw(PLAIN_WORDS) if draw(st.integers(0, 4)) == 0 else value
    value = draw(WORDS)
    if draw(st.booleans()):
        value += draw(WORDS)
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + draw(MAYBE_ESCAPE) + '"'


def block_scalar(draw, indent: int) -> str:
    pad = " " * (indent + draw(STEPS))
    lines = [draw(st.sampled_from(["", pad, pad + "  "])) + draw(WORDS) for _ in range(draw(st.integers(0, 4)))]
    return draw(BLOCK_INDICATORS) + "\n" + "\n".join(line if line.strip() else "" for line in lines)


def flow(draw, depth: int = 0) -> str:
    kind = draw(st.integers(0, 4)) if depth < 3 else 0
    if kind <= 2:
        return scalar(draw)
    if kind == 3:
        items = [flow(draw, depth + 1) for _ in range(draw(st.integers(0, 3)))]
        return "[" + draw(SEPARATORS).join(items) + draw(ENDINGS) + "]"
    pairs = [scalar(draw) + draw(COLONS) + flow(draw, depth + 1) if draw(st.integers(0, 9)) else scalar(draw) for _ in range(draw(st.integers(0, 3)))]
    return "{" + draw(SEPARATORS).join(pairs) + draw(ENDINGS) + "}"


def block(draw, indent: int = 0, depth: int = 0) -> str:
    pad = " " * indent
    lines = []
    if draw(st.booleans()):  # a mapping
        for _ in range(draw(st.integers(1, 4))):
            key = scalar(draw) if draw(st.integers(0, 9)) else "? " + scalar(draw)
            choice = draw(st.integers(0, 9)) if depth < 3 else 9
            if choice < 3:
                lines.append(f"{pad}{key}:{draw(COMMENTS)}\n{block(draw, indent + draw(STEPS), depth + 1)}")
            elif choice == 3:
                lines.append(f"{pad}{key}: {block_scalar(draw, indent)}")
            else:
                lines.append(f"{pad}{key}{draw(BLOCK_COLONS)}{flow(draw)}{draw(COMMENTS)}")
    else:  # a sequence
        dash = pad if draw(st.integers(0, 4)) else pad + "  "
        for _ in range(draw(st.integers(1, 4))):
            choice = draw(st.integers(0, 9)) if depth < 3 else 9
            if choice < 3:
                lines.append(f"{dash}-{draw(COMMENTS)}\n{block(draw, indent + 2, depth + 1)}")
            elif choice == 3:
                lines.append(f"{dash}- {block_scalar(draw, indent)}")
            else:
                lines.append(f"{dash}- {flow(draw)}{draw(COMMENTS)}")
    return "\n".join(line.rstrip("\n") for line in lines)


@st.composite
def documents(draw) -> str:
    """A YAML text, valid more often than not, then broken by a few random insertions, deletions and copies."""
    text = draw(STARTS) + (block(draw) if draw(st.integers(0, 4)) else flow(draw)) + draw(ENDS)
    if draw(st.integers(0, 3)) == 0:
        text = text.replace("\n", "\r\n")
    for _ in range(draw(st.integers(1, 3)) if draw(st.integers(0, 2)) == 0 else 0):
        at = draw(st.integers(0, len(text)))
        edit = draw(EDIT_KINDS)
        if edit == "insert":
            text = text[:at] + draw(EDIT_TEXTS) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 3)) :]
        else:
            start = draw(st.integers(0, len(text)))
            text = text[:at] + text[start : start + 5] + text[at:]
    return text


def test_the_fast_path_reads_generated_yaml_as_ruamel_does_or_declines():
    ran = Counter()

    @settings(max_examples=TEXT_EXAMPLES, deadline=None, suppress_health_check=SLOW)
    @given(documents())
    def check(text):
        ran["examples"] += 1
        fast = fast_reads(text)
        if fast is not None:
            ran["fast"] += 1
            assert fast == ruamel_reads(text), f"the fast path reads {text!r} otherwise than ruamel"

    check()
    EXAMPLES["yaml fast path: generated texts"] += ran["examples"]
    EXAMPLES["yaml fast path: of them read by the fast path"] += ran["fast"]
    # The comparison means something only when the fast path reads a good share of the texts (a quarter to a third
    # of these, many of which are broken YAML); declining everything would pass the assertion above.
    assert ran["fast"] >= ran["examples"] // 8, ran


keys = st.one_of(st.text(max_size=12), st.integers(-5, 10**12), st.booleans(), st.none(), st.sampled_from([t for t in TRICKY if t]))
leaves = st.one_of(
    st.text(max_size=20),
    st.sampled_from(TRICKY),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates(),
)
data = st.recursive(leaves, lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)), max_leaves=20)


def test_what_dump_yaml_writes_takes_the_fast_path_and_reads_back_as_ruamel_reads_it():
    ran = Counter()

    @settings(max_examples=DATA_EXAMPLES, deadline=None, suppress_health_check=SLOW)
    @given(st.dictionaries(keys, data, min_size=1, max_size=6))
    def check(document):
        ran["examples"] += 1
        text = dump_yaml(document)
        fast = fast_reads(text)
        assert fast == ruamel_reads(text) or (fast is None and yamlio._unsure(text)), f"{text!r} declined or read otherwise"
        if fast is not None:
            ran["fast"] += 1
            assert ("data", typed(parse_yaml_text(text, "round-trip"))) == fast

    check()
    EXAMPLES["yaml fast path: dumped documents"] += ran["examples"]
    assert ran["fast"] >= ran["examples"] * 3 // 4, ran

