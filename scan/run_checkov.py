"""Export the three built-in stances, scan them with checkov (Terraform plan and rendered Kubernetes objects) and
kubernetes-validate, and regenerate docs/validation.md.

Run with the project's virtual environment (`make scan`); checkov comes from its own (`.venv-checkov`), since
its pins clash with pulumi's. Exits 1 when the strict stance has a checkov failure that scan/checkov-skips.yaml
does not list with a reason, when a skip entry no longer matches a failure, when a check crashed on strict,
when checkov scanned fewer resources than were exported, or when the Helm values break the chart's schema.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--checkov", type=Path, default=ROOT / ".venv-checkov" / "bin" / "checkov", help="checkov executable")
    parser.add_argument("--skips", type=Path, default=ROOT / "scan" / "checkov-skips.yaml", help="accepted failures, with reasons")
    parser.add_argument(
        "--kubernetes-skips", type=Path, default=ROOT / "scan" / "checkov-kubernetes-skips.yaml", help="accepted kubernetes-framework failures"
    )
    parser.add_argument("--write", type=Path, default=ROOT / "docs" / "validation.md", help="figures file to (re)write")
    parser.add_argument("--keep", type=Path, help="also copy the exported plans into this directory")
    args = parser.parse_args(argv)

    from blueprint.cli import app
    from blueprint.cli.export import preview_outputs
    from blueprint.export.checkov import SCAN_REGION, STANCES, counts, load_skips, new_project_args
    from blueprint.export.validation import validate_stances
    from blueprint.model import load_blueprint
    from blueprint.preview import preview_project

    if not args.checkov.exists():
        print(f"checkov not found at {args.checkov}; run `make .venv-checkov/.installed` first", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="blueprint-scan-") as workdir:
        work = Path(workdir)
        graphs = {}
        specs = {}
        for stance in STANCES:
            with contextlib.redirect_stdout(io.StringIO()):  # `blueprint new` talks; the figures are what matter here
                app(new_project_args(stance, work / f"{stance}-dsw"), standalone_mode=False)
            graphs[stance] = preview_project(work / f"{stance}-dsw")
            specs[stance] = load_blueprint(work / f"{stance}-dsw")
        validation = validate_stances(
            graphs,
            region=SCAN_REGION,
            workdir=work,
            checkov=args.checkov,
            skips=load_skips(args.skips),
            outputs=preview_outputs(SCAN_REGION),
            kubernetes_skips=load_skips(args.kubernetes_skips),
            specs=specs,
        )
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for plan in work.glob("*-plan.json"):
                (args.keep / plan.name).write_text(plan.read_text(encoding="utf-8"), encoding="utf-8")
    args.write.parent.mkdir(parents=True, exist_ok=True)
    args.write.write_text(validation.markdown, encoding="utf-8")

    for stance, scan in validation.scans.items():
        c = counts(scan, validation.verdict)
        print(
            f"{stance:9} exported {validation.exported[stance]:3}  scanned {scan.resource_count:3}  passed {c['passed']:3}  "
            f"failed {c['failed']:3}  skipped {c['skipped']:3}  errored {c['errored']}"
        )
    for works in validation.works:
        print(f"{works.stance:9} works rules passed {len(works.passed):3}  failed {len(works.failed):3}  not run {len(works.not_run)}")
    version = next(iter(validation.scans.values())).checkov_version
    print(f"checkov {version}; wrote {args.write}; took {time.monotonic() - started:.1f} s")

    problems = [f"strict: {r.check_id} on {r.resource} failed and is not in {args.skips}: {r.check_name}" for r in validation.verdict.unaccepted["strict"]]
    problems += [f"strict: {r.check_id} on {r.resource} crashed inside checkov" for r in validation.scans["strict"].errored]
    problems += [f"stale skip: {s}" for s in validation.verdict.stale]
    problems += [
        f"{stance}: exported {validation.exported[stance]} AWS resources but checkov scanned {scan.resource_count}"
        for stance, scan in validation.scans.items()
        if scan.resource_count != validation.exported[stance]
    ]
    problems += [f"{h.stance}: helm values: {error}" for h in validation.helm for error in h.errors]
    problems += [
        f"strict: {r.check_id} on {r.resource} (rendered objects) failed and is not in {args.kubernetes_skips}: {r.check_name}"
        for r in validation.kubernetes_verdict.unaccepted["strict"]
    ]
    problems += [f"stale kubernetes skip: {s}" for s in validation.kubernetes_verdict.stale]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
