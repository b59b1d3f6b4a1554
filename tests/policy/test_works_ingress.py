"""works.ingress.hub-reachable on real graphs, and mutations of them that fire it."""

from __future__ import annotations

import datetime as dt

import pytest

from blueprint.policy.base import Context
from blueprint.policy.rules import BY_ID
from tests.policy.conftest import without

RECORD = "aws:route53/record:Record"
REACHABLE = BY_ID["works.ingress.hub-reachable"]


def findings(graph, spec):
    return list(REACHABLE.findings(graph, Context(spec=spec, stance=spec.stance, teams=spec.teams, today=dt.date(2026, 12, 1))))


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_real_graphs_pass(real, stance):
    project = real(stance)
    found = findings(project.graph, project.spec)
    assert [f for f in found if not f.warning] == []
    assert bool(found) == (stance == "strict"), "only the internal hub without on-premises networks warns"


def test_hub_without_its_dns_record_fires(real):
    project = real("balanced")
    (alias,) = [r for r in project.graph.of_type(RECORD) if r.inputs.get("type") == "A"]
    fired = findings(without(project.graph, alias), project.spec)
    assert len(fired) == 1 and not fired[0].warning and f"no DNS record points {project.spec.hub_hostname}" in fired[0].message


def test_internal_hub_with_no_on_premises_network_warns(real):
    project = real("strict")
    assert not project.spec.network.on_premises_cidrs
    (warning,) = findings(project.graph, project.spec)
    assert warning.warning and "nobody outside the VPC can reach the hub" in warning.message and "network.on_premises_cidrs" in warning.message
    routed = project.spec.model_copy(update={"network": project.spec.network.model_copy(update={"on_premises_cidrs": ("192.168.0.0/16",)})})
    assert findings(project.graph, routed) == []
