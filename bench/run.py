"""Benchmarks: CLI cold start, offline preview/check/export/review by team count, cached and one-team-edit runs.

Run with `make bench` (or `.venv/bin/python bench/run.py`); `--quick` fits in a few minutes (fewer sizes and
repeats). Every figure is a set of fresh processes of this checkout's code (`src/` first on PYTHONPATH), run
interleaved with its floor and its neighbours (A B C, C B A, ...) so a busy machine hits them alike. CPU time
(user + system of the child and what it waited for, from wait4) is the figure that survives other load; wall
time and peak RSS are printed beside it, each as median (min-max).

Floors:
- typer: a bare two-command typer app's `--help`; and one command with typed options (typer >= 0.16 coerces
  parameters with pydantic, so that floor already pays pydantic's import).
- SDK: import the Pulumi SDKs and touch one class of each SDK module (service) whose resources the preview
  graph holds (`aws:ec2/vpc:Vpc` -> `pulumi_aws.ec2.Vpc`, which executes the lazily loaded ec2 package), derived
  from the graph so it follows the program. Names merely left in sys.modules (lazy-module stubs the preview
  never executed) are not imported.

Bytecode: the bench runs with bytecode writing on (a user's installed package has .pyc files), after one
warm-up run of every case, so no figure pays for compiling sources.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BLUEPRINT = [PYTHON, "-m", "blueprint"]
MIB = 1024  # ru_maxrss is in KiB on Linux
WORKERS_ENV = "BLUEPRINT_PREVIEW_WORKERS"  # preview.incremental.WORKERS_ENV: 1 keeps a preview in one process

TYPER_FLOOR = '''
import typer
app = typer.Typer()
@app.command()
def one() -> None: """First."""
@app.command()
def two() -> None: """Second."""
app()
'''

# The same app, run with a command that takes typed options the way `blueprint new` does.
TYPER_OPTIONS_FLOOR = '''
from enum import Enum
from pathlib import Path
from typing import Annotated
import typer
app = typer.Typer()
class Kind(str, Enum):
    a = "a"
    b = "b"
@app.command()
def one(
    directory: Annotated[Path, typer.Argument(help="Where.")],
    name: Annotated[str, typer.Option(help="A name.")] = "x",
    item: Annotated[list[str] | None, typer.Option(help="Repeat.")] = None,
    kind: Annotated[Kind, typer.Option(help="A kind.")] = Kind.a,
) -> None:
    """First."""
@app.command()
def two() -> None: """Second."""
app()
'''

VALIDATE_BY_LOADING = "import sys; from blueprint.model import load_blueprint; load_blueprint(sys.argv[1])"


@dataclass(frozen=True)
class Sample:
    cpu: float
    wall: float
    rss_mib: float


@dataclass
class Case:
    """One command measured as fresh processes; `before` runs untimed ahead of each run (e.g. edit a file)."""

    label: str
    command: list[str]
    env: dict[str, str]
    cwd: Path | None = None
    ok_codes: tuple[int, ...] = (0,)
    before: Callable[[], None] | None = None
    samples: list[Sample] = field(default_factory=list)

    def run(self) -> Sample:
        if self.before is not None:
            self.before()
        with tempfile.TemporaryFile() as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode not in self.ok_codes:
                stderr.seek(0)
                raise SystemExit(f"{self.label}: {' '.join(self.command)} exited {process.returncode}:\n{stderr.read().decode()[-3000:]}")
        return Sample(cpu=usage.ru_utime + usage.ru_stime, wall=wall, rss_mib=usage.ru_maxrss / MIB)

    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)


def interleaved(cases: Sequence[Case], repeat: int, *, warm_up: str = "all") -> None:
    """Run every case `repeat` times, alternating the order (A B C, C B A, ...) so drift hits all alike.

    `warm_up`: one untimed run of every case ("all") or of the first only ("first": it writes the bytecode and
    fills the caches the others share, and saves time in quick mode).
    """
    for case in cases if warm_up == "all" else cases[:1]:
        case.run()
    for round_ in range(repeat):
        for case in cases if round_ % 2 == 0 else reversed(cases):
            case.samples.append(case.run())
        print(f"  round {round_ + 1}/{repeat}: " + ", ".join(f"{c.label} {c.samples[-1].cpu:.2f}s" for c in cases), file=sys.stderr, flush=True)


def spread(values: Sequence[float], unit: str = "s", scale: float = 1.0, digits: int = 2) -> str:
    scaled = [v * scale for v in values]
    return f"{statistics.median(scaled):.{digits}f} {unit} ({min(scaled):.{digits}f}-{max(scaled):.{digits}f})"


def environment(*, cache_dir: Path | None) -> dict[str, str]:
    """This checkout's code, bytecode on, the graph cache off (None) or in `cache_dir`."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "BLUEPRINT_NO_CACHE", "BLUEPRINT_CACHE_DIR")}
    env["PYTHONPATH"] = str(ROOT / "src")
    if cache_dir is None:
        env["BLUEPRINT_NO_CACHE"] = "1"
    else:
        env["BLUEPRINT_CACHE_DIR"] = str(cache_dir)
    return env


