"""PrivateNetwork: the VPC, its private subnets, the egress path the stance allows, VPC endpoints and flow logs."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from blueprint.model import BlueprintSpec

from .naming import POLICY_VERSION, child, log_retention_days, service_trust_policy, tags, type_token

EgressMode = Literal["mirror", "allowlist", "open"]

# Interface endpoints EKS nodes need to run with no internet (image pulls, IRSA, logs, node join, autoscaling,
# the CodeArtifact package mirror); S3 is a gateway endpoint because ECR layers are served from S3.
INTERFACE_ENDPOINTS = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "logs",
    "ec2",
    "elasticloadbalancing",
    "autoscaling",
    "codeartifact.api",
    "codeartifact.repositories",
    "eks",
    "eks-auth",
)
HTTPS = 443
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class SubnetPlan:
    """CIDRs per AZ, at fixed positions so adding an AZ never moves an existing subnet.

    The VPC is cut in eighths: the first six hold the private subnets (pods take VPC addresses, so they get
    the room); the last two are cut into small blocks for the public (load balancer), NAT and Network
    Firewall tiers, six blocks each.
    """

    private: tuple[str, ...]
    public: tuple[str, ...]
    nat: tuple[str, ...]
    firewall: tuple[str, ...]


def subnet_plan(vpc_cidr: str, zones: int) -> SubnetPlan:
    vpc = ipaddress.ip_network(vpc_cidr)
    eighths = list(vpc.subnets(prefixlen_diff=3))
    small_prefix = min(vpc.prefixlen + 7, 28)  # /28 is the smallest subnet AWS allows
    pool = [block for eighth in eighths[6:] for block in eighth.subnets(new_prefix=small_prefix)]

    def tier(offset: int) -> tuple[str, ...]:
        return tuple(str(b) for b in pool[offset : offset + zones])  # a /22 has room for only four firewall subnets

    return SubnetPlan(private=tuple(str(s) for s in eighths[:zones]), public=tier(0), nat=tier(6), firewall=tier(12))


def firewall_domains(allowlist: Sequence[str]) -> list[str]:
    """Stance domain patterns in Network Firewall's syntax: `*.example.com` becomes `.example.com` (any subdomain)."""
    return sorted({d[1:] if d.startswith("*.") else d for d in allowlist})


@dataclass(frozen=True)
class NetworkArgs:
    """Address plan from the spec; egress, endpoints and flow logs from the stance."""

    vpc_cidr: str
    zones: int
    egress: EgressMode
    egress_allowlist: tuple[str, ...]
    public_ingress: bool
    nat_per_zone: bool
    vpc_endpoints: bool
    flow_log_traffic: Literal["ALL", "REJECT", "NONE"]
    flow_log_retention_days: int
    kms_key_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: BlueprintSpec, *, kms_key_arn: pulumi.Input[str] | None = None) -> NetworkArgs:
        network = spec.stance.network
        if network.egress == "allowlist" and "*" in network.egress_allowlist:
            raise ValueError("network.egress 'allowlist' with '*' in egress_allowlist is open egress; use egress: open")
        return cls(
            vpc_cidr=spec.network.vpc_cidr,
            zones=network.availability_zones,
            egress=network.egress,
            egress_allowlist=network.egress_allowlist,
            public_ingress=network.ingress == "internet-sso",
            nat_per_zone=spec.stance.stability.multi_az_nodes,
            vpc_endpoints=network.vpc_endpoints,
            flow_log_traffic=network.flow_logs.traffic,
            flow_log_retention_days=network.flow_logs.retention_days,
            kms_key_arn=kms_key_arn,
            tags=tags(spec.org, spec.stack),
        )

    @property
    def nat(self) -> bool:
        return self.egress != "mirror"

    @property
    def internet_gateway(self) -> bool:
        return self.nat or self.public_ingress


