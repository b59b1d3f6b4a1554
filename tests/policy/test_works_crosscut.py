"""The cross-cutting works rules on real generated graphs: the blocker each one names, its fixed shape, its mutations.

The fixes live in other branches (hub: the connect URL; network: the hub's IdP egress; cluster: the vpc-cni
add-on). Until they merge, the passing case runs on the real graph patched to the fixed shape by a `with_*`
function named for the fix; at merge each `with_*` becomes the identity and the test a plain "all stances pass".
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from blueprint.charts.z2jh import render_release
from blueprint.components import naming
from blueprint.policy import BY_ID, evaluate, select
from blueprint.policy import tokens as T
from blueprint.policy.rules.works_crosscut import FIREWALL_POLICY, NETWORK_FIREWALL, RULE_GROUP, effective_connect_url
from blueprint.preview import ResourceGraph

from .conftest import Real, added, find, mutate, without

STANCES = ("strict", "balanced", "open")
CONNECT = "works.hub.connect-url"
IDP = "works.identity.hub-reaches-idp"
NETPOL = "works.policy.netpol-enforced"
RELEASE = "kubernetes:helm.sh/v3:Release"
ADDON = "aws:eks/addon:Addon"
SUBNET = "aws:ec2/subnet:Subnet"
HUB_URL = "http://hub.jupyterhub.svc.cluster.local:8081"


def verdict(real: Real, graph: ResourceGraph, rule: str, spec: Any = None) -> list[str]:
    result = evaluate(spec or real.spec, graph, rules=[BY_ID[rule]])
    assert not result.not_run, result.not_run
    assert all(v.rule == rule and v.family == "works" for v in result.violations)
    assert bool(result.violations) == (rule not in result.passed)
    return [f"{v.urn.rsplit('::', 1)[-1]}: {v.message}" for v in result.violations]


# ---- the fixed shapes (what the other branches build) ---------------------------------------------------


def set_connect_url(graph: ResourceGraph, url: str | None) -> ResourceGraph:
    """The hub's values with `hub.config` as data whose only secret is the client secret (the hub branch's shape;
    kept when the graph already has it), and `url` as its JupyterHub.hub_connect_url (None: unset)."""
    release = find(graph, RELEASE, "jupyterhub")

    def change(inputs: dict[str, Any]) -> None:
        config = inputs["values"]["hub"].get("config")
        if not isinstance(config, dict):
            config = {
                "JupyterHub": {"authenticator_class": "generic-oauth"},
                "GenericOAuthenticator": {"client_id": "jupyterhub", "client_secret": "[secret]"},
            }
        section = config.setdefault("JupyterHub", {})
        section.pop("hub_connect_url", None)
        if url is not None:
            section["hub_connect_url"] = url
        inputs["values"]["hub"]["config"] = config

    return mutate(graph, release, change)


def with_hub_connect_url_fix(real: Real) -> ResourceGraph:
    """Hub branch: hub.config.JupyterHub.hub_connect_url = http://hub.<hub namespace>.svc.cluster.local:8081."""
    return set_connect_url(real.graph, HUB_URL)


def with_vpc_cni_network_policy_fix(real: Real, config: Any = '{"enableNetworkPolicy": "true"}') -> ResourceGraph:
    """Cluster branch: the vpc-cni add-on managed with NetworkPolicy enforcement on (`config` replaces its
    configurationValues when the graph already has the add-on; None removes them)."""
    existing = [a for a in real.graph.of_type(ADDON) if a.inputs.get("addonName") == "vpc-cni"]
    if existing:
        def change(inputs: dict[str, Any]) -> None:
            inputs.pop("configurationValues", None)
            if config is not None:
                inputs["configurationValues"] = config

        return mutate(real.graph, existing[0], change)
    like = find(real.graph, ADDON, "efs-csi")
    inputs = {"addonName": "vpc-cni", "clusterName": like.inputs["clusterName"]}
    if config is not None:
        inputs["configurationValues"] = config
    return added(real.graph, like, ADDON, "acme-cluster-vpc-cni", inputs, dependencies=like.dependencies)


def _hub_node_groups(graph: ResourceGraph) -> list[Any]:
    return [g for g in graph.of_type(T.NODE_GROUP) if (g.inputs.get("labels") or {}).get(naming.POOL_LABEL) == naming.HUB_POOL]


def _idp_rule_groups(graph: ResourceGraph, hosts: tuple[str, ...]) -> list[Any]:
    return [g for g in graph.of_type(RULE_GROUP) if any(h in json.dumps(g.inputs) for h in hosts)]


