"""PrivateNetwork under the mock engine: egress path, endpoints and flow logs per stance; no door from the internet."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pulumi
import pytest

from blueprint.components.firewall import firewall_domains
from blueprint.components.network import NetworkArgs, PrivateNetwork
from blueprint.errors import SpecError
from blueprint.facts.aws_apis import interface_services
from blueprint.facts.ci_runner import runner_domains
from blueprint.program import AWS_API_CALLERS
from tests.components.conftest import ACCOUNT, REGION

KMS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/test"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
IGW = "aws:ec2/internetGateway:InternetGateway"
EIP = "aws:ec2/eip:Eip"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ANYWHERE = "0.0.0.0/0"
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


def args_for(spec, **kwargs) -> NetworkArgs:
    return NetworkArgs.from_spec(spec, api_callers=CALLERS, **kwargs)


def run_stance(spec_for, run_program, stance: str, **overrides):
    return network_run(run_program, args_for(spec_for(stance, **overrides), kms_key_arn=KMS))


def subnets(run, tier: str):
    return sorted((s for s in run.of_type(SUBNET) if s.inputs["tags"]["tier"] == tier), key=lambda s: s.name)


# ---- what the program installs decides the endpoints ------------------------------

CALLERS = AWS_API_CALLERS
INTERFACE_ENDPOINTS = interface_services(CALLERS)


def test_the_installed_callers_need_these_interface_endpoints():
    """Derived from facts.aws_apis; EFS's API is there for the EFS CSI controller (issue 11.6)."""
    assert set(INTERFACE_ENDPOINTS) == {
        "autoscaling", "codeartifact.api", "codeartifact.repositories", "ec2", "ecr.api", "ecr.dkr", "eks", "elasticfilesystem", "logs", "sts",
    }
    assert interface_services(["node"]) == ("ec2", "ecr.api", "ecr.dkr"), "a managed node calls neither EKS nor STS"


def test_firewall_domains_use_network_firewall_wildcards():
    assert firewall_domains(["github.com", "*.githubusercontent.com", "github.com"]) == (".githubusercontent.com", "github.com")


# ---- per stance ----------------------------------------------------------------


def routes_of(run, tier: str) -> list:
    tables = {f"{t.name}-id" for t in run.of_type(ROUTE_TABLE) if t.name.startswith(f"acme-network-{tier}-")}
    return [r for r in run.of_type(ROUTE) if r.inputs["routeTableId"] in tables]


def rule_groups(run) -> dict[str, dict]:
    return {g.inputs["tags"]["workbench:egress-tier"]: g.inputs["ruleGroup"] for g in run.of_type(RULE_GROUP)}


def home_net(group: dict) -> list[str]:
    [ip_set] = group["ruleVariables"]["ipSets"]
    assert ip_set["key"] == "HOME_NET"
    return ip_set["ipSet"]["definitions"]


def test_strict_sessions_have_no_way_to_the_internet(spec_for, run_program):
    run = run_stance(spec_for, run_program, "strict")
    assert len(subnets(run, "private")) == 3 and subnets(run, "public") == []
    assert routes_of(run, "private") == [], "session subnets have no route but the VPC's local one (and S3's gateway)"
    groups = rule_groups(run)
    assert set(groups) == {"hub", "ci"}, "no session traffic ever reaches the firewall under egress mirror"
    assert home_net(groups["hub"]) == [s.inputs["cidrBlock"] for s in subnets(run, "hub")]
    assert home_net(groups["ci"]) == [s.inputs["cidrBlock"] for s in subnets(run, "ci")]


