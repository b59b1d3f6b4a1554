"""Judge a resource graph by a stance's rules: the offline half of "policies are written once"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..model import BlueprintSpec, Concern, Stance, TeamSpec
from ..model import spec as spec_module
from ..preview.graph import ResourceGraph
from . import memo
from . import tokens as T
from .base import FAMILIES, Context, Family, Finding, Rule, Severity, dig
from .rules import RULES


@dataclass(frozen=True, order=True)
class Violation:
    """One rule broken by one resource (or by the program as a whole)."""

    rule: str
    concern: Concern
    severity: Severity
    urn: str
    message: str
    family: Family = "stance"

    def as_json(self) -> dict[str, str]:
        return {
            "rule": self.rule, "family": self.family, "concern": self.concern.value, "severity": self.severity.value,
            "urn": self.urn, "message": self.message,
        }


@dataclass(frozen=True)
class Warning:
    """Something that will become a violation soon (an exception about to expire); never fails a check."""

    rule: str
    concern: Concern
    urn: str
    message: str
    family: Family = "stance"

    def as_json(self) -> dict[str, str]:
        return {"rule": self.rule, "family": self.family, "concern": self.concern.value, "urn": self.urn, "message": self.message}


def _helm_not_found() -> str:
    from ..charts.z2jh import HELM_ENV, HELM_VERSION

    return (
        f"not run: helm not found, install helm {HELM_VERSION} (https://helm.sh/docs/intro/install/) on PATH, "
        f"or point {HELM_ENV} at the binary"
    )


HELM_NOT_FOUND = _helm_not_found()


@dataclass(frozen=True, order=True)
class NotRun:
    """A rule that could not be judged here (e.g. it reads the chart rendered by helm, and helm is missing): never a pass."""

    rule: str
    family: Family
    reason: str

    def as_json(self) -> dict[str, str]:
        return {"rule": self.rule, "family": self.family, "reason": self.reason}


@dataclass(frozen=True)
class CheckResult:
    """What `evaluate` found: violations biggest concern first, the rules that passed, warnings."""

    stance: str
    violations: tuple[Violation, ...]
    passed: tuple[str, ...]
    warnings: tuple[Warning, ...]
    resources_checked: int
    not_applicable: tuple[str, ...] = ()
    not_run: tuple[NotRun, ...] = ()
    # rule id -> family, for every rule that was asked to run (passed, failed, not applicable or not run)
    families: tuple[tuple[str, Family], ...] = ()

    @property
    def ok(self) -> bool:
        return not self.violations

    def in_family(self, family: Family) -> CheckResult:
        """The same result restricted to one family's rules."""
        keep = {rule for rule, f in self.families if f == family}
        return CheckResult(
            stance=self.stance,
            violations=tuple(v for v in self.violations if v.rule in keep),
            passed=tuple(r for r in self.passed if r in keep),
            warnings=tuple(w for w in self.warnings if w.rule in keep),
            resources_checked=self.resources_checked,
            not_applicable=tuple(r for r in self.not_applicable if r in keep),
            not_run=tuple(n for n in self.not_run if n.rule in keep),
            families=tuple((r, f) for r, f in self.families if r in keep),
        )

    def rule_status(self) -> dict[str, str]:
        """rule id -> passed | failed | not-applicable | not-run."""
        failed = {v.rule for v in self.violations}
        not_run = {n.rule for n in self.not_run}
        na = set(self.not_applicable)

        def status(rule: str) -> str:
            if rule in failed:
                return "failed"
            if rule in not_run:
                return "not-run"
            return "not-applicable" if rule in na else "passed"

        return {rule: status(rule) for rule, _ in sorted(self.families)}

    def by_concern(self) -> dict[Concern, list[Violation]]:
        """Violations grouped by concern, in risk order (biggest first)."""
        grouped: dict[Concern, list[Violation]] = {}
        for violation in self.violations:
            grouped.setdefault(violation.concern, []).append(violation)
        return {concern: grouped[concern] for concern in Concern if concern in grouped}

    def to_cache(self) -> dict[str, Any]:
        """Everything in the result, as JSON data `from_cache` reads back (`policy.memo`): `as_json`, with the rule
        statuses it derives replaced by what they are derived from."""
        shown = {key: value for key, value in self.as_json().items() if key != "rules"}
        return {**shown, "not_applicable": list(self.not_applicable), "families": [list(pair) for pair in self.families]}

    @classmethod
    def from_cache(cls, data: dict[str, Any]) -> CheckResult:
        """The result `to_cache` wrote; KeyError or ValueError when `data` is not one."""
        return cls(
            stance=data["stance"],
            violations=tuple(
                Violation(v["rule"], Concern(v["concern"]), Severity(v["severity"]), v["urn"], v["message"], v["family"]) for v in data["violations"]
            ),
            passed=tuple(data["passed"]),
            warnings=tuple(Warning(w["rule"], Concern(w["concern"]), w["urn"], w["message"], w["family"]) for w in data["warnings"]),
            resources_checked=int(data["resources_checked"]),
            not_applicable=tuple(data["not_applicable"]),
            not_run=tuple(NotRun(n["rule"], n["family"], n["reason"]) for n in data["not_run"]),
            families=tuple((rule, family) for rule, family in data["families"]),
        )

    def as_json(self) -> dict[str, Any]:
        status = self.rule_status()
        return {
            "stance": self.stance,
            "violations": [v.as_json() for v in self.violations],
            "passed": list(self.passed),
            "warnings": [w.as_json() for w in self.warnings],
            "resources_checked": self.resources_checked,
            "not_run": [n.as_json() for n in self.not_run],
            # every rule asked to run, with its family and what became of it
            "rules": {rule: {"family": family, "status": status[rule]} for rule, family in sorted(self.families)},
        }


