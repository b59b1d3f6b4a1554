"""The `blueprint check` result as the review shows it, from the policy package when it is installed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import BlueprintSpec
    from ..preview.graph import ResourceGraph

PASSED, FAILED, UNAVAILABLE = "passed", "failed", "unavailable"


@dataclass(frozen=True)
class CheckViolation:
    rule: str
    severity: str
    message: str
    resource: str | None = None
    family: str = "stance"

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "family": self.family, "severity": self.severity, "message": self.message, "resource": self.resource}


@dataclass(frozen=True)
class CheckOutcome:
    """Passed, failed (with violations) or unavailable (with the reason), plus warnings that do not fail."""

    status: str
    violations: tuple[CheckViolation, ...] = ()
    warnings: tuple[CheckViolation, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "violations": [v.to_json() for v in self.violations],
            "warnings": [w.to_json() for w in self.warnings],
            "note": self.note,
        }


def unavailable(reason: str) -> CheckOutcome:
    return CheckOutcome(UNAVAILABLE, note=reason)


def run_check(spec: BlueprintSpec, graph: ResourceGraph | None) -> CheckOutcome:
    """Evaluate the stance and works rules on the offline graph, as `blueprint check` does; `unavailable` without a graph
    or policies. Works rules that need helm and could not run are named in the note, never counted as passed."""
    if graph is None:
        return unavailable("no offline preview (run without --no-preview)")
    try:
        from ..policy import evaluate
    except ImportError:
        return unavailable("the stance policies are not part of this version")
    result = evaluate(spec, graph)
    violations = tuple(CheckViolation(v.rule, v.severity.value, v.message, v.urn or None, v.family) for v in result.violations)
    warnings = tuple(CheckViolation(w.rule, "warning", w.message, w.urn or None, w.family) for w in result.warnings)
    counts = "; ".join(f"{family} rules: {len(result.in_family(family).passed)} passed" for family in ("stance", "works"))
    not_run = f"; not run (helm not found): {', '.join(n.rule for n in result.not_run)}" if result.not_run else ""
    return CheckOutcome(FAILED if violations else PASSED, violations, warnings, note=f"{counts} on {result.resources_checked} resources{not_run}")
