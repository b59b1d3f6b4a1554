"""GitHub-flavoured markdown for a pull-request comment: riskiest changes first, always under the comment limit.

Every value that comes from a blueprint (team names, descriptions, reasons, control
values, resource names) goes through `code()` or `text()`, so it cannot end a table
cell, open HTML, or mention a person or team.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..model import Concern
from ..model.controls import Exposure
from ..model.spec import ControlException, settings_exposed
from ..model.stance import controls_exposed
from .check import FAILED, PASSED, CheckOutcome
from .controls import ORG, Change, ControlChange
from .diff import ProjectDiff
from .resources import ResourceChange
from .risk import ENCRYPTION, IAM, PUBLIC, Finding

GITHUB_COMMENT_LIMIT = 65_536
# Room for what a sticky-comment action adds around the body (its hidden marker, a header).
DEFAULT_BUDGET = GITHUB_COMMENT_LIMIT - 1_536
MARKER = "<!-- workbench-blueprint:review -->"
# Rows per table, tried from the first until the comment fits the budget.
ROW_LIMITS = (40, 20, 10, 5, 3, 1, 0)
CELL_CHARS = 80
TEAMS_SHOWN = 6

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#!|~<>])")


def _clean(value: str, limit: int) -> str:
    value = _CONTROL_CHARS.sub(" ", value).strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def text(value: Any, limit: int = CELL_CHARS) -> str:
    """Plain text safe in a table cell and in prose: markdown and HTML escaped, no @mentions, one line."""
    cleaned = _clean(str(value), limit)
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", cleaned.replace("&", "&amp;"))
    # A zero-width space after '@' keeps GitHub from notifying a user or team.
    return escaped.replace("@", "@\u200b")


def code(value: Any, limit: int = CELL_CHARS) -> str:
    """An inline code span holding `value` verbatim (no markdown, HTML or mentions inside), safe in a table cell."""
    cleaned = _clean(value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str), limit)
    if not cleaned:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", cleaned)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {cleaned} " if cleaned.startswith("`") or cleaned.endswith("`") or longest else cleaned
    # GFM splits table cells on '|' before it parses code spans; '\|' is the escape it honours there.
    return f"{fence}{padded}{fence}".replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell or " " for cell in row) + " |" for row in rows]
    return lines


def _more(hidden: int, what: str, hint: str = "") -> list[str]:
    if hidden <= 0:
        return []
    return ["", f"…and {hidden} more {what}{hint}."]


# ---- grouping team changes so 200 teams make one row, not 200 ---------------------


@dataclass(frozen=True)
class Group:
    """Changes of one control from one value to another, in one or more places."""

    control: str
    old: Any
    new: Any
    change: Change
    changes: tuple[ControlChange, ...]

    @property
    def concern(self) -> str:
        return self.changes[0].concern.value

    def where(self) -> str:
        scopes = [c.scope for c in self.changes]
        if scopes == [ORG]:
            return "org stance"
        if scopes == ["floor"]:
            return "org floor"
        teams = sorted(c.team or c.scope for c in self.changes)
        shown = ", ".join(code(t, 40) for t in teams[:TEAMS_SHOWN])
        label = f"{len(teams)} team{'s' if len(teams) != 1 else ''}: {shown}"
        return label + (f" and {len(teams) - TEAMS_SHOWN} more" if len(teams) > TEAMS_SHOWN else "")


def group(changes: Sequence[ControlChange]) -> list[Group]:
    """Team changes with the same control, old and new value become one group; order follows the first member."""
    groups: dict[tuple[Any, ...], list[ControlChange]] = {}
    for change in changes:
        scope_kind = change.scope if change.team is None else "team"
        key = (scope_kind, change.control, json.dumps(change.old, sort_keys=True, default=str), json.dumps(change.new, sort_keys=True, default=str), change.change)
        groups.setdefault(key, []).append(change)
    return [Group(members[0].control, members[0].old, members[0].new, members[0].change, tuple(members)) for members in groups.values()]


def _control_rows(groups: Sequence[Group]) -> list[list[str]]:
    return [[g.concern, code(g.control), code(g.old, 40), code(g.new, 40), g.where()] for g in groups]


# ---- sections ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewInput:
    """What the review is about: the diff, where the base came from, and the check of the new side."""

    diff: ProjectDiff
    base_label: str
    check: CheckOutcome


Section = Callable[[ReviewInput, int], list[str]]


def _header(review: ReviewInput, rows: int) -> list[str]:
    diff = review.diff
    old_stance, new_stance = diff.old.stance, diff.new.stance
    stance = code(new_stance.name) if old_stance.name == new_stance.name else f"{code(old_stance.name)} → {code(new_stance.name)}"
    counts = {kind: len(diff.of(kind)) for kind in Change}
    teams = f"{len(diff.new.teams)}"
    if diff.teams.added or diff.teams.removed:
        teams += f" (+{len(diff.teams.added)} added, −{len(diff.teams.removed)} removed)"
    exceptions = diff.exceptions
    lines = [
        MARKER,
        f"## Blueprint review: {code(diff.new.org)} · stance {stance}",
        "",
        f"> {text(new_stance.summary, 200)}",
        "",
        f"Compared with {code(review.base_label)} by workbench-blueprint {__version__}. Resource changes come from the "
        "**offline** preview (Pulumi mock engine): it is not `pulumi preview`, which runs with the policy pack in CI.",
        "",
        "| | |",
        "|---|---|",
        f"| stance | {stance} |",
        f"| teams | {teams} |",
        f"| controls | **{counts[Change.WEAKER]} weaker** · {counts[Change.STRONGER]} stronger · {counts[Change.CHANGED]} changed |",
        f"| weaker by concern | {_by_concern(diff.weakened)} |",
        f"| exceptions | {len(exceptions.added)} added · {len(exceptions.removed)} removed · {len(exceptions.expiring)} expiring soon · {len(exceptions.expired)} expired |",
    ]
    if diff.resources is None:
        lines.append("| resources | not previewed |")
    else:
        s = diff.resources.summary()
        lines.append(f"| resources | +{s['add']} to add · ~{s['change']} to change · −{s['remove']} to remove · {s['same']} unchanged |")
    lines.append(f"| `blueprint check` | {_check_badge(review.check)} |")
    return lines


def _by_concern(changes: Sequence[ControlChange]) -> str:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.concern.value] = counts.get(change.concern.value, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: next(c.rank for c in Concern if c.value == kv[0]))
    return " · ".join(f"{concern} {count}" for concern, count in ordered) or "none"


def _check_badge(check: CheckOutcome) -> str:
    if check.status == PASSED:
        return "✅ passed" + (f" ({len(check.warnings)} warning(s))" if check.warnings else "")
    if check.status == FAILED:
        return f"❌ {len(check.violations)} violation(s)"
    return f"⚪ not run: {text(check.note, 120)}"


def _weakened(review: ReviewInput, rows: int) -> list[str]:
    weakened = [c for c in review.diff.weakened if not c.is_quota]
    if not weakened:
        return []
    groups = group(weakened)
    lines = ["", f"### 🔴 Controls weakened ({len(weakened)})", "", "Biggest concern first; each judged by the control's own order (`blueprint explain`)."]
    if rows:
        lines += [""] + _table(["concern", "control", "before", "after", "where"], _control_rows(groups[:rows]))
    return lines + _more(len(groups) - rows, "weakened control change(s)", "; `blueprint diff` lists all")


def _public(review: ReviewInput, rows: int) -> list[str]:
    controls = [c for c in review.diff.weakened if c.control in _PUBLIC_CONTROLS]
    found = [f for f in review.diff.findings if f.kind == PUBLIC]
    if not controls and not found:
        return []
    lines = ["", f"### 🌐 Public endpoints and 0.0.0.0/0 rules ({len(controls) + len(found)})"]
    if controls:
        lines += ["", "Controls that open the workbench wider: " + ", ".join(f"{code(c.control)} {code(c.old, 30)} → {code(c.new, 30)}" for c in controls[: max(rows, 1)])]
        lines += _more(len(controls) - max(rows, 1), "control(s)")
    lines += _findings_table(found, rows, with_kind=False)
    return lines


_PUBLIC_CONTROLS = controls_exposed(Exposure.PUBLIC) | settings_exposed(Exposure.PUBLIC)


def _findings_table(found: Sequence[Finding], rows: int, *, with_kind: bool) -> list[str]:
    """One row per kind of finding (type, action, input, why), naming the first few resources: 200 teams, one row."""
    if not found:
        return []
    grouped: dict[tuple[str, str, str, str, str], list[str]] = {}
    for f in found:
        grouped.setdefault((f.kind, f.change.type, f.change.action, f.path, f.why), []).append(f.change.name)
    header = (["kind"] if with_kind else []) + ["resources", "type", "action", "input", "why"]
    table_rows = []
    for (kind, token, action, path, why), names in list(grouped.items())[:rows]:
        shown = ", ".join(code(n, 50) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        row = [text(kind)] if with_kind else []
        row += [f"{len(names)}: {shown}" if len(names) > 1 else shown, code(_short_type(token), 50), action, code(path, 60) if path else " ", text(why)]
        table_rows.append(row)
    lines = ["", *_table(header, table_rows)] if rows else []
    return lines + _more(len(grouped) - rows, "kind(s) of finding")


def _short_type(token: str) -> str:
    package, _, rest = token.partition(":")
    return f"{package}:{rest.split(':')[-1]}" if rest else token


def _iam_encryption(review: ReviewInput, rows: int) -> list[str]:
    controls = [c for c in review.diff.controls if c.control in _IAM_ENCRYPTION_CONTROLS and c.change is not Change.STRONGER]
    found = [f for f in review.diff.findings if f.kind in (IAM, ENCRYPTION)]
    if not controls and not found:
        return []
    lines = ["", f"### 🔑 IAM and encryption changes ({len(controls) + len(found)})"]
    if controls:
        lines += ["", "Controls: " + ", ".join(f"{code(c.control)} {code(c.old, 30)} → {code(c.new, 30)} ({text(c.scope)})" for c in controls[: max(rows, 1)])]
        lines += _more(len(controls) - max(rows, 1), "control(s)")
    return lines + _findings_table(found, rows, with_kind=True)


_IAM_ENCRYPTION_CONTROLS = controls_exposed(Exposure.ACCESS) | settings_exposed(Exposure.ACCESS)


def _quotas(review: ReviewInput, rows: int) -> list[str]:
    increases = [c for c in review.diff.weakened if c.is_quota]
    if not increases:
        return []
    groups = group(increases)
    per_control: dict[str, int] = {}
    for change in increases:
        per_control[change.control] = per_control.get(change.control, 0) + 1
    counts = " · ".join(f"{code(control)} ×{count}" for control, count in sorted(per_control.items()))
    lines = ["", f"### 📈 Quota increases ({len(increases)})", "", counts]
    if rows:
        lines += [""] + _table(["concern", "control", "before", "after", "where"], _control_rows(groups[:rows]))
    return lines + _more(len(groups) - rows, "quota change(s)")


def _exceptions(review: ReviewInput, rows: int) -> list[str]:
    e = review.diff.exceptions
    tagged: list[tuple[str, ControlException]] = [
        *(("⛔ expired", x) for x in e.expired),
        *(("⏳ expiring", x) for x in e.expiring),
        *(("➕ added", x) for x in e.added),
        *(("➖ removed", x) for x in e.removed),
    ]
    if not tagged:
        return []
    summary = f"{len(e.added)} added · {len(e.removed)} removed · {len(e.expiring)} expiring within 14 days · {len(e.expired)} expired"
    lines = ["", f"### 🧾 Exceptions below the floor ({summary})"]
    if rows:
        table_rows = [
            [tag, code(x.team, 40), code(x.control), code(x.value, 30), x.expires.isoformat(), text(x.approved_by, 40), text(x.reason, 120)] for tag, x in tagged[:rows]
        ]
        lines += [""] + _table(["", "team", "control", "value", "expires", "approved by", "reason"], table_rows)
    return lines + _more(len(tagged) - rows, "exception(s)")


def _other(review: ReviewInput, rows: int) -> list[str]:
    other = [c for c in review.diff.controls if c.change is not Change.WEAKER]
    teams = review.diff.teams
    if not other and not teams.added and not teams.removed:
        return []
    lines = ["", f"<details><summary>🟢 Strengthened and other changes ({len(other)}), teams added/removed</summary>", ""]
    for label, names in (("Teams added", teams.added), ("Teams removed", teams.removed)):
        if names:
            shown = max(rows, 1) * 3
            lines.append(f"{label} ({len(names)}): " + ", ".join(code(n, 40) for n in names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else ""))
            lines.append("")
    groups = group(other)
    if groups and rows:
        header = ["change", "concern", "control", "before", "after", "where"]
        lines += _table(header, [[g.change.value, *_control_rows([g])[0]] for g in groups[:rows]])
    lines += _more(len(groups) - rows, "change(s)")
    return lines + ["", "</details>"]


def _resources(review: ReviewInput, rows: int) -> list[str]:
    resources = review.diff.resources
    if resources is None:
        return ["", "### 📦 Resource changes", "", "Not previewed."]
    if resources.empty:
        return ["", "### 📦 Resource changes (offline preview)", "", f"No resource changes ({resources.unchanged} resources unchanged)."]
    by_type = resources.by_type()
    type_rows = max(rows, 5) * 2
    lines = ["", "### 📦 Resource changes (offline preview)", ""]
    lines += _table(["type", "add", "change", "remove"], [[code(_short_type(t), 60), str(a), str(c), str(r)] for t, a, c, r in by_type[:type_rows]])
    lines += _more(len(by_type) - type_rows, "resource type(s)")
    ordered: list[ResourceChange] = [*resources.removed, *resources.changed, *resources.added]
    if rows:
        detail_rows = []
        for change in ordered[:rows]:
            paths = change.paths
            shown = ", ".join(code(p, 50) for p in paths[:4]) + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")
            detail_rows.append([change.action, code(change.name, 50), code(_short_type(change.type), 50), shown or " "])
        lines += ["", f"<details><summary>Resources ({len(ordered)}): removed first, then changed, then added</summary>", ""]
        lines += _table(["action", "resource", "type", "changed inputs"], detail_rows)
        lines += _more(len(ordered) - rows, "resource(s)", "; `blueprint diff --json` lists all")
        lines += ["", "</details>"]
    return lines


def _check(review: ReviewInput, rows: int) -> list[str]:
    check = review.check
    lines = ["", f"### `blueprint check`: {_check_badge(check)}"]
    items = [("violation", v) for v in check.violations] + [("warning", w) for w in check.warnings]
    if items and rows:
        table_rows = [[kind, text(v.severity), code(v.rule, 50), code(v.resource.split("::")[-1], 50) if v.resource else " ", text(v.message, 160)] for kind, v in items[:rows]]
        lines += [""] + _table(["", "severity", "rule", "resource", "message"], table_rows)
    return lines + _more(len(items) - rows, "finding(s)", "; run `blueprint check` for all")


SECTIONS: tuple[Section, ...] = (_header, _weakened, _public, _iam_encryption, _quotas, _exceptions, _other, _resources, _check)


def _render(review: ReviewInput, rows: int) -> str:
    lines: list[str] = []
    for section in SECTIONS:
        lines += section(review, rows)
    lines += ["", f"<sub>Generated by `blueprint review` · base {code(review.base_label)} · rows per table: {rows if rows else 'counts only'}</sub>", ""]
    return "\n".join(lines)


def render_review(diff: ProjectDiff, check: CheckOutcome, *, base_label: str, budget: int = DEFAULT_BUDGET) -> str:
    """The review comment: the most rows per table that still fit `budget` characters; whole tables only."""
    review = ReviewInput(diff, base_label, check)
    body = ""
    for rows in ROW_LIMITS:
        body = _render(review, rows)
        if len(body) <= budget:
            return body
    # Counts only still too long (should not happen: every list above is capped): keep the summary.
    return "\n".join([*_header(review, 0), "", "The full review is too long for one comment; run `blueprint diff --json`.", ""])
