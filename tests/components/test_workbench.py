"""Workbench under the mock engine: the Helm release, its values as recorded, EFS StorageClass, TLS."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from blueprint.components import jupyterhub_values as jv
from blueprint.charts import z2jh
from blueprint.components.teamspace import TeamSpace, TeamSpaceArgs
from blueprint.components.workbench import Workbench, WorkbenchArgs
from tests.components import conftest as runner
from tests.components.conftest import image_references

RELEASE = "kubernetes:helm.sh/v3:Release"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CERTIFICATE = "aws:acm/certificate:Certificate"
EFS_ID = "fs-0123456789abcdef0"
CACHE = f"{runner.ACCOUNT}.dkr.ecr.{runner.REGION}.amazonaws.com/acme-dev"
REGISTRIES = {"quay.io": f"{CACHE}/quay", "registry.k8s.io": f"{CACHE}/k8s", "public.ecr.aws": f"{CACHE}/ecr-public"}
HUB_CONFIG = {
    "JupyterHub": {"authenticator_class": "generic-oauth"},
    "GenericOAuthenticator": {"client_id": "jupyterhub", "client_secret": "sample-secret"},
}


GIVEN_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-4333-8444-555555555555"


def hub_config():
    """What IdentityHooks hands over: plain data whose one secret is the client secret leaf."""
    return {**HUB_CONFIG, "GenericOAuthenticator": {**HUB_CONFIG["GenericOAuthenticator"], "client_secret": pulumi.Output.secret("sample-secret")}}


def caches_for(spec):
    return {upstream: pulumi.Output.from_input(url) for upstream, url in REGISTRIES.items()} if spec.stance.network.egress != "open" else None


def build(spec, *, certificate_arn=GIVEN_CERTIFICATE, with_teams: bool = False, r_repos_url=None, image_registries=None):
    provider = k8s.Provider("k8s", kubeconfig="{}")
    spaces = []
    if with_teams:
        spaces = [
            TeamSpace(
                f"acme-team-{t.name}",
                TeamSpaceArgs.from_spec(spec, t.name, provider=provider, irsa_role_arn="arn:aws:iam::123456789012:role/x"),
            )
            for t in spec.teams
        ]
    workbench = Workbench(
        "acme-workbench",
        WorkbenchArgs.from_spec(
            spec,
            provider=provider,
            hub_config=hub_config(),
            efs_file_system_id=pulumi.Output.from_input(EFS_ID),
            r_repos_url=r_repos_url,
            certificate_arn=certificate_arn,
            image_registries=image_registries if image_registries is not None else caches_for(spec),
            after=spaces,
        ),
    )
    return pulumi.Output.all(hub_url=workbench.hub_url, release=workbench.release_name, namespace=workbench.namespace)


# Without open egress the runner in the VPC cannot reach the chart repository: the project's copy, exactly 4.4.0.
@pytest.mark.parametrize(("stance", "chart", "version"), [("strict", "charts/jupyterhub", "4.4.0"), ("balanced", "charts/jupyterhub", "4.4.0"), ("open", "jupyterhub", "^4.4.0")])
def test_release_chart_and_version(spec_for, run_program, stance, chart, version):
    run = run_program(lambda: build(spec_for(stance)))
    release = run.one(RELEASE)
    inputs = release.inputs
    assert (inputs["chart"], inputs["version"], inputs["namespace"]) == (chart, version, "jupyterhub"), f"{release}"
    assert inputs.get("repositoryOpts", {}).get("repo") == (None if chart.startswith("charts/") else "https://hub.jupyter.org/helm-chart/")
    assert release.provider and "pulumi:providers:kubernetes" in release.provider, f"{release} must use the cluster provider"
    assert run.value == {"hub_url": "https://jupyter.acme.example", "release": "jupyterhub", "namespace": "jupyterhub"}


def test_recorded_values_validate_against_the_chart(spec_for, run_program, stance_name):
    """The values as the engine received them (numbers as floats) pass the vendored schema after a Helm merge."""
    run = run_program(lambda: build(spec_for(stance_name, teams=3)))
    release = run.one(RELEASE)
    values = release.inputs["values"]
    assert isinstance(values["cull"]["timeout"], float), "mocks hand numbers back as floats; the test must see that"
    assert z2jh.schema_errors(values) == [], f"{release} ({stance_name}): values rejected by the z2jh schema"
    assert release.secret_inputs, f"{release}: the IdP client secret must stay secret"


def test_only_the_client_secret_of_hub_config_is_secret_the_rest_is_plain_data(spec_for, run_program):
    """Policy checks and the rendered chart read the values; only the client secret leaf may be opaque.

    Under the real engine (output values) the secret marker stays on that leaf; this
    test's mock monitor hoists it to `values`, so the structure is checked here instead.
    """
    from blueprint.components.workbench import _values

    def outputs_in(value, path=""):
        if isinstance(value, pulumi.Output):
            return [path]
        if isinstance(value, dict):
            return [p for k, v in value.items() for p in outputs_in(v, f"{path}.{k}" if path else k)]
        if isinstance(value, list):
            return [p for i, v in enumerate(value) for p in outputs_in(v, f"{path}[{i}]")]
        return []

    def program():
        provider = k8s.Provider("k8s", kubeconfig="{}")
        args = WorkbenchArgs.from_spec(
            spec_for("strict"),
            provider=provider,
            hub_config=hub_config(),
            efs_file_system_id=EFS_ID,
            certificate_arn=GIVEN_CERTIFICATE,
            r_repos_url="https://cran.acme.internal",
            image_registries={upstream: pulumi.Output.from_input(url) for upstream, url in REGISTRIES.items()},
        )
        return outputs_in(_values(args, pulumi.Output.from_input("arn:aws:acm:eu-west-1:123456789012:certificate/x")))

    paths = run_program(program).value
    assert "hub.config.GenericOAuthenticator.client_secret" in paths and "hub.config" not in paths
    assert all(
        p == "hub.config.GenericOAuthenticator.client_secret" or p.startswith("proxy.service.annotations") or p.endswith((".image.name", ".image"))
        for p in paths
    ), paths


def test_strict_uses_an_internal_nlb(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    annotations = run.one(RELEASE).inputs["values"]["proxy"]["service"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-internal"] == "true"


def test_efs_storage_class(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    storage = run.one(STORAGE_CLASS).inputs
    assert storage["metadata"]["name"] == "efs-homes" and storage["provisioner"] == "efs.csi.aws.com"
    assert storage["parameters"]["fileSystemId"] == EFS_ID and storage["parameters"]["provisioningMode"] == "efs-ap"
    assert storage["reclaimPolicy"] == "Retain", "strict protects stateful data"
    opened = run_program(lambda: build(spec_for("open"))).one(STORAGE_CLASS).inputs
    assert opened["reclaimPolicy"] == "Delete"


def test_the_nlb_uses_the_certificate_it_is_given(spec_for, run_program):
    given = "arn:aws:acm:eu-west-1:123456789012:certificate/99999999-2222-4333-8444-555555555555"
    run = run_program(lambda: build(spec_for("strict"), certificate_arn=given))
    assert run.of_type(CERTIFICATE) == [], "the certificate is HubEndpoint's"
    annotations = run.one(RELEASE).inputs["values"]["proxy"]["service"]["annotations"]
    assert annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"] == given


def test_release_waits_for_team_spaces(spec_for, run_program, monkeypatch):
    dependencies: dict[str, list[str]] = {}
    register = runner.RecordingMonitor.RegisterResource

    def recording(self, request):
        response = register(self, request)
        dependencies[response.urn] = list(request.dependencies)
        return response

    monkeypatch.setattr(runner.RecordingMonitor, "RegisterResource", recording)
    spec = spec_for("strict", teams=2)
    run = run_program(lambda: build(spec, with_teams=True))
    release = run.one(RELEASE)
    spaces = {r.urn for r in run.of_type("workbench:teamspace:TeamSpace")}
    assert len(spaces) == 2
    waited = set(dependencies[release.urn])
    # A dependency on a component is expanded to its children by the SDK; either form counts.
    for space in spaces:
        children = {r.urn for r in run.children(space)}
        assert space in waited or children <= waited, f"{release} does not wait for {space}"
    assert release.parent and "workbench:workbench:Workbench" in release.parent


def test_hub_namespace_pod_security(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    [namespace] = [n for n in run.of_type("kubernetes:core/v1:Namespace") if n.inputs["metadata"]["name"] == "jupyterhub"]
    labels = namespace.inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline" and labels["pod-security.kubernetes.io/warn"] == "restricted"


def test_manifests_are_valid_kubernetes(spec_for, run_program):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    spec = spec_for("strict")
    run = run_program(lambda: build(spec))
    manifests = [r for r in run.resources if r.custom and r.type.startswith("kubernetes:") and r.type != RELEASE]
    assert {r.type for r in manifests} == {STORAGE_CLASS, "kubernetes:core/v1:Namespace", NETWORK_POLICY}
    for resource in manifests:
        kubernetes_validate.validate(dict(resource.inputs), spec.stance.stability.kubernetes_version, strict=True)


def test_output_leaves_are_bound_into_plain_values(spec_for, run_program):
    cran = "https://packagemanager.posit.co/cran/2026-10-01"
    run = run_program(lambda: build(spec_for("open"), r_repos_url=pulumi.Output.from_input(cran)))
    values = run.one(RELEASE).inputs["values"]
    assert values["custom"]["workbench"]["session"]["kubespawner_override"]["environment"]["WORKBENCH_CRAN_URL"] == cran
    assert "@@" not in json.dumps(values), "a stand-in token leaked into the values"
    assert values["hub"]["config"]["GenericOAuthenticator"]["client_secret"] == "sample-secret"
    assert values["hub"]["config"]["KubeSpawner"]["container_security_context"]["runAsNonRoot"] is True


def test_strict_release_pulls_every_image_through_the_cache(spec_for, run_program):
    """The values as recorded, merged over the chart defaults as Helm does: no image left on a public registry."""
    registries = {upstream: pulumi.Output.from_input(url) for upstream, url in REGISTRIES.items()}
    run = run_program(lambda: build(spec_for("strict", teams=3), image_registries=registries))
    release = run.one(RELEASE)
    values = release.inputs["values"]
    assert "@@" not in json.dumps(values), "a stand-in token leaked into the values"
    merged = z2jh.merge_like_helm(z2jh.chart_defaults(), values)
    images = dict(image_references(merged))
    assert {f"{'.'.join(path)}.name" for path in z2jh.chart_images()} <= set(images)
    outside = {path: image for path, image in images.items() if not image.startswith(f"{CACHE}/")}
    assert not outside, f"{release}: images the nodes could not pull with egress 'mirror': {outside}"
    assert z2jh.schema_errors(values) == [], f"{release}: values rejected by the z2jh schema"


def test_hub_namespace_denies_by_default_and_admits_the_api_clients(spec_for, run_program):
    spec = spec_for("strict")
    run = run_program(lambda: build(spec))
    policies = {p.inputs["metadata"]["name"]: p.inputs for p in run.of_type(NETWORK_POLICY)}
    assert all(p["metadata"]["namespace"] == "jupyterhub" for p in policies.values())
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    api = policies["allow-kube-api"]["spec"]
    assert api["podSelector"]["matchExpressions"][0]["values"] == ["user-scheduler", "image-puller"]
    assert api["egress"] == [
        {
            "to": [{"ipBlock": {"cidr": spec.network.vpc_cidr}}, {"ipBlock": {"cidr": spec.network.service_cidr}}],
            "ports": [{"port": 443.0, "protocol": "TCP"}],
        }
    ]