def judged_teams(spec: BlueprintSpec, stance: Stance) -> tuple[TeamSpec, ...]:
    """The project's teams as another stance would resolve them.

    A team value equal to the project stance's default was inherited, so it follows the
    judging stance; a value that differs was set for the team (blueprint.yaml or an
    overlay) and is kept.
    """
    if stance == spec.stance:
        return spec.teams
    own = spec.stance.compute
    other = stance.compute

    def follow(value: Any, own_default: Any, other_default: Any) -> Any:
        return other_default if value == own_default else value

    teams = []
    for team in spec.teams:
        quota = team.quota.model_copy(
            update={f: follow(getattr(team.quota, f), getattr(own.default_quota, f), getattr(other.default_quota, f)) for f in type(team.quota).model_fields}
        )
        teams.append(
            team.model_copy(
                update={
                    "quota": quota,
                    "root_allowed": follow(team.root_allowed, own.sessions.root_allowed, other.sessions.root_allowed),
                    "idle_timeout_minutes": follow(team.idle_timeout_minutes, own.sessions.idle_timeout_minutes, other.sessions.idle_timeout_minutes),
                    "budget_usd": follow(team.budget_usd, spec.stance.budgets.team_monthly_usd, stance.budgets.team_monthly_usd),
                }
            )
        )
    return tuple(teams)


def context(
    subject: BlueprintSpec | Stance,
    graph: ResourceGraph | None = None,
    *,
    today: dt.date | None = None,
    against: Stance | None = None,
    secrets_visible: bool = True,
) -> Context:
    """What the rules read: the judging stance, the teams as it would resolve them, the clock."""
    day = today or spec_module.today()
    if isinstance(subject, Stance):
        stance = against or subject
        return Context(spec=None, stance=stance, teams=teams_in(graph, stance) if graph else (), today=day, own=False, secrets_visible=secrets_visible)
    stance = against or subject.stance
    return Context(
        spec=subject,
        stance=stance,
        teams=judged_teams(subject, stance),
        today=day,
        own=against is None or against == subject.stance,
        secrets_visible=secrets_visible,
    )


def teams_in(graph: ResourceGraph, stance: Stance) -> tuple[TeamSpec, ...]:
    """Without a blueprint, the teams are the namespaces labelled as team namespaces, with the stance's defaults."""
    compute = stance.compute
    names = sorted({n for r in graph.of_type(T.NAMESPACE) if (n := dig(r.inputs, "metadata", "labels", T.TEAM_LABEL))})
    return tuple(
        TeamSpec(
            name=name,
            idp_group=name,
            description="",
            quota=compute.default_quota,
            profiles=compute.profiles,
            python_packages=(),
            r_packages=(),
            idle_timeout_minutes=compute.sessions.idle_timeout_minutes,
            root_allowed=compute.sessions.root_allowed,
            budget_usd=stance.budgets.team_monthly_usd,
        )
        for name in names
    )


