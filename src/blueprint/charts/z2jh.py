"""The Zero to JupyterHub chart: its files, defaults, images and schema, Helm's merge, and the real Helm engine.

One home for chart knowledge (components render values, policy judges images, export validates and renders;
all read it here). The chart is vendored whole in `jupyterhub/` (see its SOURCES.md), so `helm template`
renders exactly what `helm install` would, offline.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..preview.graph import SECRET, UNKNOWN, Resource, ResourceGraph

CHART_NAME = "jupyterhub"
CHART_REPO = "https://hub.jupyter.org/helm-chart/"
# The released version of the vendored chart; tests check it against jupyterhub/Chart.yaml.
CHART_VERSION = "4.4.0"
HELM_VERSION = "v4.1.4"
HELM_ENV = "BLUEPRINT_HELM"
HELM_MEMORY_LIMIT = "512MiB"  # Go collects helm's heap only past this (GOMEMLIMIT); see `render`
HELM_INSTALL_HINT = (
    "install the Helm binary the tests use with `make tools` (it lands in .tools/bin/helm), "
    f"or point {HELM_ENV} at a helm {HELM_VERSION} binary"
)


def chart_dir() -> Path:
    """The vendored chart as a directory on disk (`helm template` takes it as it is)."""
    return Path(str(resources.files("blueprint").joinpath("charts", CHART_NAME)))


# Where a generated project carries the chart, relative to the project. Pulumi runs the program and the
# Kubernetes provider in the project directory, and a Release's `chart` may be a local path
# (https://www.pulumi.com/registry/packages/kubernetes/api-docs/helm/v3/release/), so `pulumi up` installs
# the chart from the repository's own files: no chart repository to reach from the runner in the VPC.
PROJECT_CHART_DIR = f"charts/{CHART_NAME}"


def chart_vendored(egress: str) -> bool:
    """Whether a stance with this `network.egress` installs the project's copy of the chart.

    Without open egress the runner in the VPC cannot fetch the chart repository (strict: no internet;
    allowlist: the repository's host is not on it), so the project carries the chart and `blueprint upgrade`
    moves it; with open egress the Release follows the stance's version policy in the chart repository.
    """
    return egress != "open"


def release_chart(egress: str, version: str) -> dict[str, Any]:
    """The Helm Release's chart arguments for a stance's egress: `chart`, `version` (`version` is the stance's
    constraint; the project's copy is exactly CHART_VERSION, as Helm ignores a version for a local chart) and
    `repository_opts` when the chart is fetched."""
    if chart_vendored(egress):
        return {"chart": PROJECT_CHART_DIR, "version": CHART_VERSION}
    return {"chart": CHART_NAME, "version": version, "repository_opts": {"repo": CHART_REPO}}


def project_chart_files() -> dict[str, str]:
    """Every file of the vendored chart as a generated project carries it: project-relative path -> text."""
    root = chart_dir()
    return {f"{PROJECT_CHART_DIR}/{p.relative_to(root).as_posix()}": p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def is_jupyterhub_chart(chart: object) -> bool:
    """A Release input `chart` naming this chart: from the repository (`jupyterhub`, or a path or OCI reference ending
    in `/jupyterhub`), or the project's copy (`charts/jupyterhub`). The one definition export and policy share."""
    return isinstance(chart, str) and (chart == CHART_NAME or chart.endswith(f"/{CHART_NAME}"))


def _load(name: str) -> Any:
    """One of the chart's own YAML files, read as Helm and the hub read YAML (YAML 1.1, PyYAML's safe loader with
    libyaml: the schema file alone took 0.4 s through a pure-Python parser, on every cold preview and check).
    tests/charts/test_chart_files.py holds it equal to a YAML 1.2 reading, so a chart bump cannot mean two things."""
    [document] = load_yaml_documents((chart_dir() / name).read_text(encoding="utf-8"))
    return document


@cache
def _defaults_json() -> str:
    return json.dumps(_load("values.yaml"))


def chart_defaults() -> dict[str, Any]:
    """The chart's default values.yaml (a fresh copy each call)."""
    return json.loads(_defaults_json())


@cache
def chart_schema() -> dict[str, Any]:
    return _load("values.schema.yaml")


def chart_metadata() -> dict[str, Any]:
    return _load("Chart.yaml")


@cache
def _chart_images() -> tuple[tuple[tuple[str, ...], str], ...]:
    found: list[tuple[tuple[str, ...], str]] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            if key == "image" and isinstance(value, dict) and isinstance(value.get("name"), str):
                found.append(((*path, key), value["name"]))
            else:
                walk(value, (*path, key))

    walk(chart_defaults(), ())
    return tuple(found)


def chart_images() -> dict[tuple[str, ...], str]:
    """Every image the chart can run: values path of its `image` block -> default name, read from the vendored
    values.yaml (so a chart bump that adds an image is covered, or fails loudly where images are mirrored)."""
    return dict(_chart_images())


def image_references(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, image) of every image named in Helm values or a workload spec: `image: <reference>` (containers,
    KubeSpawner overrides), z2jh's `image: {name: ...}` blocks and `prePuller.extraImages` entries."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "image" and not isinstance(item, (Mapping, list)):
                yield where, item
            elif key == "image" and isinstance(item, Mapping) and "name" in item:
                yield f"{where}.name", item["name"]
            elif key == "extraImages" and isinstance(item, Mapping):
                for name, spec in item.items():
                    if isinstance(spec, Mapping) and "name" in spec:
                        yield f"{where}.{name}.name", spec["name"]
            else:
                yield from image_references(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from image_references(item, f"{path}[{i}]")


def merge_like_helm(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Coalesce user values over chart defaults as Helm does: maps merge key by key, a null removes the key,
    anything else (lists included) replaces it."""
    result = copy.deepcopy(dict(defaults))
    for key, value in overrides.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge_like_helm(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def schema_errors(values: Mapping[str, Any]) -> list[str]:
    """Schema violations of `values` merged over the chart defaults, as sorted `path: message` lines."""
    import jsonschema

    merged = merge_like_helm(chart_defaults(), values)
    validator = jsonschema.Draft7Validator(chart_schema())
    return sorted(
        f"{'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}" for error in validator.iter_errors(merged)
    )


# --- the real Helm engine ----------------------------------------------------------------------------


class HelmUnavailable(RuntimeError):
    """No usable helm binary; the message says how to install one."""


class RenderFailed(RuntimeError):
    """`helm template` refused the values (schema or template error); the message is Helm's."""


def find_helm() -> Path | None:
    """`$BLUEPRINT_HELM`, else `.tools/bin/helm` in the working directory or the source checkout, else `helm` on PATH."""
    candidates: list[Path] = []
    if os.environ.get(HELM_ENV):
        candidates.append(Path(os.environ[HELM_ENV]))
    candidates.append(Path.cwd() / ".tools" / "bin" / "helm")
    candidates.append(Path(__file__).resolve().parents[3] / ".tools" / "bin" / "helm")
    on_path = shutil.which("helm")
    if on_path:
        candidates.append(Path(on_path))
    return next((c for c in candidates if c.is_file() and os.access(c, os.X_OK)), None)


def helm_version(helm: Path) -> str:
    out = subprocess.run([str(helm), "version", "--short"], capture_output=True, text=True, check=True, timeout=60).stdout
    return out.strip().split("+")[0]


@dataclass(frozen=True)
class Rendered:
    """The chart's objects as `helm template` renders them with some values."""

    release: str
    namespace: str
    kube_version: str
    manifests: tuple[dict[str, Any], ...]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.manifests if m.get("kind") == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [m for m in self.of_kind(kind) if m.get("metadata", {}).get("name") == name]
        if len(found) != 1:
            raise KeyError(f"{kind}/{name}: {len(found)} rendered")
        return found[0]


def render(
    values: Mapping[str, Any],
    *,
    release: str = CHART_NAME,
    namespace: str = CHART_NAME,
    kube_version: str = "1.33",
    helm: Path | None = None,
) -> Rendered:
    """Render the vendored chart with `values` by the real Helm engine, offline (`helm template`).

    Helm validates the merged values against the chart's values.schema.json first, so a value the chart
    rejects raises RenderFailed with Helm's message. Values must be plain data: secrets replaced by a
    stand-in of the same shape (see `export.helm`).
    """
    helm = helm or find_helm()
    if helm is None:
        raise HelmUnavailable(f"helm is not installed; {HELM_INSTALL_HINT}")
    version = kube_version if kube_version.count(".") == 2 else f"{kube_version}.0"
    with tempfile.TemporaryDirectory(prefix="blueprint-helm-") as tmp:
        values_file = Path(tmp) / "values.json"
        # Not ASCII-escaped: Helm reads the file as YAML, which refuses JSON's surrogate-pair escapes (\ud83d...).
        text = json.dumps(values, ensure_ascii=False) + "\n"
        if len(text.encode("utf-8")) % 4096 == 0:
            # helm v4.1.4 silently ignores a values file whose size is an exact multiple of 4096 bytes (found with a
            # 12288-byte one: every value fell back to the chart default); whitespace is insignificant in JSON.
            text += "\n"
        values_file.write_text(text, encoding="utf-8")
        env = {**os.environ, "HELM_CACHE_HOME": tmp, "HELM_CONFIG_HOME": tmp, "HELM_DATA_HOME": tmp}
        # `helm template` is one short process: Go's collector only costs it CPU (0.33 -> 0.24 s for a 200-team chart,
        # 66 -> 121 MiB), so collect only past a memory bound. The user's own GOGC or GOMEMLIMIT wins.
        env.setdefault("GOGC", "off")
        env.setdefault("GOMEMLIMIT", HELM_MEMORY_LIMIT)
        command = [str(helm), "template", release, str(chart_dir()), "--namespace", namespace, "--kube-version", version, "-f", str(values_file)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    if done.returncode != 0:
        raise RenderFailed(done.stderr.strip() or done.stdout.strip())
    documents = [d for d in load_yaml_documents(done.stdout) if isinstance(d, dict)]
    for document in documents:
        # helm template leaves namespace off objects whose templates rely on the release namespace.
        if document.get("kind") not in _CLUSTER_SCOPED:
            document.setdefault("metadata", {}).setdefault("namespace", namespace)
    return Rendered(release, namespace, kube_version, tuple(documents))


def load_yaml_documents(text: str) -> list[Any]:
    """The documents of YAML helm wrote, read as the hub reads its values (z2jh's files/hub/z2jh.py: PyYAML's
    `safe_load`), with libyaml's C parser where PyYAML has it: a 200-team chart is megabytes of YAML, which the
    pure-Python parsers take seconds over. PyYAML comes with the Pulumi SDK."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return list(yaml.load_all(text, Loader=loader))  # noqa: S506 (a safe loader)


def hub_values(rendered: Rendered) -> dict[str, Any]:
    """The merged values the hub reads at start-up: the chart puts them in its `hub` Secret as values.yaml."""
    secret = rendered.get("Secret", "hub")
    [values] = load_yaml_documents(base64.b64decode(secret["data"]["values.yaml"]).decode())
    return values


_CLUSTER_SCOPED = frozenset({"ClusterRole", "ClusterRoleBinding", "PriorityClass", "StorageClass", "Namespace", "CustomResourceDefinition"})


# --- the release in a preview graph ------------------------------------------------------------------

HELM_RELEASE_TOKEN = "kubernetes:helm.sh/v3:Release"
EKS_CLUSTER_TOKEN = "aws:eks/cluster:Cluster"
# `hub.config` holds the IdP client secret, so the graph shows it as `[secret]`; the chart's schema wants an
# object there. Render with a stand-in of the same shape: never the secret, and said so wherever it is written.
HUB_CONFIG_STAND_IN: dict[str, Any] = {
    "JupyterHub": {"authenticator_class": "generic-oauth"},
    "GenericOAuthenticator": {"client_id": "<stand-in>", "client_secret": "<stand-in-not-the-secret>"},
}
STAND_INS: dict[tuple[str, ...], Any] = {("hub", "config"): HUB_CONFIG_STAND_IN}


def jupyterhub_release(graph: ResourceGraph) -> Resource | None:
    """The one Helm release of this chart in the graph (None when the program has none)."""
    releases = [r for r in graph.of_type(HELM_RELEASE_TOKEN) if is_jupyterhub_chart(r.inputs.get("chart"))]
    if len(releases) > 1:
        raise ValueError(f"expected one Helm release of chart {CHART_NAME!r}, found {len(releases)}")
    return releases[0] if releases else None


def renderable(values: Any, path: tuple[str, ...] = ()) -> Any:
    """`values` as Helm can render them offline: a secret or unknown object replaced by its stand-in (`STAND_INS`);
    other secret or unknown leaves stay as their placeholder strings."""
    if path in STAND_INS and values in (SECRET, UNKNOWN):
        return copy.deepcopy(STAND_INS[path])
    if isinstance(values, dict):
        return {k: renderable(v, (*path, str(k))) for k, v in values.items()}
    if isinstance(values, list):
        return [renderable(v, path) for v in values]
    return values


def cluster_version(graph: ResourceGraph) -> str:
    """`major.minor` of the graph's EKS cluster: the Kubernetes version to render and validate for."""
    clusters = graph.of_type(EKS_CLUSTER_TOKEN)
    if len(clusters) != 1 or not clusters[0].inputs.get("version"):
        raise ValueError(f"expected one {EKS_CLUSTER_TOKEN} with a version, found {len(clusters)}")
    return str(clusters[0].inputs["version"])


_RENDERED: dict[int, tuple[ResourceGraph, Rendered | None]] = {}


def render_release(graph: ResourceGraph, *, helm: Path | None = None) -> Rendered | None:
    """The graph's JupyterHub release rendered by the real Helm engine (cached per graph object); None without one.

    Raises HelmUnavailable without a helm binary and RenderFailed when Helm refuses the values.
    """
    cached = _RENDERED.get(id(graph))
    if cached is not None and cached[0] is graph:
        return cached[1]
    release = jupyterhub_release(graph)
    rendered = None
    if release is not None:
        values = release.inputs.get("values")
        if not isinstance(values, dict):
            raise RenderFailed(f"{release.urn}: the release's values are not known offline ({values!r})")
        rendered = render(
            renderable(values),
            release=str(release.inputs.get("name") or CHART_NAME),
            namespace=str(release.inputs.get("namespace") or "default"),
            kube_version=cluster_version(graph),
            helm=helm,
        )
    _RENDERED.clear()  # one graph at a time is enough, and keeps memory flat over many previews
    _RENDERED[id(graph)] = (graph, rendered)
    return rendered
