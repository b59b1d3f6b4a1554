"""Regenerate the generated parts of docs/ (`make docs`): the stance matrix and the architecture graph."""

from __future__ import annotations

import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT / "src"))

from blueprint.catalog.matrix import render_matrix  # noqa: E402

MARKED = re.compile(r"(<!-- graph:start -->\n).*?(<!-- graph:end -->)", re.DOTALL)


def architecture(text: str) -> str:
    from blueprint.diagram import mermaid
    from blueprint.preview import preview_project

    drawing = mermaid(preview_project(ROOT / "stacks" / "strict-acme"))
    return MARKED.sub(lambda m: f"{m.group(1)}```mermaid\n{drawing}```\n{m.group(2)}", text)


def main() -> None:
    (DOCS / "stances.md").write_text(render_matrix())
    path = DOCS / "architecture.md"
    path.write_text(architecture(path.read_text()))


if __name__ == "__main__":
    main()
