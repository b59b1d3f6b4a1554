"""Offline preview: run a project's program under Pulumi's mock engine and return its resource graph."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SpecError
from .graph import SECRET, UNKNOWN, Resource, ResourceGraph

if TYPE_CHECKING:
    from ..model import BlueprintSpec
    from .engine import run_program

__all__ = ["SECRET", "UNKNOWN", "PLACEHOLDER_SECRET", "Resource", "ResourceGraph", "preview_project", "preview_spec", "project_name", "project_stack", "run_program", "stack_names"]

PROJECT_FILE = "Pulumi.yaml"
# Stands in for `pulumi config set --secret <key>`; it only ever appears as "[secret]".
PLACEHOLDER_SECRET = "offline-preview-placeholder"


def preview_project(location: str | Path, *, stack: str | None = None, use_cache: bool | None = None) -> ResourceGraph:
    """Preview the project at `location` (its directory or its blueprint.yaml) offline as Pulumi stack `stack`
    (default: see `project_stack`); raise SpecError on a bad blueprint."""
    from ..model import blueprint_path, load_blueprint

    return preview_spec(load_blueprint(location), blueprint_path(location).parent, stack=stack, use_cache=use_cache)


def preview_spec(spec: BlueprintSpec, directory: Path, *, stack: str | None = None, use_cache: bool | None = None) -> ResourceGraph:
    """Offline preview of a resolved spec as the project in `directory` (its project name, the spec's region) and
    Pulumi stack `stack` (default: `project_stack(directory)`), which names the physical resources.

    With the cache on (the default unless `BLUEPRINT_NO_CACHE` is set; `use_cache` decides when given), an
    identical earlier preview is reused: see `preview.cache` for what the key covers. `graph.cached` says which.
    Otherwise the program runs only for the teams that changed since an earlier preview with the same shared
    settings, and the other teams' resources come from that preview (`preview.incremental`).
    """
    import logging

    from . import cache

    project = project_name(directory)
    stack = project_stack(directory, stack)
    if use_cache is None:
        use_cache = cache.enabled()
    if not use_cache:  # still dealt out to several processes when there are many teams (incremental.workers)
        from . import incremental

        return incremental.whole(lambda only_teams: _run(spec, project, stack, only_teams), [team.name for team in spec.teams])[0]
    data = spec.model_dump()
    key = cache.graph_key({**data, "stack": stack}, project)
    logger = logging.getLogger(f"{__name__}.engine")
    hit = cache.load(key)
    if hit is not None:
        for message in hit.warnings:
            logger.warning(message)
        object.__setattr__(hit.graph, "cached", True)
        object.__setattr__(hit.graph, "key", key)
        return hit.graph
    from . import incremental  # imports the Pulumi SDK: only when the program has to run

    recorder = cache.WarningRecorder()
    logger.addHandler(recorder)
    try:
        outcome = incremental.preview(data, project, stack, lambda only_teams: _run(spec, project, stack, only_teams))
    finally:
        logger.removeHandler(recorder)
    cache.store(key, cache.Entry(outcome.graph, tuple(recorder.messages)))
    object.__setattr__(outcome.graph, "reran_teams", outcome.ran_teams)
    object.__setattr__(outcome.graph, "key", key)
    return outcome.graph


def _run(spec: BlueprintSpec, project: str, stack: str, only_teams: Collection[str] | None = None) -> tuple[ResourceGraph, Mapping[str, str]]:
    """Run the real program (for `only_teams`' own resources, or every team's); the graph and which team declared what."""
    from .. import program
    from .engine import record_program

    secret_key = f"{project}:{spec.idp.client_secret_config}"
    config = {"aws:region": spec.region, secret_key: PLACEHOLDER_SECRET}
    if spec.tls.certificate_source == "config":  # `pulumi config set hubCertificateArn <arn>` in a real stack
        config[f"{project}:{spec.tls.certificate_arn_config}"] = placeholder_certificate_arn(spec.region)
    recording = record_program(
        # A full run calls build(spec) exactly as the generated __main__.py does.
        lambda: program.build(spec) if only_teams is None else program.build(spec, only_teams=only_teams),
        project=project,
        stack=stack,
        config=config,
        secret_keys=(secret_key,),
        owner=program.current_team,
    )
    return recording.graph, recording.owners


def placeholder_certificate_arn(region: str) -> str:
    """Stands in for the ARN of a certificate the platform team brings through the stack config."""
    return f"arn:aws:acm:{region}:123456789012:certificate/00000000-0000-4000-8000-0ff11e0b1ae0"


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


def project_stack(directory: Path, stack: str | None = None) -> str:
    """The Pulumi stack to preview `directory` as: `stack` when given, else the stack of its one `Pulumi.<stack>.yaml`,
    else `dev` (what `blueprint new` writes); a SpecError naming `--stack` when several stack files leave it open."""
    from ..model.stack import DEFAULT_STACK, check_stack

    if stack is not None:
        return check_stack(stack, source="--stack", option="--stack")
    stacks = stack_names(directory)
    if len(stacks) > 1:
        raise SpecError.single(
            source=directory / PROJECT_FILE,
            field="",
            message=f"the project has {len(stacks)} stacks ({', '.join(f'Pulumi.{s}.yaml' for s in stacks)}), so which one to preview is open",
            fix=f"name it: --stack {stacks[0]}",
        )
    return check_stack(stacks[0], source=directory / f"Pulumi.{stacks[0]}.yaml") if stacks else DEFAULT_STACK


def stack_names(directory: Path) -> list[str]:
    """The stacks with settings in `directory` (`Pulumi.<stack>.yaml`, as `pulumi config` writes them), sorted."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in directory.glob("Pulumi.*.yaml") if p.is_file())


def __getattr__(name: str) -> Any:
    # The engine imports the Pulumi SDK; load it only when asked so graph users stay SDK-free.
    if name == "run_program":
        from .engine import run_program

        return run_program
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
