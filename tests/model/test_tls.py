"""The tls section: one certificate source, no public certificate for a name no public CA issues for, same region."""

from __future__ import annotations

import pytest

from blueprint.errors import SpecError
from blueprint.model.dns import non_public_suffix

ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-4333-8444-555555555555"
PCA = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-4333-8444-555555555555"


@pytest.mark.parametrize(
    ("hostname", "suffix"),
    [
        ("jupyter.acme.internal", "internal"),
        ("jupyter.acme.local", "local"),
        ("hub.acme.corp", "corp"),
        ("hub.lan", "lan"),
        ("hub.home.arpa", "home.arpa"),
        ("jupyter.acme.example", "example"),
        ("jupyter.example.com", "example.com"),
        ("hub.test", "test"),
        ("jupyter.acme-research.org", None),
        ("jupyter.internal.acme.com", None),
    ],
)
def test_special_and_private_use_names(hostname, suffix):
    assert non_public_suffix(hostname) == suffix


def test_no_tls_section_brings_the_certificate_through_the_stack_config(spec_for):
    tls = spec_for("strict").tls
    assert tls.certificate_source == "config" and tls.certificate_arn_config == "hubCertificateArn" and tls.hub_zone_id is None


@pytest.mark.parametrize("hostname", ["jupyter.acme.internal", "jupyter.acme.corp", "hub.home.arpa", "jupyter.acme.example"])
def test_public_certificate_for_a_non_public_name_is_refused_with_the_fix(spec_for, hostname):
    with pytest.raises(SpecError) as raised:
        spec_for("strict", hub_hostname=hostname, tls={"validation_zone_id": "Z0PUBLIC123"})
    message = str(raised.value)
    assert "blueprint.yaml: tls:" in message and hostname in message
    assert "tls.certificate_arn" in message and "public domain" in message


@pytest.mark.parametrize(
    ("tls", "source"),
    [({"certificate_arn": ARN}, "brought"), ({"private_ca_arn": PCA}, "private-ca"), ({"validation_zone_id": "Z0PUBLIC123"}, "public-dns")],
)
def test_each_certificate_source(spec_for, tls, source):
    assert spec_for("balanced", hub_hostname="jupyter.acme-research.org", tls=tls).tls.certificate_source == source


def test_two_certificate_sources_are_refused(spec_for):
    with pytest.raises(SpecError, match="certificate_arn and validation_zone_id are each a certificate source; keep one"):
        spec_for("strict", hub_hostname="jupyter.acme-research.org", tls={"certificate_arn": ARN, "validation_zone_id": "Z0PUBLIC123"})


def test_certificate_of_another_region_is_refused(spec_for):
    with pytest.raises(SpecError, match="only uses an ACM certificate of its own region; issue or import the certificate in eu-west-1"):
        spec_for("strict", tls={"certificate_arn": ARN.replace("eu-west-1", "us-east-1")})


def test_schema_describes_the_tls_section():
    from blueprint.model import BlueprintFile

    schema = BlueprintFile.model_json_schema()
    fields = schema["$defs"]["TlsSpec"]["properties"]
    assert set(fields) == {"certificate_arn", "private_ca_arn", "validation_zone_id", "certificate_arn_config", "hub_zone_id"}
    assert all(field.get("description") for field in fields.values())
