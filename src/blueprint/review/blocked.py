"""The review of a pull request whose head does not load (a floor breach, an expired exception, bad YAML).

That is the pull request that needs a reviewer most, so it still gets a comment: a "blocked" section first,
naming each file, field and problem with its fix (for a floor breach, the exact `exceptions:` entry that would
permit the value), then what can still be compared without loading the head: the files the change touches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import __version__
from ..errors import SpecError
from .markdown import MARKER, code, text

# The floor check's fix ends with the exceptions entry: `{team: ..., control: ..., value: ..., reason, approved_by, expires}`.
_EXCEPTION_ENTRY = re.compile(r"\{team: (?P<team>[^,]+), control: (?P<control>[^,]+), value: (?P<value>.+), reason, approved_by, expires\}$")


@dataclass(frozen=True)
class FileChange:
    status: str
    path: str


def render_blocked(error: SpecError, *, base_label: str, changes: tuple[FileChange, ...]) -> str:
    """Markdown for the pull-request comment when the head cannot be loaded."""
    lines = [
        MARKER,
        f"### ⛔ blueprint review: blocked (against {code(base_label)})",
        "",
        f"The head of this pull request does not load, so nothing can be previewed or checked until it does. "
        f"{len(error.problems)} problem(s) in {code(error.source, 200)}:",
        "",
        "| field | problem | fix |",
        "|---|---|---|",
    ]
    entries = []
    for problem in error.problems:
        lines.append(f"| {code(problem.field or '-')} | {text(problem.message, 300)} | {text(problem.fix or '-', 300)} |")
        match = _EXCEPTION_ENTRY.search(problem.fix)
        if match:
            entries.append(match)
    if entries:
        lines += [
            "",
            "A value below the org floor needs an approved, expiring exception in `blueprint.yaml` (the org's file, "
            "reviewed by the org). The entry that would permit this change:",
            "",
            "```yaml",
            "exceptions:",
        ]
        for match in entries:
            lines += [
                f"  - team: {_yaml_scalar(match['team'])}",
                f"    control: {_yaml_scalar(match['control'])}",
                f"    value: {_yaml_scalar(match['value'])}",
                "    reason: <why this team needs it, 10 characters or more>",
                "    approved_by: <who approves it>",
                "    expires: <YYYY-MM-DD>",
            ]
        lines.append("```")
    lines += ["", f"Files this pull request changes in the project ({len(changes)}):", ""]
    lines += [f"- {code(change.status)} {code(change.path, 200)}" for change in changes] or ["- (none found)"]
    lines += ["", f"<sub>workbench-blueprint {text(__version__)} · offline review, not `pulumi preview`</sub>", ""]
    return "\n".join(lines)


def _yaml_scalar(value: str) -> str:
    """The value as the floor check printed it (Python repr of a str, int or list) in YAML's flow syntax."""
    value = value.strip()
    if value.startswith("'") and value.endswith("'") and "'" not in value[1:-1]:
        return value  # a single-quoted YAML string reads the same
    return value.replace("'", '"') if value.startswith("[") else value
