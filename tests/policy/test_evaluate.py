"""The evaluation API: every built-in stance passes its own rules; `against` judges by another stance."""

from __future__ import annotations

import pytest

from blueprint.model import Concern, builtin_stance
from blueprint.policy import BY_ID, RULES, Severity, evaluate, judged_teams, select

STANCE_RULES = select("stance")
ALL = {rule.id for rule in STANCE_RULES}
OPEN_FAILS_STRICT = {
    "audit.cloudtrail",
    "audit.log-retention",  # the CI runner's build logs keep open's retention
    "audit.eks-control-plane-logs",
    "budgets.team-budgets",
    "cluster.api-endpoint-private",
    "compute.instance-types-allowed",
    "compute.node-group-max-size",
    "network.flow-logs",
    "network.hub-ingress-internal",
    "network.images-from-private-registry",
    "network.firewall-allowlist",
    "network.sessions-no-route-out",
    "network.vpc-endpoints",
    "identity.session-length",  # open's 24-hour hub cookie outlasts strict's 8-hour session
    "packages.curation-cooldown",  # open proxies PyPI: no promoter holds new releases
    "packages.no-public-upstream",
    "packages.r-snapshot",  # open's R installs from live CRAN
    "sessions.idle-culling",
    "sessions.no-root",
    "stability.multi-az-nodes",
    "storage.backup-plan",
    "storage.bucket-encryption",
    "storage.efs-encryption",
    "storage.protect-stateful",
    "teams.pod-security-restricted",
    "teams.quota-matches-spec",
}


def test_rules_are_well_formed():
    assert len(STANCE_RULES) >= 30
    for rule in RULES:
        # stance rules: `<area>.<what>`; works rules: `works.<area>.<what>`.
        assert rule.id.count(".") == (2 if rule.family == "works" else 1) and rule.id == rule.id.lower(), rule.id
        assert isinstance(rule.concern, Concern) and isinstance(rule.severity, Severity)
        assert rule.description.endswith(".") and len(rule.description) < 160, rule.id
    # Rules without a stance control are baselines every stance needs; keep them few and deliberate.
    assert {r.id for r in STANCE_RULES if not r.controls} == {"storage.bucket-public-access-block", "storage.bucket-tls-only", "governance.exceptions-current"}


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_each_builtin_stance_passes_its_own_rules(real, stance):
    """The stance family; the works family has its own per-rule tests (tests/policy/test_works_*.py)."""
    project = real(stance)
    result = evaluate(project.spec, project.graph, rules=STANCE_RULES)
    assert result.ok, [f"{v.rule}: {v.message}" for v in result.violations]
    assert set(result.passed) | set(result.not_applicable) == ALL
    assert not set(result.passed) & set(result.not_applicable)
    assert result.resources_checked == len(project.graph) > 50


def test_strict_judges_more_than_open(real):
    strict = evaluate(real("strict").spec, real("strict").graph)
    open_ = evaluate(real("open").spec, real("open").graph)
    assert len(strict.passed) > len(open_.passed)
    assert {"audit.cloudtrail", "network.flow-logs", "storage.protect-stateful", "sessions.no-root"} <= set(open_.not_applicable)


def test_open_judged_against_strict_fails_exactly_the_expected_rules(real):
    project = real("open")
    result = evaluate(project.spec, project.graph, against=builtin_stance("strict"), rules=STANCE_RULES)
    assert result.stance == "strict"
    assert {v.rule for v in result.violations} == OPEN_FAILS_STRICT
    assert set(result.passed) == ALL - OPEN_FAILS_STRICT


def test_strict_judged_against_looser_stances_passes(real):
    project = real("strict")
    graph = project.graph
    for looser in ("balanced", "open"):
        result = evaluate(project.spec, graph, against=builtin_stance(looser), rules=STANCE_RULES)
        assert result.ok, (looser, [f"{v.rule}: {v.message}" for v in result.violations])


def test_against_own_stance_is_the_same_as_no_against(real):
    project = real("balanced")
    graph = project.graph
    assert evaluate(project.spec, graph, against=builtin_stance("balanced")) == evaluate(project.spec, graph)  # both families


def test_judged_teams_follow_the_judging_stance_except_where_the_team_chose(real):
    spec = real("strict").spec  # genomics sets gpu: 1 in blueprint.yaml; team-1 inherits everything
    teams = {t.name: t for t in judged_teams(spec, builtin_stance("open"))}
    assert teams["team-1"].quota.cpu == "128" and teams["team-1"].quota.gpu == 4 and teams["team-1"].root_allowed
    assert teams["genomics"].quota.gpu == 1 and teams["genomics"].quota.cpu == "128"
    assert judged_teams(spec, spec.stance) == spec.teams


def test_violations_are_sorted_by_concern_then_rule_and_grouped_biggest_first(real):
    project = real("open")
    result = evaluate(project.spec, project.graph, against=builtin_stance("strict"), rules=STANCE_RULES)
    keys = [(v.concern.rank, v.rule, v.urn, v.message) for v in result.violations]
    assert keys == sorted(keys)
    groups = list(result.by_concern())
    assert groups == sorted(groups, key=lambda c: c.rank) and groups[0] is Concern.DATA_THEFT_OUTSIDER
    payload = result.as_json()
    assert list(payload) == ["stance", "violations", "passed", "warnings", "resources_checked", "not_run", "rules"]
    assert set(payload["violations"][0]) == {"rule", "family", "concern", "severity", "urn", "message"}
    assert payload["passed"] == sorted(payload["passed"])
    assert {rule: entry["family"] for rule, entry in payload["rules"].items()} == {r.id: "stance" for r in STANCE_RULES}


def test_each_family_is_counted_apart_and_every_finding_names_its_family(real):
    project = real("open")
    result = evaluate(project.spec, project.graph, against=builtin_stance("strict"))
    assert {v.family for v in result.violations} == {"stance", "works"}
    stance, works = result.in_family("stance"), result.in_family("works")
    assert {v.rule for v in stance.violations} == OPEN_FAILS_STRICT and all(v.family == "works" for v in works.violations)
    # open's images come from public registries, which strict's egress does not reach
    assert "works.images.pullable" in {v.rule for v in works.violations}
    assert set(stance.passed) | set(works.passed) == set(result.passed) and not set(stance.passed) & set(works.passed)
    assert {r for r, f in works.families} == {r.id for r in select("works")}
    status = result.as_json()["rules"]
    assert all(status[v.rule]["status"] == "failed" and status[v.rule]["family"] == v.family for v in result.violations)


def test_a_rule_that_does_not_apply_is_neither_passed_nor_failed(real):
    project = real("open")
    result = evaluate(project.spec, project.graph, rules=[BY_ID["network.flow-logs"]])
    assert result.not_applicable == ("network.flow-logs",) and not result.passed and result.ok


def test_a_bare_stance_judges_a_graph_without_its_blueprint(real):
    """`evaluate(stance, graph)`: teams come from the labelled namespaces, with the stance's defaults."""
    project = real("open")
    result = evaluate(builtin_stance("strict"), project.graph, rules=STANCE_RULES)
    assert result.stance == "strict"
    assert {v.rule for v in result.violations} == OPEN_FAILS_STRICT
    quota = [v for v in result.violations if v.rule == "teams.quota-matches-spec"]
    assert {v.urn.rsplit("::", 1)[-1] for v in quota} == {"acme-team-genomics-quota", "acme-team-team-1-quota"}
    own = evaluate(builtin_stance("open"), project.graph, rules=STANCE_RULES)
    assert own.ok, [v.message for v in own.violations]
