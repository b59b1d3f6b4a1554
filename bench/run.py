"""Benchmarks: CLI cold start, offline preview and check by team count, peak memory.

Run with `make bench` (or `.venv/bin/python bench/run.py`); prints a table and writes
bench/results.md. Every figure is the median of several runs of a fresh process, next
to its floor: a minimal typer app for the CLI, a bare import of the same Pulumi SDK
modules for the preview.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BLUEPRINT = str(BIN / "blueprint")
PYTHON = sys.executable

TYPER_FLOOR = '''
import typer
app = typer.Typer()
@app.command()
def one() -> None: """First."""
@app.command()
def two() -> None: """Second."""
app()
'''

# Peak RSS of one child process, measured by a small wrapper so only that child counts.
MEASURE_RSS = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"


def timed(command: list[str], repeat: int, cwd: Path | None = None, ok_codes: tuple[int, ...] = (0,)) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        completed = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        samples.append(time.perf_counter() - start)
        if completed.returncode not in ok_codes:
            raise SystemExit(f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return statistics.median(samples)


def peak_rss_mib(command: list[str]) -> float:
    output = subprocess.run([PYTHON, "-c", MEASURE_RSS, *command], capture_output=True, text=True, check=True).stdout
    return int(output.strip()) / 1024


def make_project(root: Path, teams: int) -> Path:
    directory = root / f"strict-{teams}"
    args = [BLUEPRINT, "new", str(directory), "--stance", "strict", "--org", "acme", "--region", "eu-west-1"]
    for i in range(teams):
        args += ["--team", f"team-{i:03d}:dsw-team-{i:03d}"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return directory


def sdk_floor_script(project: Path) -> str:
    """A script importing exactly the Pulumi SDK modules a preview of `project` imports."""
    probe = (
        "import json, sys\n"
        "from blueprint.preview import preview_project\n"
        f"preview_project({str(project)!r})\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_kubernetes'))))\n"
    )
    modules = json.loads(subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    leaves = [m for m in modules if not any(other.startswith(m + ".") for other in modules)]
    return "\n".join(f"import {m}" for m in leaves) + "\n"


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}x" if floor else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per cold-start figure (median)")
    parser.add_argument("--preview-repeat", type=int, default=3, help="runs per preview/check figure (median)")
    parser.add_argument("--teams", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args()

    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "typer_floor.py").write_text(TYPER_FLOOR)
        typer_floor = timed([PYTHON, str(root / "typer_floor.py"), "--help"], args.repeat)
        rows.append(("typer floor: minimal two-command app --help", f"{typer_floor * 1000:.0f} ms", "", ""))
        help_time = timed([BLUEPRINT, "--help"], args.repeat)
        rows.append(("blueprint --help", f"{help_time * 1000:.0f} ms", ratio(help_time, typer_floor), "target <= 1.30x"))
        new_samples = []
        for i in range(args.repeat):
            start = time.perf_counter()
            subprocess.run([BLUEPRINT, "new", str(root / f"cold-{i}"), "--org", "acme"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            new_samples.append(time.perf_counter() - start)
        new_time = statistics.median(new_samples)
        rows.append(("blueprint new", f"{new_time * 1000:.0f} ms", ratio(new_time, typer_floor), "target <= 1.30x"))

        projects = {n: make_project(root, n) for n in args.teams}
        floor_script = root / "sdk_floor.py"
        floor_script.write_text(sdk_floor_script(projects[min(args.teams)]))
        sdk_floor = timed([PYTHON, str(floor_script)], args.preview_repeat)
        rows.append(("SDK floor: import the Pulumi modules the program uses", f"{sdk_floor * 1000:.0f} ms", "", ""))
        previews = {}
        for n, project in projects.items():
            previews[n] = timed([BLUEPRINT, "preview", str(project), "--json"], args.preview_repeat)
            target = "target <= 1.50x of SDK floor" if n == 1 else ("target <= 3x of 1 team" if n == 200 else "")
            base = sdk_floor if n == 1 else previews[min(args.teams)]
            rows.append((f"preview strict, {n} team(s)", f"{previews[n] * 1000:.0f} ms", ratio(previews[n], base), target))
        for n, project in projects.items():
            check_time = timed([BLUEPRINT, "check", str(project), "--json"], args.preview_repeat, ok_codes=(0, 1))
            rows.append((f"check strict, {n} team(s)", f"{check_time * 1000:.0f} ms", ratio(check_time, previews[n]), "vs preview"))
        largest = max(args.teams)
        peak = peak_rss_mib([BLUEPRINT, "preview", str(projects[largest]), "--json"])
        rows.append((f"peak memory, preview of {largest} teams", f"{peak:.0f} MiB", "", "target < 1024 MiB"))

    header = ("measure", "value", "ratio", "target")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    table = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in [header, *rows]]
    print("\n".join(table))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    markdown = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` on {time.strftime('%Y-%m-%d')} ({machine}). Medians of fresh processes.",
        "",
        "| " + " | ".join(header) + " |",
        "|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    args.output.write_text("\n".join(markdown))


if __name__ == "__main__":
    main()
