"""Recorded exceptions: expired ones are violations, ones expiring within 14 days are warnings (injected clock)."""

from __future__ import annotations

import datetime as dt

import pytest

import blueprint.model.spec
from blueprint.model import Concern
from blueprint.policy import BY_ID, evaluate

TODAY = dt.date(2026, 6, 1)
RULE = BY_ID["governance.exceptions-current"]


def exception(expires: dt.date, control: str = "compute.default_quota.cpu", value: object = "32", team: str = "genomics") -> dict:
    return {"team": team, "control": control, "value": value, "reason": "a genome assembly sprint", "approved_by": "ciso@acme.example", "expires": expires.isoformat()}


@pytest.fixture
def check(real, spec_for):
    graph = real("strict").graph

    def run(*exceptions: dict, today: dt.date | None = TODAY):
        return evaluate(spec_for("strict", exceptions=list(exceptions)), graph, today=today, rules=[RULE])

    return run


def test_an_expired_exception_is_a_violation_naming_team_control_and_date(check):
    result = check(exception(TODAY - dt.timedelta(days=1)))
    assert not result.ok and not result.warnings
    (violation,) = result.violations
    assert "genomics" in violation.message and "compute.default_quota.cpu" in violation.message and "2026-05-31" in violation.message
    assert violation.concern is Concern.RESOURCE_HIJACKING  # the concern of the excepted control
    assert violation.urn.endswith("::acme-team-genomics-namespace")


def test_every_expired_exception_fails_separately_with_its_controls_concern(check):
    result = check(
        exception(TODAY - dt.timedelta(days=40)),
        exception(TODAY - dt.timedelta(days=2), control="compute.sessions.root_allowed", value=True, team="team-1"),
    )
    assert [(v.concern, "team-1" in v.message) for v in result.violations] == [(Concern.DATA_THEFT_INSIDER, True), (Concern.RESOURCE_HIJACKING, False)]


@pytest.mark.parametrize("days", [0, 1, 13, 14])
def test_an_exception_expiring_within_14_days_is_a_warning_not_a_violation(check, days):
    result = check(exception(TODAY + dt.timedelta(days=days)))
    assert result.ok and RULE.id in result.passed
    (warning,) = result.warnings
    assert warning.rule == RULE.id and f"in {days} day" in warning.message and "genomics" in warning.message


def test_an_exception_further_out_says_nothing(check):
    result = check(exception(TODAY + dt.timedelta(days=15)))
    assert result.ok and not result.warnings


def test_the_models_clock_is_used_when_no_date_is_given(check, monkeypatch):
    expires = TODAY + dt.timedelta(days=3)
    monkeypatch.setattr(blueprint.model.spec, "today", lambda: TODAY)
    assert check(exception(expires), today=None).warnings
    monkeypatch.setattr(blueprint.model.spec, "today", lambda: expires + dt.timedelta(days=1))
    assert not check(exception(expires), today=None).ok
