"""Loading a blueprint: YAML to validated models, `extends:` resolution, and team resolution."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from deepmerge import Merger
from pydantic import BaseModel, ValidationError

from ..errors import Problem, SpecError
from .builtin import BUILTIN_STANCES, stance_path
from .fit import fit_problems
from .overlay import TEAM_FIELD_CONTROLS, TeamOverlay, apply_overlay, check_floor, floor_ids, overlay_files
from .spec import BlueprintFile, BlueprintSpec, TeamEntry, TeamSpec
from .stance import TEAM_FIELDS, Profile, Quota, Stance, control_value
from .units import parse_quantity
from .validation import problems_from
from .yamlio import read_yaml

BLUEPRINT_FILE = "blueprint.yaml"

# Stance overrides replace lists rather than appending: an override states the
# whole allowlist, so nothing is added behind the reader's back.
_overlay = Merger([(dict, ["merge"]), (list, ["override"])], ["override"], ["override"])


def validate(model: type[BaseModel], data: Any, source: str, prefix: str = "") -> Any:
    if data is None:
        raise SpecError.single(source=source, field=prefix, message="is empty", fix="`blueprint schema` shows the format; `blueprint new` writes a complete one")
    if not isinstance(data, dict):
        raise SpecError.single(source=source, field=prefix, message=f"must be a mapping, not {type(data).__name__}", fix="write `key: value` pairs")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SpecError(source=source, problems=problems_from(exc, model, prefix)) from None


@cache
def _builtin_raw(name: str) -> dict[str, Any]:
    return read_yaml(stance_path(name))


def builtin_stance(name: str) -> Stance:
    if name not in BUILTIN_STANCES:
        raise SpecError.single(source="stance", field="", message=f"unknown stance {name!r}", fix=f"choose one of: {', '.join(BUILTIN_STANCES)}")
    return validate(Stance, _builtin_raw(name), str(stance_path(name)))


def _stance_raw(name: str, blueprint: BlueprintFile, source: str, chain: tuple[str, ...], field: str) -> dict[str, Any]:
    if name in chain:
        cycle = " -> ".join((*chain, name))
        raise SpecError.single(source=source, field=field, message=f"`extends` cycle: {cycle}", fix="make one stance extend a built-in stance")
    custom = blueprint.stances.get(name)
    if custom is None:
        if name in BUILTIN_STANCES:
            return copy.deepcopy(_builtin_raw(name))
        known = [*BUILTIN_STANCES, *blueprint.stances]
        raise SpecError.single(source=source, field=field, message=f"unknown stance {name!r}", fix=f"choose one of: {', '.join(known)}")
    base = _stance_raw(custom.extends, blueprint, source, (*chain, name), f"stances.{name}.extends")
    merged = _overlay.merge(copy.deepcopy(base), copy.deepcopy(custom.overrides))
    merged["name"] = name
    merged["extends"] = custom.extends
    # The stance's own words only: a parent's note describes the parent's values, not these.
    merged.pop("note", None)
    if custom.summary:
        merged["note"] = custom.summary
    return merged


def resolve_stance(blueprint: BlueprintFile, source: str) -> Stance:
    raw = _stance_raw(blueprint.stance, blueprint, source, (), "stance")
    prefix = f"stances.{blueprint.stance}.overrides" if blueprint.stance in blueprint.stances else "stance"
    return validate(Stance, raw, source, prefix)


def _fits(profile: Profile, quota: Quota) -> bool:
    return (
        parse_quantity(profile.cpu) <= parse_quantity(quota.cpu)
        and parse_quantity(profile.memory) <= parse_quantity(quota.memory)
        and profile.gpu <= quota.gpu
    )


def resolve_team(team: TeamEntry, stance: Stance, field: str, source: str, controls: dict[str, Any] | None = None) -> TeamSpec:
    problems: list[Problem] = []
    overrides = {k: v for k, v in team.quota.model_dump().items() if v is not None}
    quota = stance.compute.default_quota.model_copy(update=overrides)
    by_name = {p.name: p for p in stance.compute.profiles}
    if team.profiles:
        unknown = [p for p in team.profiles if p not in by_name]
        if unknown:
            problems.append(Problem(f"{field}.profiles", f"unknown profile(s) {unknown}", f"allowed: {', '.join(by_name)}"))
        profiles = tuple(by_name[p] for p in team.profiles if p in by_name)
        too_big = [p.name for p in profiles if not _fits(p, quota)]
        if too_big:
            problems.append(Problem(f"{field}.profiles", f"profile(s) {too_big} need more than the team quota", "raise the team's quota or drop the profile"))
    else:
        profiles = tuple(p for p in stance.compute.profiles if _fits(p, quota))
        if not profiles:
            problems.append(Problem(f"{field}.quota", "no profile of the stance fits this quota", "raise cpu/memory to at least the smallest profile"))
    if quota.gpu > 0 and (not stance.compute.nodes.gpu_instance_types or stance.compute.nodes.max_gpu_nodes == 0):
        problems.append(
            Problem(
                f"{field}.quota.gpu",
                f"team asks for {quota.gpu} GPU(s) but the stance has no GPU node group",
                "set compute.nodes.gpu_instance_types and max_gpu_nodes in the stance, or set gpu: 0",
            )
        )
    if problems:
        raise SpecError(source=source, problems=problems)
    # Team-scoped controls that no team field carries (root): the overlay's `controls:` entry, else the stance.
    by_id = {TEAM_FIELDS[c]: (controls or {}).get(c, control_value(stance, c)) for c in TEAM_FIELDS if c not in TEAM_FIELD_CONTROLS.values()}
    return TeamSpec(
        name=team.name,
        idp_group=team.idp_group,
        description=team.description,
        quota=quota,
        profiles=profiles,
        python_packages=team.extra_packages.python,
        r_packages=team.extra_packages.r,
        idle_timeout_minutes=team.idle_timeout_minutes or stance.compute.sessions.idle_timeout_minutes,
        budget_usd=team.budget_usd or stance.budgets.team_monthly_usd,
        **by_id,
    )


def resolve(blueprint: BlueprintFile, source: str, overlays: dict[str, tuple[TeamOverlay, str]] | None = None) -> BlueprintSpec:
    """Resolve the stance and every team; raise SpecError naming the first broken field."""
    stance = resolve_stance(blueprint, source)
    if stance.network.api_endpoint == "public-and-private" and not blueprint.network.admin_cidrs:
        raise SpecError.single(
            source=source,
            field="network.admin_cidrs",
            message=f"stance {stance.name!r} has a public Kubernetes API endpoint but no CIDR may reach it",
            fix="list your office or VPN ranges, e.g. admin_cidrs: ['203.0.113.0/24']",
        )
    team_names = {t.name for t in blueprint.teams}
    for i, exception in enumerate(blueprint.exceptions):
        if exception.team not in team_names:
            raise SpecError.single(
                source=source, field=f"exceptions[{i}].team", message=f"no team named {exception.team!r}", fix=f"teams are: {', '.join(sorted(team_names))}"
            )
    floor = floor_ids(blueprint.floor)
    overlays = overlays or {}
    teams = []
    for i, entry in enumerate(blueprint.teams):
        team_source, field, controls = source, f"teams[{i}]", None
        if entry.name in overlays:
            overlay, team_source = overlays[entry.name]
            check_floor(overlay, entry, stance, floor, blueprint.exceptions, team_source)
            entry, field, controls = apply_overlay(entry, overlay), "", overlay.controls
        teams.append(resolve_team(entry, stance, field, team_source, controls))
    # Every offered profile fits a node of its pool (model.fit); the fields are the stance's, in this file.
    fit = fit_problems(stance, teams, f"stances.{blueprint.stance}.overrides" if blueprint.stance in blueprint.stances else "stance")
    if fit:
        raise SpecError(source=source, problems=fit)
    return BlueprintSpec(
        org=blueprint.org,
        description=blueprint.description,
        region=blueprint.region,
        stack=blueprint.stack,
        hub_hostname=blueprint.hub_hostname,
        stance=stance,
        idp=blueprint.idp,
        network=blueprint.network,
        tls=blueprint.tls,
        budgets=blueprint.budgets,
        packages=blueprint.packages,
        ci=blueprint.ci,
        teams=tuple(teams),
        floor=floor,
        exceptions=blueprint.exceptions,
    )


def blueprint_path(location: str | Path) -> Path:
    """`DIR` or `DIR/blueprint.yaml` -> the blueprint file."""
    path = Path(location)
    return path / BLUEPRINT_FILE if path.is_dir() else path


def load_file(location: str | Path) -> BlueprintFile:
    path = blueprint_path(location)
    return validate(BlueprintFile, read_yaml(path), str(path))


def load_overlays(project: Path, blueprint: BlueprintFile) -> dict[str, tuple[TeamOverlay, str]]:
    """Every `teams/<name>.yaml` of a project, validated, keyed by team name."""
    team_names = sorted(t.name for t in blueprint.teams)
    overlays = {}
    for path in overlay_files(project):
        overlay = validate(TeamOverlay, read_yaml(path), str(path))
        if overlay.team != path.stem:
            raise SpecError.single(source=path, field="team", message=f"{overlay.team!r} does not match the file name {path.name!r}", fix=f"set team: {path.stem}, or rename the file")
        if overlay.team not in team_names:
            raise SpecError.single(
                source=path, field="team", message=f"team {overlay.team!r} is not in blueprint.yaml", fix=f"run `blueprint fork {project} --team {overlay.team}` to add it"
            )
        overlays[overlay.team] = (overlay, str(path))
    return overlays


def load_blueprint(location: str | Path) -> BlueprintSpec:
    """Read, validate and resolve a project's blueprint and its team overlays."""
    path = blueprint_path(location)
    blueprint = load_file(path)
    return resolve(blueprint, str(path), load_overlays(path.parent, blueprint))
