"""The one error an export raises: the graph holds something an export format cannot represent faithfully."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import BlueprintError, Problem


class ExportError(BlueprintError):
    """A resource cannot be exported faithfully (unknown type, unknown property); nothing is written."""

    def __init__(self, *, export_format: str, problems: Iterable[str], fix: str = "") -> None:
        self.export_format = export_format
        super().__init__(source=f"{export_format} export", problems=[Problem(field="", message=p) for p in problems], fix=fix)
