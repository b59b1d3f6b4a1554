"""Offline preview: run a project's program under Pulumi's mock engine and return its resource graph."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SpecError
from .graph import SECRET, UNKNOWN, Resource, ResourceGraph

if TYPE_CHECKING:
    from ..model import BlueprintSpec
    from .engine import run_program

__all__ = ["SECRET", "UNKNOWN", "PLACEHOLDER_SECRET", "Resource", "ResourceGraph", "preview_project", "preview_spec", "project_name", "run_program"]

PROJECT_FILE = "Pulumi.yaml"
# Stands in for `pulumi config set --secret <key>`; it only ever appears as "[secret]".
PLACEHOLDER_SECRET = "offline-preview-placeholder"


def preview_project(location: str | Path, *, use_cache: bool | None = None) -> ResourceGraph:
    """Preview the project at `location` (its directory or its blueprint.yaml) offline; raise SpecError on a bad blueprint."""
    from ..model import blueprint_path, load_blueprint

    return preview_spec(load_blueprint(location), blueprint_path(location).parent, use_cache=use_cache)


def preview_spec(spec: BlueprintSpec, directory: Path, *, use_cache: bool | None = None) -> ResourceGraph:
    """Offline preview of a resolved spec as the project in `directory` (its project name, the spec's stack and region).

    With the cache on (the default unless `BLUEPRINT_NO_CACHE` is set; `use_cache` decides when given), an
    identical earlier preview is reused: see `preview.cache` for what the key covers. `graph.cached` says which.
    """
    import logging

    from . import cache

    project = project_name(directory)
    if use_cache is None:
        use_cache = cache.enabled()
    if not use_cache:
        return _run(spec, project)
    key = cache.graph_key(spec.model_dump(), project)
    logger = logging.getLogger(f"{__name__}.engine")
    hit = cache.load(key)
    if hit is not None:
        for message in hit.warnings:
            logger.warning(message)
        object.__setattr__(hit.graph, "cached", True)
        return hit.graph
    recorder = cache.WarningRecorder()
    logger.addHandler(recorder)
    try:
        graph = _run(spec, project)
    finally:
        logger.removeHandler(recorder)
    cache.store(key, cache.Entry(graph, tuple(recorder.messages)))
    return graph


def _run(spec: BlueprintSpec, project: str) -> ResourceGraph:
    from .. import program
    from .engine import run_program

    secret_key = f"{project}:{spec.idp.client_secret_config}"
    return run_program(
        lambda: program.build(spec),
        project=project,
        stack=spec.stack,
        config={"aws:region": spec.region, secret_key: PLACEHOLDER_SECRET},
        secret_keys=(secret_key,),
    )


def project_name(directory: Path) -> str:
    """The `name:` in the directory's Pulumi.yaml, or the directory's name when there is no Pulumi.yaml yet."""
    from ..model.yamlio import read_yaml

    path = directory / PROJECT_FILE
    if not path.is_file():
        return directory.resolve().name
    data = read_yaml(path)
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise SpecError.single(source=path, field="name", message="is missing or empty", fix="set `name:` to the Pulumi project name")
    return name


def __getattr__(name: str) -> Any:
    # The engine imports the Pulumi SDK; load it only when asked so graph users stay SDK-free.
    if name == "run_program":
        from .engine import run_program

        return run_program
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
