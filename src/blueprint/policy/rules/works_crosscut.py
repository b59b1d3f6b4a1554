"""Cross-cutting works rules: sessions reach the hub, the hub reaches the IdP, NetworkPolicy is enforced.

Each one follows a day-1 journey across areas (chart, network, cluster), so it lives here rather than with
one area's rules. Ids are `works.<area>.<what>`; the family is "works" (DESIGN.md, "Day 1 is part of the design").
"""

from __future__ import annotations

import ast
import ipaddress
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from ...charts.z2jh import chart_defaults, jupyterhub_release, merge_like_helm
from ...model import Concern
from ...preview.graph import ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, dig, known, linked, rendered, stack_of, stack_urn

rules = RuleSet()

# ---- works.hub.connect-url ------------------------------------------------------------------------------

# z2jh's jupyterhub_config.py sets `c.JupyterHub.hub_connect_url = http://{get_name("hub")}:{HUB_SERVICE_PORT}`
# and then applies `hub.config` sections over it (files/hub/jupyterhub_config.py); KubeSpawner hands a session
# `Spawner.hub_connect_url` when set, else the hub's (jupyterhub/spawner.py: `hub_connect_url` trait). A bare
# Service name only resolves inside its own namespace (the pod's DNS search path starts with `<ns>.svc...`),
# so from a team namespace `http://hub:8081` does not resolve (z2jh#1916).
_CONNECT_URL_SECTIONS = ("KubeSpawner", "Spawner", "JupyterHub")


# The last chart's values: two rules of one check read them, and parsing them is most of a cached check's
# time with many teams (every team's profiles are in them). Keyed by identity; callers only read the values.
_last_values: list[tuple[Any, dict[str, Any]]] = []


def _chart_values(rendered_chart: Any) -> dict[str, Any]:
    """The merged values the hub reads at start-up: the chart puts them in its `hub` Secret as values.yaml."""
    if _last_values and _last_values[0][0] is rendered_chart:
        return _last_values[0][1]
    from ...charts.z2jh import hub_values

    values = hub_values(rendered_chart)
    _last_values[:] = [(rendered_chart, values)]
    return values


def _code_assignments(code: str) -> dict[str, str | None]:
    """`c.<Section>.hub_connect_url = ...` in hub.extraConfig code: section -> the string, or None if not a literal."""
    found: dict[str, str | None] = {}
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "hub_connect_url"
                    and isinstance(target.value, ast.Attribute)
                    and isinstance(target.value.value, ast.Name)
                    and target.value.value.id == "c"
                ):
                    value = node.value
                    found[target.value.attr] = value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None
    return found


def effective_connect_url(rendered_chart: Any) -> tuple[str | None, str]:
    """(the URL sessions are handed to reach the hub, where it was set) as the rendered hub configuration says;
    the URL is None when code sets it to something not readable offline."""
    values = _chart_values(rendered_chart)
    config = dig(values, "hub", "config", default={}) or {}
    settings: dict[str, tuple[str | None, str]] = {}
    for name, code in sorted((dig(values, "hub", "extraConfig", default={}) or {}).items()):
        for section, url in _code_assignments(str(code)).items():
            settings[section] = (url, f"hub.extraConfig.{name}")  # extraConfig runs after hub.config
    for section in _CONNECT_URL_SECTIONS:
        if section not in settings and isinstance(config, Mapping) and isinstance(dig(config, section, "hub_connect_url"), str):
            settings[section] = (config[section]["hub_connect_url"], f"hub.config.{section}.hub_connect_url")
    for section in _CONNECT_URL_SECTIONS:
        if section in settings:
            return settings[section]
    names = rendered_chart.get("ConfigMap", "hub")["data"]
    service = rendered_chart.get("Service", names["hub"])
    port = service["spec"]["ports"][0]["port"]  # HUB_SERVICE_PORT: the first port Kubernetes exposes
    return f"http://{names['hub']}:{port}", "the chart's default in jupyterhub_config.py"


