"""The generated CrossGuard policy pack: the files `blueprint new` writes, and the runtime their `__main__.py` calls.

The pack's code is fixed text: it loads `../blueprint.yaml` with `load_blueprint` and turns
the same `RULES` that `blueprint check` runs into `pulumi_policy` policies. Nothing a user
typed is ever pasted into it. `pulumi_policy` is imported only when the pack runs.

Both families are in the pack: stance rules (mandatory when they guard a floor control) and the works rules
that can be judged from resource inputs (mandatory when the stance sets `stability.works_rules: mandatory`).
Works rules over the chart rendered by helm (`Rule.needs_render`) are left out: a policy pack runs inside the
Pulumi engine with no helm binary and no rendered chart; `blueprint check` runs them (and CI, which installs helm).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..model import BlueprintSpec
from ..model.yamlio import dump_yaml
from ..preview.graph import UNKNOWN, Resource, ResourceGraph, normalise
from .base import Context, Finding, Rule
from .evaluate import context
from .rules import RULES

if TYPE_CHECKING:
    from pulumi_policy import Policy

PACK_DIR = "policy"
PACK_NAME = "workbench-stance"
WARNINGS_SUFFIX = ".expiring"

PACK_MAIN = '''"""Pulumi CrossGuard policy pack: the stance and works rules of ../blueprint.yaml, the same ones `blueprint check` runs offline.

