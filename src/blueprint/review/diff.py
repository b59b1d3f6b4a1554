"""`blueprint diff`: controls and resources that differ between two projects, as one typed result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model import BlueprintSpec, blueprint_path, load_blueprint
from ..model.spec import today as model_today
from .controls import Change, ControlChange, ExceptionsDiff, TeamsDiff, control_changes, exceptions_diff, teams_diff
from .resources import ResourceDiff, diff_graphs
from .risk import Finding, findings

if TYPE_CHECKING:
    from ..preview.graph import ResourceGraph

Previewer = Callable[[Path], "ResourceGraph"]


@dataclass(frozen=True)
class ProjectDiff:
    """Everything that differs between an old and a new project, riskiest first where order matters."""

    old_source: str
    new_source: str
    old: BlueprintSpec
    new: BlueprintSpec
    controls: tuple[ControlChange, ...]
    teams: TeamsDiff
    exceptions: ExceptionsDiff
    resources: ResourceDiff | None
    findings: tuple[Finding, ...]
    new_graph: ResourceGraph | None = None
    old_graph: ResourceGraph | None = None

    def of(self, change: Change) -> list[ControlChange]:
        return [c for c in self.controls if c.change is change]

    @property
    def weakened(self) -> list[ControlChange]:
        return self.of(Change.WEAKER)

    @property
    def empty(self) -> bool:
        return not (self.controls or self.teams.added or self.teams.removed or self.exceptions.added or self.exceptions.removed) and (
            self.resources is None or self.resources.empty
        )

    def to_json(self) -> dict[str, Any]:
        counts = {kind.value: len(self.of(kind)) for kind in Change}
        return {
            "old": {"source": self.old_source, "stance": self.old.stance.name, "teams": len(self.old.teams)},
            "new": {"source": self.new_source, "stance": self.new.stance.name, "teams": len(self.new.teams)},
            "controls": [c.to_json() for c in self.controls],
            "control_counts": counts,
            "teams": self.teams.to_json(),
            "exceptions": self.exceptions.to_json(),
            "resources": None if self.resources is None else self.resources.to_json(),
            "risks": [f.to_json() for f in self.findings],
        }


def _preview(spec: BlueprintSpec, directory: Path, stack: str | None) -> ResourceGraph:
    from ..preview import preview_spec

    return preview_spec(spec, directory, stack=stack)


def diff_specs(
    old: BlueprintSpec,
    new: BlueprintSpec,
    *,
    old_graph: ResourceGraph | None = None,
    new_graph: ResourceGraph | None = None,
    old_source: str = "old",
    new_source: str = "new",
    today: dt.date | None = None,
) -> ProjectDiff:
    """Compare two resolved blueprints and, when both graphs are given, their resources."""
    resources = diff_graphs(old_graph, new_graph) if old_graph is not None and new_graph is not None else None
    return ProjectDiff(
        old_source=old_source,
        new_source=new_source,
        old=old,
        new=new,
        controls=tuple(control_changes(old, new)),
        teams=teams_diff(old, new),
        exceptions=exceptions_diff(old, new, today or model_today()),
        resources=resources,
        findings=tuple(findings(resources)) if resources is not None else (),
        new_graph=new_graph,
        old_graph=old_graph,
    )


def diff_projects(
    old_location: str | Path,
    new_location: str | Path,
    *,
    preview: bool = True,
    previewer: Previewer | None = None,
    today: dt.date | None = None,
    stack: str | None = None,
) -> ProjectDiff:
    """Load, validate and (with `preview`) preview both projects offline (as Pulumi stack `stack`, default: each
    project's own, see `preview.project_stack`), then compare them."""
    old_path, new_path = blueprint_path(old_location), blueprint_path(new_location)
    old, new = load_blueprint(old_path), load_blueprint(new_path)
    old_graph = new_graph = None
    if preview:
        # One process, two programs: the engine resets Pulumi's runtime between runs.
        if previewer is not None:
            old_graph, new_graph = previewer(old_path.parent), previewer(new_path.parent)
        else:  # the specs loaded above, each loaded once
            old_graph, new_graph = _preview(old, old_path.parent, stack), _preview(new, new_path.parent, stack)
    return diff_specs(old, new, old_graph=old_graph, new_graph=new_graph, old_source=str(old_location), new_source=str(new_location), today=today)
