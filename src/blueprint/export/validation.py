"""The independent checks behind docs/validation.md: checkov on the Terraform plans, kubernetes-validate on the manifests,
and the works rules on each stance's project.

Shared by `scan/run_checkov.py` (which writes the file) and the tests (which check it is current), so both
compute the figures the same way. Needs the project's test extras (kubernetes-validate) and a checkov binary
from its own virtual environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..charts.z2jh import cluster_version
from ..preview.graph import ResourceGraph
from .errors import ExportError
from .kubernetes import HELM_RELEASE_TOKEN

if TYPE_CHECKING:
    from ..model import BlueprintSpec
    from .terraform import OutputsOf
from .checkov import (
    KUBERNETES,
    HelmFigures,
    KubernetesFigures,
    RenderedFigures,
    Skip,
    StanceScan,
    Verdict,
    WorksFigures,
    evaluate,
    render_validation,
    run_checkov,
)

# The Kubernetes version manifests are validated against: the graph's EKS cluster, read where the chart is rendered.
kubernetes_version = cluster_version


@dataclass(frozen=True)
class Validation:
    """Everything docs/validation.md reports, and the text itself."""

    scans: dict[str, StanceScan]
    exported: dict[str, int]
    verdict: Verdict
    kubernetes: tuple[KubernetesFigures, ...]
    helm: tuple[HelmFigures, ...]
    rendered: tuple[RenderedFigures, ...]
    kubernetes_scans: dict[str, StanceScan]
    kubernetes_verdict: Verdict
    markdown: str
    works: tuple[WorksFigures, ...] = ()


def validate_manifest(manifest: Mapping[str, Any], version: str) -> str:
    """Validate one manifest strictly against Kubernetes `version`; '' when valid, else the error.

    kubernetes-validate silently falls back to an older schema set when it lacks the version asked for;
    that is an error here, since an older schema could accept what the cluster rejects.
    """
    import kubernetes_validate
    from kubernetes_validate.utils import VersionNotSupportedError

    try:
        used = kubernetes_validate.validate(dict(manifest), f"{version}.0", strict=True)
    except kubernetes_validate.ValidationError as exc:
        return f"{exc.message} at {'.'.join(str(p) for p in exc.absolute_path) or '<root>'}"
    except (kubernetes_validate.SchemaNotFoundError, VersionNotSupportedError) as exc:
        return exc.message
    if used != version:
        return f"validated against Kubernetes {used}, not {version} (kubernetes-validate lacks {version})"
    return ""


def kubernetes_figures(stance: str, graph: ResourceGraph) -> tuple[KubernetesFigures, dict[str, str]]:
    """Manifests validated and objects listed for one stance; plus `kind/name -> error` for any invalid manifest."""
    from .kubernetes import is_builtin_kind, kubernetes_manifests

    version = kubernetes_version(graph)
    export = kubernetes_manifests(graph)
    errors: dict[str, str] = {}
    validated = 0
    for manifest in export.manifests:
        if not is_builtin_kind(f"kubernetes:{_group_version(manifest)}:{manifest['kind']}"):
            continue  # a custom resource: listed in export.unknown
        metadata = manifest["metadata"]
        where = f"{manifest['kind']} {metadata.get('namespace', '')}/{metadata['name']}".replace(" /", " ")
        error = validate_manifest(manifest, version)
        if error:
            errors[where] = error
        else:
            validated += 1
    return KubernetesFigures(stance, version, validated, tuple(str(u) for u in export.unknown)), errors


def rendered_figures(stance: str, graph: ResourceGraph, path: Path) -> tuple[RenderedFigures, dict[str, str]]:
    """Write every in-cluster object (ours + the chart rendered by the real Helm engine) to `path`, validate each
    rendered object strictly; the figures, plus `kind/name -> error` for any invalid one."""
    from collections import Counter

    from ..charts import z2jh
    from .kubernetes import dump_documents
    from .rendered import rendered_objects

    version = kubernetes_version(graph)
    export = rendered_objects(graph)
    path.write_text(dump_documents(export.manifests), encoding="utf-8")
    errors: dict[str, str] = {}
    for manifest in export.chart:
        metadata = manifest["metadata"]
        error = validate_manifest(manifest, version)
        if error:
            errors[f"{manifest['kind']} {metadata.get('namespace', '')}/{metadata['name']}".replace(" /", " ")] = error
    helm = z2jh.find_helm()
    kinds = tuple(sorted(Counter(m["kind"] for m in export.chart).items()))
    figures = RenderedFigures(stance, version, z2jh.helm_version(helm) if helm else "?", len(export.ours), len(export.chart), kinds)
    return figures, errors


def helm_figures(stance: str, graph: ResourceGraph) -> HelmFigures:
    """Schema errors of the JupyterHub release's values merged over the chart defaults ('path: message' lines)."""
    from ..charts.z2jh import schema_errors

    from .helm import helm_values, without_hidden

    try:
        values = helm_values(graph)
    except ExportError as exc:
        release = next(iter(graph.of_type(HELM_RELEASE_TOKEN)), None)
        version = str(release.inputs.get("version", "?")) if release else "?"
        return HelmFigures(stance, version, (), unavailable="; ".join(p.message.split(": ")[-1] for p in exc.problems))
    return HelmFigures(stance, values.version, tuple(schema_errors(without_hidden(values.values))), hidden=values.hidden)


