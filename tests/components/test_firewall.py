"""EgressFirewall on its own under the mock engine: one rule group per tier of sources, strict order, its logs."""

from __future__ import annotations

from blueprint.components.firewall import TLS_SNI, DomainAllowlist, EgressFirewall, EgressFirewallArgs

RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy"
FIREWALL = "aws:networkfirewall/firewall:Firewall"
LOGGING = "aws:networkfirewall/loggingConfiguration:LoggingConfiguration"

SESSIONS = DomainAllowlist("sessions", ("github.com",), ("10.40.0.0/19",))
HUB = DomainAllowlist("hub", ("login.acme.example",), ("10.40.228.0/23",), target_types=(TLS_SNI,))


def firewall(run_program, *allowlists: DomainAllowlist, log_traffic: str = "REJECT"):
    def program():
        fw = EgressFirewall(
            "acme-network-firewall",
            EgressFirewallArgs(vpc_id="vpc-1", subnet_ids=["fw-a", "fw-b"], allowlists=allowlists, log_traffic=log_traffic, log_retention_days=90),
        )
        return fw.endpoint_ids

    return run_program(program)


def test_each_allowlist_is_a_rule_group_scoped_to_its_sources(run_program):
    run = firewall(run_program, SESSIONS, HUB)
    groups = {g.name: g.inputs["ruleGroup"] for g in run.of_type(RULE_GROUP)}
    assert set(groups) == {"acme-network-firewall-sessions", "acme-network-firewall-hub"}
    hub = groups["acme-network-firewall-hub"]
    assert hub["rulesSource"]["rulesSourceList"] == {"generatedRulesType": "ALLOWLIST", "targetTypes": ["TLS_SNI"], "targets": ["login.acme.example"]}
    assert hub["ruleVariables"] == {"ipSets": [{"key": "HOME_NET", "ipSet": {"definitions": ["10.40.228.0/23"]}}]}
    assert hub["statefulRuleOptions"] == {"ruleOrder": "STRICT_ORDER"}
    policy = run.one(POLICY).inputs["firewallPolicy"]
    assert policy["statefulEngineOptions"] == {"ruleOrder": "STRICT_ORDER"}
    assert policy["statefulDefaultActions"] == ["aws:drop_established", "aws:alert_established"]
    assert sorted(r["priority"] for r in policy["statefulRuleGroupReferences"]) == [1, 2]
    assert [m["subnetId"] for m in run.one(FIREWALL).inputs["subnetMappings"]] == ["fw-a", "fw-b"]


def test_endpoints_follow_the_subnets_order(run_program):
    assert firewall(run_program, HUB).value == ["vpce-fw0", "vpce-fw1"]


def test_an_empty_allowlist_makes_no_rule_group_and_no_logs_without_flow_logs(run_program):
    run = firewall(run_program, DomainAllowlist("sessions", (), ("10.40.0.0/19",)), HUB, log_traffic="NONE")
    assert [g.name for g in run.of_type(RULE_GROUP)] == ["acme-network-firewall-hub"]
    assert run.of_type(LOGGING) == []
