"""`blueprint fork`: a team's overlay file, starting from the team's current values."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..catalog import OVERLAY_SCHEMA_FILE, modeline
from ..errors import GenerateError, SpecError
from ..model import BLUEPRINT_FILE, TeamSpec, load_file
from ..model.loading import load_overlays, resolve, validate
from ..model.overlay import TEAMS_DIR, TeamOverlay
from ..model.spec import TeamEntry
from ..model.yamlio import dump_yaml, read_yaml, roundtrip_yaml
from .writer import write_tree


@dataclass(frozen=True)
class ForkResult:
    overlay: Path
    team_added: bool


def overlay_document(team: TeamSpec, *, schema: str | None = None) -> str:
    """The overlay's text; `schema`: where its JSON Schema is, relative to it, for the editor's modeline."""
    root = CommentedMap()
    root["team"] = team.name
    root["description"] = team.description
    quota = CommentedMap(team.quota.model_dump())
    root["quota"] = quota
    root["profiles"] = _flow([p.name for p in team.profiles])
    root["extra_packages"] = CommentedMap(python=_flow(list(team.python_packages)), r=_flow(list(team.r_packages)))
    root["idle_timeout_minutes"] = team.idle_timeout_minutes
    root["budget_usd"] = team.budget_usd
    root["controls"] = CommentedMap({"compute.sessions.root_allowed": team.root_allowed})
    root.yaml_set_start_comment(
        (f"{modeline(schema)}\n" if schema else "")
        + f"Overlay for team {team.name}: what this team tunes above the org blueprint.\n"
        "Only this team's values live here; network, identity and other teams belong to blueprint.yaml.\n"
        "Values start at the team's current settings. Lowering quotas or timeouts is always allowed;\n"
        "going below the org floor (more CPU, memory, GPU, budget, longer idle timeout, root) needs an\n"
        "`exceptions:` entry in blueprint.yaml with team, control, value, reason, approved_by and expires."
    )
    root.yaml_set_comment_before_after_key("quota", before="\nResourceQuota of the team's namespace (Kubernetes units: '500m', '16Gi').")
    root.yaml_set_comment_before_after_key("profiles", before="\nServer sizes offered to the team; each must fit the quota.")
    root.yaml_set_comment_before_after_key("extra_packages", before="\nPackages added to the mirror for this team.")
    root.yaml_set_comment_before_after_key("idle_timeout_minutes", before="\nIdle servers are culled after this many minutes.")
    root.yaml_set_comment_before_after_key("budget_usd", before="\nMonthly budget in USD; alerts at the stance's threshold.")
    root.yaml_set_comment_before_after_key("controls", before="\nTeam-scoped stance controls by id (`blueprint explain --json`).")
    return dump_yaml(root)


def _flow(items: list[Any]) -> CommentedSeq:
    sequence = CommentedSeq(items)
    sequence.fa.set_flow_style()
    return sequence


def _blueprint_with_team(path: Path, name: str, group: str) -> str:
    yaml = roundtrip_yaml()
    document = yaml.load(path.read_text(encoding="utf-8"))
    document["teams"].append(CommentedMap(name=name, idp_group=group))
    return dump_yaml(document)


def fork_team(project: Path, team: str, group: str | None = None, *, force: bool = False) -> ForkResult:
    """Write `teams/<team>.yaml` (adding the team to blueprint.yaml if new); all or nothing."""
    blueprint_file = project / BLUEPRINT_FILE
    blueprint = load_file(blueprint_file)
    overlays = load_overlays(project, blueprint)
    overlay_path = project / TEAMS_DIR / f"{team}.yaml"
    if overlay_path.exists() and not force:
        raise GenerateError(target=overlay_path, message="already exists", fix="edit it, or pass --force to start it again from the team's current values")
    overlays.pop(team, None)

    files: dict[str, str] = {}
    existing = next((t for t in blueprint.teams if t.name == team), None)
    if existing is None:
        entry = validate(TeamEntry, {"name": team, "idp_group": group or team}, f"{blueprint_file} (from --team/--group)", "teams[new]")
        files[BLUEPRINT_FILE] = _blueprint_with_team(blueprint_file, entry.name, entry.idp_group)
        blueprint = validate(type(blueprint), read_yaml_text(files[BLUEPRINT_FILE], blueprint_file), str(blueprint_file))
    elif group is not None and group != existing.idp_group:
        raise SpecError.single(
            source=blueprint_file, field="teams", message=f"team {team!r} already maps to IdP group {existing.idp_group!r}, not {group!r}", fix="change idp_group in blueprint.yaml (an org decision), or drop --group"
        )

    spec = resolve(blueprint, str(blueprint_file), overlays)
    # Projects made before the overlay schema existed get its modeline once `blueprint upgrade` has written it.
    text = overlay_document(spec.team(team), schema=f"../{OVERLAY_SCHEMA_FILE}" if (project / OVERLAY_SCHEMA_FILE).is_file() else None)
    validate(TeamOverlay, read_yaml_text(text, overlay_path), str(overlay_path))
    files[f"{TEAMS_DIR}/{team}.yaml"] = text
    write_tree(project, files, force=True)
    return ForkResult(overlay=overlay_path, team_added=existing is None)


def read_yaml_text(text: str, source: Path) -> Any:
    from ..model.yamlio import parse_yaml_text

    return parse_yaml_text(text, str(source))


__all__ = ["ForkResult", "fork_team", "overlay_document", "read_yaml"]