def works_figures(stance: str, graph: ResourceGraph, spec: BlueprintSpec | None = None) -> WorksFigures:
    """The works rules on one stance's graph, judged with its blueprint when given (the IdP rule needs it), else the
    bare built-in stance."""
    from ..model import builtin_stance
    from ..policy import evaluate as judge
    from ..policy import select

    result = judge(spec if spec is not None else builtin_stance(stance), graph, rules=select("works"))
    failed = tuple(sorted({v.rule for v in result.violations}))
    return WorksFigures(stance, result.passed, failed, tuple(n.rule for n in result.not_run), result.not_applicable)


def validate_stances(
    graphs: Mapping[str, ResourceGraph],
    *,
    region: str,
    workdir: Path,
    checkov: Path,
    skips: Sequence[Skip],
    outputs: OutputsOf,
    kubernetes_skips: Sequence[Skip] = (),
    specs: Mapping[str, BlueprintSpec] | None = None,
) -> Validation:
    """Export each stance's plan and rendered objects into `workdir`, scan both with checkov, validate the
    manifests, judge its works rules (with its blueprint from `specs` when given), and render the figures."""
    from .terraform import terraform_plan

    scans: dict[str, StanceScan] = {}
    exported: dict[str, int] = {}
    figures: list[KubernetesFigures] = []
    helm: list[HelmFigures] = []
    rendered: list[RenderedFigures] = []
    kubernetes_scans: dict[str, StanceScan] = {}
    works: list[WorksFigures] = []
    for stance, graph in graphs.items():
        plan = terraform_plan(graph, region=region, outputs=outputs)
        path = workdir / f"{stance}-plan.json"
        path.write_text(plan.to_json(), encoding="utf-8")
        exported[stance] = plan.resource_count
        scans[stance] = run_checkov(path, stance, checkov)
        stance_figures, errors = kubernetes_figures(stance, graph)
        if errors:
            raise ValueError(f"{stance}: invalid Kubernetes manifests: {errors}")
        figures.append(stance_figures)
        helm.append(helm_figures(stance, graph))
        objects = workdir / f"{stance}-rendered.yaml"
        stance_rendered, rendered_errors = rendered_figures(stance, graph, objects)
        if rendered_errors:
            raise ValueError(f"{stance}: invalid rendered chart objects: {rendered_errors}")
        rendered.append(stance_rendered)
        kubernetes_scans[stance] = run_checkov(objects, stance, checkov, framework=KUBERNETES)
        works.append(works_figures(stance, graph, (specs or {}).get(stance)))
    verdict = evaluate(scans, skips)
    kubernetes_verdict = evaluate(kubernetes_scans, kubernetes_skips)
    markdown = render_validation(scans, exported, verdict, figures, helm, rendered, kubernetes_scans, kubernetes_verdict, works)
    return Validation(
        scans, exported, verdict, tuple(figures), tuple(helm), tuple(rendered), kubernetes_scans, kubernetes_verdict, markdown, tuple(works)
    )


def _group_version(manifest: Mapping[str, Any]) -> str:
    api_version = str(manifest["apiVersion"])
    return api_version if "/" in api_version else f"core/{api_version}"
