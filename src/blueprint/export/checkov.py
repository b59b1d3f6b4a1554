"""Scan Terraform-plan exports with checkov and account for every failure: fixed, or accepted with a written reason.

checkov runs from its own virtual environment (its pins clash with pulumi's), as a subprocess. The accepted
failures live in `scan/checkov-skips.yaml`; an entry that no longer matches a failure is stale and is an error
too, so the file only ever lists what is still true. No pulumi import here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STANCES = ("strict", "balanced", "open")
# The project every scan builds, so skip entries can name resources by their exact address.
SCAN_ORG = "acme"
SCAN_REGION = "eu-west-1"


def new_project_args(stance: str, directory: Path) -> list[str]:
    """`blueprint new` arguments of the project the scan exports for `stance`."""
    return [
        "new", str(directory), "--stance", stance, "--org", SCAN_ORG, "--region", SCAN_REGION,
        "--team", "genomics:dsw-genomics", "--team", "vision:dsw-vision",
        "--alert-email", "platform@acme.example", "--admin-cidr", "203.0.113.0/24",
    ]  # fmt: skip


@dataclass(frozen=True, order=True)
class Result:
    """One check on one resource."""

    check_id: str
    resource: str
    check_name: str = field(default="", compare=False)


@dataclass(frozen=True)
class StanceScan:
    """checkov's verdict on one stance's plan."""

    stance: str
    resource_count: int
    passed: tuple[Result, ...]
    failed: tuple[Result, ...]
    errored: tuple[Result, ...]
    checkov_version: str


@dataclass(frozen=True)
class Skip:
    """An accepted failure: a check on named resources per stance, with the reason it is accepted."""

    check_id: str
    resources: Mapping[str, tuple[str, ...]]
    kind: str
    reason: str

    def covers(self, stance: str, result: Result) -> bool:
        return result.check_id == self.check_id and result.resource in self.resources.get(stance, ())

    @property
    def skipped(self) -> bool:
        """By-design entries count as skipped; open findings stay failures (acknowledged, not hidden)."""
        return self.kind == "by-design"


SKIP_KINDS = {
    "by-design": "the stance deliberately answers the concern another way",
    "open-finding": "a real gap, reported to the component's owner; remove the entry with the fix",
}


@dataclass(frozen=True)
class Verdict:
    """Failures split into accepted and not, plus skip entries that match nothing any more."""

    accepted: dict[str, tuple[tuple[Result, Skip], ...]]
    unaccepted: dict[str, tuple[Result, ...]]
    stale: tuple[str, ...]


class ScanError(RuntimeError):
    """checkov could not be run or its output could not be read."""


def load_skips(path: Path) -> tuple[Skip, ...]:
    """The entries of a skips file; ScanError when one lacks a check, resources per stance, a known kind or a reason."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")) or {}
    skips = []
    for index, entry in enumerate(data.get("skips") or []):
        where = f"{path}: skips[{index}]"
        if not isinstance(entry, dict):
            raise ScanError(f"{where}: expected a mapping")
        check_id, resources, reason, kind = entry.get("check"), entry.get("resources"), str(entry.get("reason") or "").strip(), entry.get("kind")
        if not check_id or not isinstance(resources, dict) or not resources or not reason:
            raise ScanError(f"{where}: needs check, resources (stance -> addresses) and a written reason")
        if kind not in SKIP_KINDS:
            raise ScanError(f"{where}: kind must be one of {', '.join(SKIP_KINDS)}")
        if unknown := sorted(set(resources) - set(STANCES)):
            raise ScanError(f"{where}: unknown stances {unknown}")
        by_stance = {stance: tuple(addresses or ()) for stance, addresses in resources.items()}
        skips.append(Skip(str(check_id), by_stance, kind, " ".join(reason.split())))
    return tuple(skips)


TERRAFORM = "terraform_plan"
KUBERNETES = "kubernetes"


