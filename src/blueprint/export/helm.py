"""The values a blueprint hands its JupyterHub Helm release, as the YAML file `helm install -f` would take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..charts import z2jh
from ..charts.z2jh import is_jupyterhub_chart
from ..preview.graph import SECRET, UNKNOWN, ResourceGraph, dig
from .errors import ExportError
from .kubernetes import HELM_RELEASE_TOKEN, dump_documents

FORMAT = "helm-values"
WORKBENCH_CHART = "jupyterhub"


@dataclass(frozen=True)
class HelmValues:
    """One release's chart, version, namespace and values."""

    release: str
    chart: str
    version: str
    namespace: str
    values: dict[str, Any]

    @property
    def hidden(self) -> tuple[str, ...]:
        """Dotted paths whose values the offline preview does not show: secrets (`[secret]`) and unknowns."""
        return tuple(sorted(_hidden_paths(self.values, ())))

    def to_yaml(self) -> str:
        header = (
            f"# Helm values of release {self.release} (chart {self.chart} {self.version}, namespace {self.namespace}),\n"
            "# from the blueprint's offline preview (Pulumi mock engine) - not `pulumi preview`.\n"
        )
        if self.hidden:
            header += f"# Not shown (secret or only known at deploy time): {', '.join(self.hidden)}\n"
        stand_ins = sorted(".".join(path) for path in z2jh.STAND_INS if dig(self.values, *path) in (SECRET, UNKNOWN))
        if stand_ins:
            header += (
                f"# {', '.join(stand_ins)}: a stand-in object of the same shape (never the secret), so that\n"
                f"# `helm template {self.release} <chart> -f THIS_FILE` accepts the file; the real value is a Pulumi secret.\n"
            )
        return header + dump_documents([z2jh.renderable(self.values)]).removeprefix("---\n")


def helm_values(graph: ResourceGraph, chart: str = WORKBENCH_CHART) -> HelmValues:
    """The values of the one Helm release of `chart` in the graph; ExportError when there is none or several."""
    releases = [r for r in graph.of_type(HELM_RELEASE_TOKEN) if r.inputs.get("chart") == chart or (chart == WORKBENCH_CHART and is_jupyterhub_chart(r.inputs.get("chart")))]
    if len(releases) != 1:
        found = sorted(f"{r.name} (chart {r.inputs.get('chart')})" for r in graph.of_type(HELM_RELEASE_TOKEN))
        raise ExportError(
            export_format=FORMAT,
            problems=[f"expected one Helm release of chart {chart!r}, found {len(releases)}; releases in the program: {', '.join(found) or 'none'}"],
        )
    release = releases[0]
    inputs = release.inputs
    values = inputs.get("values") or {}
    if not isinstance(values, dict):  # the whole values are a secret or unknown
        raise ExportError(export_format=FORMAT, problems=[f"{release.urn}: values are not known offline ({values!r})"])
    return HelmValues(
        release=str(inputs.get("name") or release.name),
        chart=chart,
        version=str(inputs.get("version", "")),
        namespace=str(inputs.get("namespace", "default")),
        values=values,
    )


def without_hidden(values: Any) -> Any:
    """`values` without the `[secret]` and `[unknown]` placeholders, so a schema judges only what is known."""
    if isinstance(values, dict):
        return {k: without_hidden(v) for k, v in values.items() if v not in (SECRET, UNKNOWN)}
    if isinstance(values, list):
        return [without_hidden(v) for v in values if v not in (SECRET, UNKNOWN)]
    return values


def _hidden_paths(value: Any, path: tuple[str, ...]) -> list[str]:
    if isinstance(value, str) and value in (SECRET, UNKNOWN):
        return [".".join(path) or "<all values>"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _hidden_paths(v, (*path, str(k)))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _hidden_paths(v, (*path, f"[{i}]"))]
    return []


def path_value(values: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(values, dict) or key not in values:
            return None
        values = values[key]
    return values
