"""Built-in stances keep the order strict >= balanced >= open on every ordered control."""

from __future__ import annotations

import pytest

from blueprint.model import builtin_stance, compare, control_value, stance_controls
from blueprint.model.controls import ControlMeta, Direction

ORDERED = [c for c in stance_controls() if c.meta.ordered]


@pytest.mark.parametrize("control", ORDERED, ids=lambda c: c.id)
@pytest.mark.parametrize(("stronger", "weaker"), [("strict", "balanced"), ("balanced", "open")])
def test_stronger_stance_is_never_weaker(control, stronger, weaker):
    strong_value = control_value(builtin_stance(stronger), control.id)
    weak_value = control_value(builtin_stance(weaker), control.id)
    assert compare(control.meta, strong_value, weak_value) <= 0, (
        f"{control.id}: {weaker}={weak_value!r} is stronger than {stronger}={strong_value!r}"
    )


def test_strict_is_strictly_stronger_somewhere_in_every_security_concern():
    strict, open_ = builtin_stance("strict"), builtin_stance("open")
    weakened = {c.meta.concern for c in ORDERED if compare(c.meta, control_value(strict, c.id), control_value(open_, c.id)) < 0}
    assert {"data-theft-outsider", "data-theft-insider", "resource-hijacking", "data-loss", "incorrect-work"} <= {c.value for c in weakened}


def test_every_control_names_a_concern_and_a_reason():
    for control in stance_controls():
        assert control.meta.why.strip(), control.id
        assert control.meta.concern.value


@pytest.mark.parametrize(
    ("direction", "old", "new", "expected"),
    [
        (Direction.LOWER_IS_WEAKER, 365, 90, -1),
        (Direction.LOWER_IS_WEAKER, False, True, 1),
        (Direction.HIGHER_IS_WEAKER, "16", "32", -1),
        (Direction.HIGHER_IS_WEAKER, "64Gi", "32Gi", 1),
        (Direction.HIGHER_IS_WEAKER, "1Ti", "1024Gi", 0),
        (Direction.SUPERSET_IS_WEAKER, ["m6i.*"], ["m6i.xlarge"], 1),
        (Direction.SUPERSET_IS_WEAKER, ["m6i.xlarge"], ["m6i.*"], -1),
        (Direction.SUPERSET_IS_WEAKER, ["a.b"], ["*"], -1),
        (Direction.SUBSET_IS_WEAKER, ["audit", "api"], ["audit"], -1),
    ],
)
def test_compare_directions(direction, old, new, expected):
    meta = ControlMeta(concern=stance_controls()[0].meta.concern, why="x", direction=direction)
    assert compare(meta, old, new) == expected


def test_ranked_compare_uses_the_ranking():
    egress = next(c for c in stance_controls() if c.id == "network.egress")
    assert compare(egress.meta, "mirror", "open") == -1
    assert compare(egress.meta, "open", "allowlist") == 1
