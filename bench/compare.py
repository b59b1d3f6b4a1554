"""A/B benchmark of two source trees: interleaved fresh processes, CPU and wall medians with min-max.

CPU time (user + system of the child and what it waited for) is the figure that survives a busy machine; wall
time is printed beside it. Each tree runs as `python -m blueprint COMMAND` with its `src/` first on PYTHONPATH,
so one virtual environment serves both; runs alternate A B, B A, ... so drift hits both alike. Previews are cold
(the graph cache off) unless --cached.

Usage: python bench/compare.py --a OLD_CHECKOUT --b NEW_CHECKOUT [--teams 1 200] [--repeat 5] [--command check]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import BLUEPRINT, Case, interleaved, make_project, spread  # noqa: E402


def tree_env(tree: Path, cache_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "BLUEPRINT_NO_CACHE", "BLUEPRINT_CACHE_DIR")}
    env["PYTHONPATH"] = str(tree / "src")
    if cache_dir is None:
        env["BLUEPRINT_NO_CACHE"] = "1"
    else:
        env["BLUEPRINT_CACHE_DIR"] = str(cache_dir)
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--a", type=Path, required=True, help="checkout A (e.g. before a change)")
    parser.add_argument("--b", type=Path, required=True, help="checkout B (e.g. after it)")
    parser.add_argument("--teams", type=int, nargs="+", default=[1, 200])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--command", default="preview", choices=["preview", "check", "graph"], help="what to run on each project")
    parser.add_argument("--cached", action="store_true", help="keep the graph cache on (one per tree, filled by the warm-up run)")
    args = parser.parse_args()
    trees = (args.a.resolve(), args.b.resolve())
    print(f"{'teams':>5}  {'tree':<40} {'CPU median (min-max)':>24} {'wall median (min-max)':>24}  {'CPU per team':>12}  {'B/A CPU':>7}")
    with tempfile.TemporaryDirectory(prefix="blueprint-compare-") as scratch:
        root = Path(scratch)
        for teams in args.teams:
            cases = []
            for label, tree in zip("AB", trees):
                env = tree_env(tree, root / f"cache-{label}" if args.cached else None)
                project = make_project(root / f"{label}-projects", teams, env)
                cases.append(Case(f"{label} {teams}", [*BLUEPRINT, args.command, str(project)], env, ok_codes=(0, 1) if args.command == "check" else (0,)))
            interleaved(cases, args.repeat)
            for case, tree in zip(cases, trees):
                cpu = [s.cpu for s in case.samples]
                wall = [s.wall for s in case.samples]
                versus = f"{case.cpu() / cases[0].cpu():.2f}x" if case is cases[1] else ""
                print(f"{teams:>5}  {str(tree)[-40:]:<40} {spread(cpu):>24} {spread(wall):>24}  {statistics.median(cpu) / teams * 1000:>9.1f} ms  {versus:>7}")


if __name__ == "__main__":
    main()
