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

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "resource": self.resource}


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
    """Evaluate the stance rules on the offline graph; `unavailable` when there is no graph or no policy package."""
    if graph is None:
        return unavailable("no offline preview (run without --no-preview)")
    try:
        from ..policy import evaluate  # type: ignore[attr-defined]
    except ImportError:
        return unavailable("the stance policies are not part of this version")
    return _outcome(evaluate(graph, spec))


def _outcome(report: Any) -> CheckOutcome:
    violations, warnings = [], []
    for item in getattr(report, "violations", report):
        violation = CheckViolation(
            rule=str(getattr(item, "rule", getattr(item, "policy", "?"))),
            severity=str(getattr(getattr(item, "severity", ""), "value", getattr(item, "severity", ""))),
            message=str(getattr(item, "message", item)),
            resource=getattr(item, "urn", None) or getattr(item, "resource", None),
        )
        (warnings if getattr(item, "warning", False) else violations).append(violation)
    return CheckOutcome(FAILED if violations else PASSED, tuple(violations), tuple(warnings))
