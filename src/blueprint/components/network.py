"""PrivateNetwork: the VPC, its subnets (components.subnets), the egress path the stance allows (through the
EgressFirewall of components.firewall where egress is restricted), the hub's sign-in path, the CI runner's path,
VPC endpoints and flow logs."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from blueprint.errors import SpecError
from blueprint.facts.aws_apis import GATEWAY_SERVICES, apis_for, interface_services
from blueprint.facts.ci_runner import runner_domains
from blueprint.model import BlueprintSpec

from .firewall import TLS_SNI, DomainAllowlist, EgressFirewall, EgressFirewallArgs, firewall_domains
from .naming import POLICY_VERSION, child, log_retention_days, service_trust_policy, tags, type_token
from .subnets import SubnetPlan, subnet_plan

EgressMode = Literal["mirror", "allowlist", "open"]
HubEgress = Literal["open", "firewall", "on-premises"]
CiEgress = Literal["none", "open", "firewall"]
HTTPS = 443
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class NetworkArgs:
    """Address plan from the spec; egress, endpoints and flow logs from the stance; the hub's sign-in path from the
    IdP; the AWS API callers (facts.aws_apis ids) the program installs, whose APIs get interface endpoints."""

    vpc_cidr: str
    zones: int
    egress: EgressMode
    egress_allowlist: tuple[str, ...]
    public_ingress: bool
    nat_per_zone: bool
    vpc_endpoints: bool
    flow_log_traffic: Literal["ALL", "REJECT", "NONE"]
    flow_log_retention_days: int
    api_callers: tuple[str, ...] = ()
    hub_egress: HubEgress = "open"
    idp_hosts: tuple[str, ...] = ()
    ci_egress: CiEgress = "none"
    ci_hosts: tuple[str, ...] = ()
    kms_key_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls, spec: BlueprintSpec, *, api_callers: Sequence[str] = (), kms_key_arn: pulumi.Input[str] | None = None
    ) -> NetworkArgs:
        network = spec.stance.network
        if network.egress == "allowlist" and "*" in network.egress_allowlist:
            raise ValueError("network.egress 'allowlist' with '*' in egress_allowlist is open egress; use egress: open")
        args = cls(
            vpc_cidr=spec.network.vpc_cidr,
            zones=network.availability_zones,
            egress=network.egress,
            egress_allowlist=network.egress_allowlist,
            public_ingress=network.ingress == "internet-sso",
            # One NAT gateway per AZ when nodes span AZs (stability.multi_az_nodes), so losing an AZ loses no egress.
            nat_per_zone=spec.stance.stability.multi_az_nodes,
            vpc_endpoints=network.vpc_endpoints,
            flow_log_traffic=network.flow_logs.traffic,
            flow_log_retention_days=network.flow_logs.retention_days,
            api_callers=tuple(api_callers),
            hub_egress=spec.hub_egress,
            idp_hosts=spec.idp_hosts,
            ci_egress=spec.ci_egress,
            ci_hosts=runner_domains(spec.region) if spec.ci_egress == "firewall" else (),
            kms_key_arn=kms_key_arn,
            tags=tags(spec.org, spec.stack),
        )
        plan = subnet_plan(args.vpc_cidr, args.zones)
        for tier in args.small_tiers:
            if not plan.fits(tier, args.zones):
                room = len(getattr(plan, tier))
                other = "ci.runner: self-hosted (your runners, on your network)" if tier == "ci" else f"a stance with at most {room} availability_zones"
                raise SpecError.single(
                    source="blueprint.yaml",
                    field="network.vpc_cidr",
                    message=f"{args.vpc_cidr} has room for {room} {tier} subnets, but the stance spreads over {args.zones} availability zones",
                    fix=f"use a /21 or larger VPC, or {other}",
                )
        return args

    @property
    def hub_tier(self) -> bool:
        """The hub gets its own subnets whose only way out is the firewall admitting the IdP (spec.hub_egress)."""
        return self.hub_egress == "firewall"

    @property
    def ci_tier(self) -> bool:
        """The CodeBuild CI runner gets its own subnets whose only way out is the firewall admitting `ci_hosts`."""
        return self.ci_egress == "firewall"

    @property
    def sessions_through_firewall(self) -> bool:
        return self.egress == "allowlist"

    @property
    def firewall(self) -> bool:
        return self.sessions_through_firewall or self.hub_tier or self.ci_tier

    @property
    def nat(self) -> bool:
        return self.egress == "open" or self.firewall

    @property
    def internet_gateway(self) -> bool:
        return self.nat or self.public_ingress

    @property
    def small_tiers(self) -> tuple[str, ...]:
        """The small tiers this network creates (each needs a subnet per AZ, except NAT without nat_per_zone)."""
        wanted = {
            "public": self.public_ingress,
            "nat": self.nat and self.nat_per_zone,
            "firewall": self.firewall,
            "hub": self.hub_tier,
            "ci": self.ci_tier,
        }
        return tuple(tier for tier, on in wanted.items() if on)


class PrivateNetwork(pulumi.ComponentResource):
    """A VPC whose workloads run in private subnets only; the way out is what the stance's egress mode allows:
    `mirror` (VPC endpoints only), `allowlist` (NAT behind the EgressFirewall's domain allowlist) or `open` (NAT).
    When the hub signs users in over the internet from a restricted stance (`hub_egress: firewall`), the hub gets
    its own subnets whose only default route goes through the firewall, admitting exactly the IdP hosts; so does the
    CodeBuild CI runner (`ci_egress: firewall`), admitting exactly GitHub, Pulumi, the package index and the AWS APIs
    the provider calls (facts.ci_runner). Session subnets under `mirror` keep no internet route at all. The VPC's default security group is adopted with no rules;
    flow logs and the firewall's logs follow `network.flow_logs`."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    """One per AZ, in AZ order; a Python list so consumers know the count at plan time."""
    private_subnet_cidrs: list[str]
    """The private subnets' CIDRs (known at plan time), e.g. for NetworkPolicies to the EFS mount targets in them."""
    hub_subnet_ids: list[pulumi.Output[str]] | None
    """The hub tier, one per AZ, for the hub's node pool; None unless `hub_egress` is "firewall"."""
    hub_subnet_cidrs: list[str] | None
    ci_subnet_ids: list[pulumi.Output[str]] | None
    """The CI runner's tier, one per AZ; None unless `ci_egress` is "firewall" (the runner then uses the private subnets)."""
    public_subnet_ids: list[pulumi.Output[str]]
    """Subnets for internet-facing load balancers; empty unless the stance has internet-facing SSO ingress."""
    availability_zones: pulumi.Output[list[str]]
    endpoint_security_group_id: pulumi.Output[str] | None
    """Security group of the interface endpoints (HTTPS from the VPC only); `None` without VPC endpoints."""
    s3_cidrs: pulumi.Output[list[str]]
    """The region's S3 address ranges (the S3 gateway endpoint's managed prefix list, com.amazonaws.<region>.s3):
    NetworkPolicies take ipBlocks, not prefix lists, so a session's egress policy admits S3 through these."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("network", "PrivateNetwork"), name, None, opts)
        self._name, self._args = name, args
        plan = subnet_plan(args.vpc_cidr, args.zones)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        zones = aws.get_availability_zones_output(state="available", opts=invoke).names
        self.availability_zones = zones.apply(lambda names: _first(names, args.zones))
        self._region = aws.get_region_output(opts=invoke).region
        self._prefix = aws.get_partition_output(opts=invoke).reverse_dns_prefix

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
        # No load-balancer role tag: nothing but the hub's nodes belongs in the hub tier.
        hub = [self._subnet(vpc, "hub", i, cidr) for i, cidr in enumerate(plan.hub)] if args.hub_tier else []
        hub_tables = [self._route_table(vpc, child("hub", str(i)), [subnet]) for i, subnet in enumerate(hub)]
        # Nor a role tag here: the tier holds the CodeBuild runner's network interfaces only.
        ci = [self._subnet(vpc, "ci", i, cidr) for i, cidr in enumerate(plan.ci)] if args.ci_tier else []
        ci_tables = [self._route_table(vpc, child("ci", str(i)), [subnet]) for i, subnet in enumerate(ci)]
        self.private_subnet_ids = [s.id for s in private]
        self.private_subnet_cidrs = list(plan.private)
        self.hub_subnet_ids = [s.id for s in hub] if args.hub_tier else None
        self.hub_subnet_cidrs = list(plan.hub) if args.hub_tier else None
        self.ci_subnet_ids = [s.id for s in ci] if args.ci_tier else None
        self.public_subnet_ids = [s.id for s in public]

        if args.internet_gateway:
            igw = aws.ec2.InternetGateway(child(name, "igw"), vpc_id=vpc.id, tags=self._tags(child(name, "igw")), opts=self._opts())
            if public:
                self._to_internet(vpc, "public", public, igw)
            if args.nat:
                self._egress(vpc, plan, igw, {"private": private_tables, "hub": hub_tables, "ci": ci_tables})
        # Nodes in every tier pull image layers from S3 (ECR serves them from there), and the CI runner manages the
        # program's buckets: the gateway endpoint is on the hub's and the runner's route tables too, or that traffic
        # would take their default route and be dropped by the firewall.
        gateway_tables = [*private_tables, *hub_tables, *ci_tables]
        self.endpoint_security_group_id = self._endpoints(vpc, private, gateway_tables) if args.vpc_endpoints else None
        if args.flow_log_traffic != "NONE":
            self._flow_logs(vpc)
        s3_list = aws.ec2.get_managed_prefix_list_output(name=self._service("s3"), opts=invoke)
        self.s3_cidrs = s3_list.entries.apply(lambda entries: sorted(e.cidr for e in entries or ()))

        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "private_subnet_ids": self.private_subnet_ids,
                "hub_subnet_ids": self.hub_subnet_ids,
                "ci_subnet_ids": self.ci_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "availability_zones": self.availability_zones,
                "endpoint_security_group_id": self.endpoint_security_group_id,
                "s3_cidrs": self.s3_cidrs,
            }
        )

    def _opts(self, **kwargs: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _tags(self, resource: str, **extra: str) -> dict[str, str]:
        return {**self._args.tags, "Name": resource, **extra}

    def _service(self, suffix: str) -> pulumi.Output[str]:
        """`com.amazonaws.<region>.<suffix>`, the name of an AWS service's endpoint or prefix list."""
        return pulumi.Output.concat(self._prefix, ".", self._region, ".", suffix)

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

    def _egress(
        self,
        vpc: aws.ec2.Vpc,
        plan: SubnetPlan,
        igw: aws.ec2.InternetGateway,
        tables: Mapping[str, Sequence[aws.ec2.RouteTable]],
    ) -> None:
        """NAT gateways in their own subnets (one per AZ when nodes span AZs, else one); where egress is restricted the
        EgressFirewall sits between the subnets it guards (sessions under `allowlist`, the hub and CI tiers) and NAT.

        Path out: subnet -> firewall endpoint of its AZ -> NAT -> IGW. Replies come back through the same endpoint
        (routes in the NAT tier), so the firewall sees both directions. Load balancers live in the separate public
        tier, so their traffic to pods stays on the VPC's local route and never crosses the firewall.
        """
        name, args = self._name, self._args
        nat_count = args.zones if args.nat_per_zone else 1
        nat_subnets = [self._subnet(vpc, "nat", i, plan.nat[i]) for i in range(nat_count)]
        nat_table = self._to_internet(vpc, "nat", nat_subnets, igw)
        nats = [self._nat(i, subnet, igw) for i, subnet in enumerate(nat_subnets)]
        nat_of_zone = [nats[i if args.nat_per_zone else 0] for i in range(args.zones)]
        if args.egress == "open":
            for i, table in enumerate(tables["private"]):
                aws.ec2.Route(child(name, "private", str(i), "egress"), route_table_id=table.id, destination_cidr_block=ANYWHERE, nat_gateway_id=nat_of_zone[i].id, opts=self._opts())
        if not args.firewall:
            return
        endpoints = self._firewall(vpc, plan, nat_of_zone)
        guarded = [("hub", plan.hub), ("ci", plan.ci)]
        if args.sessions_through_firewall:
            guarded.insert(0, ("private", plan.private))
        for tier, cidrs in guarded:
            for i, table in enumerate(tables[tier]):
                aws.ec2.Route(child(name, tier, str(i), "egress"), route_table_id=table.id, destination_cidr_block=ANYWHERE, vpc_endpoint_id=endpoints[i], opts=self._opts())
                return_route = child(name, "nat", "return", str(i)) if tier == "private" else child(name, "nat", "return", tier, str(i))
                aws.ec2.Route(return_route, route_table_id=nat_table.id, destination_cidr_block=cidrs[i], vpc_endpoint_id=endpoints[i], opts=self._opts())

    def _nat(self, index: int, subnet: aws.ec2.Subnet, igw: aws.ec2.InternetGateway) -> aws.ec2.NatGateway:
        name = child(self._name, "natgw", str(index))
        eip = aws.ec2.Eip(child(name, "eip"), domain="vpc", tags=self._tags(child(name, "eip")), opts=self._opts(depends_on=[igw]))
        return aws.ec2.NatGateway(name, allocation_id=eip.id, subnet_id=subnet.id, tags=self._tags(name), opts=self._opts(depends_on=[igw]))

    def _firewall(self, vpc: aws.ec2.Vpc, plan: SubnetPlan, nat_of_zone: Sequence[aws.ec2.NatGateway]) -> list[pulumi.Output[str]]:
        """The firewall tier (one subnet per AZ, its default route to that AZ's NAT) and the EgressFirewall in it.

        Its allowlists: the sessions' (the stance's `egress_allowlist`, HTTP and TLS) from the private subnets under
        `allowlist`; the hub's (exactly `idp_hosts`, TLS SNI only: the hub calls the IdP's token and userinfo
        endpoints over HTTPS) from the hub tier; the CI runner's (exactly `ci_hosts`, TLS SNI only: git, pip, Pulumi
        and the AWS APIs are all HTTPS) from the CI tier. Returns the firewall endpoint of each AZ.
        """
        name, args = self._name, self._args
        subnets = [self._subnet(vpc, "firewall", i, cidr) for i, cidr in enumerate(plan.firewall)]
        for i, subnet in enumerate(subnets):
            table = self._route_table(vpc, child("firewall", str(i)), [subnet])
            aws.ec2.Route(child(name, "firewall", str(i), "nat"), route_table_id=table.id, destination_cidr_block=ANYWHERE, nat_gateway_id=nat_of_zone[i].id, opts=self._opts())
        allowlists = []
        if args.sessions_through_firewall:
            allowlists.append(DomainAllowlist("sessions", firewall_domains(args.egress_allowlist), tuple(plan.private)))
        if args.hub_tier:
            allowlists.append(DomainAllowlist("hub", tuple(sorted(args.idp_hosts)), tuple(plan.hub), target_types=(TLS_SNI,)))
        if args.ci_tier:
            allowlists.append(DomainAllowlist("ci", firewall_domains(args.ci_hosts), tuple(plan.ci), target_types=(TLS_SNI,)))
        firewall = EgressFirewall(
            child(name, "firewall"),
            EgressFirewallArgs(
                vpc_id=vpc.id,
                subnet_ids=[s.id for s in subnets],
                allowlists=tuple(allowlists),
                log_traffic=args.flow_log_traffic,
                log_retention_days=args.flow_log_retention_days,
                kms_key_arn=args.kms_key_arn,
                tags=args.tags,
                aliases_parent=self,
            ),
            opts=self._opts(),
        )
        return firewall.endpoint_ids

    def _endpoints(self, vpc: aws.ec2.Vpc, private: Sequence[aws.ec2.Subnet], gateway_tables: Sequence[aws.ec2.RouteTable]) -> pulumi.Output[str]:
        """The S3 gateway endpoint on `gateway_tables`, and an interface endpoint (private DNS, in the private subnets,
        HTTPS from the VPC) for every other AWS API the installed callers need (facts.aws_apis)."""
        name = self._name
        group = aws.ec2.SecurityGroup(
            child(name, "endpoints"),
            vpc_id=vpc.id,
            description="HTTPS to VPC interface endpoints from inside the VPC only",
            ingress=[{"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "cidr_blocks": [self._args.vpc_cidr], "description": "HTTPS from the VPC"}],
            tags=self._tags(child(name, "endpoints")),
            opts=self._opts(),
        )
        # S3 always: ECR serves image layers from it, whoever the callers are.
        for gateway in sorted({"s3"} | (apis_for(self._args.api_callers) & GATEWAY_SERVICES)):
            aws.ec2.VpcEndpoint(
                child(name, gateway),
                vpc_id=vpc.id,
                service_name=self._service(gateway),
                vpc_endpoint_type="Gateway",
                route_table_ids=[t.id for t in gateway_tables],
                tags=self._tags(child(name, gateway)),
                opts=self._opts(),
            )
        for suffix in interface_services(self._args.api_callers):
            endpoint = child(name, suffix.replace(".", "-"))
            aws.ec2.VpcEndpoint(
                endpoint,
                vpc_id=vpc.id,
                service_name=self._service(suffix),
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
