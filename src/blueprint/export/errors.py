"""The one error an export raises: the graph holds something an export format cannot represent faithfully."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import BlueprintError


class ExportError(BlueprintError):
    """A resource cannot be exported faithfully (unknown type, unknown property); nothing is written."""

    def __init__(self, *, export_format: str, problems: Iterable[str], fix: str = "") -> None:
        self.export_format = export_format
        self.problems = tuple(problems)
        lines = [f"{export_format} export: {problem}" for problem in self.problems]
        if fix:
            lines.append(f"fix: {fix}")
        super().__init__("\n".join(lines))
