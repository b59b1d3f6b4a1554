"""Every in-cluster object of a blueprint: our Kubernetes resources plus the JupyterHub chart rendered by the real
Helm engine (`helm template`) with the release's values, in the release's namespace.

This is what an admission controller would see on `pulumi up`, short of objects only known at deploy time
(listed, never dropped). The chart's `hub.config` is a Pulumi secret (the IdP client secret): it is rendered with
a stand-in object of the same shape, and the header says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..charts import z2jh
from ..preview.graph import ResourceGraph
from .errors import ExportError
from .kubernetes import HELM_RELEASE_TOKEN, Unknown, dump_documents, kubernetes_manifests

FORMAT = "rendered"


@dataclass(frozen=True)
class RenderedExport:
    """Our manifests, the chart's rendered objects, and what neither can show."""

    ours: tuple[dict[str, Any], ...]
    chart: tuple[dict[str, Any], ...]
    chart_release: str
    unknown: tuple[Unknown, ...]

    @property
    def manifests(self) -> tuple[dict[str, Any], ...]:
        return (*self.ours, *self.chart)

    def to_yaml(self) -> str:
        header = [
            "# Every in-cluster object of a blueprint, from its offline preview (Pulumi mock engine) - not `pulumi preview`.",
            f"# {len(self.ours)} object(s) of the program, then {len(self.chart)} rendered by helm {z2jh.HELM_VERSION} from {self.chart_release}.",
            "# The chart was rendered with a stand-in for the secret hub.config (same shape, never the IdP client secret).",
            f"# Objects this export cannot know ({len(self.unknown)}):",
        ]
        header += [f"#   - {entry}" for entry in self.unknown] or ["#   (none)"]
        return "\n".join(header) + "\n" + dump_documents(self.manifests)


def rendered_objects(graph: ResourceGraph) -> RenderedExport:
    """Render the graph's JupyterHub release and put its objects after ours; ExportError when helm is missing or refuses."""
    ours = kubernetes_manifests(graph)
    try:
        rendered = z2jh.render_release(graph)
    except z2jh.HelmUnavailable as exc:
        raise ExportError(export_format=FORMAT, problems=[str(exc).split(";")[0]], fix=z2jh.HELM_INSTALL_HINT) from None
    except (z2jh.RenderFailed, ValueError) as exc:
        raise ExportError(export_format=FORMAT, problems=[f"helm template refused the JupyterHub release: {exc}"]) from None
    if rendered is None:
        raise ExportError(export_format=FORMAT, problems=[f"the program has no Helm release of chart {z2jh.CHART_NAME!r}"])
    release = z2jh.jupyterhub_release(graph)
    assert release is not None
    # The release's objects are now shown: only the other releases (if any) stay unknown.
    unknown = tuple(u for u in ours.unknown if not (u.what.startswith(f"Helm release {rendered.release} ") and "chart jupyterhub" in u.what))
    described = f"chart {z2jh.CHART_NAME} {z2jh.CHART_VERSION} as release {rendered.release} in namespace {rendered.namespace}"
    if release.type != HELM_RELEASE_TOKEN:  # pragma: no cover - jupyterhub_release only returns releases
        raise AssertionError(release.type)
    return RenderedExport(ours.manifests, rendered.manifests, described, unknown)
