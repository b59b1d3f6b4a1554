"""The subnet plan: which CIDR each tier gets in each AZ (pure functions, no Pulumi), like awsx's subnet distributor.

The VPC is cut in eighths. The first six hold the private subnets, one per AZ (pods take VPC addresses with the
VPC CNI, so they get the room). The last two eighths are cut into small blocks (1/128 of the VPC, never smaller
than a /28, the smallest subnet AWS allows) shared by four small tiers, each with a fixed run of blocks, and a
fifth in the blocks left over:

- `public`: internet-facing load balancers (stances with SSO ingress from the internet);
- `nat`: the NAT gateways;
- `firewall`: the Network Firewall endpoints;
- `hub`: the hub's own nodes, whose only way out is the firewall admitting the IdP (`spec.hub_egress == "firewall"`);
- `ci`: the CodeBuild CI runner, whose only way out is the firewall admitting GitHub, Pulumi, the package index
  and the AWS APIs (`spec.ci_egress == "firewall"`). It takes the run after the four: a /16 to /21 VPC has room
  for six AZs there too; a /22 has none (its 16 blocks are the four tiers').

Positions depend only on the VPC's size, never on the AZ count, so adding an AZ never moves a subnet. A /16 to
/21 VPC has 32 small blocks, room for six AZs in every tier (a /16 gives /23s: ~500 addresses, enough for a few
hub nodes and their pods); a /22 has 16 blocks of /28, room for four AZs per tier.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

SMALLEST_PREFIX = 28
MAX_ZONES = 6
SMALL_TIERS = ("public", "nat", "firewall", "hub")  # the runs that set `room`
SPARE_TIERS = ("ci",)  # runs after them, in the blocks left over


@dataclass(frozen=True)
class SubnetPlan:
    """CIDRs per tier, in AZ order. A small tier holds at most `room` AZs (fewer CIDRs than zones: no room)."""

    private: tuple[str, ...]
    public: tuple[str, ...]
    nat: tuple[str, ...]
    firewall: tuple[str, ...]
    hub: tuple[str, ...]
    ci: tuple[str, ...]
    room: int

    def fits(self, tier: str, zones: int) -> bool:
        return len(getattr(self, tier)) >= zones


def small_blocks(vpc_cidr: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The blocks of the last two eighths, in address order."""
    vpc = ipaddress.ip_network(vpc_cidr)
    prefix = min(vpc.prefixlen + 7, SMALLEST_PREFIX)
    return [block for eighth in list(vpc.subnets(prefixlen_diff=3))[6:] for block in eighth.subnets(new_prefix=prefix)]


def room_per_tier(vpc_cidr: str) -> int:
    """How many AZs each small tier has room for: six, unless the VPC is so small (a /22) that the blocks run out."""
    return min(MAX_ZONES, len(small_blocks(vpc_cidr)) // len(SMALL_TIERS))


def subnet_plan(vpc_cidr: str, zones: int) -> SubnetPlan:
    """The plan for `zones` AZs; a tier with no room for them all gets only as many CIDRs as fit (see `fits`)."""
    vpc = ipaddress.ip_network(vpc_cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    pool, room = small_blocks(vpc_cidr), room_per_tier(vpc_cidr)

    def tier(index: int) -> tuple[str, ...]:
        start = index * room
        return tuple(str(block) for block in pool[start : start + min(zones, room)])  # past the pool: fewer, or none

    return SubnetPlan(
        private=tuple(str(s) for s in eighths[: min(zones, MAX_ZONES)]),
        public=tier(0),
        nat=tier(1),
        firewall=tier(2),
        hub=tier(3),
        ci=tier(4),
        room=room,
    )
