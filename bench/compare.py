"""A/B benchmark of the offline preview: two source trees, interleaved runs, CPU and wall medians.

CPU time (user + system of the child process) is the figure that survives a busy machine; wall time is
printed beside it. Each tree is run as `python -m blueprint preview` with its `src/` first on PYTHONPATH, so
one virtual environment serves both; runs alternate A, B, A, B... so drift hits both alike.

Usage: python bench/compare.py --a OLD_CHECKOUT --b NEW_CHECKOUT [--teams 1 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_project(tree: Path, root: Path, teams: int) -> Path:
    directory = root / f"{tree.name}-{teams}"
    args = [sys.executable, "-m", "blueprint", "new", str(directory), "--stance", "strict", "--org", "acme", "--region", "eu-west-1"]
    for i in range(teams):
        args += ["--team", f"team-{i:03d}:dsw-team-{i:03d}"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env(tree))
    return directory


def _env(tree: Path) -> dict[str, str]:
    # Cold previews: the graph cache (preview/cache.py) would turn every run after the first into a cache read.
    return {**os.environ, "PYTHONPATH": str(tree / "src"), "BLUEPRINT_NO_CACHE": "1"}


def run_once(tree: Path, project: Path) -> tuple[float, float]:
    """(cpu seconds, wall seconds) of one `blueprint preview` of `project` with `tree`'s code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "blueprint", "preview", str(project)], env=_env(tree), capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"preview with {tree} failed ({done.returncode}): {done.stderr[-2000:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--a", type=Path, required=True, help="checkout A (e.g. before a change)")
    parser.add_argument("--b", type=Path, required=True, help="checkout B (e.g. after it)")
    parser.add_argument("--teams", type=int, nargs="+", default=[1, 200])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trees = (args.a.resolve(), args.b.resolve())
    print(f"{'teams':>5}  {'tree':<40} {'cpu median (min-max)':>26} {'wall median':>12}  {'cpu per team':>12}")
    with tempfile.TemporaryDirectory(prefix="blueprint-compare-") as tmp:
        for teams in args.teams:
            projects = {tree: make_project(tree, Path(tmp), teams) for tree in trees}
            samples: dict[Path, list[tuple[float, float]]] = {tree: [] for tree in trees}
            for _ in range(args.repeat):
                for tree in trees:
                    samples[tree].append(run_once(tree, projects[tree]))
            for tree in trees:
                cpu = [c for c, _ in samples[tree]]
                wall = [w for _, w in samples[tree]]
                per_team = statistics.median(cpu) / teams
                print(
                    f"{teams:>5}  {str(tree)[-40:]:<40} {statistics.median(cpu):>8.2f} s ({min(cpu):.2f}-{max(cpu):.2f})"
                    f"{statistics.median(wall):>10.2f} s  {per_team * 1000:>9.1f} ms"
                )


if __name__ == "__main__":
    main()
