"""Exports of a preview graph for independent tools: Terraform plan JSON (checkov), Kubernetes manifests, Helm values,
and every in-cluster object with the JupyterHub chart rendered by the real Helm engine.

Importing this package stays cheap. The Terraform plan needs each property's shape from the pulumi-aws SDK: it is
derived once per SDK version and then read from the user's cache (`export.shapes`), so a plan of a cached graph
imports no SDK.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ExportError

if TYPE_CHECKING:
    from ..preview.graph import ResourceGraph
    from .terraform import OutputsOf

__all__ = ["FORMATS", "Export", "ExportError", "export_graph"]

FORMATS = ("terraform-plan", "kubernetes", "helm-values", "rendered")


@dataclass(frozen=True)
class Export:
    """The exported text, a short summary for humans, and what the export could not show."""

    format: str
    text: str
    summary: tuple[str, ...]
    unknown: tuple[str, ...] = ()


def export_graph(graph: ResourceGraph, export_format: str, *, region: str, outputs: OutputsOf | None = None) -> Export:
    """Convert `graph` to `export_format` (one of FORMATS); `region` is the AWS region the program ran for and
    `outputs` what each resource computed (see `terraform.terraform_plan`)."""
    if export_format == "terraform-plan":
        from .terraform import terraform_plan

        plan = terraform_plan(graph, region=region, outputs=outputs)
        types = Counter(address.split(".")[0] for address in plan.urns)
        summary = (f"{plan.resource_count} AWS resources of {len(types)} Terraform types",)
        return Export(export_format, plan.to_json(), summary)
    if export_format == "kubernetes":
        from .kubernetes import kubernetes_manifests

        manifests = kubernetes_manifests(graph)
        unknown = tuple(str(entry) for entry in manifests.unknown)
        summary = (f"{len(manifests.manifests)} Kubernetes manifests; {len(unknown)} object(s) this export cannot know",)
        return Export(export_format, manifests.to_yaml(), summary, unknown)
    if export_format == "helm-values":
        from .helm import helm_values

        values = helm_values(graph)
        summary = (f"values of Helm release {values.release} (chart {values.chart} {values.version}, namespace {values.namespace})",)
        return Export(export_format, values.to_yaml(), summary)
    if export_format == "rendered":
        from .rendered import rendered_objects

        rendered = rendered_objects(graph)
        unknown = tuple(str(entry) for entry in rendered.unknown)
        summary = (f"{len(rendered.ours)} Kubernetes objects of the program and {len(rendered.chart)} rendered by helm ({rendered.chart_release})",)
        return Export(export_format, rendered.to_yaml(), summary, unknown)
    raise ExportError(export_format=export_format, problems=[f"unknown format; choose one of {', '.join(FORMATS)}"])
