"""blueprint.yaml's schema versions: what changed between them, and the migration `blueprint upgrade` applies.

Version 2 (this one) removed `stack:`: physical names come from the Pulumi stack the program runs in, so
`pulumi stack init prod` makes a second workbench and no copy of the stack name can disagree with Pulumi.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .spec import SCHEMA_VERSION


def check_current(data: Any, source: str) -> None:
    """Refuse a document of an older schema version, naming the fix and `blueprint upgrade`, before field validation runs."""
    if not isinstance(data, dict):
        return
    version = data.get("schema_version", SCHEMA_VERSION)
    if "stack" in data:
        shown = f"`stack: {data['stack']}`" if isinstance(data["stack"], str) else "`stack:`"
        raise SpecError.single(
            source=source,
            field="stack",
            message=f"{shown} is no longer read: resources are named after the Pulumi stack the program runs in "
            "(`pulumi stack select`), so a copy here could only disagree with it",
            fix=f"run `blueprint upgrade`, which deletes the line and sets schema_version: {SCHEMA_VERSION} (Pulumi.<stack>.yaml files stay as they are)",
        )
    if version == 1:
        raise SpecError.single(
            source=source,
            field="schema_version",
            message="1 is the format from before resources were named after the Pulumi stack",
            fix=f"run `blueprint upgrade`, or set schema_version: {SCHEMA_VERSION} (without `stack:` nothing else changes)",
        )


# The comment `blueprint new` wrote above `stack:` in schema_version 1; removed with the key.
_V1_STACK_COMMENT = "# Pulumi stack this blueprint is previewed and applied as."
_STACK_LINE = re.compile(r"^stack:[ \t]*(?P<value>[^#\n]*?)[ \t]*(#.*)?$")
_VERSION_LINE = re.compile(r"^schema_version:[ \t]*1[ \t]*(#.*)?$")


def migrate_text(text: str, data: Mapping[str, Any], source: str = "blueprint.yaml") -> tuple[str, list[str]]:
    """blueprint.yaml's text (`data`: the same, parsed) brought to SCHEMA_VERSION, every other line kept; what changed.

    Line-based, so comments and layout stay exactly as the user left them; a `stack:` that is not a top-level
    line of its own (flow style) is a SpecError asking for the edit by hand.
    """
    version = data.get("schema_version", 1 if "stack" in data else SCHEMA_VERSION)
    if version not in (1, SCHEMA_VERSION) or (version == SCHEMA_VERSION and "stack" not in data):
        return text, []  # current, or from a version this one does not know (loading says so)
    lines = text.splitlines(keepends=True)
    notes: list[str] = []
    if "stack" in data:
        at = next((i for i, line in enumerate(lines) if _STACK_LINE.match(line.rstrip("\r\n"))), None)
        if at is None:
            raise SpecError.single(
                source=source, field="stack", message="is not on a line of its own, so `blueprint upgrade` cannot remove it",
                fix="delete the `stack:` entry by hand and set schema_version: 2",
            )
        start = at
        if start > 0 and lines[start - 1].strip() == _V1_STACK_COMMENT:
            start -= 1
            if start > 0 and not lines[start - 1].strip():
                start -= 1
        del lines[start : at + 1]
        stack = data["stack"]
        notes.append(
            f"blueprint.yaml: removed `stack: {stack}`: resources are now named after the Pulumi stack the program runs in "
            f"(`pulumi stack select {stack}` keeps today's names)"
        )
    if version == SCHEMA_VERSION:  # `stack:` in a current file: nothing else to bring up to date
        return "".join(lines), notes
    at = next((i for i, line in enumerate(lines) if _VERSION_LINE.match(line.rstrip("\r\n"))), None)
    if at is not None:
        ending = lines[at][len(lines[at].rstrip("\r\n")) :]
        lines[at] = f"schema_version: {SCHEMA_VERSION}{ending}"
    else:  # after the leading comments (the modeline stays first)
        first = next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")), len(lines))
        lines.insert(first, f"schema_version: {SCHEMA_VERSION}\n")
    notes.append(f"blueprint.yaml: schema_version {version} -> {SCHEMA_VERSION}")
    return "".join(lines), notes


def migrate_copy(path: Path) -> list[str]:
    """Migrate the blueprint.yaml at `path` in place; for temporary copies only (a git base being reviewed), never
    the user's file, which only `blueprint upgrade` rewrites. What changed; nothing when current or unreadable."""
    from .yamlio import read_yaml

    try:
        data = read_yaml(path)
    except SpecError:
        return []  # loading the copy names what is wrong
    if not isinstance(data, dict):
        return []
    text = path.read_text(encoding="utf-8")
    migrated, notes = migrate_text(text, data, str(path))
    if migrated != text:
        path.write_text(migrated, encoding="utf-8")
    return notes
