"""Regenerate the example projects in stacks/ with the real CLI, as a user would (`make stacks`).

For each built-in stance: `blueprint new --from sources/<stance>-acme.yaml`, then the vision
team forks its overlay and tunes it (shorter idle timeout, one extra package), then the
offline preview and check results are written next to the project as text.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
STANCES = ("strict", "balanced", "open")
BLUEPRINT = [sys.executable, "-m", "blueprint"]
# Fixed terminal settings so the committed text does not depend on who ran it.
ENV = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}


def run(*args: str, ok: tuple[int, ...] = (0,)) -> str:
    completed = subprocess.run([*BLUEPRINT, *args], capture_output=True, text=True, env=ENV)
    if completed.returncode not in ok:
        raise SystemExit(f"blueprint {' '.join(args)} failed ({completed.returncode}):\n{completed.stderr}")
    return completed.stdout


def tune_vision_overlay(project: Path) -> None:
    """The edit a team makes after `blueprint fork`: comments and order survive the round trip."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    path = project / "teams" / "vision.yaml"
    overlay = yaml.load(path.read_text())
    overlay["idle_timeout_minutes"] = 45
    overlay["extra_packages"]["python"].append("opencv-python-headless")
    with path.open("w") as handle:
        yaml.dump(overlay, handle)


def build(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    for stance in STANCES:
        project = output / f"{stance}-acme"
        if project.exists():
            shutil.rmtree(project)
        run("new", str(project), "--from", str(HERE / "sources" / f"{stance}-acme.yaml"), "--stack", "prod")
        run("fork", str(project), "--team", "vision")
        tune_vision_overlay(project)
        (output / f"{stance}-acme.preview.txt").write_text(run("preview", str(project)).replace(str(output) + "/", ""))
        (output / f"{stance}-acme.check.txt").write_text(run("check", str(project), ok=(0, 1)).replace(str(output) + "/", ""))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, nargs="?", default=HERE)
    build(parser.parse_args().output)
