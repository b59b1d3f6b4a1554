"""Kubernetes manifests of a preview graph's in-cluster objects, and the objects no offline export can know.

Every `kubernetes:*` custom resource becomes one manifest built from its Pulumi inputs. What the graph cannot
show is listed, never dropped silently: the objects a Helm release renders at deploy time, the objects of
provider-side components (yaml/v2, helm.sh/v4 Chart), and custom resources whose schema lives in a CRD.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..preview.graph import Resource, ResourceGraph

FORMAT = "kubernetes"
PROVIDER_TOKEN = "pulumi:providers:kubernetes"
HELM_RELEASE_TOKEN = "kubernetes:helm.sh/v3:Release"
# Components the Kubernetes provider expands itself (not the Python SDK), so under the mock engine they have no children.
PROVIDER_SIDE_COMPONENTS = frozenset(
    {"kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml/v2:ConfigFile", "kubernetes:helm.sh/v4:Chart", "kubernetes:kustomize/v2:Directory"}
)
# Applied first, as `kubectl apply -f` on the stream would need them.
_KIND_ORDER = ("Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "Role")


@dataclass(frozen=True)
class Unknown:
    """Something in the cluster the export cannot show or validate, and why."""

    what: str
    reason: str

    def __str__(self) -> str:
        return f"{self.what}: {self.reason}"


@dataclass(frozen=True)
class KubernetesExport:
    """Manifests in apply order, the custom resources among them, and what the export could not know."""

    manifests: tuple[dict[str, Any], ...]
    unknown: tuple[Unknown, ...]

    def to_yaml(self) -> str:
        """A multi-document YAML stream whose header comment lists every unknown object."""
        header = [
            "# Kubernetes objects of a blueprint, from its offline preview (Pulumi mock engine) - not `pulumi preview`.",
            f"# {len(self.manifests)} manifest(s). Objects this export cannot know ({len(self.unknown)}):",
        ]
        header += [f"#   - {entry}" for entry in self.unknown] or ["#   (none)"]
        return "\n".join(header) + "\n" + dump_documents(self.manifests)


def is_builtin_kind(token: str) -> bool:
    """True when the pinned pulumi-kubernetes SDK has a class for the token (a built-in Kubernetes kind, or a CRD itself)."""
    import pulumi_kubernetes  # noqa: F401  (registers its resource modules)
    from pulumi.runtime.rpc import get_resource_module

    package, module, _ = token.split(":")
    registered = get_resource_module(package, module, "")
    mod_info = getattr(registered, "mod_info", None) if registered is not None else None
    return bool(mod_info) and token in mod_info.get("classes", {})


def kubernetes_manifests(graph: ResourceGraph) -> KubernetesExport:
    """Manifests of every in-cluster object in `graph`, and the list of what it cannot know."""
    manifests: list[dict[str, Any]] = []
    unknown: list[Unknown] = []
    for resource in graph:
        if not resource.type.startswith("kubernetes:"):
            continue
        if resource.type == HELM_RELEASE_TOKEN:
            unknown.append(_release(resource))
        elif not resource.custom:
            if resource.type in PROVIDER_SIDE_COMPONENTS:
                unknown.append(Unknown(f"{resource.type} {resource.name}", "objects expanded by the Kubernetes provider at deploy time"))
        else:
            manifest = manifest_of(resource)
            manifests.append(manifest)
            if not is_builtin_kind(resource.type):
                unknown.append(Unknown(_describe(manifest), "custom resource: its schema comes from a CRD, not from Kubernetes"))
    return KubernetesExport(tuple(sorted(manifests, key=_apply_order)), tuple(sorted(unknown, key=str)))


def manifest_of(resource: Resource) -> dict[str, Any]:
    """The manifest a Pulumi Kubernetes resource applies: apiVersion, kind, metadata and the rest of its inputs."""
    _, group_version, kind = resource.type.split(":")
    inputs = dict(resource.inputs)
    api_version = inputs.pop("apiVersion", None) or group_version.removeprefix("core/")
    kind = inputs.pop("kind", None) or kind
    metadata = dict(inputs.pop("metadata", None) or {})
    # Pulumi auto-names an object without metadata.name (`<name>-<random suffix>`); the logical name stands in.
    metadata.setdefault("name", resource.name)
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **{k: inputs[k] for k in sorted(inputs)}}


def dump_documents(documents: Iterable[Any]) -> str:
    """YAML documents separated by `---`, block style, keys in the given order."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.explicit_start = True
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 4096  # never fold long strings (policies, commands) across lines
    stream = io.StringIO()
    yaml.dump_all(list(documents), stream)
    return stream.getvalue()


def _release(resource: Resource) -> Unknown:
    inputs = resource.inputs
    chart = inputs.get("chart", "?")
    version = inputs.get("version", "?")
    namespace = inputs.get("namespace", "default")
    name = inputs.get("name") or resource.name
    return Unknown(f"Helm release {name} (chart {chart} {version}, namespace {namespace})", "objects rendered by Helm at deploy time; its values are in `--format helm-values`")


def _describe(manifest: dict[str, Any]) -> str:
    metadata = manifest["metadata"]
    where = f"{metadata['namespace']}/" if metadata.get("namespace") else ""
    return f"{manifest['kind']} {where}{metadata['name']} ({manifest['apiVersion']})"


def _apply_order(manifest: dict[str, Any]) -> tuple[int, str, str, str]:
    kind = manifest["kind"]
    rank = _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)
    metadata = manifest["metadata"]
    return rank, kind, metadata.get("namespace", ""), metadata["name"]
