"""works.generate.requirements-resolve, judged offline: a fresh clone of the project installs its requirements.

What pip needs, checked without an index: every requirement is an exact `name==version` pin (from the public
index, or the `--index-url` the project names), or the vendored workbench-blueprint wheel present at its path
with the sha256 its line pins; workbench-blueprint is one of them (the program imports it); the policy pack's
requirements resolve the same from its own directory; and a project whose stance installs the project's copy of
the chart (`charts.z2jh.chart_vendored`) carries that chart. Whether the pinned versions exist on the index is
not judged offline (the install test in tests/generate/test_install.py proves it for this release's pins).

Not a graph rule: requirements are files of the project, not resources. `blueprint check` can call
`requirement_problems(directory, spec)` and report the findings under RULE_ID.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..charts.z2jh import CHART_VERSION, PROJECT_CHART_DIR, chart_vendored
from ..errors import shown
from ..model import BlueprintSpec
from ..policy import PACK_DIR
from .wheel import DISTRIBUTION

RULE_ID = "works.generate.requirements-resolve"
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!_-]+)$")
_WHEEL = re.compile(r"^file:(?P<path>[^#\s]+\.whl)#sha256=(?P<digest>[0-9a-f]{64})$")
_INDEX = re.compile(r"^--index-url https://\S+$")


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def file_problems(requirements: Path, pip_cwd: Path) -> list[str]:
    """What stops `pip install -r requirements` run in `pip_cwd` (where `pulumi install` and CI run pip)."""
    if not requirements.is_file():
        return [f"{requirements} is missing"]
    problems, names = [], set()
    for number, raw in enumerate(requirements.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{requirements.name}:{number}"
        if _INDEX.match(line):
            continue
        if pin := _PIN.match(line):
            names.add(_normalised(pin["name"]))
            continue
        if wheel := _WHEEL.match(line):
            path = pip_cwd / wheel["path"]
            if not path.is_file():
                problems.append(f"{where}: {wheel['path']} is not in the project (pip resolves it from {pip_cwd.name or '.'}/); run `blueprint upgrade`, or commit vendor/")
            elif hashlib.sha256(path.read_bytes()).hexdigest() != wheel["digest"]:
                problems.append(f"{where}: {wheel['path']} does not have the sha256 the line pins; pip refuses it (THESE PACKAGES DO NOT MATCH THE HASHES)")
            names.add(_normalised(Path(wheel["path"]).name.split("-")[0]))
            continue
        problems.append(f"{where}: {shown(line)} is not an exact pin (name==version) nor the vendored wheel with its sha256; the install is not reproducible")
    if _normalised(DISTRIBUTION) not in names:
        problems.append(f"{requirements.name}: no workbench-blueprint requirement, but __main__.py imports blueprint")
    return problems


def requirement_problems(directory: Path, spec: BlueprintSpec) -> list[str]:
    """Every reason a fresh clone of the project at `directory` would not install, or not install the chart."""
    directory = Path(directory)
    problems = file_problems(directory / "requirements.txt", directory)
    problems += [f"{PACK_DIR}/{p}" for p in file_problems(directory / PACK_DIR / "requirements.txt", directory / PACK_DIR)]
    if chart_vendored(spec.stance.network.egress):
        chart = directory / PROJECT_CHART_DIR / "Chart.yaml"
        if not chart.is_file():
            problems.append(f"{PROJECT_CHART_DIR}/ is missing: under egress {shown(spec.stance.network.egress)} the Release installs the project's copy of the chart; run `blueprint upgrade`")
        elif not re.search(rf"^version: {re.escape(CHART_VERSION)}$", chart.read_text(encoding="utf-8"), re.M):
            problems.append(f"{PROJECT_CHART_DIR}/Chart.yaml is not chart {CHART_VERSION}, the version this release renders and tests; run `blueprint upgrade`")
    return problems
