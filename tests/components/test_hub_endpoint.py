"""HubEndpoint under the mock engine: the certificate from each tls source, its validation, the hub's zone and alias."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from blueprint.components.hub_endpoint import HubEndpoint, HubEndpointArgs
from blueprint.errors import SpecError
from blueprint.preview.mocks import NLB_HOSTED_ZONE_IDS, nlb_hostname
from tests.components.conftest import PROJECT, REGION

CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
ZONE = "aws:route53/zone:Zone"
ARN = f"arn:aws:acm:{REGION}:123456789012:certificate/11111111-2222-4333-8444-555555555555"
PCA = f"arn:aws:acm-pca:{REGION}:123456789012:certificate-authority/11111111-2222-4333-8444-555555555555"
PUBLIC = "jupyter.acme-research.org"
CONFIG = {f"{PROJECT}:hubCertificateArn": ARN}


def endpoint(spec):
    provider = k8s.Provider("k8s", kubeconfig="{}")
    hub = HubEndpoint("acme-hub-endpoint", HubEndpointArgs.from_spec(spec, vpc_id="vpc-0123", provider=provider, proxy_namespace="jupyterhub"))
    return pulumi.Output.all(
        certificate=hub.certificate_arn, zone=hub.zone_id, name_servers=hub.name_servers, records=hub.validation_records, url=hub.hub_url
    )


def alias(run):
    (record,) = [r for r in run.of_type(RECORD) if r.inputs.get("type") == "A"]
    return record.inputs


def test_strict_default_brings_the_certificate_from_config_and_a_private_zone(spec_for, run_program):
    spec = spec_for("strict")
    run = run_program(lambda: endpoint(spec), config=CONFIG)
    assert run.of_type(CERTIFICATE) == [] and run.value["certificate"] == ARN and run.value["records"] == []
    zone = run.one(ZONE).inputs
    assert zone["name"] == spec.hub_hostname and zone["vpcs"] == [{"vpcId": "vpc-0123", "vpcRegion": REGION}], "private, in the VPC"
    target = alias(run)
    assert target["name"] == spec.hub_hostname and target["zoneId"] == run.value["zone"]
    assert target["aliases"] == [
        {"name": nlb_hostname("jupyterhub/proxy-public", REGION), "zoneId": NLB_HOSTED_ZONE_IDS[REGION], "evaluateTargetHealth": True}
    ]
    assert run.value["name_servers"] == [] and run.value["url"] == f"https://{spec.hub_hostname}"


def test_internet_facing_default_zone_is_public_and_exports_its_name_servers(spec_for, run_program):
    run = run_program(lambda: endpoint(spec_for("balanced")), config=CONFIG)
    assert "vpcs" not in run.one(ZONE).inputs
    assert run.value["zone"] == run.one(ZONE).outputs["zoneId"]
    assert run.value["name_servers"] == run.one(ZONE).outputs["nameServers"] != [], "delegate the hub's name to these"


def test_public_certificate_is_validated_in_the_zone_and_the_alias_shares_it(spec_for, run_program):
    spec = spec_for("balanced", hub_hostname=PUBLIC, tls={"validation_zone_id": "Z0PUBLIC123"})
    run = run_program(lambda: endpoint(spec))
    certificate = run.one(CERTIFICATE).inputs
    assert certificate["domainName"] == PUBLIC and certificate["validationMethod"] == "DNS"
    (cname,) = [r for r in run.of_type(RECORD) if r.inputs.get("type") != "A"]
    assert cname.inputs["zoneId"] == "Z0PUBLIC123"
    assert cname.inputs["type"] == "CNAME" and cname.inputs["name"].endswith(f".{PUBLIC}.")
    assert run.one(VALIDATION).inputs["validationRecordFqdns"] == [cname.outputs["fqdn"]]
    assert run.value["records"] == [{"name": cname.inputs["name"], "type": "CNAME", "value": cname.inputs["records"][0]}]
    assert run.of_type(ZONE) == [] and alias(run)["zoneId"] == "Z0PUBLIC123"


def test_split_horizon_validates_publicly_and_aliases_privately(spec_for, run_program):
    spec = spec_for("strict", hub_hostname=PUBLIC, tls={"validation_zone_id": "Z0PUBLIC123", "hub_zone_id": "Z0PRIVATE45"})
    run = run_program(lambda: endpoint(spec))
    assert run.one(VALIDATION) and alias(run)["zoneId"] == "Z0PRIVATE45" and run.of_type(ZONE) == []


def test_private_ca_issues_without_validation(spec_for, run_program):
    run = run_program(lambda: endpoint(spec_for("strict", tls={"private_ca_arn": PCA})))
    assert run.one(CERTIFICATE).inputs["certificateAuthorityArn"] == PCA and "validationMethod" not in run.one(CERTIFICATE).inputs
    assert run.of_type(VALIDATION) == [] and [r for r in run.of_type(RECORD) if r.inputs.get("type") != "A"] == []


def test_brought_certificate_and_zone_create_neither(spec_for, run_program):
    run = run_program(lambda: endpoint(spec_for("strict", tls={"certificate_arn": ARN, "hub_zone_id": "Z0PRIVATE45"})))
    assert run.of_type(CERTIFICATE) == [] and run.of_type(ZONE) == [] and run.value["certificate"] == ARN
    assert alias(run)["zoneId"] == "Z0PRIVATE45"


@pytest.mark.parametrize(("config", "message"), [({}, "is not set"), ({f"{PROJECT}:hubCertificateArn": "not-an-arn"}, "not an ACM certificate ARN")])
def test_missing_or_wrong_certificate_config_stops_the_program(spec_for, run_program, config, message):
    with pytest.raises(SpecError, match=message) as raised:
        run_program(lambda: endpoint(spec_for("strict")), config=config)
    assert "Pulumi.dev.yaml: hubCertificateArn" in str(raised.value) and "pulumi config set hubCertificateArn" in str(raised.value)
