"""The one place child resource names and common tags are derived, so names never scatter."""

from __future__ import annotations

TOKEN_PREFIX = "workbench"


def type_token(area: str, name: str) -> str:
    """`workbench:<area>:<Name>` type token for a component."""
    return f"{TOKEN_PREFIX}:{area}:{name}"


def child(parent_name: str, *parts: str) -> str:
    """Logical name of a child resource: `<component name>-<part>-<part>`."""
    return "-".join((parent_name, *parts))


def tags(org: str, stack: str, **extra: str) -> dict[str, str]:
    """Tags every AWS resource carries so cost and ownership are traceable."""
    return {"workbench:org": org, "workbench:stack": stack, "managed-by": "workbench-blueprint", **extra}
