"""Budget rules: runaway spend is noticed per team (resource-hijacking)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, known, stack_urn

rules = RuleSet()
TEAM_COST_TAG = "workbench:team"  # the cost allocation tag every team resource carries


def _team_of(budget: Resource) -> str | None:
    for cost_filter in as_list(budget.inputs.get("costFilters")):
        for value in as_list(cost_filter.get("values") if isinstance(cost_filter, Mapping) else None):
            key, _, team = str(value).rpartition("$")
            if key.removeprefix("user:") == TEAM_COST_TAG and team:
                return team
    return None


@rules.graph(
    "budgets.team-budgets",
    concern=Concern.RESOURCE_HIJACKING,
    severity=Severity.MEDIUM,
    controls=("budgets.scope", "budgets.team_monthly_usd", "budgets.alert_percent"),
    types=(T.BUDGET,),
    applies=lambda ctx: ctx.stance.budgets.scope == "per-team",
    description="Every team has its own monthly budget, no larger than the team's, alerting at the stance's percentage.",
)
def team_budgets(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    by_team: dict[str, list[Resource]] = {}
    for budget in graph.of_type(T.BUDGET):
        team = _team_of(budget)
        if team:
            by_team.setdefault(team, []).append(budget)
    alert = ctx.stance.budgets.alert_percent
    for team in ctx.teams:
        budgets = by_team.get(team.name, [])
        if not budgets:
            yield Finding(f"team {team.name} has no budget of its own (costs tagged {TEAM_COST_TAG}={team.name})", stack_urn(graph))
        for budget in budgets:
            amount = budget.inputs.get("limitAmount")
            try:
                usd = float(amount)
            except (TypeError, ValueError):
                usd = None
            if known(amount) and (usd is None or usd > team.budget_usd or (ctx.own and usd != team.budget_usd)):
                yield Finding(f"limitAmount is {amount} USD; team {team.name}'s budget is {team.budget_usd}", budget.urn)
            if ctx.alert_emails:
                thresholds = [n.get("threshold") for n in as_list(budget.inputs.get("notifications")) if isinstance(n, Mapping)]
                if not any(isinstance(t, (int, float)) and t <= alert for t in thresholds):
                    yield Finding(f"no notification at or below {alert} % of the budget (thresholds: {thresholds or 'none'})", budget.urn)


RULES = tuple(rules.rules)
