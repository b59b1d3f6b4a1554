"""Generated docs are current: the stance matrix and the architecture graph (`make docs`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from blueprint.catalog.matrix import render_matrix
from blueprint.model import stance_controls

DOCS = Path(__file__).parents[2] / "docs"


def refresh_module():
    spec = importlib.util.spec_from_file_location("docs_refresh", DOCS / "refresh.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stances_doc_is_current():
    assert (DOCS / "stances.md").read_text() == render_matrix(), "docs/stances.md is stale: run `make docs`"


def test_every_control_is_in_the_matrix():
    text = render_matrix()
    for control in stance_controls():
        assert f"`{control.id}`" in text


def test_architecture_graph_is_current():
    current = (DOCS / "architecture.md").read_text()
    assert "```mermaid\nflowchart LR" in current
    assert refresh_module().architecture(current) == current, "docs/architecture.md is stale: run `make docs`"


def test_security_figures_match_the_validation_doc():
    current = (DOCS / "security.md").read_text()
    assert "| strict |" in current.split("<!-- validation:start -->")[1]
    assert refresh_module().security(current) == current, "docs/security.md figures are stale: run `make docs`"