def evaluate(
    subject: BlueprintSpec | Stance,
    graph: ResourceGraph,
    *,
    today: dt.date | None = None,
    against: Stance | None = None,
    rules: Iterable[Rule] = RULES,
) -> CheckResult:
    """Run every rule that applies under the judging stance over `graph`.

    `subject` is a project's spec (judged by its own stance, or by `against`), or a bare
    stance: then the teams are the graph's team namespaces with that stance's defaults, and
    what only a blueprint knows (admin CIDRs, exceptions, alert addresses) is not checked.

    A graph from a keyed preview (`ResourceGraph.key`) judged the same way before is not judged again: the
    result comes from `policy.memo`, whose key covers everything a result depends on.
    """
    rules = tuple(rules)
    day = today or spec_module.today()
    key = memo.result_key(subject, graph, day=day, against=against, rules=rules)
    if key is not None and (stored := memo.load(key)) is not None:
        try:
            return CheckResult.from_cache(stored)
        except (KeyError, ValueError, TypeError):
            pass  # not a result this version wrote: judge again, and overwrite it
    result = _evaluate(subject, graph, day=day, against=against, rules=rules)
    if key is not None:
        memo.store(key, result.to_cache())
    return result


def _evaluate(subject: BlueprintSpec | Stance, graph: ResourceGraph, *, day: dt.date, against: Stance | None, rules: tuple[Rule, ...]) -> CheckResult:
    from ..charts.z2jh import HelmUnavailable, RenderFailed, jupyterhub_release

    ctx = context(subject, graph, today=day, against=against)
    violations: list[Violation] = []
    warnings: list[Warning] = []
    passed: list[str] = []
    not_applicable: list[str] = []
    not_run: list[NotRun] = []
    families: list[tuple[str, Family]] = []
    fallback_urn = ""
    for rule in rules:
        families.append((rule.id, rule.family))
        if not rule.applies(ctx) or (rule.needs_secret_markers and not ctx.secrets_visible):
            not_applicable.append(rule.id)
            continue
        broken = False
        try:
            findings = list(rule.findings(graph, ctx))
        except HelmUnavailable:
            # A rule over the rendered chart without helm is "not run", never passed; the reason says how to install.
            not_run.append(NotRun(rule.id, rule.family, HELM_NOT_FOUND))
            continue
        except RenderFailed as refused:
            release = jupyterhub_release(graph)
            findings = [
                Finding(
                    f"the JupyterHub chart does not render with these values, so this cannot install: {refused}; "
                    "fix the values Helm names",
                    release.urn if release else None,
                )
            ]
        for finding in findings:
            concern = finding.concern or rule.concern
            if finding.warning:
                warnings.append(Warning(rule.id, concern, finding.urn or fallback_urn, finding.message, rule.family))
            else:
                broken = True
                violations.append(Violation(rule.id, concern, rule.severity, finding.urn or fallback_urn, finding.message, rule.family))
        if not broken:
            passed.append(rule.id)
    return CheckResult(
        stance=ctx.stance.name,
        violations=tuple(sorted(set(violations), key=lambda v: (v.concern.rank, v.rule, v.urn, v.message))),
        passed=tuple(sorted(passed)),
        warnings=tuple(sorted(set(warnings), key=lambda w: (w.concern.rank, w.rule, w.urn, w.message))),
        resources_checked=len(graph),
        not_applicable=tuple(sorted(not_applicable)),
        not_run=tuple(sorted(not_run)),
        families=tuple(sorted(families)),
    )


def select(family: Family | None, rules: Iterable[Rule] = RULES) -> tuple[Rule, ...]:
    """The rules of one family (`stance` or `works`), or all of them for None."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown rule family {family!r}")
    return tuple(r for r in rules if family is None or r.family == family)