def make_project(root: Path, teams: int, env: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    directory = root / f"strict-{teams}"
    args = [*BLUEPRINT, "new", str(directory), "--stance", "strict", "--org", "acme", "--region", "eu-west-1"]
    for i in range(teams):
        args += ["--team", f"team-{i:03d}:dsw-team-{i:03d}"]
    done = subprocess.run(args, capture_output=True, text=True, env=env)  # its notes (guessed repository, ...) are not news
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:6])} ... exited {done.returncode}:\n{done.stderr}")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=directory, check=True)
    subprocess.run([*git, "add", "-A"], cwd=directory, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], cwd=directory, check=True)
    return directory


# --- the honest SDK floor -------------------------------------------------------------------------------------

PROVIDERS = {"pulumi:providers:aws": ("pulumi_aws", "Provider"), "pulumi:providers:kubernetes": ("pulumi_kubernetes", "Provider")}


def sdk_classes() -> dict[str, tuple[str, str]]:
    """Resource type token -> (Python module, class) from the SDKs' own registration tables (read, not imported)."""
    table = dict(PROVIDERS)
    for package in ("pulumi_aws", "pulumi_kubernetes"):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise SystemExit(f"{package} is not installed in {PYTHON}")
        source = Path(spec.origin).read_text(encoding="utf-8")
        found = re.search(r'resource_modules="""(.*?)"""', source, re.S)
        if found is None:
            raise SystemExit(f"{spec.origin}: no resource_modules table (has the SDK's layout changed?)")
        for module in json.loads(found.group(1)):
            for token, name in module["classes"].items():
                table[token] = (module["fqn"], name)
    return table


def graph_types(project: Path, env: dict[str, str]) -> list[str]:
    done = subprocess.run(preview_command(project), env=env, capture_output=True, text=True, check=True)
    return sorted({r["type"] for r in json.loads(done.stdout)["resources"]})


def sdk_floor_script(types: Sequence[str]) -> tuple[str, list[str]]:
    """A script touching one class of each SDK module the graph's types live in; also the types it left out."""
    table = sdk_classes()
    touched: dict[str, str] = {}
    unmapped = []
    for token in types:
        if token in table:
            module, name = table[token]
            touched.setdefault(module, name)
        elif not token.startswith(("workbench:", "pulumi:pulumi:")):
            unmapped.append(token)
    lines = ["import importlib", "import pulumi, pulumi.runtime", f"for module, name in {sorted(touched.items())!r}:", "    getattr(importlib.import_module(module), name)"]
    return "\n".join(lines) + "\n", unmapped