def test_strict_hub_reaches_exactly_the_idp_through_the_firewall(spec_for, run_program):
    spec = spec_for("strict")
    assert spec.hub_egress == "firewall" and spec.idp_hosts == ("login.acme.example",)
    run = network_run(run_program, args_for(spec, kms_key_arn=KMS))
    hub = subnets(run, "hub")
    assert [s.inputs["cidrBlock"] for s in hub] == ["10.40.228.0/23", "10.40.230.0/23", "10.40.232.0/23"]
    assert not any(key.startswith("kubernetes.io/role/") for s in hub for key in s.inputs["tags"]), "no load balancer lands in the hub tier"
    source = rule_groups(run)["hub"]["rulesSource"]["rulesSourceList"]
    assert source == {"generatedRulesType": "ALLOWLIST", "targetTypes": ["TLS_SNI"], "targets": ["login.acme.example"]}
    hub_routes = {r.name: r.inputs for r in routes_of(run, "hub")}
    assert hub_routes == {f"acme-network-hub-{i}-egress": {"destinationCidrBlock": ANYWHERE, "routeTableId": f"acme-network-hub-{i}-rt-id", "vpcEndpointId": f"vpce-fw{i}"} for i in range(3)}
    routes = {r.name: r.inputs for r in run.of_type(ROUTE)}
    for i in range(3):
        assert routes[f"acme-network-firewall-{i}-nat"]["natGatewayId"] == f"acme-network-natgw-{i}-id"
        assert routes[f"acme-network-nat-return-hub-{i}"] == {"destinationCidrBlock": hub[i].inputs["cidrBlock"], "routeTableId": "acme-network-nat-rt-id", "vpcEndpointId": f"vpce-fw{i}"}
    assert len(run.of_type(NAT)) == 3, "stability.multi_az_nodes: one NAT per AZ"
    s3 = next(e for e in run.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Gateway")
    assert sorted(s3.inputs["routeTableIds"]) == sorted(
        f"acme-network-{tier}-{i}-rt-id" for tier in ("hub", "private", "ci") for i in range(3)
    ), "hub nodes pull image layers from S3 too; the CI runner manages the program's buckets"


@pytest.mark.parametrize("stance", ["strict", "balanced"])
def test_the_ci_runner_reaches_exactly_its_hosts_through_the_firewall(spec_for, run_program, stance):
    spec = spec_for(stance)
    assert spec.ci_egress == "firewall"
    run = network_run(run_program, args_for(spec, kms_key_arn=KMS))
    ci = subnets(run, "ci")
    assert [s.inputs["cidrBlock"] for s in ci] == ["10.40.240.0/23", "10.40.242.0/23", "10.40.244.0/23"]
    assert not any(key.startswith("kubernetes.io/role/") for s in ci for key in s.inputs["tags"]), "no load balancer lands in the CI tier"
    source = rule_groups(run)["ci"]["rulesSource"]["rulesSourceList"]
    assert source["targetTypes"] == ["TLS_SNI"] and tuple(source["targets"]) == firewall_domains(runner_domains(spec.region))
    ci_routes = {r.name: r.inputs["vpcEndpointId"] for r in routes_of(run, "ci")}
    assert ci_routes == {f"acme-network-ci-{i}-egress": f"vpce-fw{i}" for i in range(3)}
    returns = {r.name: r.inputs["destinationCidrBlock"] for r in run.of_type(ROUTE) if r.name.startswith("acme-network-nat-return-ci-")}
    assert returns == {f"acme-network-nat-return-ci-{i}": ci[i].inputs["cidrBlock"] for i in range(3)}, "replies come back through the firewall"


def test_open_egress_needs_no_ci_tier(spec_for, run_program):
    spec = spec_for("open")
    assert spec.ci_egress == "open"
    run = network_run(run_program, args_for(spec, kms_key_arn=KMS))
    assert subnets(run, "ci") == [], "the runner uses the private subnets' NAT like every node"




def hub_ids(spec):
    def program():
        network = PrivateNetwork("acme-network", args_for(spec))
        return pulumi.Output.all(*network.hub_subnet_ids) if network.hub_subnet_ids is not None else None

    return program


def test_hub_subnet_ids_are_exposed_only_with_a_hub_tier(spec_for, run_program):
    assert run_program(hub_ids(spec_for("strict"))).value == [f"acme-network-hub-{i}-id" for i in range(3)]
    assert run_program(hub_ids(spec_for("open"))).value is None


ON_PREMISES = {
    "idp": {"kind": "oidc", "issuer_url": "https://sso.corp.acme.example/realms/dsw", "client_id": "jupyterhub", "reachable_via": "on-premises"},
    "network": {"on_premises_cidrs": ["10.0.0.0/16"]},
    # CI on the organisation's network too: the CodeBuild runner would need a path of its own (the ci tier).
    "ci": {"runner": "self-hosted", "runner_label": "workbench", "runner_cidrs": ["10.0.8.0/24"]},
}


def test_strict_with_an_on_premises_idp_has_no_internet_path_at_all(spec_for, run_program):
    run = run_stance(spec_for, run_program, "strict", **ON_PREMISES)
    for token in (NAT, IGW, EIP, FIREWALL):
        assert run.of_type(token) == [], f"the hub reaches the IdP over the organisation's network: no {token}"
    assert {s.inputs["tags"]["tier"] for s in run.of_type(SUBNET)} == {"private"}
    assert all(r.inputs["destinationCidrBlock"] != ANYWHERE for r in run.of_type(ROUTE))
    assert run_program(hub_ids(spec_for("strict", **ON_PREMISES))).value is None


def test_balanced_with_an_on_premises_idp_keeps_only_the_sessions_allowlist(spec_for, run_program):
    run = run_stance(spec_for, run_program, "balanced", **ON_PREMISES)
    assert set(rule_groups(run)) == {"sessions"} and subnets(run, "hub") == []


SELF_HOSTED_CI = {"ci": {"runner": "self-hosted", "runner_label": "workbench", "runner_cidrs": ["10.0.8.0/24"]}}


def test_a_22_vpc_holds_strict_with_its_hub_tier(spec_for, run_program):
    # A /22's sixteen small blocks are the four tiers': no room for the CodeBuild runner's (see the next test but one).
    run = run_stance(spec_for, run_program, "strict", network={"vpc_cidr": "192.168.4.0/22"}, **SELF_HOSTED_CI)
    assert [s.inputs["cidrBlock"] for s in subnets(run, "hub")] == ["192.168.7.192/28", "192.168.7.208/28", "192.168.7.224/28"]
    assert len(subnets(run, "firewall")) == 3 and len(subnets(run, "nat")) == 3


def test_a_22_vpc_over_four_zones_is_refused_with_the_fix(spec_for):
    spec = spec_for("mine", network={"vpc_cidr": "192.168.4.0/22"}, stances={"mine": {"extends": "strict", "overrides": {"network": {"availability_zones": 5}}}})
    with pytest.raises(SpecError, match="has room for 4 .* subnets.*use a /21 or larger"):
        args_for(spec)


def test_a_22_with_the_codebuild_runner_is_refused_with_the_fix(spec_for):
    with pytest.raises(SpecError, match="room for 0 ci subnets.*use a /21 or larger VPC, or ci.runner: self-hosted"):
        args_for(spec_for("strict", network={"vpc_cidr": "192.168.4.0/22"}))


def test_s3_cidrs_are_the_regions_s3_ranges(spec_for, run_program):
    def program():
        return PrivateNetwork("acme-network", args_for(spec_for("strict"))).s3_cidrs

    run = run_program(program)
    assert ("aws:ec2/getManagedPrefixList:getManagedPrefixList", {"name": f"com.amazonaws.{REGION}.s3"}) in run.invokes
    assert "52.218.0.0/17" in run.value and all(ipaddress.ip_network(c).prefixlen >= 15 for c in run.value), run.value


def test_strict_flow_logs_record_everything_for_a_year_encrypted(spec_for, run_program):
    run = run_stance(spec_for, run_program, "strict")
    flow_log = run.one(FLOW_LOG)
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    log_group = run.named("acme-network-flow-logs", LOG_GROUP)
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
    assert endpoints["s3"].inputs["vpcEndpointType"] == "Gateway" and len(endpoints["s3"].inputs["routeTableIds"]) == 9, "private, hub and ci tiers"
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
    groups = rule_groups(run)
    rules = groups["sessions"]["rulesSource"]["rulesSourceList"]
    assert rules["generatedRulesType"] == "ALLOWLIST" and rules["targetTypes"] == ["TLS_SNI", "HTTP_HOST"]
    assert rules["targets"] == [".githubusercontent.com", ".huggingface.co", "github.com", "huggingface.co", "packagemanager.posit.co"]
    # Disjoint sources: the hub tier reaches only the IdP, the sessions only the allowlist.
    assert home_net(groups["sessions"]) == [s.inputs["cidrBlock"] for s in subnets(run, "private")]
    assert home_net(groups["hub"]) == [s.inputs["cidrBlock"] for s in subnets(run, "hub")]
    assert groups["hub"]["rulesSource"]["rulesSourceList"]["targets"] == ["login.acme.example"]
    policy = run.one("aws:networkfirewall/firewallPolicy:FirewallPolicy").inputs["firewallPolicy"]
    assert "aws:drop_established" in policy["statefulDefaultActions"]
    routes = {r.name: r.inputs for r in run.of_type(ROUTE)}
    for i in range(3):
        assert routes[f"acme-network-private-{i}-egress"]["vpcEndpointId"] == f"vpce-fw{i}", "private egress enters the firewall"
        assert routes[f"acme-network-firewall-{i}-nat"]["natGatewayId"] == f"acme-network-natgw-{i}-id"
        assert routes[f"acme-network-nat-return-{i}"]["vpcEndpointId"] == f"vpce-fw{i}", "replies return through the firewall"
        assert routes[f"acme-network-hub-{i}-egress"]["vpcEndpointId"] == f"vpce-fw{i}", "the hub's sign-in path too"
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
    args = replace(args_for(spec_for("balanced"), kms_key_arn=KMS), flow_log_traffic="ALL")
    run = network_run(run_program, args)
    configs = run.one(FIREWALL_LOGGING).inputs["loggingConfiguration"]["logDestinationConfigs"]
    assert [c["logType"] for c in configs] == ["ALERT", "FLOW"]
    flows = run.named("acme-network-firewall-flow", LOG_GROUP).inputs
    assert configs[1]["logDestination"] == {"logGroup": flows["name"]} and flows["name"].endswith("/flow")


def test_firewall_without_flow_logs_logs_nothing(spec_for, run_program):
    args = replace(args_for(spec_for("balanced"), kms_key_arn=KMS), flow_log_traffic="NONE")
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
    args = replace(args_for(spec_for("strict")), public_ingress=True, hub_egress="on-premises", ci_egress="none")
    run = network_run(run_program, args)
    assert len(subnets(run, "public")) == 3 and len(run.of_type(IGW)) == 1
    assert run.of_type(NAT) == [] and run.of_type(EIP) == []


def test_allowlist_with_a_wildcard_is_refused(spec_for):
    # Refused by the model (NetworkControls) when the blueprint loads, naming the field: no component sees it.
    with pytest.raises(SpecError, match=r"stances\.mine\.overrides\.network\.egress_allowlist: .* open egress"):
        spec_for("mine", stances={"mine": {"extends": "balanced", "overrides": {"network": {"egress_allowlist": ["*"]}}}})


def test_flow_logs_without_a_cmk_are_not_encrypted(spec_for, run_program):
    run = network_run(run_program, args_for(spec_for("strict")))
    groups = run.of_type(LOG_GROUP)
    assert len(groups) == 3 and not any("kmsKeyId" in g.inputs for g in groups), "flow logs and the firewall's alerts and flows"


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
        network = PrivateNetwork("acme-network", args_for(spec))

        def check(values):
            urn, azs, cidr, private = values
            assert azs == [f"{REGION}{z}" for z in "abcdef"[:zones]], f"{urn}: {azs}"
            assert cidr == "10.40.0.0/16" and len(private) == zones, urn

        return pulumi.Output.all(network.urn, network.availability_zones, network.vpc_cidr, pulumi.Output.all(*network.private_subnet_ids)).apply(check)

    run = run_program(program)
    component = run.one("workbench:network:PrivateNetwork")
    firewalls = run.of_type("workbench:network:EgressFirewall")
    assert len(firewalls) == (0 if stance_name == "open" else 1) and all(f.parent == component.urn for f in firewalls)
    for resource in run.resources:
        if resource.custom:
            assert resource.parent in {component.urn, *(f.urn for f in firewalls)}, resource
            if resource.parent != component.urn:
                assert resource.type.startswith(("aws:networkfirewall/", "aws:cloudwatch/")), resource


def test_the_firewall_its_policy_and_rule_groups_are_encrypted_with_the_cmk(spec_for, run_program):
    run = run_stance(spec_for, run_program, "balanced")
    encrypted = [*run.of_type(FIREWALL), *run.of_type(RULE_GROUP), *run.of_type("aws:networkfirewall/firewallPolicy:FirewallPolicy")]
    assert len(encrypted) == 5, "the firewall, its policy, and the sessions', the hub's and the CI runner's rule groups"
    assert all(r.inputs["encryptionConfiguration"] == {"type": "CUSTOMER_KMS", "keyId": KMS} for r in encrypted), encrypted