def _break_landed_fix(real: Real, targets: list[str] | None, home_net: str, in_firewall: bool) -> ResourceGraph:
    """The same mutations on the network branch's own hub rule group, once it is in the real graph."""
    graph = real.graph
    for group in _idp_rule_groups(graph, real.spec.idp_hosts("dev")):
        def change(inputs: dict[str, Any]) -> None:
            source = inputs["ruleGroup"]["rulesSource"]["rulesSourceList"]
            if targets is not None:
                source["targets"] = targets
            if home_net == "sessions":
                sessions = next(g for g in graph.of_type(T.NODE_GROUP) if g not in _hub_node_groups(graph))
                cidr = next(graph[d].inputs["cidrBlock"] for d in sessions.dependencies if d in graph and graph[d].type == SUBNET)
                inputs["ruleGroup"]["ruleVariables"] = {"ipSets": [{"key": "HOME_NET", "ipSet": {"definitions": [cidr]}}]}

        graph = mutate(graph, graph[group.urn], change)
        if not in_firewall:
            policies = {p.urn for p in graph.of_type(FIREWALL_POLICY) if group.urn in p.dependencies}
            graph = without(graph, *[f for f in graph.of_type(NETWORK_FIREWALL) if policies & set(f.dependencies)])
    return graph


def with_hub_idp_egress_fix(
    real: Real, *, targets: list[str] | None = None, home_net: str = "hub", in_firewall: bool = True
) -> ResourceGraph:
    """Network branch: the hub on its own node group in its own subnets, routed through a firewall whose rule group
    admits exactly spec.idp_hosts (TLS SNI) for HOME_NET = those subnets. Open stances need nothing (NAT)."""
    graph = real.graph
    if real.spec.hub_egress != "firewall":
        return graph
    if _hub_node_groups(graph) and _idp_rule_groups(graph, real.spec.idp_hosts("dev")):  # the fix has landed
        return _break_landed_fix(real, targets, home_net, in_firewall)
    like_subnet = find(graph, SUBNET, "private-0")
    cidrs = ["10.40.200.0/24", "10.40.201.0/24"]
    subnets = []
    for i, cidr in enumerate(cidrs):
        name = f"acme-network-hub-{i}"
        graph = added(graph, like_subnet, SUBNET, name, {**like_subnet.inputs, "cidrBlock": cidr, "tags": {"Name": name, "tier": "hub"}})
        subnets.append(find(graph, SUBNET, name))
    cpu = find(graph, T.NODE_GROUP, "cpu")
    hub_inputs = {**cpu.inputs, "labels": {naming.POOL_LABEL: naming.HUB_POOL}, "subnetIds": [f"{s.name}-id" for s in subnets]}
    hub_deps = tuple(sorted({*[d for d in cpu.dependencies if "Subnet" not in d], *(s.urn for s in subnets)}))
    graph = added(graph, cpu, T.NODE_GROUP, "acme-cluster-hub", hub_inputs, dependencies=hub_deps)
    scope = {"hub": cidrs, "sessions": [find(graph, SUBNET, "private-0").inputs["cidrBlock"]]}[home_net]
    group_inputs = {
        "type": "STATEFUL",
        "capacity": 100,
        "ruleGroup": {
            "ruleVariables": {"ipSets": [{"key": "HOME_NET", "ipSet": {"definitions": scope}}]},
            "rulesSource": {
                "rulesSourceList": {
                    "generatedRulesType": "ALLOWLIST",
                    "targetTypes": ["TLS_SNI"],
                    "targets": list(real.spec.idp_hosts("dev")) if targets is None else targets,
                }
            },
        },
    }
    vpc = find(graph, T.VPC)
    graph = added(graph, vpc, RULE_GROUP, "acme-network-hub-idp", group_inputs)
    group = find(graph, RULE_GROUP, "hub-idp")
    graph = added(graph, vpc, FIREWALL_POLICY, "acme-network-hub-policy", {"firewallPolicy": {}}, dependencies=(group.urn,))
    if in_firewall:
        policy = find(graph, FIREWALL_POLICY, "hub-policy")
        graph = added(graph, vpc, NETWORK_FIREWALL, "acme-network-hub-firewall", {"vpcId": "acme-network-vpc-id"}, dependencies=(policy.urn,))
    return graph


def test_the_policy_layer_names_the_hub_pool_as_the_components_do():
    assert (T.POOL_LABEL, T.HUB_POOL) == (naming.POOL_LABEL, naming.HUB_POOL)


# ---- works.hub.connect-url ------------------------------------------------------------------------------


