"""Stance policies written once: one rule list backs `blueprint check` (offline) and the generated CrossGuard pack."""

from .base import Context, Finding, Rule, Severity
from .evaluate import CheckResult, Violation, Warning, context, evaluate, judged_teams
from .pack import PACK_DIR, render_policy_pack
from .rules import BY_ID, RULES

__all__ = [
    "BY_ID",
    "PACK_DIR",
    "RULES",
    "CheckResult",
    "Context",
    "Finding",
    "Rule",
    "Severity",
    "Violation",
    "Warning",
    "context",
    "evaluate",
    "judged_teams",
    "render_policy_pack",
]
