"""Policies written once: one rule list (two families: stance and works) backs `blueprint check` (offline) and the generated CrossGuard pack."""

from .base import EVERY_TYPE, FAMILIES, Context, Family, Finding, Rule, Severity
from .evaluate import HELM_NOT_FOUND, CheckResult, NotRun, Violation, Warning, context, evaluate, judged_teams, select
from .pack import PACK_DIR, render_policy_pack
from .rules import BY_ID, RULES

__all__ = [
    "BY_ID",
    "EVERY_TYPE",
    "PACK_DIR",
    "RULES",
    "FAMILIES",
    "HELM_NOT_FOUND",
    "CheckResult",
    "Context",
    "Family",
    "Finding",
    "NotRun",
    "Rule",
    "Severity",
    "Violation",
    "Warning",
    "context",
    "evaluate",
    "judged_teams",
    "render_policy_pack",
    "select",
]
