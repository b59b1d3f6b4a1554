"""The subnet plan: every tier fits the VPC without overlaps, positions never move, small VPCs say how far they go."""

from __future__ import annotations

import ipaddress

import pytest

from blueprint.components.subnets import MAX_ZONES, SMALL_TIERS, room_per_tier, subnet_plan

TIERS = ("private", *SMALL_TIERS)


def blocks(plan):
    return [ipaddress.ip_network(c) for tier in TIERS for c in getattr(plan, tier)]


@pytest.mark.parametrize(("vpc_cidr", "room"), [("10.40.0.0/16", 6), ("10.8.0.0/20", 6), ("10.8.0.0/21", 6), ("192.168.4.0/22", 4)])
def test_every_tier_fits_the_vpc_without_overlaps(vpc_cidr, room):
    plan = subnet_plan(vpc_cidr, room)
    vpc = ipaddress.ip_network(vpc_cidr)
    assert plan.room == room_per_tier(vpc_cidr) == room
    assert all(plan.fits(tier, room) for tier in TIERS)
    found = blocks(plan)
    assert len(found) == 5 * room
    assert all(b.subnet_of(vpc) and b.prefixlen <= 28 for b in found)
    assert not any(a.overlaps(b) for i, a in enumerate(found) for b in found[i + 1 :])


def test_a_22_holds_the_hub_tier_for_three_zones_in_28s():
    plan = subnet_plan("192.168.4.0/22", 3)
    assert plan.hub == ("192.168.7.192/28", "192.168.7.208/28", "192.168.7.224/28")
    assert [ipaddress.ip_network(c).prefixlen for c in plan.private] == [25, 25, 25]


def test_a_22_has_no_room_for_five_zones_of_small_tiers():
    plan = subnet_plan("192.168.4.0/22", 5)
    assert len(plan.private) == 5, "private subnets are eighths: six of them always fit"
    for tier in SMALL_TIERS:
        assert not plan.fits(tier, 5) and len(getattr(plan, tier)) == 4


def test_a_16_gives_the_hub_500_addresses_per_zone():
    plan = subnet_plan("10.40.0.0/16", 3)
    assert plan.hub == ("10.40.228.0/23", "10.40.230.0/23", "10.40.232.0/23")
    assert plan.public[0] == "10.40.192.0/23" and plan.nat[0] == "10.40.204.0/23" and plan.firewall[0] == "10.40.216.0/23"


@pytest.mark.parametrize("vpc_cidr", ["10.40.0.0/16", "192.168.4.0/22"])
def test_adding_an_az_never_moves_a_subnet(vpc_cidr):
    for zones in range(1, room_per_tier(vpc_cidr)):
        fewer, more = subnet_plan(vpc_cidr, zones), subnet_plan(vpc_cidr, zones + 1)
        for tier in TIERS:
            assert getattr(more, tier)[:zones] == getattr(fewer, tier), (vpc_cidr, zones, tier)


def test_private_subnets_stop_at_six_zones():
    assert len(subnet_plan("10.40.0.0/16", MAX_ZONES).private) == MAX_ZONES


@pytest.mark.parametrize("vpc_cidr", ["10.40.0.0/16", "10.8.0.0/20", "10.8.0.0/21"])
def test_the_ci_tier_takes_the_spare_blocks_without_moving_a_subnet(vpc_cidr):
    plan = subnet_plan(vpc_cidr, MAX_ZONES)
    assert plan.fits("ci", MAX_ZONES)
    taken = blocks(plan)
    ci = [ipaddress.ip_network(c) for c in plan.ci]
    assert all(c.subnet_of(ipaddress.ip_network(vpc_cidr)) for c in ci)
    assert not any(c.overlaps(b) for c in ci for b in taken)
    # The four tiers are where they were before the ci tier existed: `room` is still theirs alone.
    assert plan.room == room_per_tier(vpc_cidr) == MAX_ZONES
    assert subnet_plan(vpc_cidr, 2).ci == plan.ci[:2], "adding an AZ never moves a ci subnet"


def test_a_22_has_no_room_for_the_ci_tier():
    plan = subnet_plan("192.168.4.0/22", 2)
    assert plan.ci == () and not plan.fits("ci", 2)
    assert plan.fits("hub", 2), "the four tiers keep their blocks"
