"""The hub's sign-in path as the network rules see it, for an IdP on the organisation's network (idp.reachable_via:
on-premises): strict with its CI on the organisation's network too (ci.runner: self-hosted) then has no internet path
at all, and a NAT gateway is a violation again."""

from __future__ import annotations

import pytest

from blueprint.model import load_blueprint
from blueprint.policy import BY_ID, RULES, evaluate
from blueprint.preview import preview_project
from tests.conftest import blueprint_data, write_blueprint

from .conftest import Real, added, find

ON_PREMISES = {
    "idp": {"kind": "oidc", "issuer_url": "https://sso.corp.acme.example/realms/dsw", "client_id": "jupyterhub", "reachable_via": "on-premises"},
    "network": {"on_premises_cidrs": ["10.0.0.0/16"]},
    # The CodeBuild runner would need a path out of its own (tests/policy/test_works_ci_egress.py); these runners are on site.
    "ci": {"runner": "self-hosted", "runner_label": "workbench", "runner_cidrs": ["10.0.8.0/24"]},
}


@pytest.fixture(scope="module")
def on_premises(tmp_path_factory) -> Real:
    directory = tmp_path_factory.mktemp("on-premises") / "acme-dsw"
    write_blueprint(directory, blueprint_data("strict", teams=2, **ON_PREMISES))
    return Real(load_blueprint(directory), preview_project(directory), directory)


def test_strict_with_an_on_premises_idp_passes_and_has_no_way_out(on_premises):
    assert on_premises.spec.hub_egress == "on-premises"
    network = [rule for rule in RULES if rule.id.startswith(("network.", "works.network."))]
    result = evaluate(on_premises.spec, on_premises.graph, rules=network)
    assert result.ok, [f"{v.rule}: {v.message}" for v in result.violations]
    for token in ("aws:ec2/natGateway:NatGateway", "aws:ec2/internetGateway:InternetGateway", "aws:networkfirewall/firewall:Firewall"):
        assert on_premises.graph.of_type(token) == (), token


def test_a_nat_gateway_is_a_violation_when_the_hub_needs_no_internet(on_premises):
    graph = added(on_premises.graph, find(on_premises.graph, "aws:ec2/vpc:Vpc", "vpc"), "aws:ec2/natGateway:NatGateway", "sneaky-nat")
    result = evaluate(on_premises.spec, graph, rules=[BY_ID["network.no-internet-gateways"]])
    [violation] = result.violations
    assert violation.urn.endswith("::sneaky-nat")
    assert "a NAT gateway opens a path to the internet" in violation.message and "idp.reachable_via: on-premises" in violation.message
