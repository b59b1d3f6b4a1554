"""Built once per session: the built-in stances' projects (through the real `blueprint new`), their offline
previews and Terraform plans, and (slow) the checkov + kubernetes-validate run behind docs/validation.md.

Also `resource(...)` / `graph(...)` builders for hand-made graphs in unit tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.export.checkov import SCAN_REGION, STANCES, load_skips, new_project_args
from blueprint.preview.graph import Resource, ResourceGraph

ROOT = Path(__file__).resolve().parents[2]
SKIPS_FILE = ROOT / "scan" / "checkov-skips.yaml"
KUBERNETES_SKIPS_FILE = ROOT / "scan" / "checkov-kubernetes-skips.yaml"
VALIDATION_DOC = ROOT / "docs" / "validation.md"


def resource(
    type_: str, name: str, inputs: dict[str, Any] | None = None, *, deps: tuple[Resource, ...] = (), custom: bool = True, parent: Resource | None = None
) -> Resource:
    """A resource as the offline preview records it; `deps` are the resources its inputs came from."""
    parent_type = f"{parent.type}$" if parent else ""
    return Resource(
        urn=f"urn:pulumi:dev::unit::{parent_type}{type_}::{name}",
        type=type_,
        name=name,
        parent=parent.urn if parent else None,
        inputs=inputs or {},
        custom=custom,
        dependencies=tuple(sorted(d.urn for d in deps)),
    )


def graph(*resources: Resource) -> ResourceGraph:
    return ResourceGraph(tuple(resources))


@pytest.fixture(scope="session")
def stance_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """stance -> project directory, made by `blueprint new` with the arguments `make scan` uses."""
    root = tmp_path_factory.mktemp("stances")
    runner = CliRunner()
    projects = {}
    for stance in STANCES:
        result = runner.invoke(app, new_project_args(stance, root / f"{stance}-dsw"))
        assert result.exit_code == 0, result.output
        projects[stance] = root / f"{stance}-dsw"
    return projects


@pytest.fixture(scope="session")
def stance_graphs(stance_projects: dict[str, Path]) -> dict[str, ResourceGraph]:
    """stance -> the offline preview of its generated project (the real program under the mock engine)."""
    from blueprint.preview import preview_project

    return {stance: preview_project(directory) for stance, directory in stance_projects.items()}


@pytest.fixture(scope="session")
def stance_plans(stance_graphs: dict[str, ResourceGraph]):
    from blueprint.cli.export import preview_outputs
    from blueprint.export.terraform import terraform_plan

    return {stance: terraform_plan(g, region=SCAN_REGION, outputs=preview_outputs(SCAN_REGION)) for stance, g in stance_graphs.items()}


@pytest.fixture(scope="session")
def checkov_bin() -> Path:
    """checkov from its own virtual environment (`make test` installs it); required in CI, skipped elsewhere."""
    path = Path(os.environ.get("BLUEPRINT_CHECKOV") or ROOT / ".venv-checkov" / "bin" / "checkov")
    if not path.exists():
        message = f"checkov not installed at {path}: run `make .venv-checkov/.installed` (or set BLUEPRINT_CHECKOV)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def validation(stance_projects: dict[str, Path], stance_graphs: dict[str, ResourceGraph], checkov_bin: Path, tmp_path_factory: pytest.TempPathFactory):
    """The whole run behind docs/validation.md, once per session (as scan/run_checkov.py runs it)."""
    from blueprint.cli.export import preview_outputs
    from blueprint.export.validation import validate_stances
    from blueprint.model import load_blueprint

    return validate_stances(
        stance_graphs,
        region=SCAN_REGION,
        workdir=tmp_path_factory.mktemp("scan"),
        checkov=checkov_bin,
        skips=load_skips(SKIPS_FILE),
        outputs=preview_outputs(SCAN_REGION),
        kubernetes_skips=load_skips(KUBERNETES_SKIPS_FILE),
        specs={stance: load_blueprint(directory) for stance, directory in stance_projects.items()},
    )
