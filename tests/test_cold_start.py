"""Cold start and exit of one CLI process: `--help` and `new` never load the Pulumi SDK; the exit skips the full GC.

Each case runs the real command in a fresh interpreter (`blueprint.cli.main`, as the console script does) and
reads `sys.modules` when the process exits, so a lazy import inside a command's body counts too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"
SDKS = ("pulumi", "pulumi_aws", "pulumi_kubernetes")

# Runs `blueprint ARGS...` and, at exit, writes the top-level packages it loaded to the file named first.
RUN_AND_REPORT = """
import atexit, json, sys
report, *args = sys.argv[1:]
def _write():
    with open(report, "w") as stream:
        json.dump(sorted({name.split(".")[0] for name in sys.modules}), stream)
atexit.register(_write)
sys.argv = ["blueprint", *args]
from blueprint.cli import main
main()
"""


def loaded_by(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    report = tmp_path / "modules.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", RUN_AND_REPORT, str(report), *args], cwd=tmp_path, env=env, capture_output=True, text=True)
    return done, set(json.loads(report.read_text()))


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--help"], id="--help"),
        pytest.param(["new", "acme-dsw", "--org", "acme", "--stance", "strict", "--team", "genomics:dsw-genomics"], id="new"),
        pytest.param(["new", "--help"], id="new --help"),
    ],
)
def test_help_and_new_never_import_pulumi(tmp_path, args):
    done, loaded = loaded_by(tmp_path, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    if args[0] == "new" and "--help" not in args:
        assert (tmp_path / "acme-dsw" / "blueprint.yaml").is_file(), "the project was written"
    assert not loaded & set(SDKS), f"{' '.join(args)} imported {sorted(loaded & set(SDKS))}"


def test_the_probe_sees_pulumi_when_a_command_loads_it(tmp_path):
    """The check above can fail: the same probe around `preview` reports the SDK."""
    project = tmp_path / "acme-dsw"
    from tests.conftest import blueprint_data, write_blueprint

    write_blueprint(project, blueprint_data("strict", teams=1))
    done, loaded = loaded_by(tmp_path, "preview", str(project), "--no-cache")
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"pulumi", "pulumi_aws"} <= loaded


# A cycle the interpreter's shutdown collection would find (and announce) if it walked the objects alive at exit.
CYCLE_AT_EXIT = """
import os, sys
import blueprint.cli as cli
class Loud:
    def __del__(self):
        os.write(2, b"collected at exit\\n")
loud = Loud()
loud.cycle = loud
sys.argv = ["blueprint", "--help"]
if os.environ["PLAIN"] == "1":
    import gc
    gc.disable()  # what main() did before: the shutdown collection still runs
    cli.app()
else:
    cli.main()
"""


@pytest.mark.parametrize(("plain", "collected"), [("0", False), ("1", True)], ids=["main freezes", "gc.disable alone"])
def test_exit_skips_the_full_collection(tmp_path, plain, collected):
    """`main()` freezes what is alive, so the collection at interpreter shutdown has nothing to walk.

    gc.disable() does not stop that collection (its cycle is collected and says so); gc.freeze() does.
    """
    env = {**os.environ, "PYTHONPATH": str(SRC), "PLAIN": plain}
    done = subprocess.run([sys.executable, "-c", CYCLE_AT_EXIT], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert ("collected at exit" in done.stderr) is collected, done.stderr[-500:]
