"""EgressFirewall: AWS Network Firewall with one stateful domain allowlist per tier of sources, and its logs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from .naming import child, log_retention_days, type_token

TLS_SNI = "TLS_SNI"
HTTP_HOST = "HTTP_HOST"
HOME_NET = "HOME_NET"


def firewall_domains(allowlist: Sequence[str]) -> tuple[str, ...]:
    """Stance domain patterns in Network Firewall's syntax: `*.example.com` becomes `.example.com` (any subdomain)."""
    return tuple(sorted({d[1:] if d.startswith("*.") else d for d in allowlist}))


@dataclass(frozen=True)
class DomainAllowlist:
    """Who may open connections to which domains: sources (CIDRs) become the rule group's HOME_NET.

    A domain list's generated rules inspect only traffic from HOME_NET, and with `ALLOWLIST` they also deny that
    traffic's other domains of the same protocols (Network Firewall developer guide, "Stateful domain list rule
    groups": "For Allow, traffic of the specified protocol type that does not match the domain specifications is
    denied"). Disjoint HOME_NETs keep the tiers' lists independent: the hub's sources reach only the IdP, the
    sessions' sources only the stance's allowlist, whatever the groups' priority.
    """

    label: str
    domains: tuple[str, ...]
    sources: tuple[str, ...]
    target_types: tuple[str, ...] = (TLS_SNI, HTTP_HOST)


@dataclass(frozen=True)
class EgressFirewallArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """The firewall tier, one subnet per AZ in AZ order; `endpoint_ids` follow the same order."""
    allowlists: tuple[DomainAllowlist, ...]
    log_traffic: Literal["ALL", "REJECT", "NONE"]
    log_retention_days: int
    kms_key_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases_parent: pulumi.Resource | None = None
    """Where the firewall's resources lived before this component existed (PrivateNetwork), for URN aliases."""