Used by `pulumi preview --policy-pack policy`. This file is fixed code: the rules read
blueprint.yaml (and teams/*.yaml) when the pack starts; stance rules guarding a floor control
are mandatory, works rules are mandatory when the stance says so (stability.works_rules),
the others advisory. Works rules over the helm-rendered chart run in `blueprint check` only.
"""

from pathlib import Path

from pulumi_policy import PolicyPack

from blueprint.model import load_blueprint
from blueprint.policy.pack import PACK_NAME, policies

spec = load_blueprint(Path(__file__).resolve().parent.parent)
PolicyPack(name=PACK_NAME, policies=policies(spec))
'''


def render_policy_pack(requirements: str) -> dict[str, str]:
    """The pack's files, relative to the project root; `requirements` is the project's pinned requirements.txt.

    The same for every project: the pack reads blueprint.yaml when it runs.
    """
    policy_project = dump_yaml(
        {
            "description": "Stance and works rules of this workbench blueprint (../blueprint.yaml), enforced at `pulumi preview`.",
            "version": __version__,
            # The project's own virtualenv: the pack needs exactly the project's pinned packages.
            "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "../venv"}},
        }
    )
    return {
        f"{PACK_DIR}/PulumiPolicy.yaml": policy_project,
        f"{PACK_DIR}/__main__.py": PACK_MAIN,
        # The pack runs workbench-blueprint's own rules, so it needs exactly the project's pins.
        f"{PACK_DIR}/requirements.txt": requirements,
    }


# ---- runtime: RULES as pulumi_policy policies --------------------------------


def enforcement(rule: Rule, spec: BlueprintSpec) -> str:
    """Stance rules: 'mandatory' when guarding a floor control (or a baseline with no control), else 'advisory'.
    Works rules: what the stance's `stability.works_rules` says."""
    if rule.family == "works":
        return spec.stance.stability.works_rules
    return "mandatory" if rule.guards_floor(spec.floor) else "advisory"


def in_pack(rule: Rule) -> bool:
    """Every rule but those over the helm-rendered chart, which cannot run inside the engine (no helm there)."""
    return not rule.needs_render


def policies(spec: BlueprintSpec, *, today: dt.date | None = None, rules: Iterable[Rule] = RULES) -> list[Policy]:
    """One CrossGuard policy per rule (resource rules per resource, graph rules per stack), plus an
    advisory policy for each rule that warns ahead of time."""
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity, StackValidationPolicy

    # The engine hands policy packs decrypted values: "[secret]" markers are never visible here.
    ctx = context(spec, today=today, secrets_visible=False)
    made: list[Policy] = []
    for rule in filter(in_pack, rules):
        common: dict[str, Any] = {
            "description": rule.description,
            "enforcement_level": EnforcementLevel(enforcement(rule, spec)),
            "severity": Severity(rule.severity.value),
            "tags": [rule.concern.value, rule.family, *rule.controls],
        }
        if rule.scope == "resource":
            made.append(ResourceValidationPolicy(name=rule.id, validate=_resource_validation(rule, ctx), **common))
        else:
            made.append(StackValidationPolicy(name=rule.id, validate=_stack_validation(rule, ctx, warnings=False), **common))
        if rule.warns:
            made.append(
                StackValidationPolicy(
                    name=rule.id + WARNINGS_SUFFIX,
                    description=f"Early warning for {rule.id}: {rule.description}",
                    validate=_stack_validation(rule, ctx, warnings=True),
                    enforcement_level=EnforcementLevel.ADVISORY,
                    severity=Severity.LOW,
                    tags=[rule.concern.value, *rule.controls],
                )
            )
    return made


def _not_applicable(rule: Rule, ctx: Context) -> str | None:
    if rule.needs_secret_markers and not ctx.secrets_visible:
        return "policy packs see decrypted values, so whether a value is a secret is checked offline by `blueprint check`"
    if not rule.applies(ctx):
        return f"stance {ctx.stance.name!r} does not ask for this"
    return None


def _message(finding: Finding, rule: Rule) -> str:
    if finding.concern and finding.concern is not rule.concern:
        return f"[{finding.concern.value}] {finding.message}"
    return finding.message


def _resource_validation(rule: Rule, ctx: Context) -> Callable[[Any, Callable[..., None]], None]:
    assert rule.check_resource is not None
    check = rule.check_resource

    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        if args.resource_type not in rule.types:
            return
        reason = _not_applicable(rule, ctx)
        if reason:
            args.not_applicable(reason)
        resource = Resource(
            urn=args.urn,
            type=args.resource_type,
            name=args.name,
            parent=getattr(args.opts, "parent", None) or None,
            inputs=plain(args.props),
            protect=bool(getattr(args.opts, "protect", False)),
        )
        for message in check(resource, ctx):
            report_violation(message, args.urn)  # the engine ignores it for resource policies; kept for clarity

    return validate


def _stack_validation(rule: Rule, ctx: Context, *, warnings: bool) -> Callable[[Any, Callable[..., None]], None]:
    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        reason = _not_applicable(rule, ctx)
        if reason:
            args.not_applicable(reason)
        graph = graph_of(args.resources)
        for finding in rule.findings(graph, ctx):
            if finding.warning == warnings:
                report_violation(_message(finding, rule), finding.urn)

    return validate


def graph_of(resources: Sequence[Any]) -> ResourceGraph:
    """`pulumi_policy.PolicyResource`s as the project's ResourceGraph (the same shape the offline preview records)."""
    converted = []
    for r in resources:
        dependencies = {d.urn for d in r.dependencies}
        for deps in (r.property_dependencies or {}).values():
            dependencies.update(d.urn for d in deps)
        converted.append(
            Resource(
                urn=r.urn,
                type=r.resource_type,
                name=r.name,
                parent=r.parent.urn if r.parent is not None else (getattr(r.opts, "parent", None) or None),
                inputs=plain(r.props),
                protect=bool(getattr(r.opts, "protect", False)),
                dependencies=tuple(sorted(dependencies)),
            )
        )
    return ResourceGraph(tuple(converted))


def plain(value: Any) -> Any:
    """Policy-SDK property proxies as plain data: values unknown during preview become "[unknown]"."""
    from pulumi_policy.proxy import UnknownValueError

    def read(container: Any, key: Any) -> Any:
        try:
            return convert(container[key])
        except UnknownValueError:
            return UNKNOWN

    def convert(item: Any) -> Any:
        if isinstance(item, Mapping):
            return {str(key): read(item, key) for key in item}
        if isinstance(item, Sequence) and not isinstance(item, (str, bytes)):
            return [read(item, i) for i in range(len(item))]
        if isinstance(item, (str, int, float, bool)) or item is None:
            return item
        return str(item)  # assets and archives: identify, never interpret

    return normalise(convert(value))
