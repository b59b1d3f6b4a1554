"""Every works rule is tested: a mutation case references its id, and the family's shape holds for every rule."""

from __future__ import annotations

import re
from pathlib import Path

from blueprint.policy import FAMILIES, RULES, select
from blueprint.policy.pack import in_pack

TESTS = Path(__file__).parent
WORKS_ID = re.compile(r"^works\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$")


def referenced_ids() -> set[str]:
    """Rule ids written as string literals in the works test files (tests/policy/test_works_*.py)."""
    found: set[str] = set()
    for path in sorted(TESTS.glob("test_works_*.py")):
        if path.name == Path(__file__).name:
            continue
        found.update(re.findall(r"[\"'](works\.[a-z0-9-]+\.[a-z0-9-]+)[\"']", path.read_text(encoding="utf-8")))
    return found


def test_every_works_rule_has_a_test_file_that_names_it():
    works = {r.id for r in select("works")}
    assert works, "no works rules registered"
    missing = sorted(works - referenced_ids())
    assert not missing, f"works rules without a mutation test in tests/policy/test_works_*.py: {missing}"


def test_every_rule_is_in_exactly_one_family_and_works_ids_say_so():
    assert set(FAMILIES) == {"stance", "works"}
    assert {r.id for r in select("stance")} | {r.id for r in select("works")} == {r.id for r in RULES}
    assert len(select("stance")) == 35  # the stance rules keep their behaviour; new ones come with their own tests
    for rule in select("works"):
        assert WORKS_ID.match(rule.id), rule.id
        assert rule.concern.value in {"lost-time", "user-experience", "incorrect-work"}, rule.id
        assert rule.description.endswith(".") and len(rule.description) < 160, rule.id
    for rule in select("stance"):
        assert rule.id.count(".") == 1 and not rule.needs_render, rule.id


def test_rules_over_the_rendered_chart_are_graph_rules_left_out_of_the_pack():
    rendered = [r for r in RULES if r.needs_render]
    assert rendered and all(r.family == "works" and r.scope == "graph" and not in_pack(r) for r in rendered)
    assert all(in_pack(r) for r in RULES if not r.needs_render)
