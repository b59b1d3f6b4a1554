"""Every works rule is tested: a mutation case references its id, and the family's shape holds for every rule."""

from __future__ import annotations

import re
from pathlib import Path

from blueprint.policy import FAMILIES, RULES, select
from blueprint.policy.pack import in_pack

TESTS = Path(__file__).parent
# The stance family as it stood when the works family arrived: each keeps its id and family.
STANCE_RULES_BEFORE_WORKS = frozenset(
    {
        "audit.cloudtrail", "audit.eks-control-plane-logs", "audit.log-retention", "budgets.team-budgets",
        "cluster.api-cidrs-not-world", "cluster.api-endpoint-private", "compute.instance-types-allowed",
        "compute.node-group-max-size", "governance.exceptions-current", "identity.client-secret-is-secret",
        "identity.no-wildcard-iam", "network.flow-logs", "network.hub-ingress-internal",
        "network.images-from-private-registry", "network.no-internet-gateways", "network.no-public-subnets",
        "network.no-world-ingress", "network.vpc-endpoints", "packages.no-public-upstream", "sessions.idle-culling",
        "sessions.no-root", "stability.kubernetes-version", "stability.multi-az-nodes", "storage.backup-plan",
        "storage.bucket-encryption", "storage.bucket-public-access-block", "storage.bucket-tls-only",
        "storage.bucket-versioning", "storage.efs-encryption", "storage.kms-key-rotation", "storage.protect-stateful",
        "teams.default-deny-network", "teams.pod-security-restricted", "teams.quota-and-limits",
        "teams.quota-matches-spec",
    }
)
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
    assert len(STANCE_RULES_BEFORE_WORKS) == 35
    assert set(FAMILIES) == {"stance", "works"}
    assert {r.id for r in select("stance")} | {r.id for r in select("works")} == {r.id for r in RULES}
    assert STANCE_RULES_BEFORE_WORKS <= {r.id for r in select("stance")}  # the 35 stance rules stay, in their family
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