class PrivateNetwork(pulumi.ComponentResource):
    """A VPC whose workloads run in private subnets only; the way out is what the stance's egress mode allows:
    `mirror` (VPC endpoints only), `allowlist` (NAT behind an AWS Network Firewall domain allowlist) or `open` (NAT).
    The VPC's default security group is adopted with no rules; flow logs and the firewall's logs follow `network.flow_logs`."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    """One per AZ, in AZ order; a Python list so consumers know the count at plan time."""
    public_subnet_ids: list[pulumi.Output[str]]
    """Subnets for internet-facing load balancers; empty unless the stance has internet-facing SSO ingress."""
    availability_zones: pulumi.Output[list[str]]
    endpoint_security_group_id: pulumi.Output[str] | None
    """Security group of the interface endpoints (HTTPS from the VPC only); `None` without VPC endpoints."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("network", "PrivateNetwork"), name, None, opts)
        self._name, self._args = name, args
        plan = subnet_plan(args.vpc_cidr, args.zones)
        if args.egress == "allowlist" and len(plan.firewall) < args.zones:
            raise ValueError(f"vpc_cidr {args.vpc_cidr} has no room for {args.zones} firewall subnets; use a /21 or larger")
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOutputOptions(parent=self)).names
        self.availability_zones = zones.apply(lambda names: _first(names, args.zones))

        vpc = aws.ec2.Vpc(
            child(name, "vpc"),
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # private DNS of interface endpoints needs both
            tags={**args.tags, "Name": child(name, "vpc")},
            opts=self._opts(),
        )
        self.vpc_id, self.vpc_cidr = vpc.id, vpc.cidr_block
        # Adopting the default security group strips AWS's default rules (all traffic among members, all egress), so
        # anything that lands in it by omission reaches nothing and nothing reaches it.
        aws.ec2.DefaultSecurityGroup(child(name, "default-sg"), vpc_id=vpc.id, tags=self._tags(child(name, "default-sg")), opts=self._opts())
        private = [self._subnet(vpc, "private", i, cidr, lb_role="internal-elb") for i, cidr in enumerate(plan.private)]
        private_tables = [self._route_table(vpc, child("private", str(i)), [subnet]) for i, subnet in enumerate(private)]
        public = [self._subnet(vpc, "public", i, cidr, lb_role="elb") for i, cidr in enumerate(plan.public)] if args.public_ingress else []
        self.private_subnet_ids = [s.id for s in private]
        self.public_subnet_ids = [s.id for s in public]

        if args.internet_gateway:
            igw = aws.ec2.InternetGateway(child(name, "igw"), vpc_id=vpc.id, tags=self._tags(child(name, "igw")), opts=self._opts())
            if public:
                self._to_internet(vpc, "public", public, igw)
            if args.nat:
                self._egress(vpc, plan, igw, private_tables)
        self.endpoint_security_group_id = self._endpoints(vpc, private, private_tables) if args.vpc_endpoints else None
        if args.flow_log_traffic != "NONE":
            self._flow_logs(vpc)

        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "availability_zones": self.availability_zones,
                "endpoint_security_group_id": self.endpoint_security_group_id,
            }
        )

    def _opts(self, **kwargs: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _tags(self, resource: str, **extra: str) -> dict[str, str]:
        return {**self._args.tags, "Name": resource, **extra}

    def _subnet(self, vpc: aws.ec2.Vpc, tier: str, index: int, cidr: str, *, lb_role: str | None = None) -> aws.ec2.Subnet:
        name = child(self._name, tier, str(index))
        # Load balancer discovery: internet-facing ones only in public subnets, internal ones in private subnets.
        role = {f"kubernetes.io/role/{lb_role}": "1"} if lb_role else {}
        return aws.ec2.Subnet(
            name,
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=self.availability_zones.apply(lambda names: names[index]),
            map_public_ip_on_launch=False,
            tags=self._tags(name, tier=tier, **role),
            opts=self._opts(),
        )

    def _route_table(self, vpc: aws.ec2.Vpc, label: str, subnets: Sequence[aws.ec2.Subnet]) -> aws.ec2.RouteTable:
        name = child(self._name, label, "rt")
        table = aws.ec2.RouteTable(name, vpc_id=vpc.id, tags=self._tags(name), opts=self._opts())
        for i, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(child(name, str(i)), route_table_id=table.id, subnet_id=subnet.id, opts=self._opts())
        return table

    def _to_internet(self, vpc: aws.ec2.Vpc, tier: str, subnets: Sequence[aws.ec2.Subnet], igw: aws.ec2.InternetGateway) -> aws.ec2.RouteTable:
        table = self._route_table(vpc, tier, subnets)
        aws.ec2.Route(child(self._name, tier, "default"), route_table_id=table.id, destination_cidr_block=ANYWHERE, gateway_id=igw.id, opts=self._opts())
        return table

    def _egress(self, vpc: aws.ec2.Vpc, plan: SubnetPlan, igw: aws.ec2.InternetGateway, private_tables: Sequence[aws.ec2.RouteTable]) -> None:
        """NAT gateways in their own subnets (one per AZ when nodes span AZs, else one); for `allowlist` the firewall sits
        between the private subnets and NAT.

        Path out: private subnet -> firewall endpoint of its AZ -> NAT -> IGW. Replies come back through the same
        endpoint (routes in the NAT tier), so the firewall sees both directions. Load balancers live in the separate
        public tier, so their traffic to pods stays on the VPC's local route and never crosses the firewall.
        """
        name, args = self._name, self._args
        nat_count = args.zones if args.nat_per_zone else 1
        nat_subnets = [self._subnet(vpc, "nat", i, plan.nat[i]) for i in range(nat_count)]
        nat_table = self._to_internet(vpc, "nat", nat_subnets, igw)
        nats = [self._nat(i, subnet, igw) for i, subnet in enumerate(nat_subnets)]
        nat_of_zone = [nats[i if args.nat_per_zone else 0] for i in range(args.zones)]
        if args.egress == "open":
            for i, table in enumerate(private_tables):
                aws.ec2.Route(child(name, "private", str(i), "egress"), route_table_id=table.id, destination_cidr_block=ANYWHERE, nat_gateway_id=nat_of_zone[i].id, opts=self._opts())
            return
        endpoints = self._firewall(vpc, plan, nat_of_zone)
        for i, table in enumerate(private_tables):
            aws.ec2.Route(child(name, "private", str(i), "egress"), route_table_id=table.id, destination_cidr_block=ANYWHERE, vpc_endpoint_id=endpoints[i], opts=self._opts())
            aws.ec2.Route(child(name, "nat", "return", str(i)), route_table_id=nat_table.id, destination_cidr_block=plan.private[i], vpc_endpoint_id=endpoints[i], opts=self._opts())

    def _nat(self, index: int, subnet: aws.ec2.Subnet, igw: aws.ec2.InternetGateway) -> aws.ec2.NatGateway:
        name = child(self._name, "natgw", str(index))
        eip = aws.ec2.Eip(child(name, "eip"), domain="vpc", tags=self._tags(child(name, "eip")), opts=self._opts(depends_on=[igw]))
        return aws.ec2.NatGateway(name, allocation_id=eip.id, subnet_id=subnet.id, tags=self._tags(name), opts=self._opts(depends_on=[igw]))

    def _firewall(self, vpc: aws.ec2.Vpc, plan: SubnetPlan, nat_of_zone: Sequence[aws.ec2.NatGateway]) -> list[pulumi.Output[str]]:
        """AWS Network Firewall with one stateful domain allowlist (TLS SNI and HTTP Host); everything else is dropped.

        Strict rule order with `aws:drop_established` as default: traffic that is not HTTP(S) to a listed domain
        never gets past the TCP handshake. Returns the firewall endpoint id of each AZ.
        """
        name = self._name
        domains = firewall_domains(self._args.egress_allowlist)
        rules = aws.networkfirewall.RuleGroup(
            child(name, "egress-allowlist"),
            type="STATEFUL",
            capacity=max(100, 4 * len(domains)),
            rule_group={
                "rules_source": {"rules_source_list": {"generated_rules_type": "ALLOWLIST", "target_types": ["TLS_SNI", "HTTP_HOST"], "targets": domains}},
                "stateful_rule_options": {"rule_order": "STRICT_ORDER"},
            },
            tags=self._args.tags,
            opts=self._opts(),
        )
        policy = aws.networkfirewall.FirewallPolicy(
            child(name, "egress-policy"),
            firewall_policy={
                "stateless_default_actions": ["aws:forward_to_sfe"],
                "stateless_fragment_default_actions": ["aws:forward_to_sfe"],
                "stateful_engine_options": {"rule_order": "STRICT_ORDER"},
                "stateful_default_actions": ["aws:drop_established", "aws:alert_established"],
                "stateful_rule_group_references": [{"resource_arn": rules.arn, "priority": 1}],
            },
            tags=self._args.tags,
            opts=self._opts(),
        )
        subnets = [self._subnet(vpc, "firewall", i, cidr) for i, cidr in enumerate(plan.firewall)]
        firewall = aws.networkfirewall.Firewall(
            child(name, "firewall"),
            vpc_id=vpc.id,
            firewall_policy_arn=policy.arn,
            subnet_mappings=[{"subnet_id": s.id} for s in subnets],
            tags=self._args.tags,
            opts=self._opts(),
        )
        if self._args.flow_log_traffic != "NONE":
            self._firewall_logs(firewall)
        for i, subnet in enumerate(subnets):
            table = self._route_table(vpc, child("firewall", str(i)), [subnet])
            aws.ec2.Route(child(name, "firewall", str(i), "nat"), route_table_id=table.id, destination_cidr_block=ANYWHERE, nat_gateway_id=nat_of_zone[i].id, opts=self._opts())
        by_subnet = firewall.firewall_statuses.apply(_endpoints_by_subnet)
        return [pulumi.Output.all(by_subnet, s.id).apply(lambda v: _endpoint_in(*v)) for s in subnets]

    def _firewall_logs(self, firewall: aws.networkfirewall.Firewall) -> None:
        """The firewall's own logs in CloudWatch Logs, on the flow-log stance: alerts (the dropped connections) always,
        and every flow through the stateful engine too when flow logs record ALL traffic."""
        name, args = child(self._name, "firewall"), self._args
        log_types = ("ALERT", "FLOW") if args.flow_log_traffic == "ALL" else ("ALERT",)
        destinations = []
        for log_type in log_types:
            kind = log_type.lower()
            # Under /aws/vendedlogs/ AWS grants log delivery one wildcard resource policy instead of one per group.
            group = aws.cloudwatch.LogGroup(
                child(name, kind),
                name=firewall.name.apply(lambda firewall_name, kind=kind: f"/aws/vendedlogs/network-firewall/{firewall_name}/{kind}"),
                retention_in_days=log_retention_days(args.flow_log_retention_days),
                kms_key_id=args.kms_key_arn,
                tags=args.tags,
                opts=self._opts(),
            )
            destinations.append({"log_type": log_type, "log_destination_type": "CloudWatchLogs", "log_destination": {"logGroup": group.name}})
        aws.networkfirewall.LoggingConfiguration(
            child(name, "logs"), firewall_arn=firewall.arn, logging_configuration={"log_destination_configs": destinations}, opts=self._opts()
        )

    def _endpoints(self, vpc: aws.ec2.Vpc, private: Sequence[aws.ec2.Subnet], private_tables: Sequence[aws.ec2.RouteTable]) -> pulumi.Output[str]:
        name = self._name
        group = aws.ec2.SecurityGroup(
            child(name, "endpoints"),
            vpc_id=vpc.id,
            description="HTTPS to VPC interface endpoints from inside the VPC only",
            ingress=[{"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "cidr_blocks": [self._args.vpc_cidr], "description": "HTTPS from the VPC"}],
            tags=self._tags(child(name, "endpoints")),
            opts=self._opts(),
        )
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        prefix = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).reverse_dns_prefix

        def service(suffix: str) -> pulumi.Output[str]:
            return pulumi.Output.concat(prefix, ".", region, ".", suffix)

        aws.ec2.VpcEndpoint(
            child(name, "s3"),
            vpc_id=vpc.id,
            service_name=service("s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in private_tables],
            tags=self._tags(child(name, "s3")),
            opts=self._opts(),
        )
        for suffix in INTERFACE_ENDPOINTS:
            endpoint = child(name, suffix.replace(".", "-"))
            aws.ec2.VpcEndpoint(
                endpoint,
                vpc_id=vpc.id,
                service_name=service(suffix),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in private],
                security_group_ids=[group.id],
                tags=self._tags(endpoint),
                opts=self._opts(),
            )
        return group.id

    def _flow_logs(self, vpc: aws.ec2.Vpc) -> None:
        name, args = child(self._name, "flow-logs"), self._args
        invoke = pulumi.InvokeOutputOptions(parent=self)
        log_group = aws.cloudwatch.LogGroup(
            name,
            name=vpc.id.apply(lambda vpc_id: f"/aws/vpc/{vpc_id}/flow-logs"),
            retention_in_days=log_retention_days(args.flow_log_retention_days),
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=self._opts(),
        )
        account = aws.get_caller_identity_output(opts=invoke).account_id
        role = aws.iam.Role(
            child(name, "role"),
            assume_role_policy=pulumi.Output.json_dumps(service_trust_policy("vpc-flow-logs.amazonaws.com", source_account=account)),
            tags=args.tags,
            opts=self._opts(),
        )
        aws.iam.RolePolicy(
            child(name, "write"),
            role=role.id,
            policy=log_group.arn.apply(lambda arn: json.dumps(_flow_log_writer(arn))),
            opts=self._opts(),
        )
        aws.ec2.FlowLog(
            name,
            vpc_id=vpc.id,
            traffic_type=args.flow_log_traffic,
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=args.tags,
            opts=self._opts(),
        )


def _flow_log_writer(log_group_arn: str) -> dict[str, object]:
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            },
            # DescribeLogGroups takes no resource type (service authorization reference for CloudWatch Logs): "*" is
            # its only valid scope; it lists group names and settings, never log data.
            {"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": "*"},
        ],
    }


def _first(names: Sequence[str], count: int) -> list[str]:
    if len(names) < count:
        raise ValueError(f"the region has {len(names)} availability zones; network.availability_zones asks for {count}")
    return list(names[:count])


def _endpoints_by_subnet(statuses: Sequence[aws.networkfirewall.outputs.FirewallFirewallStatus] | None) -> dict[str, str] | None:
    """Firewall endpoint id per subnet id; None while the statuses are unknown (offline preview)."""
    if not statuses:
        return None
    return {a.subnet_id: a.endpoint_id for state in statuses[0].sync_states or () for a in state.attachments or ()}


def _endpoint_in(by_subnet: dict[str, str] | None, subnet_id: str) -> str | None:
    if by_subnet is None:
        return None
    if subnet_id not in by_subnet:
        raise ValueError(f"Network Firewall has no endpoint in subnet {subnet_id}")
    return by_subnet[subnet_id]
