"""Every graph rule reads only the resource types it declares (`Rule.types`, what `blueprint explain` reports).

The check: on the real graphs of every built-in stance (and a Cognito project), and on every mutation of
tests/policy/test_rules.py, a graph rule finds exactly the same on the graph cut down to its declared types
(the stack and the component resources stay: findings point at them) as on the whole graph. A rule that
reads a type it does not declare sees it vanish from the cut graph, and finds something else.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from blueprint.policy import RULES, evaluate
from blueprint.policy.base import EVERY_TYPE, STACK_TYPE, Rule
from blueprint.preview import ResourceGraph

from .conftest import Real
from .test_rules import CASES

GRAPH_RULES = [rule for rule in RULES if rule.scope == "graph"]
TOKEN = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9./-]+:[A-Za-z0-9]+$")


def cut(graph: ResourceGraph, rule: Rule) -> ResourceGraph:
    if EVERY_TYPE in rule.types:
        return graph
    return ResourceGraph(tuple(r for r in graph if r.type in rule.types or r.type == STACK_TYPE or not r.custom))


def judged(real: Real, graph: ResourceGraph, rule: Rule) -> tuple[set[tuple[str, str]], set[str]]:
    result = evaluate(real.spec, graph, rules=[rule])
    return {(v.urn, v.message) for v in (*result.violations, *result.warnings)}, {n.reason for n in result.not_run}


@pytest.fixture(scope="module")
def projects(real) -> list[Real]:
    """Every built-in stance, and strict with Cognito (the user pool and its client) and internal package prefixes."""
    return [real("strict"), real("balanced"), real("open"), real("strict-cognito")]


def test_every_rule_declares_type_tokens(projects):
    present = {r.type for project in projects for r in project.graph}
    for rule in RULES:
        assert rule.types, rule.id
        malformed = [t for t in rule.types if t != EVERY_TYPE and not TOKEN.match(t)]
        assert not malformed, f"{rule.id}: {malformed} are not type tokens"
        assert EVERY_TYPE in rule.types or rule.types & present, f"{rule.id} declares no type the program makes: {sorted(rule.types)}"


@pytest.mark.parametrize("rule", GRAPH_RULES, ids=lambda r: r.id)
def test_graph_rule_finds_the_same_on_its_declared_types(rule, projects):
    for project in projects:
        assert judged(project, project.graph, rule) == judged(project, cut(project.graph, rule), rule), (
            f"{rule.id} reads a type it does not declare ({project.spec.stance.name} graph)"
        )


MUTATIONS = [case for case in CASES if case.expect and next(r for r in RULES if r.id == case.rule).scope == "graph"]


@pytest.mark.parametrize("case", MUTATIONS, ids=lambda c: f"{c.rule}[{c.stance}]-{CASES.index(c)}")
def test_graph_rule_catches_its_mutations_on_its_declared_types(case, real):
    project = real(case.stance)
    rule = next(r for r in RULES if r.id == case.rule)
    mutated = case.change(project, project.graph)
    full, _ = judged(project, mutated, rule)
    assert full, f"{case.rule}: the mutation no longer fires the rule"
    assert judged(project, cut(mutated, rule), rule)[0] == full


def test_the_cut_is_not_vacuous(real):
    """Reading a type behind the declaration's back is caught: network.vpc-endpoints points at the VPC it reads."""
    project = real("strict")
    rule = next(r for r in RULES if r.id == "network.vpc-endpoints")
    mutated = next(c for c in CASES if c.rule == rule.id and "sts" in c.expect).change(project, project.graph)
    narrowed = dataclasses.replace(rule, types=rule.types - {"aws:ec2/vpc:Vpc"})
    assert judged(project, mutated, narrowed) != judged(project, cut(mutated, narrowed), narrowed)
