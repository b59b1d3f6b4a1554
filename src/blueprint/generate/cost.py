"""An order-of-magnitude monthly cost of a spec's always-on infrastructure, for the generated README.

Counts follow what the program builds (tests/generate/test_cost.py checks each against the offline preview's
graph); prices come from facts.prices, with their region and date. Usage-based charges are named, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..facts import prices
from ..facts.aws_apis import INSTALLED_CALLERS, interface_services
from ..facts.instances import INSTANCES
from ..model import BlueprintSpec

LEFT_OUT = (
    "data processed by NAT, the firewall and endpoints",
    "S3, EFS and EBS storage and backups",
    "CloudWatch and CloudTrail logs",
    "the hub's load balancer",
    "nodes the autoscaler adds while sessions run (each at its instance type's hourly price)",
    "CodeBuild minutes of the CI runner",
    "KMS keys and requests",
)


@dataclass(frozen=True)
class CostLine:
    item: str
    count: int
    hourly: Decimal | None  # per unit; None: no price recorded for it

    @property
    def monthly(self) -> Decimal | None:
        return None if self.hourly is None else self.hourly * self.count * prices.HOURS_PER_MONTH


@dataclass(frozen=True)
class CostEstimate:
    lines: tuple[CostLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.monthly for line in self.lines if line.monthly is not None), Decimal(0))

    @property
    def unpriced(self) -> tuple[str, ...]:
        return tuple(line.item for line in self.lines if line.hourly is None)


def always_on_nodes(spec: BlueprintSpec) -> dict[str, int]:
    """Instance type -> nodes kept running at the node groups' minimum: one of the first CPU type (system pods),
    and one hub node of the smallest CPU type when the hub has its own pool (spec.hub_egress 'firewall');
    GPU groups scale from zero. components.cluster.pools_for decides the same."""
    types = spec.stance.compute.nodes.instance_types
    nodes = {types[0]: 1}
    if spec.hub_egress == "firewall":
        hub = min(types, key=lambda t: (INSTANCES[t].vcpus, INSTANCES[t].memory_mib) if t in INSTANCES else (0, 0))
        nodes[hub] = nodes.get(hub, 0) + 1
    return nodes


def network_counts(spec: BlueprintSpec) -> dict[str, int]:
    """NAT gateways, Network Firewall endpoints and interface endpoints (one per AZ each), as components.network builds them."""
    network = spec.stance.network
    zones = network.availability_zones
    # The firewall guards sessions under an allowlist, the hub's sign-in path and the CI runner's tier (NetworkArgs.firewall).
    firewall = network.egress == "allowlist" or spec.hub_egress == "firewall" or spec.ci_egress == "firewall"
    nat = network.egress == "open" or firewall
    return {
        "nat_gateways": (zones if spec.stance.stability.multi_az_nodes else 1) if nat else 0,
        "firewall_endpoints": zones if firewall else 0,
        "interface_endpoints": len(interface_services(INSTALLED_CALLERS)) if network.vpc_endpoints else 0,
        "zones": zones,
    }


def estimate(spec: BlueprintSpec) -> CostEstimate:
    lines = [CostLine("EKS control plane", 1, prices.EKS_CLUSTER_HOUR)]
    for instance_type, count in always_on_nodes(spec).items():
        lines.append(CostLine(f"{instance_type} node{'s' if count > 1 else ''} (node group minimum)", count, prices.INSTANCE_HOUR.get(instance_type)))
    counts = network_counts(spec)
    if counts["nat_gateways"]:
        lines.append(CostLine("NAT gateways", counts["nat_gateways"], prices.NAT_GATEWAY_HOUR))
    if counts["firewall_endpoints"]:
        lines.append(CostLine("Network Firewall endpoints", counts["firewall_endpoints"], prices.FIREWALL_ENDPOINT_HOUR))
    if counts["interface_endpoints"]:
        lines.append(
            CostLine(f"interface VPC endpoints ({counts['interface_endpoints']} services x {counts['zones']} AZs)", counts["interface_endpoints"] * counts["zones"], prices.INTERFACE_ENDPOINT_AZ_HOUR)
        )
    return CostEstimate(tuple(lines))


def _dollars(amount: Decimal) -> str:
    return f"${amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def order_of_magnitude(amount: Decimal) -> str:
    """Two significant figures: the estimate is no more precise than that."""
    if amount <= 0:
        return "$0"
    digits = len(str(int(amount))) - 2
    step = Decimal(10) ** max(digits, 0)
    return f"~${(amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step:,}"


def cost_section(spec: BlueprintSpec) -> str:
    """The README's cost section: the table, the total, its region and date, and what it leaves out."""
    cost = estimate(spec)
    rows = "\n".join(
        f"| {line.item} | {line.count} | {'$' + str(line.hourly) if line.hourly is not None else 'no price recorded'} | "
        f"{_dollars(line.monthly) if line.monthly is not None else '?'} |"
        for line in cost.lines
    )
    unpriced = (
        f"\n\nNo price is recorded for {', '.join(cost.unpriced)} (workbench-blueprint's `facts/prices.py`), so the total leaves it out."
        if cost.unpriced
        else ""
    )
    where = (
        "the region this workbench runs in"
        if spec.region == prices.PRICES_REGION
        else f"this workbench runs in {spec.region}, where prices differ: check the AWS Pricing Calculator"
    )
    return f"""**Estimate, not a quote: {order_of_magnitude(cost.total)} per month** for what runs around the clock, at on-demand
list prices of {prices.PRICES_REGION} recorded {prices.PRICES_AS_OF} ({prices.HOURS_PER_MONTH} hours a month; {where}).

| what | count | per hour each | per month |
|---|---|---|---|
{rows}
| **total** | | | **{_dollars(cost.total)}** |

Left out because they depend on use: {'; '.join(LEFT_OUT)}.{unpriced}"""
