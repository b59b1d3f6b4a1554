"""Kubernetes export: manifests from Pulumi inputs, unknown objects listed; real stances validated with kubernetes-validate."""

from __future__ import annotations

import io

import kubernetes_validate
import pytest
from ruamel.yaml import YAML

from blueprint.export.checkov import STANCES
from blueprint.export.kubernetes import HELM_RELEASE_TOKEN, is_builtin_kind, kubernetes_manifests
from blueprint.export.validation import kubernetes_figures, kubernetes_version, validate_manifest

from .conftest import graph, resource


def load_stream(text: str) -> list[dict]:
    return [doc for doc in YAML(typ="safe", pure=True).load_all(io.StringIO(text)) if doc is not None]


# ---- hand-made graphs --------------------------------------------------------------------------------


def test_manifests_come_from_inputs_with_api_version_kind_and_a_name():
    namespace = resource("kubernetes:core/v1:Namespace", "genomics-ns", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "genomics"}})
    binding = resource(
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "genomics-users",
        {
            "metadata": {"namespace": "genomics"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "workbench-user"},
            "subjects": [{"kind": "Group", "name": "dsw-genomics", "apiGroup": "rbac.authorization.k8s.io"}],
        },
    )
    export = kubernetes_manifests(graph(binding, namespace))
    first, second = export.manifests
    assert first == {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "genomics"}}  # namespaces first
    assert second["apiVersion"] == "rbac.authorization.k8s.io/v1" and second["kind"] == "RoleBinding"
    assert second["metadata"] == {"namespace": "genomics", "name": "genomics-users"}  # auto-named: the logical name stands in
    assert list(second)[:3] == ["apiVersion", "kind", "metadata"]
    assert export.unknown == ()


def test_what_the_export_cannot_know_is_listed_not_dropped():
    release = resource(HELM_RELEASE_TOKEN, "hub", {"name": "jupyterhub", "chart": "jupyterhub", "version": "4.4.0", "namespace": "jupyterhub", "values": {}})
    provider = resource("pulumi:providers:kubernetes", "cluster")
    crd_object = resource(
        "kubernetes:karpenter.sh/v1:NodePool", "gpu", {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "gpu"}, "spec": {}}
    )
    config_group = resource("kubernetes:yaml/v2:ConfigGroup", "addons", custom=False)
    export = kubernetes_manifests(graph(release, provider, crd_object, config_group))
    assert [m["kind"] for m in export.manifests] == ["NodePool"]
    listed = [str(u) for u in export.unknown]
    assert any("Helm release jupyterhub" in u and "4.4.0" in u for u in listed)
    assert any(u.startswith("NodePool gpu (karpenter.sh/v1)") and "CRD" in u for u in listed)
    assert any("kubernetes:yaml/v2:ConfigGroup addons" in u for u in listed)
    text = export.to_yaml()
    assert all(f"#   - {u}" in text for u in listed)
    assert load_stream(text) == list(export.manifests)


def test_builtin_kinds_are_told_from_custom_resources():
    assert is_builtin_kind("kubernetes:core/v1:Namespace")
    assert is_builtin_kind("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    assert is_builtin_kind("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")
    assert not is_builtin_kind("kubernetes:karpenter.sh/v1:NodePool")


def test_the_validator_rejects_an_unknown_field_in_strict_mode():
    bad = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}, "spec": {"finalizers": []}, "colour": "red"}
    assert "colour" in validate_manifest(bad, "1.33")
    assert validate_manifest({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}, "1.33") == ""


# ---- the real stances ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stance", STANCES)
def test_the_validator_has_the_stances_kubernetes_version(stance, stance_graphs):
    version = kubernetes_version(stance_graphs[stance])
    assert version in {".".join(v.split(".")[:2]) for v in kubernetes_validate.utils.all_versions()}, (
        f"kubernetes-validate {kubernetes_validate.__version__} has no schemas for Kubernetes {version}; upgrade it"
    )


@pytest.mark.parametrize("stance", STANCES)
def test_every_in_cluster_object_is_exported_and_valid(stance, stance_graphs):
    g = stance_graphs[stance]
    export = kubernetes_manifests(g)
    in_cluster = [r for r in g if r.custom and r.type.startswith("kubernetes:") and r.type != HELM_RELEASE_TOKEN]
    assert in_cluster, "the program declares in-cluster objects (namespaces, quotas, policies)"
    assert len(export.manifests) == len(in_cluster)

    figures, errors = kubernetes_figures(stance, g)
    assert errors == {}
    custom_resources = [m for m in export.manifests if not is_builtin_kind(f"kubernetes:{m['apiVersion'] if '/' in m['apiVersion'] else 'core/' + m['apiVersion']}:{m['kind']}")]
    assert figures.validated == len(export.manifests) - len(custom_resources) > 0
    assert len(figures.unknown) == len(custom_resources) + len(g.of_type(HELM_RELEASE_TOKEN))


@pytest.mark.parametrize("stance", STANCES)
def test_the_workbench_release_is_listed_as_unknown(stance, stance_graphs):
    export = kubernetes_manifests(stance_graphs[stance])
    assert any(str(u).startswith("Helm release jupyterhub") for u in export.unknown)
    text = export.to_yaml()
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("Helm release jupyterhub" in line for line in header)
    assert load_stream(text) == list(export.manifests)
