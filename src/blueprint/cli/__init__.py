"""The `blueprint` command line. Importing it must stay cheap: no pulumi on this path."""

from __future__ import annotations

# Import order is the order of `blueprint --help`; each module registers its commands on `app`.
from . import catalog, project, preview, check, graph, export, review  # noqa: F401, I001
from ._app import app


def main() -> None:
    app()
