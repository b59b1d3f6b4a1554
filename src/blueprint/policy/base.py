"""What a stance rule is: an id, the concern it serves, the controls it enforces, and one check (no pulumi here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from ..model import BlueprintSpec, Concern, Stance, TeamSpec
from ..model.spec import ControlException
from ..model.stance import META
from ..preview.graph import SECRET, UNKNOWN, Resource, ResourceGraph, dig

if TYPE_CHECKING:
    from ..charts.z2jh import Rendered


class Severity(str, Enum):
    """How bad a violation is; the same four levels Pulumi CrossGuard uses."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Finding:
    """One thing a check found. Graph rules name the resource; `concern` overrides the rule's (exceptions)."""

    message: str
    urn: str | None = None
    concern: Concern | None = None
    warning: bool = False


@dataclass(frozen=True)
class Context:
    """What a rule may read besides resources: the judging stance, the project's teams as judged, and the clock.

    `own` is False under `--against`: the project is judged by another stance's rules, and
    team values it inherited from its own stance are replaced by the judging stance's.
    `secrets_visible` is False inside a CrossGuard pack, where the engine hands policies
    decrypted values, so "is this a secret?" cannot be answered there. `spec` is None when a
    graph is judged by a bare stance: what only a blueprint knows (admin CIDRs, exceptions,
    alert addresses) is then not checked.
    """

    spec: BlueprintSpec | None
    stance: Stance
    teams: tuple[TeamSpec, ...]
    today: dt.date
    own: bool = True
    secrets_visible: bool = True

    def team(self, name: str) -> TeamSpec | None:
        return next((t for t in self.teams if t.name == name), None)

    @property
    def admin_cidrs(self) -> tuple[str, ...] | None:
        """Who may reach a public Kubernetes API; None when unknown (no blueprint)."""
        return self.spec.network.admin_cidrs if self.spec else None

    @property
    def exceptions(self) -> tuple[ControlException, ...]:
        return self.spec.exceptions if self.spec else ()

    @property
    def alert_emails(self) -> tuple[str, ...] | None:
        return self.spec.budgets.alert_emails if self.spec else None

    @property
    def client_secret_config(self) -> str:
        return self.spec.idp.client_secret_config if self.spec else "idpClientSecret"


# Two rule families over one graph (DESIGN.md, "Day 1 is part of the design"): `stance` rules guard what the
# stance forbids; `works` rules prove what day 1 needs (volumes bind, images pull, sessions reach the hub, ...).
Family = Literal["stance", "works"]
FAMILIES: tuple[Family, ...] = ("stance", "works")

ResourceCheck = Callable[[Resource, Context], Iterable[str]]
GraphCheck = Callable[[ResourceGraph, Context], Iterable[Finding]]
Applies = Callable[[Context], bool]


def always(_: Context) -> bool:
    return True


# What a graph rule declares when it reads the inputs of every resource (e.g. a search for plain-text secrets).
EVERY_TYPE = "*"