@pytest.mark.parametrize("stance", STANCES)
def test_connect_url_fails_on_the_chart_default_for_team_namespaces(real, stance):
    """The blocker on today's main: z2jh's http://hub:8081 does not resolve from a team namespace (z2jh#1916)."""
    project = real(stance)
    graph = set_connect_url(project.graph, None)
    url, where = effective_connect_url(render_release(graph))
    assert (url, where) == ("http://hub:8081", "the chart's default in jupyterhub_config.py")
    found = verdict(project, graph, CONNECT)
    teams = sorted(t.name for t in project.spec.teams)
    assert len(found) == len(teams) and all(f"sessions in namespace {t} " in m for t, m in zip(teams, found)), found
    assert all(m.startswith("acme-workbench-jupyterhub: ") and HUB_URL in m for m in found)


@pytest.mark.parametrize("stance", STANCES)
def test_connect_url_all_stances_pass_once_the_hub_fix_lands(real, stance):
    project = real(stance)
    graph = with_hub_connect_url_fix(project)
    assert effective_connect_url(render_release(graph)) == (HUB_URL, "hub.config.JupyterHub.hub_connect_url")
    assert verdict(project, graph, CONNECT) == []


@pytest.mark.parametrize(
    ("url", "expect"),
    [
        ("http://hub:8081", "hub resolves only inside the hub's namespace; from genomics there is no Service genomics/hub"),
        ("http://hub.genomics.svc.cluster.local:8081", "resolves to Service genomics/hub, which does not exist"),
        ("http://hub.jupyterhub.svc.cluster.local:8000", "Service jupyterhub/hub has no port 8000"),
        ("http://hub.example.com:8081", "hub.example.com is not a Service name of the release"),
    ],
)
def test_connect_url_mutations_fire(real, url, expect):
    project = real("strict")
    found = verdict(project, set_connect_url(with_hub_connect_url_fix(project), url), CONNECT)
    assert any(expect in m for m in found), found


@pytest.mark.parametrize("url", ["http://hub.jupyterhub:8081", "http://hub.jupyterhub.svc:8081"])
def test_connect_url_accepts_every_name_that_resolves_across_namespaces(real, url):
    project = real("balanced")
    assert verdict(project, set_connect_url(project.graph, url), CONNECT) == []


def test_connect_url_set_by_hub_extra_config_code_is_read_and_wins(real):
    project = real("open")
    graph = with_hub_connect_url_fix(project)
    release = find(graph, RELEASE, "jupyterhub")
    code = 'c.KubeSpawner.hub_connect_url = "http://hub:8081"\n'
    broken = mutate(graph, release, lambda i: i["values"]["hub"]["extraConfig"].update({"zz-url": code}))
    found = verdict(project, broken, CONNECT)
    assert found and all("(hub.extraConfig.zz-url)" in m for m in found), found
    unreadable = mutate(graph, release, lambda i: i["values"]["hub"]["extraConfig"].update({"zz-url": "c.JupyterHub.hub_connect_url = make()\n"}))
    assert any("by code this check cannot read" in m for m in verdict(project, unreadable, CONNECT))


def test_connect_url_without_helm_is_not_run_never_passed(real, monkeypatch):
    from blueprint.charts import z2jh

    monkeypatch.setenv(z2jh.HELM_ENV, "/nonexistent/helm")
    monkeypatch.setattr(z2jh, "find_helm", lambda: None)
    z2jh._RENDERED.clear()
    project = real("strict")
    graph = ResourceGraph(tuple(project.graph))  # a fresh graph object: nothing cached
    result = evaluate(project.spec, graph, rules=select("works"))
    [not_run] = [n for n in result.not_run if n.rule == CONNECT]
    assert {n.rule for n in result.not_run} == {r.id for r in select("works") if r.needs_render}
    assert not_run.rule == CONNECT and not_run.reason.startswith("not run: helm not found, install helm v4.1.4 (https://helm.sh/docs/intro/install/)")
    assert CONNECT not in result.passed and result.rule_status()[CONNECT] == "not-run"


# ---- works.identity.hub-reaches-idp ---------------------------------------------------------------------


@pytest.mark.parametrize("stance", ["strict", "balanced"])
def test_hub_reaches_idp_fails_where_egress_goes_through_a_firewall_without_the_idp(real, stance):
    """The blocker on today's main (strict has no path, balanced's allowlist lacks the IdP host); after the network
    fix the same graph without its IdP rule group shows it."""
    project = real(stance)
    assert project.spec.hub_egress == "firewall"
    idp_groups = [g for g in project.graph.of_type(RULE_GROUP) if "login.acme.example" in json.dumps(g.inputs)]
    (found,) = verdict(project, without(project.graph, *idp_groups), IDP)
    assert found.startswith("acme-dsw-dev: ") and "admits login.acme.example, so nobody can sign in" in found


