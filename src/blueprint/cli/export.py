"""`blueprint export`: what a project would create, for independent tools (checkov, Kubernetes validators, Helm)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._app import HERE, NoCache, ProjectDir, Stack, app, err, handles_errors, note_cached, progress, use_cache

if TYPE_CHECKING:
    from ..export.terraform import OutputsOf
    from ..preview.graph import Resource

STDOUT = "-"


class ExportFormat(str, Enum):
    terraform_plan = "terraform-plan"
    kubernetes = "kubernetes"
    helm_values = "helm-values"
    rendered = "rendered"


@app.command()
@handles_errors
def export(
    export_format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="terraform-plan: Terraform plan JSON of the AWS resources (scan it with `checkov -f FILE --framework terraform_plan`); "
            "kubernetes: the in-cluster objects as a multi-document YAML stream; helm-values: the JupyterHub release's values "
            "(`helm template -f` takes them; the secret hub.config is a stand-in); rendered: our objects plus the chart rendered "
            "by the real Helm engine (needs helm: `make tools`).",
        ),
    ],
    directory: ProjectDir = HERE,
    output: Annotated[str, typer.Option("--output", "-o", help="File to write (replaced atomically), or - for stdout.")] = STDOUT,
    no_cache: NoCache = False,
    stack: Stack = None,
) -> None:
    """Export the offline preview as Terraform plan JSON, Kubernetes manifests, Helm values or the rendered chart."""
    from ..export import export_graph
    from ..generate.writer import write_file
    from ..model import blueprint_path, load_blueprint
    from ..preview import preview_spec

    use_cache(no_cache)
    spec = load_blueprint(directory)
    with progress("running the program under Pulumi's mock engine…"):
        graph = preview_spec(spec, blueprint_path(directory).parent, stack=stack)  # the spec loaded once
    note_cached(graph)
    result = export_graph(graph, export_format.value, region=spec.region, outputs=preview_outputs(spec.region))
    if output == STDOUT:
        typer.echo(result.text, nl=False)
    else:
        write_file(Path(output), result.text)
    where = "stdout" if output == STDOUT else output
    for line in result.summary:
        err.print(f"[green]exported[/] {line} to {where} [dim](offline preview, not `pulumi preview`)[/]")
    if result.unknown:
        err.print(f"[yellow]not in the export[/] ({len(result.unknown)}): objects only known at deploy time")
        for entry in result.unknown:
            err.print(f"  - {entry}", markup=False)


def preview_outputs(region: str) -> OutputsOf:
    """What each resource computed during the offline preview, asked again of the same mocks (they are
    deterministic), so the Terraform plan can tell a value handed over by another resource from a constant."""
    from ..preview.mocks import created

    def outputs(resource: Resource) -> dict[str, Any]:
        resource_id, state = created(resource.type, resource.name, dict(resource.inputs), region)
        return {**state, "id": resource_id}

    return outputs
