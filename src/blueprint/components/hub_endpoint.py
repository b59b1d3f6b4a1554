"""HubEndpoint: the hub's certificate (validated, brought or private) and its DNS name pointing at the hub's NLB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pydantic import TypeAdapter, ValidationError

from ..errors import SpecError
from ..model import BlueprintSpec
from ..model.spec import CertificateArn
from .naming import child, tags, type_token

# The chart's public Service (z2jh templates/proxy/service.yaml: `proxy-public`); its LoadBalancer status
# carries the NLB's DNS name once the cloud's service controller has made the load balancer.
PROXY_SERVICE = "proxy-public"
_ARN = TypeAdapter(CertificateArn)


@dataclass(frozen=True)
class HubEndpointArgs:
    """Inputs of HubEndpoint; build with `from_spec`."""

    org: str
    stack: str
    region: str
    hostname: str
    internal: bool
    certificate_source: str
    certificate_arn: str | None
    certificate_arn_config: str
    private_ca_arn: str | None
    validation_zone_id: str | None
    hub_zone_id: str | None
    vpc_id: pulumi.Input[str]
    provider: k8s.Provider
    proxy_namespace: pulumi.Input[str]

    @classmethod
    def from_spec(
        cls, spec: BlueprintSpec, *, vpc_id: pulumi.Input[str], provider: k8s.Provider, proxy_namespace: pulumi.Input[str]
    ) -> HubEndpointArgs:
        """`proxy_namespace` must resolve only once the hub's Helm release is deployed (`Workbench.deployed_namespace`),
        so the Service is read after the chart made it; `vpc_id` associates a private zone the program creates."""
        tls = spec.tls
        return cls(
            org=spec.org,
            stack=pulumi.get_stack(),
            region=spec.region,
            hostname=spec.hub_hostname,
            internal=spec.stance.network.ingress == "internal",
            certificate_source=tls.certificate_source,
            certificate_arn=tls.certificate_arn,
            certificate_arn_config=tls.certificate_arn_config,
            private_ca_arn=tls.private_ca_arn,
            validation_zone_id=tls.validation_zone_id,
            hub_zone_id=tls.hub_zone_id,
            vpc_id=vpc_id,
            provider=provider,
            proxy_namespace=proxy_namespace,
        )


class HubEndpoint(pulumi.ComponentResource):
    """How users reach the hub: `https://<hub_hostname>` with a certificate that validates, in every stance.

    - Certificate, by `tls` in blueprint.yaml: brought (an ARN in blueprint.yaml or in the stack config), issued by
      an ACM Private CA (`private_ca_arn`, no DNS validation), or a public ACM certificate whose DNS validation
      record the program writes into `validation_zone_id`; `aws.acm.CertificateValidation` then holds the hub's
      release until ACM has issued it, so the NLB's TLS listener never meets a pending certificate.
    - DNS: an alias A record `hub_hostname` -> the NLB the chart's `proxy-public` Service gets (read back after
      the release), in `hub_zone_id`, else in the validation zone (internet-facing), else in a zone for exactly
      `hub_hostname` created here: private and associated with the workbench VPC for an internal load balancer
      (it shadows no other name of the org's domain), public otherwise (delegate to it: `name_servers`).
    - The platform team still owns the zones it names, the private CA, and DNS forwarding plus routing from
      on-premises (`network.on_premises_cidrs`) for an internal hub.
    """

    certificate_arn: pulumi.Output[str]
    """The certificate the NLB's TLS listener uses; issued by the time it resolves when this component validates it."""
    hub_url: pulumi.Output[str]
    """`https://<hub_hostname>`."""
    zone_id: pulumi.Output[str]
    """The hosted zone holding the hub's alias record."""
    name_servers: pulumi.Output[list[str]]
    """Name servers of a public zone created here (delegate `hub_hostname` to them); empty otherwise."""
    validation_records: pulumi.Output[list[dict[str, str]]]
    """DNS records that validate a requested public certificate (written into the validation zone); empty otherwise."""
    load_balancer: pulumi.Output[str]
    """DNS name of the hub's NLB (the alias target)."""

    def __init__(self, name: str, args: HubEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("workbench", "HubEndpoint"), name, None, opts)
        self.certificate_arn, self.validation_records = self._certificate(name, args)
        self.zone_id, self.name_servers = self._zone(name, args)

        # The id is unknown until the release is deployed, so a first `pulumi preview` skips the read (engine
        # behaviour, pulumi/pulumi#1124) instead of failing on a Service that does not exist yet.
        service = k8s.core.v1.Service.get(
            child(name, PROXY_SERVICE),
            pulumi.Output.concat(args.proxy_namespace, "/", PROXY_SERVICE),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        self.load_balancer = service.status.apply(_load_balancer_hostname)
        # The NLB's own hosted zone (the ELB endpoints table, https://docs.aws.amazon.com/general/latest/gr/elb.html).
        nlb_zone = aws.lb.get_hosted_zone_id_output(load_balancer_type="network", region=args.region)
        aws.route53.Record(
            child(name, "hub-alias"),
            zone_id=self.zone_id,
            name=args.hostname,
            type="A",
            aliases=[aws.route53.RecordAliasArgs(name=self.load_balancer, zone_id=nlb_zone.id, evaluate_target_health=True)],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.hub_url = pulumi.Output.from_input(f"https://{args.hostname}")
        self.register_outputs(
            {
                "certificate_arn": self.certificate_arn,
                "hub_url": self.hub_url,
                "zone_id": self.zone_id,
                "name_servers": self.name_servers,
                "validation_records": self.validation_records,
                "load_balancer": self.load_balancer,
            }
        )

    def _certificate(self, name: str, args: HubEndpointArgs) -> tuple[pulumi.Output[str], pulumi.Output[list[dict[str, str]]]]:
        none: pulumi.Output[list[dict[str, str]]] = pulumi.Output.from_input([])
        if args.certificate_source == "brought":
            assert args.certificate_arn is not None
            return pulumi.Output.from_input(args.certificate_arn), none
        if args.certificate_source == "config":
            return pulumi.Output.from_input(_configured_arn(args)), none
        if args.certificate_source == "private-ca":
            # ACM issues a private certificate from the CA at once: no validation records, nothing to wait for.
            private = aws.acm.Certificate(
                child(name, "certificate"),
                domain_name=args.hostname,
                certificate_authority_arn=args.private_ca_arn,
                tags=tags(args.org, args.stack),
                opts=pulumi.ResourceOptions(parent=self),
            )
            return private.arn, none
        assert args.validation_zone_id is not None
        certificate = aws.acm.Certificate(
            child(name, "certificate"),
            domain_name=args.hostname,
            validation_method="DNS",
            tags=tags(args.org, args.stack),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # One name, so ACM asks for exactly one CNAME (ACM user guide, "DNS validation").
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            child(name, "certificate-validation-record"),
            zone_id=args.validation_zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=300,
            allow_overwrite=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        validation = aws.acm.CertificateValidation(
            child(name, "certificate-validation"),
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
            opts=pulumi.ResourceOptions(parent=self),
        )
        records = certificate.domain_validation_options.apply(
            lambda options: [
                {"name": o.resource_record_name, "type": o.resource_record_type, "value": o.resource_record_value} for o in options or []
            ]
        )
        return validation.certificate_arn, records

    def _zone(self, name: str, args: HubEndpointArgs) -> tuple[pulumi.Output[str], pulumi.Output[list[str]]]:
        given = args.hub_zone_id or (args.validation_zone_id if not args.internal else None)
        if given is not None:
            return pulumi.Output.from_input(given), pulumi.Output.from_input([])
        zone = aws.route53.Zone(
            child(name, "zone"),
            name=args.hostname,
            comment=f"JupyterHub of {args.org} ({args.stack}), managed by workbench-blueprint",
            # Private for an internal NLB: answered in the workbench VPC (and, through a Resolver inbound endpoint
            # the platform team runs, to on-premises resolvers); a public zone answers only once delegated.
            vpcs=[aws.route53.ZoneVpcArgs(vpc_id=args.vpc_id, vpc_region=args.region)] if args.internal else None,
            tags=tags(args.org, args.stack),
            opts=pulumi.ResourceOptions(parent=self),
        )
        name_servers = pulumi.Output.from_input([]) if args.internal else zone.name_servers
        return zone.zone_id, name_servers


def _configured_arn(args: HubEndpointArgs) -> str:
    return configured_certificate_arn(stack=args.stack, region=args.region, config_key=args.certificate_arn_config)


def configured_certificate_arn(*, stack: str, region: str, config_key: str) -> str:
    """The hub certificate's ARN from the stack config (`tls` names no other source); SpecError when missing or wrong.

    `program.build` calls it before declaring anything: a program that fails after creating Pulumi's deferred output
    for the hub's namespace would leave that output pending, and the engine waits for it instead of reporting.
    """
    source = f"Pulumi.{stack}.yaml"
    fix = f"run `pulumi config set {config_key} <ARN of the hub's ACM certificate in {region}>`, or set tls in blueprint.yaml"
    value = pulumi.Config().get(config_key)
    if not value:
        raise SpecError.single(source=source, field=config_key, message="is not set, so the hub has no certificate", fix=fix)
    try:
        arn = _ARN.validate_python(value)
    except ValidationError:
        raise SpecError.single(source=source, field=config_key, message=f"{value!r} is not an ACM certificate ARN", fix=fix) from None
    if arn.split(":")[3] != region:
        raise SpecError.single(source=source, field=config_key, message=f"is a certificate in {arn.split(':')[3]!r}, not {region!r}", fix=fix)
    return arn


def _load_balancer_hostname(status: Any) -> str:
    ingress = (getattr(status, "load_balancer", None) and status.load_balancer.ingress) or []
    hostname = ingress[0].hostname if ingress else None
    if not hostname:
        raise ValueError(f"Service {PROXY_SERVICE} has no load balancer hostname; is the cloud's service controller running?")
    return hostname
