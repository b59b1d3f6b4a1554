"""The values a blueprint hands its JupyterHub Helm release, as the YAML file `helm install -f` would take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..preview.graph import ResourceGraph
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

    def to_yaml(self) -> str:
        header = (
            f"# Helm values of release {self.release} (chart {self.chart} {self.version}, namespace {self.namespace}),\n"
            "# from the blueprint's offline preview (Pulumi mock engine) - not `pulumi preview`.\n"
        )
        return header + dump_documents([self.values]).removeprefix("---\n")


def helm_values(graph: ResourceGraph, chart: str = WORKBENCH_CHART) -> HelmValues:
    """The values of the one Helm release of `chart` in the graph; ExportError when there is none or several."""
    releases = [r for r in graph.of_type(HELM_RELEASE_TOKEN) if r.inputs.get("chart") == chart]
    if len(releases) != 1:
        found = sorted(f"{r.name} (chart {r.inputs.get('chart')})" for r in graph.of_type(HELM_RELEASE_TOKEN))
        raise ExportError(
            export_format=FORMAT,
            problems=[f"expected one Helm release of chart {chart!r}, found {len(releases)}; releases in the program: {', '.join(found) or 'none'}"],
        )
    release = releases[0]
    inputs = release.inputs
    values = inputs.get("values") or {}
    if not isinstance(values, dict):
        raise ExportError(export_format=FORMAT, problems=[f"{release.urn}: values are not known offline ({values!r})"])
    return HelmValues(
        release=str(inputs.get("name") or release.name),
        chart=chart,
        version=str(inputs.get("version", "")),
        namespace=str(inputs.get("namespace", "default")),
        values=values,
    )
