"""The `blueprint` command line. Importing it must stay cheap: no pulumi on this path."""

from __future__ import annotations

from . import catalog, check, export, graph, preview, project, review  # noqa: F401  (modules register their commands on `app`)
from ._app import app


def main() -> None:
    app()