@pytest.mark.parametrize("stance", STANCES)
def test_hub_reaches_idp_all_stances_pass_once_the_network_fix_lands(real, stance):
    project = real(stance)
    assert verdict(project, with_hub_idp_egress_fix(project), IDP) == []


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        ({"targets": ["login.other.example"]}, "admits login.acme.example"),
        ({"targets": [".acme.example"]}, ""),  # a domain wildcard admits the host (Network Firewall RulesSourceList)
        ({"targets": ["acme.example"]}, "admits login.acme.example"),  # an explicit name matches only itself
        ({"home_net": "sessions"}, "no stateful TLS_SNI allowlist in use for the hub's subnets ("),
        ({"in_firewall": False}, "no stateful TLS_SNI allowlist in use"),
    ],
)
def test_hub_reaches_idp_mutations(real, change, expect):
    project = real("strict")
    found = verdict(project, with_hub_idp_egress_fix(project, **change), IDP)
    assert (any(expect in m for m in found) if expect else found == []), found
    # The same mutation once the fix is part of the real graph (as after the network merge).
    landed = Real(project.spec, with_hub_idp_egress_fix(project), project.directory)
    found = verdict(project, with_hub_idp_egress_fix(landed, **change), IDP)
    assert (any(expect in m for m in found) if expect else found == []), found


def test_hub_reaches_idp_open_egress_needs_a_nat_path(real):
    project = real("open")
    graph = without(project.graph, *project.graph.of_type(T.NAT_GATEWAY), *project.graph.of_type(T.INTERNET_GATEWAY))
    (found,) = verdict(project, graph, IDP)
    assert "no NAT or internet gateway" in found


def test_hub_reaches_idp_on_premises_needs_routed_networks(real):
    project = real("strict")
    on_prem = project.spec.model_copy(
        update={
            "idp": project.spec.idp.model_copy(update={"reachable_via": "on-premises"}),
            "network": project.spec.network.model_copy(update={"on_premises_cidrs": ("192.168.0.0/16",)}),
        }
    )
    assert on_prem.hub_egress == "on-premises"
    assert verdict(project, project.graph, IDP, spec=on_prem) == []
    unrouted = on_prem.model_copy(update={"network": project.spec.network.model_copy(update={"on_premises_cidrs": ()})})
    (found,) = verdict(project, project.graph, IDP, spec=unrouted)
    assert "network.on_premises_cidrs is empty" in found


# ---- works.policy.netpol-enforced -----------------------------------------------------------------------


@pytest.mark.parametrize("stance", STANCES)
def test_netpol_enforced_fails_without_a_managed_vpc_cni(real, stance):
    """The blocker on today's main: NetworkPolicies everywhere, and EKS's default VPC CNI does not enforce them."""
    project = real(stance)
    graph = without(project.graph, *[a for a in project.graph.of_type(ADDON) if a.inputs.get("addonName") == "vpc-cni"])
    (found,) = verdict(project, graph, NETPOL)
    assert found.startswith("acme-cluster-eks: the program relies on NetworkPolicy (") and '"enableNetworkPolicy": "true"' in found


@pytest.mark.parametrize("stance", STANCES)
def test_netpol_enforced_all_stances_pass_once_the_cluster_fix_lands(real, stance):
    project = real(stance)
    assert verdict(project, with_vpc_cni_network_policy_fix(project), NETPOL) == []


@pytest.mark.parametrize(
    ("config", "expect"),
    [
        (None, "does not set enableNetworkPolicy"),
        ('{"enableNetworkPolicy": "false"}', "does not set enableNetworkPolicy"),
        (json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true"}}), "does not set enableNetworkPolicy"),
        ("not json", "does not set enableNetworkPolicy"),
        ('{"enableNetworkPolicy": "true", "nodeAgent": {"enablePolicyEventLogs": "true"}}', ""),
    ],
)
def test_netpol_enforced_mutations(real, config, expect):
    project = real("balanced")
    found = verdict(project, with_vpc_cni_network_policy_fix(project, config), NETPOL)
    if expect:
        assert found and all("vpc-cni" in m.split(": ")[0] and expect in m for m in found), found
    else:
        assert found == []


def test_netpol_enforced_asks_nothing_of_a_program_without_network_policies(real):
    project = real("open")
    # No managed vpc-cni with network policy either, so the rule would fire if it judged anything.
    cni = [a for a in project.graph.of_type("aws:eks/addon:Addon") if a.inputs.get("addonName") == "vpc-cni"]
    graph = without(project.graph, *project.graph.of_type(T.NETWORK_POLICY), *cni)
    release = find(graph, RELEASE, "jupyterhub")
    off = {"networkPolicy": {"enabled": False}}

    def disable(inputs: dict[str, Any]) -> None:
        for part in ("hub", "proxy", "singleuser"):
            inputs["values"].setdefault(part, {}).update(copy.deepcopy(off))

    assert verdict(project, mutate(graph, release, disable), NETPOL) == []
    assert verdict(project, graph, NETPOL)  # the chart's own policies (on by default) still count
