"""Finding the built-in stance files: shipped inside the wheel, or top-level `blueprints/` in a checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

BUILTIN_STANCES = ("strict", "balanced", "open")


@cache
def stances_dir() -> Path:
    package_copy = Path(__file__).resolve().parent.parent / "blueprints"
    if package_copy.is_dir():
        return package_copy
    checkout_copy = Path(__file__).resolve().parents[3] / "blueprints"
    if checkout_copy.is_dir():
        return checkout_copy
    raise RuntimeError("built-in stances not found: the package is installed without its blueprints/ data")


def stance_path(name: str) -> Path:
    return stances_dir() / f"{name}.yaml"