def session_namespaces(values: Mapping[str, Any], release_namespace: str) -> set[str]:
    """Every namespace a session can start in: KubeSpawner's default (the release's namespace in z2jh) and the
    `namespace` of each profile's `kubespawner_override`, wherever profiles sit in the values."""
    found = {release_namespace}

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            override = node.get("kubespawner_override")
            if isinstance(override, Mapping) and isinstance(override.get("namespace"), str):
                found.add(override["namespace"])
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(values)
    return found


def _services(rendered_chart: Any) -> dict[tuple[str, str], list[int]]:
    return {
        (dig(s, "metadata", "name"), dig(s, "metadata", "namespace")): [p.get("port") for p in dig(s, "spec", "ports", default=[]) or []]
        for s in rendered_chart.of_kind("Service")
    }


def _reachable_from(host: str, port: int, namespace: str, services: Mapping[tuple[str, str], list[int]]) -> str | None:
    """None when `host:port` names a Service port resolvable from `namespace`; else why not."""
    labels = host.lower().split(".")
    cluster_suffixes = ([], ["svc"], ["svc", "cluster", "local"])
    if len(labels) == 1:
        target = (labels[0], namespace)  # resolved through the pod's own namespace first
    elif len(labels) >= 2 and labels[2:] in cluster_suffixes:
        target = (labels[0], labels[1])
    else:
        return f"{host} is not a Service name of the release"
    if target not in services:
        return f"{host} resolves to Service {target[1]}/{target[0]}, which does not exist" if len(labels) > 1 else (
            f"{host} resolves only inside the hub's namespace; from {namespace} there is no Service {namespace}/{labels[0]}"
        )
    if port not in services[target]:
        return f"Service {target[1]}/{target[0]} has no port {port}"
    return None