def run_checkov(plan: Path, stance: str, checkov: Path, *, framework: str = TERRAFORM, timeout: float = 600) -> StanceScan:
    """Run checkov on one file (a Terraform plan, or Kubernetes manifests with `framework="kubernetes"`), offline,
    and read every passed, failed and errored check."""
    with tempfile.TemporaryDirectory(prefix="checkov-") as workdir:
        # Its own working directory: no .checkov.yaml or baseline of ours changes what it checks.
        env = {**os.environ, "LOG_LEVEL": "WARNING", "PYTHONWARNINGS": "ignore"}
        command = [str(Path(checkov).absolute()), "--file", str(plan.resolve()), "--framework", framework, "--output", "json", "--compact", "--skip-download"]
        try:
            completed = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ScanError(f"could not run {checkov}: {exc}") from exc
    if completed.returncode not in (0, 1):
        raise ScanError(f"checkov exited {completed.returncode}:\n{completed.stderr[-4000:]}")
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError as exc:
        raise ScanError(f"checkov printed no JSON report ({exc}):\n{completed.stdout[:2000]}\n{completed.stderr[-2000:]}") from exc
    return _stance_scan(stance, report, completed.stderr, framework)


def _stance_scan(stance: str, report: Any, stderr: str, framework: str = TERRAFORM) -> StanceScan:
    if isinstance(report, list):  # checkov prints a list when several frameworks ran
        report = next((r for r in report if r.get("check_type") == framework), {})
    if not report or "summary" not in report:
        # checkov prints only a summary of zeros when it parsed no resource at all
        raise ScanError(f"checkov scanned nothing: {json.dumps(report)[:500]}")
    results = report.get("results") or {}

    def read(kind: str) -> tuple[Result, ...]:
        return tuple(sorted(Result(r["check_id"], r["resource"], r.get("check_name") or "") for r in results.get(kind) or []))

    errored = tuple(sorted({Result(m.group(1), m.group(2)) for m in re.finditer(r"Failed to run check (\S+) on \S+?:(\S+)", stderr)}))
    summary = report["summary"]
    return StanceScan(stance, int(summary.get("resource_count", 0)), read("passed_checks"), read("failed_checks"), errored, str(summary.get("checkov_version", "")))


def evaluate(scans: Mapping[str, StanceScan], skips: Sequence[Skip]) -> Verdict:
    """Which failures the skips accept, which they do not, and which skip entries (per stance) match nothing."""
    accepted: dict[str, tuple[tuple[Result, Skip], ...]] = {}
    unaccepted: dict[str, tuple[Result, ...]] = {}
    used: set[tuple[int, str, str]] = set()
    for stance, scan in scans.items():
        ok, not_ok = [], []
        for result in scan.failed:
            matching = [(i, s) for i, s in enumerate(skips) if s.covers(stance, result)]
            if matching:
                index, skip = matching[0]
                used.add((index, stance, result.resource))
                ok.append((result, skip))
            else:
                not_ok.append(result)
        accepted[stance], unaccepted[stance] = tuple(ok), tuple(not_ok)
    stale = []
    for index, skip in enumerate(skips):
        for stance, resources in skip.resources.items():
            if stance not in scans:
                continue
            for resource in resources:
                if (index, stance, resource) not in used:
                    stale.append(f"{skip.check_id} on {resource} ({stance}): no longer fails; remove it from the skips file")
    return Verdict(accepted, unaccepted, tuple(stale))


@dataclass(frozen=True)
class KubernetesFigures:
    """What the Kubernetes export of one stance held and how much of it was validated."""

    stance: str
    kubernetes_version: str
    validated: int
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class RenderedFigures:
    """The chart rendered by the real Helm engine for one stance, validated object by object."""

    stance: str
    kubernetes_version: str
    helm_version: str
    ours: int
    chart: int
    chart_kinds: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class HelmFigures:
    """Whether one stance's JupyterHub values pass the chart's schema (merged over the chart defaults)."""

    stance: str
    chart_version: str
    errors: tuple[str, ...]
    hidden: tuple[str, ...] = ()
    """Paths not validated because the offline preview hides them (secrets)."""
    unavailable: str = ""
    """Why the values could not be exported offline, when they could not."""


@dataclass(frozen=True)
class WorksFigures:
    """The works rules (`blueprint check --family works`) on one stance's generated project: rule ids by outcome."""

    stance: str
    passed: tuple[str, ...]
    failed: tuple[str, ...]
    not_run: tuple[str, ...] = ()
    not_applicable: tuple[str, ...] = ()


def counts(scan: StanceScan, verdict: Verdict) -> dict[str, int]:
    """passed / failed / skipped / errored as docs/validation.md reports them: only by-design entries skip."""
    skipped = sum(1 for _, skip in verdict.accepted.get(scan.stance, ()) if skip.skipped)
    return {"passed": len(scan.passed), "failed": len(scan.failed) - skipped, "skipped": skipped, "errored": len(scan.errored)}


