"""PrivateNetwork under the mock engine: egress path, endpoints and flow logs per stance; no door from the internet."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pulumi
import pytest

from blueprint.components.network import INTERFACE_ENDPOINTS, NetworkArgs, PrivateNetwork, firewall_domains, subnet_plan
from blueprint.errors import SpecError
from tests.components.conftest import ACCOUNT, REGION

KMS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/test"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
IGW = "aws:ec2/internetGateway:InternetGateway"
EIP = "aws:ec2/eip:Eip"
ROUTE = "aws:ec2/route:Route"
SG = "aws:ec2/securityGroup:SecurityGroup"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
FIREWALL = "aws:networkfirewall/firewall:Firewall"
RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FIREWALL_LOGGING = "aws:networkfirewall/loggingConfiguration:LoggingConfiguration"


def network_run(run_program, args: NetworkArgs):
    return run_program(lambda: PrivateNetwork("acme-network", args))


def run_stance(spec_for, run_program, stance: str):
    return network_run(run_program, NetworkArgs.from_spec(spec_for(stance), kms_key_arn=KMS))


def subnets(run, tier: str):
    return [s for s in run.of_type(SUBNET) if s.inputs["tags"]["tier"] == tier]


# ---- the address plan --------------------------------------------------------


@pytest.mark.parametrize("vpc_cidr", ["10.40.0.0/16", "10.8.0.0/20", "192.168.4.0/22"])
def test_subnet_plan_fits_the_vpc_without_overlaps(vpc_cidr):
    plan = subnet_plan(vpc_cidr, 6 if not vpc_cidr.endswith("/22") else 4)
    vpc = ipaddress.ip_network(vpc_cidr)
    blocks = [ipaddress.ip_network(c) for c in (*plan.private, *plan.public, *plan.nat, *plan.firewall)]
    assert all(b.subnet_of(vpc) and b.prefixlen <= 28 for b in blocks)
    assert not any(a.overlaps(b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])


def test_adding_an_az_never_moves_a_subnet():
    two, three = subnet_plan("10.40.0.0/16", 2), subnet_plan("10.40.0.0/16", 3)
    for tier in ("private", "public", "nat", "firewall"):
        assert getattr(three, tier)[:2] == getattr(two, tier)


def test_firewall_domains_use_network_firewall_wildcards():
    assert firewall_domains(["github.com", "*.githubusercontent.com", "github.com"]) == [".githubusercontent.com", "github.com"]


# ---- per stance ----------------------------------------------------------------


def test_strict_has_no_way_to_the_internet(spec_for, run_program):
    run = run_stance(spec_for, run_program, "strict")
    for token in (NAT, IGW, EIP, FIREWALL):
        assert run.of_type(token) == [], f"strict must not create {token}"
    assert subnets(run, "public") == [] and subnets(run, "nat") == []
    assert len(subnets(run, "private")) == 3
    assert all(r.inputs["destinationCidrBlock"] != "0.0.0.0/0" for r in run.of_type(ROUTE)), "strict has no default route"


def test_strict_flow_logs_record_everything_for_a_year_encrypted(spec_for, run_program):
    run = run_stance(spec_for, run_program, "strict")
    flow_log = run.one(FLOW_LOG)
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    log_group = run.one(LOG_GROUP)
    assert log_group.inputs["retentionInDays"] == 365 and log_group.inputs["kmsKeyId"] == KMS, log_group
    assert flow_log.inputs["logDestination"].endswith(log_group.inputs["name"])
    role = run.one("aws:iam/role:Role")
    trust = role.json_input("assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    writer = run.one("aws:iam/rolePolicy:RolePolicy").json_input("policy")["Statement"][0]
    assert all(resource.startswith(flow_log.inputs["logDestination"]) for resource in writer["Resource"]), writer


def test_strict_endpoints_are_private_and_https_from_the_vpc(spec_for, run_program):
    run = run_stance(spec_for, run_program, "strict")
    endpoints = {e.inputs["serviceName"].rsplit(f"{REGION}.", 1)[1]: e for e in run.of_type(ENDPOINT)}
    assert set(endpoints) == {"s3", *INTERFACE_ENDPOINTS}
    assert endpoints["s3"].inputs["vpcEndpointType"] == "Gateway" and len(endpoints["s3"].inputs["routeTableIds"]) == 3
    group = run.one(SG)
    for service in INTERFACE_ENDPOINTS:
        endpoint = endpoints[service]
        assert endpoint.inputs["serviceName"] == f"com.amazonaws.{REGION}.{service}"
        assert endpoint.inputs["privateDnsEnabled"] is True, endpoint
        assert len(endpoint.inputs["subnetIds"]) == 3 and endpoint.inputs["securityGroupIds"] == [f"{group.name}-id"], endpoint
    assert group.inputs["ingress"] == [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.40.0.0/16"], "description": "HTTPS from the VPC"}]


def test_balanced_egress_goes_through_the_firewall_to_nat(spec_for, run_program):
    run = run_stance(spec_for, run_program, "balanced")
    assert len(run.of_type(NAT)) == 3, "one NAT per AZ when nodes span AZs"
    nat_subnet_ids = {f"{s.name}-id" for s in subnets(run, "nat")}
    assert {n.inputs["subnetId"] for n in run.of_type(NAT)} == nat_subnet_ids, "NAT lives in its own tier, not with load balancers"
    firewall = run.one(FIREWALL)
    assert len(firewall.inputs["subnetMappings"]) == 3
    rules = run.one(RULE_GROUP).inputs["ruleGroup"]["rulesSource"]["rulesSourceList"]
    assert rules["generatedRulesType"] == "ALLOWLIST"
    assert rules["targets"] == [".githubusercontent.com", ".huggingface.co", "github.com", "huggingface.co", "packagemanager.posit.co"]
    policy = run.one("aws:networkfirewall/firewallPolicy:FirewallPolicy").inputs["firewallPolicy"]
    assert "aws:drop_established" in policy["statefulDefaultActions"]
    routes = {r.name: r.inputs for r in run.of_type(ROUTE)}
    for i in range(3):
        assert routes[f"acme-network-private-{i}-egress"]["vpcEndpointId"] == f"vpce-fw{i}", "private egress enters the firewall"
        assert routes[f"acme-network-firewall-{i}-nat"]["natGatewayId"] == f"acme-network-natgw-{i}-id"
        assert routes[f"acme-network-nat-return-{i}"]["vpcEndpointId"] == f"vpce-fw{i}", "replies return through the firewall"
    assert run.one(FLOW_LOG).inputs["trafficType"] == "REJECT"
    assert run.named("acme-network-flow-logs", LOG_GROUP).inputs["retentionInDays"] == 90


def test_balanced_firewall_logs_its_alerts_like_rejected_flows(spec_for, run_program):
    run = run_stance(spec_for, run_program, "balanced")
    firewall = run.one(FIREWALL)
    logging = run.one(FIREWALL_LOGGING).inputs
    assert logging["firewallArn"] == firewall.outputs["arn"]
    [alerts] = logging["loggingConfiguration"]["logDestinationConfigs"]  # REJECT flow logs: the drops, not every flow
    group = run.named("acme-network-firewall-alert", LOG_GROUP).inputs
    assert alerts == {"logType": "ALERT", "logDestinationType": "CloudWatchLogs", "logDestination": {"logGroup": group["name"]}}
    assert group["name"] == f"/aws/vendedlogs/network-firewall/{firewall.outputs['name']}/alert"
    assert group["retentionInDays"] == 90 and group["kmsKeyId"] == KMS, "flow-log retention, encrypted with the CMK"


def test_firewall_logs_every_flow_when_flow_logs_record_all_traffic(spec_for, run_program):
    args = replace(NetworkArgs.from_spec(spec_for("balanced"), kms_key_arn=KMS), flow_log_traffic="ALL")
    run = network_run(run_program, args)
    configs = run.one(FIREWALL_LOGGING).inputs["loggingConfiguration"]["logDestinationConfigs"]
    assert [c["logType"] for c in configs] == ["ALERT", "FLOW"]
    flows = run.named("acme-network-firewall-flow", LOG_GROUP).inputs
    assert configs[1]["logDestination"] == {"logGroup": flows["name"]} and flows["name"].endswith("/flow")


def test_firewall_without_flow_logs_logs_nothing(spec_for, run_program):
    args = replace(NetworkArgs.from_spec(spec_for("balanced"), kms_key_arn=KMS), flow_log_traffic="NONE")
    run = network_run(run_program, args)
    assert len(run.of_type(FIREWALL)) == 1 and run.of_type(FIREWALL_LOGGING) == [] and run.of_type(LOG_GROUP) == []


def test_open_uses_one_nat_and_no_endpoints_or_flow_logs(spec_for, run_program):
    run = run_stance(spec_for, run_program, "open")
    assert len(run.of_type(NAT)) == 1, "open does not spread nodes over AZs, so one NAT"
    assert run.of_type(FIREWALL) == [] and run.of_type(ENDPOINT) == [] and run.of_type(FLOW_LOG) == []
    assert len(subnets(run, "public")) == 2, "internet-facing SSO ingress needs public subnets"
    egress = [r for r in run.of_type(ROUTE) if r.name.endswith("-egress")]
    assert {r.inputs["natGatewayId"] for r in egress} == {"acme-network-natgw-0-id"}


def test_sso_ingress_without_egress_gets_public_subnets_but_no_nat(spec_for, run_program):
    args = replace(NetworkArgs.from_spec(spec_for("strict")), public_ingress=True)
    run = network_run(run_program, args)
    assert len(subnets(run, "public")) == 3 and len(run.of_type(IGW)) == 1
    assert run.of_type(NAT) == [] and run.of_type(EIP) == []


def test_allowlist_with_a_wildcard_is_refused(spec_for):
    # Refused by the model (NetworkControls) when the blueprint loads, naming the field: no component sees it.
    with pytest.raises(SpecError, match=r"stances\.mine\.overrides\.network\.egress_allowlist: .* open egress"):
        spec_for("mine", stances={"mine": {"extends": "balanced", "overrides": {"network": {"egress_allowlist": ["*"]}}}})


def test_flow_logs_without_a_cmk_are_not_encrypted(spec_for, run_program):
    run = network_run(run_program, NetworkArgs.from_spec(spec_for("strict")))
    assert "kmsKeyId" not in run.one(LOG_GROUP).inputs


# ---- every stance --------------------------------------------------------------


def test_no_public_ips_and_no_world_ingress(stance_name, spec_for, run_program):
    run = run_stance(spec_for, run_program, stance_name)
    for subnet in run.of_type(SUBNET):
        assert subnet.inputs["mapPublicIpOnLaunch"] is False, subnet
    for group in run.of_type(SG):
        for rule in group.inputs.get("ingress", []):
            assert "0.0.0.0/0" not in rule.get("cidrBlocks", []) and "::/0" not in rule.get("ipv6CidrBlocks", []), group
    assert run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == []


def test_default_security_group_is_adopted_with_no_rules(stance_name, spec_for, run_program):
    run = run_stance(spec_for, run_program, stance_name)
    default = run.one(DEFAULT_SG)
    assert default.inputs["vpcId"] == run.one(VPC).id
    # Adopting it removes AWS's default rules; none may be declared back.
    assert not default.inputs.get("ingress") and not default.inputs.get("egress"), default
    assert run.of_type("aws:ec2/securityGroupRule:SecurityGroupRule") == []


def test_outputs_and_parents(stance_name, spec_for, run_program):
    spec = spec_for(stance_name)
    zones = spec.stance.network.availability_zones

    def program():
        network = PrivateNetwork("acme-network", NetworkArgs.from_spec(spec))

        def check(values):
            urn, azs, cidr, private = values
            assert azs == [f"{REGION}{z}" for z in "abcdef"[:zones]], f"{urn}: {azs}"
            assert cidr == "10.40.0.0/16" and len(private) == zones, urn

        return pulumi.Output.all(network.urn, network.availability_zones, network.vpc_cidr, pulumi.Output.all(*network.private_subnet_ids)).apply(check)

    run = run_program(program)
    component = run.one("workbench:network:PrivateNetwork")
    for resource in run.resources:
        if resource.custom:
            assert resource.parent == component.urn, resource