class EgressFirewall(pulumi.ComponentResource):
    """Network Firewall in the firewall tier. Strict rule order with `aws:drop_established` as default: a connection
    that is not HTTP(S) to a domain its sources may reach never gets past the TCP handshake. Alerts (the drops) go to
    CloudWatch Logs when flow logs are on, every flow too when they record ALL traffic."""

    endpoint_ids: list[pulumi.Output[str]]
    """The firewall endpoint of each AZ (in `subnet_ids` order), for the routes that send traffic through it."""
    firewall_arn: pulumi.Output[str]

    def __init__(self, name: str, args: EgressFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("network", "EgressFirewall"), name, None, opts)
        self._name, self._args = name, args
        references = [
            {"resource_arn": self._rule_group(allowlist).arn, "priority": priority}
            for priority, allowlist in enumerate((a for a in args.allowlists if a.domains), start=1)
        ]
        policy = aws.networkfirewall.FirewallPolicy(
            child(name, "policy"),
            firewall_policy={
                "stateless_default_actions": ["aws:forward_to_sfe"],
                "stateless_fragment_default_actions": ["aws:forward_to_sfe"],
                "stateful_engine_options": {"rule_order": "STRICT_ORDER"},
                "stateful_default_actions": ["aws:drop_established", "aws:alert_established"],
                "stateful_rule_group_references": references,
            },
            encryption_configuration=self._encryption(),
            tags=args.tags,
            opts=self._opts(old_name="egress-policy"),
        )
        firewall = aws.networkfirewall.Firewall(
            name,
            vpc_id=args.vpc_id,
            firewall_policy_arn=policy.arn,
            subnet_mappings=[{"subnet_id": s} for s in args.subnet_ids],
            encryption_configuration=self._encryption(),
            tags=args.tags,
            opts=self._opts(old_name=""),
        )
        self.firewall_arn = firewall.arn
        if args.log_traffic != "NONE":
            self._logs(firewall)
        by_subnet = firewall.firewall_statuses.apply(_endpoints_by_subnet)
        self.endpoint_ids = [pulumi.Output.all(by_subnet, s).apply(lambda v: _endpoint_in(*v)) for s in args.subnet_ids]
        self.register_outputs({"endpoint_ids": self.endpoint_ids, "firewall_arn": self.firewall_arn})

    def _opts(self, *, old_name: str | None = None) -> pulumi.ResourceOptions:
        """Children of this component; `old_name` (the suffix under PrivateNetwork's name) keeps the URN a resource had
        there, so a stack deployed before the move updates its firewall in place instead of replacing it."""
        aliases = None
        if old_name is not None and self._args.aliases_parent is not None:
            network = self._name.removesuffix("-firewall")
            aliases = [pulumi.Alias(name=child(network, old_name) if old_name else self._name, parent=self._args.aliases_parent)]
        return pulumi.ResourceOptions(parent=self, aliases=aliases)

    def _encryption(self) -> dict[str, object] | None:
        """The firewall, its policy and rule groups encrypted at rest with the stance's CMK (AWS-owned key without one)."""
        if self._args.kms_key_arn is None:
            return None
        return {"type": "CUSTOMER_KMS", "key_id": self._args.kms_key_arn}

    def _rule_group(self, allowlist: DomainAllowlist) -> aws.networkfirewall.RuleGroup:
        rule_group: dict[str, object] = {
            "rules_source": {
                "rules_source_list": {"generated_rules_type": "ALLOWLIST", "target_types": list(allowlist.target_types), "targets": list(allowlist.domains)}
            },
            "stateful_rule_options": {"rule_order": "STRICT_ORDER"},
        }
        if allowlist.sources:
            rule_group["rule_variables"] = {"ip_sets": [{"key": HOME_NET, "ip_set": {"definitions": list(allowlist.sources)}}]}
        return aws.networkfirewall.RuleGroup(
            child(self._name, allowlist.label),
            type="STATEFUL",
            # Capacity is fixed at creation: one rule per domain and protocol, with room to grow the list in place.
            capacity=max(100, 4 * len(allowlist.domains)),
            rule_group=rule_group,
            encryption_configuration=self._encryption(),
            tags={**self._args.tags, "workbench:egress-tier": allowlist.label},
            opts=self._opts(old_name="egress-allowlist" if allowlist.label == "sessions" else None),
        )

    def _logs(self, firewall: aws.networkfirewall.Firewall) -> None:
        args = self._args
        log_types = ("ALERT", "FLOW") if args.log_traffic == "ALL" else ("ALERT",)
        destinations = []
        for log_type in log_types:
            kind = log_type.lower()
            # Under /aws/vendedlogs/ AWS grants log delivery one wildcard resource policy instead of one per group.
            group = aws.cloudwatch.LogGroup(
                child(self._name, kind),
                name=firewall.name.apply(lambda firewall_name, kind=kind: f"/aws/vendedlogs/network-firewall/{firewall_name}/{kind}"),
                retention_in_days=log_retention_days(args.log_retention_days),
                kms_key_id=args.kms_key_arn,
                tags=args.tags,
                opts=self._opts(old_name=f"firewall-{kind}"),
            )
            destinations.append({"log_type": log_type, "log_destination_type": "CloudWatchLogs", "log_destination": {"logGroup": group.name}})
        aws.networkfirewall.LoggingConfiguration(
            child(self._name, "logs"),
            firewall_arn=firewall.arn,
            logging_configuration={"log_destination_configs": destinations},
            opts=self._opts(old_name="firewall-logs"),
        )


def _endpoints_by_subnet(statuses: Sequence[aws.networkfirewall.outputs.FirewallFirewallStatus] | None) -> dict[str, str] | None:
    """Firewall endpoint id per subnet id; None while the statuses are unknown (offline preview)."""
    if not statuses:
        return None
    return {a.subnet_id: a.endpoint_id for state in statuses[0].sync_states or () for a in state.attachments or ()}


def _endpoint_in(by_subnet: dict[str, str] | None, subnet_id: str) -> str | None:
    if by_subnet is None:
        return None
    if subnet_id not in by_subnet:
        raise pulumi.RunError(f"Network Firewall has no endpoint in subnet {subnet_id}")
    return by_subnet[subnet_id]
