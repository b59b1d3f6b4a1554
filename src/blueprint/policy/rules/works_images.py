"""Works rule for images: every image a pod could run is pullable under the stance's egress (day 1, issue 11.5)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from ...charts.z2jh import chart_defaults, image_references, merge_like_helm
from ...model import Concern
from ...preview.graph import ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, known, rendered
from .images import PRIVATE_ECR
from .workbench import is_jupyterhub
from .works_sessions import pod_template

rules = RuleSet()
PULL_THROUGH_RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"


def registry_host(image: str) -> str:
    """The registry an image reference is pulled from, read as Docker does (no dot, port or localhost: Docker Hub)."""
    first, _, rest = image.partition("/")
    return first if rest and ("." in first or ":" in first or first == "localhost") else "docker.io"


def _images(graph: ResourceGraph) -> Iterator[tuple[str, str, str | None]]:
    """(where, image, urn) for every image in Helm values (a JupyterHub release merged over the chart's defaults,
    so the images it does not name count too), Kubernetes workloads, and the pods of the rendered chart."""
    for resource in graph:
        if resource.type == T.HELM_RELEASE and isinstance(resource.inputs.get("values"), Mapping):
            values: Mapping[str, Any] = resource.inputs["values"]
            if is_jupyterhub(resource):
                values = merge_like_helm(chart_defaults(), values)
            for where, image in image_references(values):
                yield f"values {where}", image, resource.urn
        elif resource.type in T.WORKLOADS:
            for where, image in image_references(resource.inputs.get("spec")):
                yield f"{resource.name} {where}", image, resource.urn


def _rendered_images(graph: ResourceGraph) -> Iterator[tuple[str, str, str | None]]:
    chart = rendered(graph)
    if chart is None:
        return
    release = next((r for r in graph.of_type(T.HELM_RELEASE) if is_jupyterhub(r)), None)
    for manifest in chart.manifests:
        spec = pod_template(manifest)
        for group in ("initContainers", "containers"):
            for container in (spec or {}).get(group) or []:
                yield f"rendered {manifest['kind']}/{manifest['metadata']['name']}", container.get("image"), release.urn if release else None


@rules.graph(
    "works.images.pullable",
    concern=Concern.LOST_TIME,
    severity=Severity.HIGH,
    controls=(),
    types=(PULL_THROUGH_RULE, T.CRON_JOB, T.DEPLOYMENT, T.EKS_CLUSTER, T.HELM_RELEASE, T.JOB),
    family="works",
    needs_render=True,
    description=(
        "Every image in Helm values, the rendered chart and workloads is pullable: open egress, a cache rule of this "
        "program, or an allowlisted host."
    ),
)
def pullable(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    network = ctx.stance.network
    if network.egress == "open":
        return
    caches = {str(r.inputs.get("ecrRepositoryPrefix")) for r in graph.of_type(PULL_THROUGH_RULE)}
    namespaces = {prefix.split("/", 1)[0] for prefix in caches}
    found = [*_images(graph), *_rendered_images(graph)]
    region = ctx.spec.region if ctx.spec else None
    seen: set[tuple[str, str]] = set()
    for where, image, urn in found:
        if not isinstance(image, str) or not known(image) or (where, image) in seen:
            continue
        seen.add((where, image))
        match = PRIVATE_ECR.match(image)
        if match is not None:
            if region is not None and match["region"] != region:
                yield Finding(f"{where}: {image} is in ECR of {match['region']}; this VPC reaches ECR of {region} only", urn)
                continue
            path = image[match.end() :]
            if path.split("/", 1)[0] in namespaces and not any(path.startswith(f"{prefix}/") for prefix in caches):
                yield Finding(f"{where}: {image} names a cache prefix no pull-through cache rule of this program serves", urn)
            continue
        host = registry_host(image)
        if network.egress == "allowlist" and any(fnmatchcase(host, pattern) for pattern in network.egress_allowlist):
            continue
        yield Finding(
            f"{where}: {image} is on {host}, which egress {network.egress!r} does not reach (not through a private "
            "cache, not on the egress allowlist): the node would never pull it",
            urn,
        )


RULES = tuple(rules.rules)