@rules.graph(
    "works.hub.connect-url",
    concern=Concern.LOST_TIME,
    severity=Severity.HIGH,
    controls=(),
    types=(T.EKS_CLUSTER, T.HELM_RELEASE),
    description="Sessions in every team namespace reach the hub API by a name that resolves there (rendered chart).",
    family="works",
    needs_render=True,
)
def connect_url(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    release = jupyterhub_release(graph)
    chart = rendered(graph)
    if release is None or chart is None:
        return
    url, where = effective_connect_url(chart)
    if url is None:
        yield Finding(
            f"{where} sets hub_connect_url by code this check cannot read; set it as data "
            f"(hub.config.JupyterHub.hub_connect_url: http://hub.{chart.namespace}.svc.cluster.local:8081)",
            release.urn,
        )
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    services = _services(chart)
    for namespace in sorted(session_namespaces(_chart_values(chart), chart.namespace)):
        why = _reachable_from(parts.hostname or "", port, namespace, services)
        if why:
            yield Finding(
                f"sessions in namespace {namespace} are told to reach the hub at {url} ({where}): {why}, so every spawn there "
                f"fails (z2jh#1916); set hub.config.JupyterHub.hub_connect_url to http://hub.{chart.namespace}.svc.cluster.local:8081",
                release.urn,
            )


# ---- works.identity.hub-reaches-idp ---------------------------------------------------------------------

NETWORK_FIREWALL = "aws:networkfirewall/firewall:Firewall"
FIREWALL_POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy"
RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"


def admits_host(target: str, host: str) -> bool:
    """Network Firewall domain lists: `abc.example.com` matches only itself, `.example.com` matches example.com and
    every subdomain (API reference, RulesSourceList.Targets)."""
    target, host = target.lower(), host.lower()
    if target.startswith("."):
        return host == target[1:] or host.endswith(target)
    return host == target


def hub_subnets(graph: ResourceGraph) -> tuple[list[Any], bool]:
    """(the subnets the hub's nodes live in, whether the hub has a node group of its own). The hub is pinned to the
    node group labelled `workbench/pool: hub`; without one it can land on any node group's subnets."""
    groups = graph.of_type(T.NODE_GROUP)
    own = [g for g in groups if dig(g.inputs, "labels", T.POOL_LABEL) == T.HUB_POOL]
    chosen = own or list(groups)
    subnets = {s.urn: s for g in chosen for s in linked(graph, g, T.SUBNET)}
    return [subnets[u] for u in sorted(subnets)], bool(own)


def networks(values: Any) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    nets = []
    for value in as_list(values):
        if not known(value):
            return None
        try:
            nets.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError:
            continue
    return nets


def home_net(group: Any) -> list[Any] | None:
    """The rule group's HOME_NET (None: not set, so Network Firewall uses the deployment VPC's CIDR)."""
    # pulumi-aws: ruleGroup.ruleVariables.ipSets = [{key: "HOME_NET", ipSet: {definitions: [...]}}]
    for entry in as_list(dig(group.inputs, "ruleGroup", "ruleVariables", "ipSets")):
        if isinstance(entry, Mapping) and entry.get("key") == "HOME_NET":
            return networks(dig(entry, "ipSet", "definitions"))
    return None


def rule_group_in_use(graph: ResourceGraph, group: Any) -> bool:
    """The rule group is referenced by a firewall policy that a firewall uses (by dependency, as Pulumi wires them)."""
    policies = [p for p in graph.of_type(FIREWALL_POLICY) if group.urn in p.dependencies]
    return any(p.urn in f.dependencies for f in graph.of_type(NETWORK_FIREWALL) for p in policies)


def sni_admitted(graph: ResourceGraph, sources: list[Any] | None, hosts: Iterable[str]) -> set[str]:
    """Which of `hosts` a firewall in place lets `sources` (networks; None: not known) reach over HTTPS: the stateful
    TLS_SNI domain allowlists a firewall uses, whose HOME_NET covers every source (no HOME_NET: the whole VPC)."""
    admitted: set[str] = set()
    for group in graph.of_type(RULE_GROUP):
        source = dig(group.inputs, "ruleGroup", "rulesSource", "rulesSourceList") or {}
        if group.inputs.get("type") != "STATEFUL" or source.get("generatedRulesType") != "ALLOWLIST":
            continue
        if "TLS_SNI" not in as_list(source.get("targetTypes")) or not rule_group_in_use(graph, group):
            continue
        home = home_net(group)
        if home is not None and sources is not None and not all(any(c.subnet_of(h) for h in home if c.version == h.version) for c in sources):
            continue  # scoped to other subnets
        admitted.update(h for h in hosts if any(admits_host(str(t), h) for t in as_list(source.get("targets"))))
    return admitted


@rules.graph(
    "works.identity.hub-reaches-idp",
    concern=Concern.LOST_TIME,
    severity=Severity.CRITICAL,
    controls=(),
    types=(FIREWALL_POLICY, NETWORK_FIREWALL, T.FIREWALL_RULE_GROUP, T.INTERNET_GATEWAY, T.NAT_GATEWAY, T.NODE_GROUP, T.SUBNET),
    description="The hub reaches every host the blueprint's IdP implies: open egress, on-premises routes, or a firewall allowlist.",
    applies=lambda ctx: ctx.spec is not None,
    family="works",
)
def hub_reaches_idp(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    assert ctx.spec is not None
    hosts = ctx.spec.idp_hosts(stack_of(graph))
    mode = ctx.spec.hub_egress
    where = stack_urn(graph)
    if mode == "on-premises":
        if not ctx.spec.network.on_premises_cidrs:
            yield Finding("the IdP is reached over the organisation's network, but network.on_premises_cidrs is empty; list the routed networks", where)
        return
    if mode == "open":
        if not graph.of_type(T.NAT_GATEWAY) and not graph.of_type(T.INTERNET_GATEWAY):
            yield Finding(f"egress is open but the program has no NAT or internet gateway, so the hub cannot reach {', '.join(hosts)}; add the NAT path", where)
        return
    subnets, own = hub_subnets(graph)
    cidrs = networks([s.inputs.get("cidrBlock") for s in subnets])
    admitted = sni_admitted(graph, cidrs, hosts)  # sign-in is HTTPS: only an SNI allowlist admits it
    missing = [h for h in hosts if h not in admitted]
    if missing:
        scope = "the hub's subnets" if own else "the node subnets, the hub having no node group of its own,"
        names = ", ".join(s.name for s in subnets) or "none found"
        yield Finding(
            f"hub egress is through the firewall, but no stateful TLS_SNI allowlist in use for {scope} ({names}) admits "
            f"{', '.join(missing)}, so nobody can sign in; add a rule group with HOME_NET = the hub subnets' CIDRs "
            "admitting exactly the IdP hosts (spec.idp_hosts), or set idp.reachable_via: on-premises with network.on_premises_cidrs",
            where,
        )


# ---- works.policy.netpol-enforced -----------------------------------------------------------------------

ADDON = "aws:eks/addon:Addon"
# Helm-installed CNIs that enforce NetworkPolicy themselves (in policy-enforcement mode by default).
ENFORCING_CNI_CHARTS = frozenset({"cilium", "tigera-operator"})


def relied_on(graph: ResourceGraph) -> list[str]:
    """What in the program is a NetworkPolicy: our own objects, and those the chart renders (its values say which)."""
    found = [f"{r.name}" for r in graph.of_type(T.NETWORK_POLICY)]
    release = jupyterhub_release(graph)
    values = release.inputs.get("values") if release else None
    if isinstance(values, Mapping):
        merged = merge_like_helm(chart_defaults(), {k: v for k, v in values.items() if isinstance(v, Mapping)})
        found += [f"chart {part}.networkPolicy" for part in ("hub", "proxy", "singleuser") if dig(merged, part, "networkPolicy", "enabled") is True]
    return found


def _network_policy_on(addon: Any) -> bool | None:
    """enableNetworkPolicy of a vpc-cni add-on's configurationValues (EKS user guide, "Restrict Pod network traffic
    with Kubernetes network policies": the add-on's node agent enforces policies only with `"enableNetworkPolicy": "true"`)."""
    raw = addon.inputs.get("configurationValues")
    if raw is None:
        return False
    if not known(raw):
        return None
    try:
        config = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return False
    return isinstance(config, Mapping) and str(config.get("enableNetworkPolicy")).lower() == "true"


@rules.graph(
    "works.policy.netpol-enforced",
    concern=Concern.LOST_TIME,
    severity=Severity.HIGH,
    controls=(),
    types=(T.EKS_ADDON, T.HELM_RELEASE),
    description="Where the program relies on NetworkPolicy, the CNI enforces it (vpc-cni add-on with enableNetworkPolicy).",
    family="works",
)
def netpol_enforced(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    policies = relied_on(graph)
    if not policies:
        return
    if any(r.inputs.get("chart") in ENFORCING_CNI_CHARTS for r in graph.of_type(T.HELM_RELEASE)):
        return
    cni = [a for a in graph.of_type(ADDON) if a.inputs.get("addonName") == "vpc-cni"]
    shown = ", ".join(policies[:3]) + (f" and {len(policies) - 3} more" if len(policies) > 3 else "")
    if not cni:
        clusters = graph.of_type(T.EKS_CLUSTER)
        yield Finding(
            f"the program relies on NetworkPolicy ({shown}) but the vpc-cni add-on is not managed, and EKS's default VPC CNI "
            'does not enforce policies, so they are inert; add an aws.eks.Addon "vpc-cni" with configurationValues '
            '{"enableNetworkPolicy": "true"}',
            clusters[0].urn if clusters else stack_urn(graph),
        )
        return
    for addon in cni:
        if _network_policy_on(addon) is False:
            yield Finding(
                f"{addon.name}: the vpc-cni add-on does not set enableNetworkPolicy, so NetworkPolicy ({shown}) is inert; "
                'set configurationValues to {"enableNetworkPolicy": "true"}',
                addon.urn,
            )


RULES = tuple(rules.rules)