@dataclass(frozen=True)
class Rule:
    """One stance rule. Exactly one of `check_resource` or `check_graph` is set.

    `types`: the resource types the rule judges. A resource rule checks each resource of these types; a graph
    rule declares the types it reads (`EVERY_TYPE` for all), which is what `blueprint explain` reports as the
    resources enforcing its controls. tests/policy/test_rule_types.py holds each graph rule to its declaration:
    on real graphs, and on every mutation that fires a rule, the rule finds the same on the graph cut down to
    its declared types (plus the stack and components) as on the whole graph.
    """

    id: str
    concern: Concern
    severity: Severity
    controls: tuple[str, ...]
    description: str
    applies: Applies = always
    types: frozenset[str] = frozenset()
    check_resource: ResourceCheck | None = None
    check_graph: GraphCheck | None = None
    needs_secret_markers: bool = False
    warns: bool = False
    family: Family = "stance"
    # Reads the JupyterHub chart rendered by the real helm binary (`rendered(graph)`): such a rule cannot run
    # inside a CrossGuard pack (no helm there), and without helm `blueprint check` reports it "not run".
    needs_render: bool = False

    def __post_init__(self) -> None:
        unknown = [c for c in self.controls if c not in META]
        if unknown:
            raise ValueError(f"rule {self.id}: unknown control(s) {unknown}")
        if (self.check_resource is None) == (self.check_graph is None):
            raise ValueError(f"rule {self.id}: needs exactly one of check_resource or check_graph")
        if not self.types:
            raise ValueError(f"rule {self.id}: a rule names the resource types it checks (graph rules: those it reads, or EVERY_TYPE)")
        if self.check_resource is not None and EVERY_TYPE in self.types:
            raise ValueError(f"rule {self.id}: a resource rule names the types it checks; EVERY_TYPE is for graph rules")
        if self.family not in FAMILIES:
            raise ValueError(f"rule {self.id}: unknown family {self.family!r} (one of {FAMILIES})")
        if (self.family == "works") != self.id.startswith("works."):
            raise ValueError(f"rule {self.id}: works rules, and only they, have ids `works.<area>.<what>`")
        if self.needs_render and self.check_graph is None:
            raise ValueError(f"rule {self.id}: a rule over the rendered chart is a graph rule")

    @property
    def scope(self) -> Literal["resource", "graph"]:
        return "resource" if self.check_resource is not None else "graph"

    def guards_floor(self, floor: frozenset[str]) -> bool:
        """True when the rule enforces a floor control, or is a baseline every stance requires (no control).

        Its CrossGuard policy is then mandatory; otherwise advisory.
        """
        return not self.controls or any(control in floor for control in self.controls)

    def findings(self, graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
        """Everything the rule finds in `graph` (the caller has checked `applies`)."""
        if self.check_resource is not None:
            for resource in graph:
                if resource.type in self.types:
                    for message in self.check_resource(resource, ctx):
                        yield Finding(message, resource.urn)
        else:
            assert self.check_graph is not None
            yield from self.check_graph(graph, ctx)


@dataclass
class RuleSet:
    """Rules of one area, registered with decorators so each check and its metadata sit together."""

    rules: list[Rule] = field(default_factory=list)

    def resource(
        self,
        id: str,
        *,
        concern: Concern,
        severity: Severity,
        controls: tuple[str, ...],
        types: Iterable[str],
        description: str,
        applies: Applies = always,
        needs_secret_markers: bool = False,
        family: Family = "stance",
    ) -> Callable[[ResourceCheck], ResourceCheck]:
        def register(check: ResourceCheck) -> ResourceCheck:
            self.rules.append(
                Rule(
                    id, concern, severity, controls, description, applies, frozenset(types),
                    check_resource=check, needs_secret_markers=needs_secret_markers, family=family,
                )
            )
            return check

        return register

    def graph(
        self,
        id: str,
        *,
        concern: Concern,
        severity: Severity,
        controls: tuple[str, ...],
        types: Iterable[str],
        description: str,
        applies: Applies = always,
        needs_secret_markers: bool = False,
        warns: bool = False,
        family: Family = "stance",
        needs_render: bool = False,
    ) -> Callable[[GraphCheck], GraphCheck]:
        """A rule over the whole graph; `types` are the resource types it reads (see `Rule`)."""

        def register(check: GraphCheck) -> GraphCheck:
            self.rules.append(
                Rule(
                    id, concern, severity, controls, description, applies, frozenset(types),
                    check_graph=check, needs_secret_markers=needs_secret_markers, warns=warns, family=family,
                    needs_render=needs_render,
                )
            )
            return check

        return register


# ---- reading inputs -----------------------------------------------------------


def rendered(graph: ResourceGraph) -> Rendered | None:
    """The graph's JupyterHub release rendered by the real Helm engine (cached per graph); None without a release.

    Only for rules registered with `needs_render=True`. Raises `charts.z2jh.HelmUnavailable` without helm (the
    rule is then reported "not run", never passed) and `RenderFailed` when Helm refuses the values (a violation).
    """
    from ..charts.z2jh import render_release

    return render_release(graph)


def known(value: Any) -> bool:
    """False for values the preview cannot know yet (computed outputs)."""
    return value != UNKNOWN


def is_secret(value: Any) -> bool:
    return value == SECRET


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def k8s_name(resource: Resource) -> str | None:
    return dig(resource.inputs, "metadata", "name")


def k8s_namespace(resource: Resource) -> str | None:
    return dig(resource.inputs, "metadata", "namespace")


def linked(graph: ResourceGraph, resource: Resource, token: str) -> list[Resource]:
    """Resources of type `token` that `resource` depends on or is parented to: how a child names what it configures."""
    urns = set(resource.dependencies)
    if resource.parent:
        urns.add(resource.parent)
    return [graph[urn] for urn in sorted(urns) if urn in graph and graph[urn].type == token]


STACK_TYPE = "pulumi:pulumi:Stack"


def stack_urn(graph: ResourceGraph) -> str | None:
    """The root stack's URN: where findings about something missing from the whole program point."""
    return next((r.urn for r in graph.roots() if r.type == STACK_TYPE), None)