def render_validation(
    scans: Mapping[str, StanceScan],
    exported: Mapping[str, int],
    verdict: Verdict,
    kubernetes: Iterable[KubernetesFigures] = (),
    helm: Iterable[HelmFigures] = (),
    rendered: Iterable[RenderedFigures] = (),
    kubernetes_scans: Mapping[str, StanceScan] | None = None,
    kubernetes_verdict: Verdict | None = None,
    works: Iterable[WorksFigures] = (),
) -> str:
    """docs/validation.md: the figures, generated; the same inputs always give the same text."""
    version = next(iter(scans.values())).checkov_version if scans else "?"
    lines = [
        "# Validation figures",
        "",
        "<!-- Generated by `make scan` (scan/run_checkov.py); do not edit. tests/export checks it is current. -->",
        "",
        "What independent tools say about the three built-in stances. Each stance's project is generated with",
        f"`blueprint {' '.join(new_project_args('<stance>', Path('<dir>')))}`",
        "(org and region fixed so that results name the same resources every time), previewed offline and exported",
        "with `blueprint export`. Nothing here ran `pulumi preview` or touched AWS: the plans are built from the",
        "offline preview, with computed values from the preview's mocks.",
        "",
        f"## checkov {version} on `--format terraform-plan`",
        "",
        "Skipped counts failures `scan/checkov-skips.yaml` accepts *by design*, each with its reason. Failed counts",
        "every other failure, including *open findings*: real gaps, listed there so CI stays green while the fix is",
        "pending, never hidden. Errored counts checks that crashed inside checkov (no verdict either way).",
        "",
        "| stance | AWS resources exported | resources scanned | passed | failed | skipped | errored |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for stance, scan in scans.items():
        c = counts(scan, verdict)
        lines.append(
            f"| {stance} | {exported.get(stance, 0)} | {scan.resource_count} | {c['passed']} | {c['failed']} | {c['skipped']} | {c['errored']} |"
        )
    for stance, scan in scans.items():
        accepted = verdict.accepted.get(stance, ())
        findings = [(r, s) for r, s in accepted if not s.skipped]
        skipped = [(r, s) for r, s in accepted if s.skipped]
        unaccepted = verdict.unaccepted.get(stance, ())
        if not (accepted or unaccepted or scan.errored):
            continue
        lines += ["", f"### {stance}"]
        if findings:
            lines += ["", "Failed, open findings (reported; fix pending):", "", "| check | resource | title | note |", "|---|---|---|---|"]
            lines += [f"| {r.check_id} | `{r.resource}` | {r.check_name} | {s.reason} |" for r, s in findings]
        if unaccepted:
            title = "Failed, not accepted (the stance's own relaxations, or untriaged):" if stance != "strict" else "Failed, not accepted:"
            lines += ["", title, "", "| check | resource | title |", "|---|---|---|"]
            lines += [f"| {r.check_id} | `{r.resource}` | {r.check_name} |" for r in unaccepted]
        if skipped:
            lines += ["", "Skipped by design:", "", "| check | resource | title | reason |", "|---|---|---|---|"]
            lines += [f"| {r.check_id} | `{r.resource}` | {r.check_name} | {s.reason} |" for r, s in skipped]
        if scan.errored:
            lines += ["", "Errored inside checkov (no verdict):", ""]
            lines += [f"- {r.check_id} on `{r.resource}`" for r in scan.errored]
    figures = list(kubernetes)
    if figures:
        lines += [
            "",
            "## kubernetes-validate on `--format kubernetes`",
            "",
            "Manifests validated in strict mode (unknown fields are errors) against the OpenAPI schemas of the",
            "stance's EKS Kubernetes version. Objects no offline export can know are listed, not validated.",
            "",
            "| stance | Kubernetes | manifests validated | listed as unknown |",
            "|---|---|---:|---:|",
        ]
        lines += [f"| {f.stance} | {f.kubernetes_version} | {f.validated} | {len(f.unknown)} |" for f in figures]
        for f in figures:
            if f.unknown:
                lines += ["", f"Unknown in {f.stance}:", ""] + [f"- {entry}" for entry in f.unknown]
    helm_figures = list(helm)
    if helm_figures:
        lines += [
            "",
            "## Zero to JupyterHub schema on `--format helm-values`",
            "",
            "The values merged over the vendored chart's `values.yaml` as Helm merges them, then validated against",
            "its `values.schema.yaml` (`src/blueprint/charts/jupyterhub`).",
            "",
            "Paths the offline preview hides (secrets) are left out and listed; the chart defaults stand in for them.",
            "",
            "| stance | chart version asked | schema errors | not validated (hidden offline) |",
            "|---|---|---|---|",
        ]
        for h in helm_figures:
            errors = f"not validated: {h.unavailable}" if h.unavailable else str(len(h.errors))
            lines.append(f"| {h.stance} | {h.chart_version} | {errors} | {', '.join(f'`{p}`' for p in h.hidden) or '-'} |")
        for h in helm_figures:
            lines += [f"- {h.stance}: {error}" for error in h.errors]
    rendered_figures = list(rendered)
    if rendered_figures:
        helm_version = rendered_figures[0].helm_version
        lines += [
            "",
            f"## The chart rendered by the real Helm engine: `--format rendered` (helm {helm_version})",
            "",
            "`helm template` renders the vendored chart with each stance's values (helm validates them against the",
            "chart's `values.schema.json` first; the secret `hub.config` is a stand-in of the same shape). Every",
            "rendered object and every object of the program is then validated by kubernetes-validate in strict mode.",
            "",
            "| stance | Kubernetes | objects of the program | rendered chart objects | all valid | rendered kinds |",
            "|---|---|---:|---:|---|---|",
        ]
        for r in rendered_figures:
            kinds = ", ".join(f"{kind} {count}" for kind, count in r.chart_kinds)
            lines.append(f"| {r.stance} | {r.kubernetes_version} | {r.ours} | {r.chart} | yes | {kinds} |")
    if kubernetes_scans and kubernetes_verdict is not None:
        version = next(iter(kubernetes_scans.values())).checkov_version
        lines += [
            "",
            f"## checkov {version} (kubernetes framework) on `--format rendered`",
            "",
            "Our objects and the rendered chart together. Accepted failures are listed in",
            "`scan/checkov-kubernetes-skips.yaml`, each with its reason; the kinds mean the same as above.",
            "",
            "| stance | objects scanned | passed | failed | skipped | errored |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for stance, scan in kubernetes_scans.items():
            c = counts(scan, kubernetes_verdict)
            lines.append(f"| {stance} | {scan.resource_count} | {c['passed']} | {c['failed']} | {c['skipped']} | {c['errored']} |")
        for stance, scan in kubernetes_scans.items():
            accepted = kubernetes_verdict.accepted.get(stance, ())
            unaccepted = kubernetes_verdict.unaccepted.get(stance, ())
            if not (accepted or unaccepted):
                continue
            lines += ["", f"### {stance} (kubernetes)", "", "| check | objects | kind | reason |", "|---|---|---|---|"]
            by_skip: dict[int, tuple[Skip, list[Result]]] = {}
            for result, skip in accepted:
                by_skip.setdefault(id(skip), (skip, []))[1].append(result)
            for skip, results in by_skip.values():
                objects = ", ".join(f"`{r.resource}`" for r in results)
                lines.append(f"| {skip.check_id} | {objects} | {skip.kind} | {skip.reason} |")
            lines += [f"| {r.check_id} | `{r.resource}` | not accepted | {r.check_name} |" for r in unaccepted]
    works_figures = list(works)
    if works_figures:
        lines += [
            "",
            "## works rules (`blueprint check --family works`)",
            "",
            "What day 1 needs, judged on the same offline graph and on the chart rendered by the real `helm template`",
            "(sessions reach the hub, the hub reaches the IdP, NetworkPolicy is enforced, ...). A failed rule is a",
            "day-1 blocker in the generated program; not run means helm was missing (never counted as passed).",
            "",
            "| stance | works rules | passed | failed | not run | not asked for | failing |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for w in works_figures:
            total = len(w.passed) + len(w.failed) + len(w.not_run) + len(w.not_applicable)
            failing = ", ".join(f"`{rule}`" for rule in w.failed) or "-"
            lines.append(f"| {w.stance} | {total} | {len(w.passed)} | {len(w.failed)} | {len(w.not_run)} | {len(w.not_applicable)} | {failing} |")
    return "\n".join(lines) + "\n"
