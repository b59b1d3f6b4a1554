"""Audit rules: CloudTrail and log retention (data-theft-insider: who did what, provably)."""

from __future__ import annotations

from collections.abc import Iterator

from ...model import Concern
from ...preview.graph import ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, known, stack_urn
from .network import flow_log_groups

rules = RuleSet()


@rules.graph(
    "audit.cloudtrail",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.HIGH,
    controls=("audit.cloudtrail", "audit.log_validation"),
    types=(T.TRAIL,),
    applies=lambda ctx: ctx.stance.audit.cloudtrail != "off",
    description="A CloudTrail trail records AWS API calls: multi-region and with log-file validation when the stance says so.",
)
def cloudtrail(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    audit = ctx.stance.audit
    trails = graph.of_type(T.TRAIL)
    if not trails:
        yield Finding(f"no CloudTrail trail; the stance wants a {audit.cloudtrail} trail", stack_urn(graph))
        return
    for trail in trails:
        if trail.inputs.get("enableLogging") is False:
            yield Finding("enableLogging is false: the trail records nothing", trail.urn)
        if audit.cloudtrail == "multi-region" and trail.inputs.get("isMultiRegionTrail") is not True:
            yield Finding("isMultiRegionTrail is not true: calls in other regions go unrecorded", trail.urn)
        if audit.log_validation and trail.inputs.get("enableLogFileValidation") is not True:
            yield Finding("enableLogFileValidation is not true: nobody can prove the log was not edited", trail.urn)


@rules.graph(
    "audit.log-retention",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.MEDIUM,
    controls=("audit.log_retention_days", "network.flow_logs.retention_days"),
    types=(T.FIREWALL_LOGGING, T.LOG_GROUP),
    description="Log groups keep logs at least as long as the stance says (flow-log and firewall-log groups follow the flow-log retention).",
)
def log_retention(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    flow_groups = flow_log_groups(graph)
    for group in graph.of_type(T.LOG_GROUP):
        days = group.inputs.get("retentionInDays") or 0
        if group.urn in flow_groups:
            wanted, what = ctx.stance.network.flow_logs.retention_days, "network.flow_logs.retention_days"
        else:
            wanted, what = ctx.stance.audit.log_retention_days, "audit.log_retention_days"
        if known(days) and 0 < days < wanted:
            yield Finding(f"retentionInDays is {days}; {what} wants at least {wanted}", group.urn)


RULES = tuple(rules.rules)
