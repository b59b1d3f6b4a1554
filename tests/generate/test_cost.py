"""README cost estimate: counts from the spec equal what the program builds; prices labelled with region and date."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from blueprint.facts import prices
from blueprint.generate.cost import always_on_nodes, estimate, network_counts, order_of_magnitude
from tests.generate.conftest import VARIANTS


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_counts_match_the_graph(previewed, variant):
    _, spec, graph = previewed(variant)
    minimum: dict[str, int] = {}
    for group in graph.of_type("aws:eks/nodeGroup:NodeGroup"):
        size = int(group.inputs["scalingConfig"]["minSize"])
        if size:
            (instance_type,) = group.inputs["instanceTypes"]
            minimum[instance_type] = minimum.get(instance_type, 0) + size
    assert always_on_nodes(spec) == minimum
    counts = network_counts(spec)
    assert counts["nat_gateways"] == len(graph.of_type("aws:ec2/natGateway:NatGateway"))
    firewalls = graph.of_type("aws:networkfirewall/firewall:Firewall")
    assert counts["firewall_endpoints"] == sum(len(f.inputs["subnetMappings"]) for f in firewalls)
    interface = [e for e in graph.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"]
    assert counts["interface_endpoints"] == len(interface)
    assert all(len(e.inputs["subnetIds"]) == counts["zones"] for e in interface)
    assert len(graph.of_type("aws:eks/cluster:Cluster")) == 1


def test_the_estimate_adds_up_and_is_labelled(previewed):
    project, spec, _ = previewed("strict-oidc")
    cost = estimate(spec)
    hourly = sum((line.hourly * line.count for line in cost.lines if line.hourly is not None), Decimal(0))
    assert cost.total == hourly * prices.HOURS_PER_MONTH and not cost.unpriced
    section = (project / "README.md").read_text().split("## Monthly cost", 1)[1].split("\n## ", 1)[0]
    assert "Estimate, not a quote" in section and prices.PRICES_REGION in section and prices.PRICES_AS_OF in section
    assert order_of_magnitude(cost.total) in section and "Left out" in section
    assert re.search(r"\| \*\*total\*\* \| \| \| \*\*\$[\d,]+\*\* \|", section)
    # strict: three AZs of firewall endpoints for the hub's sign-in path, and interface endpoints in each AZ.
    assert any("Network Firewall" in line.item and line.count == 3 for line in cost.lines)


def test_a_type_without_a_price_is_named_not_guessed(spec_for, monkeypatch):
    spec = spec_for("strict")
    monkeypatch.delitem(prices.INSTANCE_HOUR, spec.stance.compute.nodes.instance_types[0])
    cost = estimate(spec)
    assert cost.unpriced and all(line.monthly is not None for line in cost.lines if line.item not in cost.unpriced)


@pytest.mark.parametrize(("amount", "shown"), [(Decimal("1234.5"), "~$1,200"), (Decimal("87"), "~$87"), (Decimal("15051"), "~$15,000"), (Decimal(0), "$0")])
def test_order_of_magnitude(amount, shown):
    assert order_of_magnitude(amount) == shown
