"""Works rules for TLS: the hub's certificate is issued on the first `pulumi up` (validated, brought or private)."""

from __future__ import annotations

from collections.abc import Iterator

from ...model import Concern
from ...model.dns import non_public_suffix
from ...preview.graph import ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, dig, known, stack_urn
from .workbench import is_jupyterhub

rules = RuleSet()
SSL_CERT = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert"


@rules.graph(
    "works.tls.certificate-validates",
    concern=Concern.LOST_TIME,
    severity=Severity.HIGH,
    controls=(),
    types=(T.HELM_RELEASE,),
    family="works",
    description="The hub's NLB has a certificate that will be issued: DNS-validated by records in the graph, brought, or private.",
)
def certificate_validates(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    for release in graph.of_type(T.HELM_RELEASE):
        if is_jupyterhub(release) and not dig(release.inputs, "values", "proxy", "service", "annotations", SSL_CERT):
            yield Finding("the hub's load balancer has no certificate (no ssl-cert annotation), so https:// to the hub fails; set tls in blueprint.yaml", release.urn)
    for certificate in graph.of_type(T.ACM_CERTIFICATE):
        domain = certificate.inputs.get("domainName", "?")
        if certificate.inputs.get("certificateAuthorityArn"):
            continue  # issued by the private CA at once, no validation
        method = certificate.inputs.get("validationMethod")
        if method != "DNS":
            yield Finding(f"the certificate for {domain} asks for {method or 'no'} validation, which nothing in the program answers; use tls.validation_zone_id (DNS)", certificate.urn)
            continue
        suffix = non_public_suffix(str(domain)) if known(domain) else None
        if suffix:
            yield Finding(f"the public certificate for {domain} can never validate: '.{suffix}' is a special- or private-use name; bring one from your private CA (tls.certificate_arn or tls.private_ca_arn)", certificate.urn)
        records = [r for r in graph.of_type(T.ROUTE53_RECORD) if certificate.urn in r.dependencies and r.inputs.get("type") == "CNAME"]
        waits = [v for v in graph.of_type(T.ACM_CERTIFICATE_VALIDATION) if certificate.urn in v.dependencies]
        if not records:
            yield Finding(
                f"the certificate for {domain} asks for DNS validation but no Route 53 record in the graph answers it, so ACM never "
                "issues it and `pulumi up` waits until it times out; set tls.validation_zone_id to the public zone, or bring a certificate",
                certificate.urn,
            )
        elif not waits:
            yield Finding(f"nothing waits for the certificate for {domain} to be issued (aws.acm.CertificateValidation), so the NLB meets a pending certificate", certificate.urn)
    if not any(is_jupyterhub(r) for r in graph.of_type(T.HELM_RELEASE)) and graph.of_type(T.ACM_CERTIFICATE):
        yield Finding("a certificate is requested but no JupyterHub release uses it", stack_urn(graph))


RULES = tuple(rules.rules)
