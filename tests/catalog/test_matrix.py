"""docs/stances.md is generated from the stance data and must be current."""

from pathlib import Path

from blueprint.catalog.matrix import render_matrix
from blueprint.model import stance_controls

DOC = Path(__file__).parents[2] / "docs" / "stances.md"


def test_stances_doc_is_current():
    assert DOC.read_text() == render_matrix(), "docs/stances.md is stale: run `make docs`"


def test_every_control_is_in_the_matrix():
    text = render_matrix()
    for control in stance_controls():
        assert f"`{control.id}`" in text
