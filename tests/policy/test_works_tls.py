"""works.tls.certificate-validates on real graphs, and mutations of them that fire it."""

from __future__ import annotations

import datetime as dt

import pytest

from blueprint.policy.base import Context
from blueprint.policy.rules import BY_ID
from blueprint.preview import preview_project
from blueprint.model import load_blueprint
from tests.conftest import blueprint_data, write_blueprint
from tests.policy.conftest import find, mutate, without

CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
RECORD = "aws:route53/record:Record"
RELEASE = "kubernetes:helm.sh/v3:Release"
TLS = BY_ID["works.tls.certificate-validates"]
PUBLIC = "jupyter.acme-research.org"


def ctx(spec):
    return Context(spec=spec, stance=spec.stance, teams=spec.teams, today=dt.date(2026, 12, 1))


def findings(rule, graph, spec):
    return list(rule.findings(graph, ctx(spec)))


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """Balanced with a public hub name validated in a Route 53 zone: the graph holds the certificate's records."""
    directory = tmp_path_factory.mktemp("validated") / "acme-dsw"
    write_blueprint(directory, blueprint_data("balanced", teams=2, hub_hostname=PUBLIC, tls={"validation_zone_id": "Z0PUBLIC123"}))
    return load_blueprint(directory), preview_project(directory)


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_real_graphs_pass(real, stance):
    project = real(stance)
    assert findings(TLS, project.graph, project.spec) == []


def test_validated_certificate_passes_and_fires_without_its_record(validated):
    spec, graph = validated
    assert findings(TLS, graph, spec) == []
    certificate = find(graph, CERTIFICATE)
    (record,) = [r for r in graph.of_type(RECORD) if r.inputs.get("type") == "CNAME"]
    assert certificate.urn in record.dependencies
    fired = findings(TLS, without(graph, record), spec)
    assert len(fired) == 1 and "no Route 53 record in the graph answers it" in fired[0].message and fired[0].urn == certificate.urn
    fired = findings(TLS, without(graph, find(graph, VALIDATION)), spec)
    assert len(fired) == 1 and "nothing waits for the certificate" in fired[0].message


def test_certificate_for_a_special_use_name_fires(validated):
    spec, graph = validated
    certificate = find(graph, CERTIFICATE)
    fired = findings(TLS, mutate(graph, certificate, lambda i: i.update(domainName="jupyter.acme.internal")), spec)
    assert any("'.internal' is a special- or private-use name" in f.message for f in fired)


def test_release_without_a_certificate_fires(real):
    project = real("open")
    release = find(project.graph, RELEASE, "jupyterhub")
    fired = findings(TLS, mutate(project.graph, release, lambda i: i["values"]["proxy"]["service"]["annotations"].clear()), project.spec)
    assert len(fired) == 1 and "no certificate" in fired[0].message