def sys_modules_floor_script(project: Path, env: dict[str, str]) -> str:
    """The old, inflated floor: import every Pulumi name left in sys.modules after a preview (lazy stubs included)."""
    probe = (
        "import json, sys\n"
        "from blueprint.preview import preview_project\n"
        f"preview_project({str(project)!r}, use_cache=False)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_kubernetes'))))\n"
    )
    modules = json.loads(subprocess.run([PYTHON, "-c", probe], env=env, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    leaves = [m for m in modules if not any(other.startswith(m + ".") for other in modules)]
    return "\n".join(f"import {m}" for m in leaves) + "\n"


# --- one-team edit --------------------------------------------------------------------------------------------


def one_team_editor(project: Path, team: str, env: dict[str, str]) -> Callable[[], None]:
    """Fork `team` (untimed) and return an edit that lowers its idle timeout by one minute each call."""
    subprocess.run([*BLUEPRINT, "fork", str(project), "--team", team], env=env, check=True, capture_output=True)
    overlay = project / "teams" / f"{team}.yaml"
    pattern = re.compile(r"^idle_timeout_minutes: (\d+)$", re.M)

    def edit() -> None:
        text = overlay.read_text(encoding="utf-8")
        current = int(pattern.search(text).group(1))  # type: ignore[union-attr]
        overlay.write_text(pattern.sub(f"idle_timeout_minutes: {current - 1}", text), encoding="utf-8")

    return edit


def preview_command(project: Path) -> list[str]:
    return [*BLUEPRINT, "preview", str(project), "--json"]


def has_command(name: str, env: dict[str, str]) -> bool:
    return subprocess.run([*BLUEPRINT, name, "--help"], env=env, capture_output=True).returncode == 0


# --- report ---------------------------------------------------------------------------------------------------


@dataclass
class Row:
    measure: str
    case: Case | None = None
    ratio: str = ""
    target: str = ""
    value: str = ""


def ratio(case: Case, base: Case) -> str:
    return f"{case.cpu() / base.cpu():.2f}x"


def render(rows: Sequence[Row]) -> list[list[str]]:
    table = [["measure", "CPU median (min-max)", "wall median (min-max)", "peak RSS", "ratio (CPU)", "target"]]
    for row in rows:
        if row.case is None:
            table.append([row.measure, row.value, "", "", row.ratio, row.target])
            continue
        samples = row.case.samples
        table.append([
            row.measure,
            spread([s.cpu for s in samples]),
            spread([s.wall for s in samples]),
            f"{max(s.rss_mib for s in samples):.0f} MiB",
            row.ratio,
            row.target,
        ])  # fmt: skip
    return table


@dataclass(frozen=True)
class Target:
    figure: str
    target: str
    limit: float
    measured: float
    unit: str = "x"

    def line(self) -> list[str]:
        value = f"{self.measured:.2f}{self.unit}" if self.unit == "x" else f"{self.measured:.{0 if self.unit == ' MiB' else 2}f}{self.unit}"
        return [self.figure, self.target, value, "met" if self.measured <= self.limit else "**not met**"]


def targets(cases: dict[str, Case], *, smallest: int, largest: int) -> list[Target]:
    """The issue's table of targets, each as one ratio (of CPU medians) of this run."""
    wall = lambda case: statistics.median(s.wall for s in case.samples)  # noqa: E731
    beside_large = cases.get("preview small, beside large", cases["preview small"])  # 1-team runs between the 200-team ones
    found = [
        Target(f"preview {smallest} team / SDK floor", "<= 1.2x", 1.2, cases["preview small"].cpu() / cases["sdk floor"].cpu()),
        Target(f"preview {largest} teams cold, one process / {smallest} team", "<= 3x", 3.0, cases.get("preview large, one process", cases["preview large"]).cpu() / beside_large.cpu()),
        Target(f"preview {largest} teams cold / {smallest} team, wall", "<= 2x wall with sharding", 2.0, wall(cases["preview large"]) / wall(beside_large)),
        Target(
            f"check/export/review of an unchanged project ({largest} teams) / cold preview, the worst of the three",
            "<= 0.1x",
            0.1,
            # Against the one-process preview: a sharded one spends more CPU, which would flatter the ratio.
            max(cases[f"{name} cached"].cpu() for name in ("check", "export", "review")) / cases.get("preview large, one process", cases["preview large"]).cpu(),
        ),
        Target(f"one-team edit in {largest} teams, re-check / {smallest}-team preview", "<= 1.3x", 1.3, cases["one edit"].cpu() / cases.get("preview small, beside edit", cases["preview small"]).cpu()),
        Target("`new` / typer floor", "<= 1.3x", 1.3, cases["new"].cpu() / cases["typer floor"].cpu()),
        Target(f"validate, {largest} teams (wall)", "<= 0.3 s", 0.3, wall(cases["validate large"]), " s"),
        Target(f"validate, {largest} teams (CPU)", "<= 0.3 s", 0.3, cases["validate large"].cpu(), " s"),
        Target(f"peak memory, preview of {largest} teams", "< 512 MiB", 512, max(s.rss_mib for s in cases["preview large"].samples), " MiB"),
    ]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 and 10 teams, fewer repeats: a few minutes; prints, writes no file unless --output")
    parser.add_argument("--repeat", type=int, help="runs per cold-start figure (default 7, quick 3)")
    parser.add_argument("--preview-repeat", type=int, help="runs per preview-sized figure (default 3, quick 2)")
    parser.add_argument("--teams", type=int, nargs="+", help="team counts (default 1 10 50 200, quick 1 10)")
    parser.add_argument("--output", type=Path, help="markdown file to write (default bench/results.md, none with --quick)")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    preview_repeat = args.preview_repeat or (2 if args.quick else 3)
    team_counts = sorted(set(args.teams or ([1, 10] if args.quick else [1, 10, 50, 200])))
    output = args.output or (None if args.quick else ROOT / "bench" / "results.md")
    warm_up = "first" if args.quick else "all"
    smallest, largest = team_counts[0], team_counts[-1]

    rows: list[Row] = []
    notes: list[str] = []
    named: dict[str, Case] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="blueprint-bench-") as scratch:
        root = Path(scratch)
        cold = environment(cache_dir=None)
        cached = environment(cache_dir=root / "cache")

        print("cold start", file=sys.stderr)
        (root / "typer_floor.py").write_text(TYPER_FLOOR)
        (root / "typer_options_floor.py").write_text(TYPER_OPTIONS_FLOOR)

        def fresh_new_target() -> None:
            shutil.rmtree(root / "new-target", ignore_errors=True)

        projects = {n: make_project(root / "projects", n, cold) for n in team_counts}
        validate_is_command = has_command("validate", cold)
        validate_cases = {}
        for n in sorted({smallest, largest}):
            command = [*BLUEPRINT, "validate", str(projects[n])] if validate_is_command else [PYTHON, "-c", VALIDATE_BY_LOADING, str(projects[n])]
            validate_cases[n] = Case(f"validate {n}", command, cold)
        floor = Case("typer floor", [PYTHON, str(root / "typer_floor.py"), "--help"], cold)
        options_floor = Case("typer options floor", [PYTHON, str(root / "typer_options_floor.py"), "one", "d", "--name", "y", "--item", "a"], cold)
        help_case = Case("--help", [*BLUEPRINT, "--help"], cold)
        new_case = Case("new", [*BLUEPRINT, "new", str(root / "new-target"), "--org", "acme"], cold, before=fresh_new_target)
        interleaved([floor, options_floor, help_case, new_case, *validate_cases.values()], repeat)
        named.update({"typer floor": floor, "new": new_case, "validate large": validate_cases[largest]})
        rows += [
            Row("typer floor: a two-command app's --help", floor),
            Row("typer floor: a command with typed options (imports pydantic)", options_floor, ratio(options_floor, floor)),
            Row("blueprint --help", help_case, ratio(help_case, floor), "<= 1.30x typer floor"),
            Row("blueprint new", new_case, ratio(new_case, floor), "<= 1.30x typer floor"),
        ]
        for n, case in validate_cases.items():
            what = "blueprint validate" if validate_is_command else "validate (python -c load_blueprint: no `validate` command yet)"
            rows.append(Row(f"{what}, {n} team(s)", case, ratio(case, floor), "<= 0.3 s (200 teams)" if n == 200 else ""))

        print("SDK floor", file=sys.stderr)
        types = graph_types(projects[smallest], cold)
        script, unmapped = sdk_floor_script(types)
        (root / "sdk_floor.py").write_text(script)
        if unmapped:
            notes.append(f"Types of the graph no SDK table names (left out of the floor): {', '.join(unmapped)}.")
        sdk_floor = Case("SDK floor", [PYTHON, str(root / "sdk_floor.py")], cold)
        floor_cases = [sdk_floor]
        named["sdk floor"] = sdk_floor
        if not args.quick:
            (root / "sys_modules_floor.py").write_text(sys_modules_floor_script(projects[smallest], cold))
            floor_cases.append(Case("old floor", [PYTHON, str(root / "sys_modules_floor.py")], cold))

        previews: dict[int, Case] = {}
        for n in team_counts:
            print(f"{n} team(s), cold", file=sys.stderr)
            project = projects[n]
            plan = root / f"plan-{n}.json"
            group = [
                Case(f"preview {n}", preview_command(project), cold),
                Case(f"check {n}", [*BLUEPRINT, "check", str(project), "--json"], cold, ok_codes=(0, 1)),
                Case(f"export {n}", [*BLUEPRINT, "export", str(project), "--format", "terraform-plan", "-o", str(plan)], cold),
                Case(f"review {n}", [*BLUEPRINT, "review", str(project), "--base", "HEAD"], cold, cwd=project),
            ]
            # Many teams are dealt out to forked workers where cores sit idle: that buys wall time with some CPU (each
            # worker declares the shared infrastructure again), so the CPU figure is of one process, the wall one sharded.
            # A ratio is of runs interleaved with each other: the machine's speed drifts over minutes, so the figures
            # of 200 teams are judged against 1-team previews run between them, not against the 1-team phase before.
            largest_pair = (
                (Case(f"preview {n}, one process", preview_command(project), {**cold, WORKERS_ENV: "1"}), Case(f"preview {smallest}, beside {n}", preview_command(projects[smallest]), cold))
                if n == largest and n > smallest
                else None
            )
            # The floor ratio has the tightest target (1.2x) and 1-team runs are cheap: more runs there.
            runs = max(preview_repeat, 5) if n == smallest else preview_repeat
            interleaved([*group, *(floor_cases if n == smallest else []), *(largest_pair or ())], runs, warm_up=warm_up)
            preview, check, export, review = group
            previews[n] = preview
            named[f"preview {n}"] = preview
            if n == smallest:
                named["preview small"] = preview
            if n == largest:
                named["preview large"] = preview
            if n == smallest:
                rows.append(Row("SDK floor: import the SDKs, touch one class per service in the graph", sdk_floor))
                if len(floor_cases) > 1:
                    rows.append(Row("old floor: every Pulumi name left in sys.modules (inflated)", floor_cases[1], ratio(floor_cases[1], sdk_floor)))
                rows.append(Row(f"preview, {n} team(s)", preview, ratio(preview, sdk_floor), "<= 1.2x SDK floor" if n == 1 else ""))
            else:
                rows.append(Row(f"preview, {n} team(s)", preview, ratio(preview, previews[smallest]) + f" of {smallest}", "<= 2x wall of 1 team" if n == 200 else ""))
            if largest_pair is not None:
                single, beside = largest_pair
                named["preview large, one process"], named["preview small, beside large"] = single, beside
                rows.append(Row(f"preview, {smallest} team(s), run between the {n}-team runs", beside))
                rows.append(Row(f"preview, {n} team(s), one process ({WORKERS_ENV}=1)", single, ratio(single, beside) + f" of {smallest} beside", "<= 3x of 1 team" if n == 200 else ""))
            for case in (check, export, review):
                rows.append(Row(f"{case.label.split()[0]}, {n} team(s)", case, ratio(case, preview) + " of preview"))

        print("cached and one-team edit", file=sys.stderr)
        project = projects[largest]
        group = [
            Case(f"check {largest} cached", [*BLUEPRINT, "check", str(project), "--json"], cached, ok_codes=(0, 1)),
            Case(f"export {largest} cached", [*BLUEPRINT, "export", str(project), "--format", "terraform-plan", "-o", str(root / "plan.json")], cached),
            Case(f"review {largest} cached", [*BLUEPRINT, "review", str(project), "--base", "HEAD"], cached, cwd=project),
        ]
        interleaved(group, preview_repeat, warm_up=warm_up)  # the warm-up run fills the cache
        for case in group:
            named[f"{case.label.split()[0]} cached"] = case
            rows.append(Row(f"{case.label.split()[0]} of an unchanged project, {largest} team(s) (cached graph)", case, ratio(case, named.get("preview large, one process", previews[largest])) + " of cold preview", "<= 0.1x"))
        incremental = (ROOT / "src" / "blueprint" / "preview" / "incremental.py").is_file()
        edited = make_project(root / "edited", largest, cold)
        edit = one_team_editor(edited, f"team-{largest // 2:03d}", cold)
        one_edit = Case(f"check after a one-team edit, {largest}", [*BLUEPRINT, "check", str(edited), "--json"], cached, ok_codes=(0, 1), before=edit)
        beside_edit = Case(f"preview {smallest}, beside the edit", preview_command(projects[smallest]), cold)
        named["one edit"], named["preview small, beside edit"] = one_edit, beside_edit
        # The closest target (1.3x) and cheap runs: at least 5 pairs. The warm-up fills the cache; each run then edits the overlay once.
        interleaved([one_edit, beside_edit], max(preview_repeat, 5))
        how = "incremental graph" if incremental else "no incremental graph on this checkout: a full run"
        rows.append(Row(f"preview, {smallest} team(s), run between the one-team edits", beside_edit))
        rows.append(Row(f"check after editing one team's overlay, {largest} teams ({how})", one_edit, ratio(one_edit, beside_edit) + f" of {smallest}-team preview beside", "<= 1.3x"))

        peak = max(s.rss_mib for s in previews[largest].samples)
        rows.append(Row(f"peak RSS, preview of {largest} teams", value=f"{peak:.0f} MiB", target="< 512 MiB"))

    summary = [["figure (ratios of CPU medians unless marked)", "target", "this run", ""]] + [t.line() for t in targets(named, smallest=smallest, largest=largest)]
    table = render(rows)
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    print("\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) for line in table))
    print()
    print("\n".join(" | ".join(line) for line in summary))
    minutes = (time.monotonic() - started) / 60
    print(f"({minutes:.1f} min)", file=sys.stderr)
    if output is None:
        return
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip() or "unknown"
    load = os.getloadavg()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    probe = "from blueprint.charts.z2jh import find_helm; print(find_helm() or '')"
    helm = subprocess.run([PYTHON, "-c", probe], env=environment(cache_dir=None), capture_output=True, text=True).stdout.strip()  # as the checks find it
    markdown = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` (`bench/run.py{' --quick' if args.quick else ''}`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"commit {commit} ({machine}; load average {load[0]:.1f} at the end; {minutes:.0f} min).",
        "",
        "Fresh processes of this checkout, interleaved with their floors (A B C, C B A, ...) after one warm-up run each; "
        f"{repeat} runs per cold-start figure, {preview_repeat} per preview-sized one (at least 5 for the floor and the smallest project). **CPU time is the figure to read**: the "
        "machine is shared (other sessions ran on its cores during the run), which moves wall time far more than CPU time. "
        "Ratios are of CPU medians.",
        "",
        "## Targets (issue 16)",
        "",
        "| " + " | ".join(summary[0]) + " |",
        "|---|---|---|---|",
        *("| " + " | ".join(line) + " |" for line in summary[1:]),
        "",
        "## Every figure",
        "",
        "| " + " | ".join(table[0]) + " |",
        "|" + "---|" * len(table[0]),
        *("| " + " | ".join(line) + " |" for line in table[1:]),
        "",
        "Notes:",
        "",
        "- The SDK floor imports the Pulumi SDKs and touches one class of each SDK module whose resources the preview graph "
        "holds (derived from the graph, so it follows the program); the old floor imported every Pulumi name left in "
        "`sys.modules`, lazy-module stubs the preview never executed included.",
        "- `check` runs the works rules over the chart rendered by the real helm: "
        + (f"helm was `{helm}`." if helm else "**helm was not found, so those rules were skipped**."),
        "- Cached: the graph cache (`preview/cache.py`) in a fresh directory, filled by the warm-up run; cold figures run with `BLUEPRINT_NO_CACHE=1`.",
        "- `review` compares the project with `--base HEAD` (the same tree), so it previews both sides.",
        *(f"- {note}" for note in notes),
        "",
    ]
    output.write_text("\n".join(markdown), encoding="utf-8")
    print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
