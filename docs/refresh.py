"""Regenerate the generated parts of docs/ (`make docs`): stance matrix, architecture graph, validation figures."""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "src"))

from blueprint.catalog.matrix import render_matrix  # noqa: E402

MARKED = re.compile(r"(<!-- graph:start -->\n).*?(<!-- graph:end -->)", re.DOTALL)
FIGURES = re.compile(r"(<!-- validation:start -->\n).*?(<!-- validation:end -->)", re.DOTALL)
TABLE = re.compile(r"^## (.+)\n(?:(?!^## |^### ).*\n)*?(^\| stance .*\n(?:^\|.*\n)+)", re.MULTILINE)


def architecture(text: str) -> str:
    from blueprint.diagram import mermaid
    from blueprint.preview import preview_project

    drawing = mermaid(preview_project(ROOT / "stacks" / "strict-acme"))
    return MARKED.sub(lambda m: f"{m.group(1)}```mermaid\n{drawing}```\n{m.group(2)}", text)


def security(text: str) -> str:
    """The per-stance summary tables of docs/validation.md, each under its heading."""
    figures = "".join(f"**{heading}**\n\n{table}\n" for heading, table in TABLE.findall((DOCS / "validation.md").read_text()))
    return FIGURES.sub(lambda m: f"{m.group(1)}{figures}{m.group(2)}", text)


def main() -> None:
    (DOCS / "stances.md").write_text(render_matrix())
    path = DOCS / "architecture.md"
    path.write_text(architecture(path.read_text()))
    path = DOCS / "security.md"
    path.write_text(security(path.read_text()))


if __name__ == "__main__":
    main()
