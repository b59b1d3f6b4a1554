"""A generated project installs with `pip install -r requirements.txt` into a fresh venv and its program runs.

The real thing end to end: the wheel `blueprint new` vendors (built from this checkout with hatchling's builder),
pip from the public index for the pinned Pulumi SDKs (pip's cache makes it a few seconds), and the project's own
`__main__.py` run under Pulumi's mock engine by the blueprint installed in that venv, not by this checkout.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.generate.wheel import running_wheel, source_checkout

runner = CliRunner()

RUN_UNDER_MOCKS = """
import json, runpy, sys
import blueprint
from blueprint.preview.engine import run_program
graph = run_program(lambda: runpy.run_path("__main__.py", run_name="__main__"), project=sys.argv[1], stack="dev",
                    config={"aws:region": "us-east-1", sys.argv[1] + ":idpClientSecret": "placeholder",
                            # `pulumi config set hubCertificateArn <ARN>`: the default tls section brings the certificate
                            sys.argv[1] + ":hubCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-0ff11e0b1ae0"})
print(json.dumps({"module": blueprint.__file__, "types": sorted({r.type for r in graph.resources})}))
"""


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("install")
    project = root / "acme-dsw"
    result = runner.invoke(app, ["new", str(project), "--org", "acme", "--stance", "balanced"])
    assert result.exit_code == 0, result.output
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # This interpreter's pip installs into the new venv (`pip --python`), so no pip is bootstrapped there.
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-compile", "-r", "requirements.txt"],
        cwd=project, capture_output=True, text=True, env=_clean_env(), timeout=600,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return project, python


def test_the_vendored_wheel_is_the_running_code_pinned_by_sha256(tmp_path):
    project = tmp_path / "p"
    assert runner.invoke(app, ["new", str(project), "--org", "acme"]).exit_code == 0
    (wheel,) = (project / "vendor").glob("*.whl")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    requirements = (project / "requirements.txt").read_text()
    assert f"file:vendor/{wheel.name}#sha256={digest}\n" in requirements
    assert f"file:../vendor/{wheel.name}#sha256={digest}\n" in (project / "policy" / "requirements.txt").read_text()
    assert "workbench-blueprint==" not in requirements
    # Every module of the running package is in it, byte for byte.
    package = Path(sys.modules["blueprint"].__file__).parent
    with zipfile.ZipFile(wheel) as archive:
        for module in ("program.py", "generate/wheel.py", "charts/jupyterhub/Chart.yaml"):
            assert archive.read(f"blueprint/{module}") == (package / module).read_bytes(), module
        assert any(name.startswith("blueprint/blueprints/") for name in archive.namelist())


def test_the_wheel_build_is_deterministic_and_cached(tmp_path, monkeypatch):
    assert source_checkout() is not None  # this test runs from the checkout: the build path
    monkeypatch.setenv("BLUEPRINT_CACHE", str(tmp_path / "cache"))
    running_wheel.cache_clear()
    first = running_wheel()
    running_wheel.cache_clear()
    second = running_wheel()  # from the cache
    (cached,) = (tmp_path / "cache").rglob("*.whl")
    cached.unlink()
    running_wheel.cache_clear()
    rebuilt = running_wheel()
    running_wheel.cache_clear()
    assert first.sha256 == second.sha256 == rebuilt.sha256


def test_a_tampered_wheel_is_refused_by_pip(installed, tmp_path):
    project, python = installed
    tampered = tmp_path / "t"
    (tampered / "vendor").mkdir(parents=True)
    (wheel,) = (project / "vendor").glob("*.whl")
    (tampered / "vendor" / wheel.name).write_bytes(wheel.read_bytes() + b"\0")
    (tampered / "requirements.txt").write_text((project / "requirements.txt").read_text())
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--dry-run", "-r", "requirements.txt"],
        cwd=tampered, capture_output=True, text=True, env=_clean_env(), timeout=300,
    )
    assert pip.returncode != 0 and "THESE PACKAGES DO NOT MATCH THE HASHES" in pip.stderr, pip.stderr


def test_the_installed_project_runs_its_program_under_the_mocks(installed):
    import json

    project, python = installed
    run = subprocess.run([str(python), "-c", RUN_UNDER_MOCKS, project.name], cwd=project, capture_output=True, text=True, env=_clean_env(), timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["module"].startswith(str(python.parent.parent)), result["module"]  # the venv's blueprint, not this checkout
    assert {"aws:eks/cluster:Cluster", "kubernetes:helm.sh/v3:Release"} <= set(result["types"])


REPACK = """
import sys, zipfile, io
from blueprint.generate.wheel import running_wheel, source_checkout
assert source_checkout() is None, "installed from the wheel, not a checkout"
first = running_wheel(); running_wheel.cache_clear(); second = running_wheel()
assert first.data == second.data, "repacking is deterministic"
sys.stdout.buffer.write(first.data)
"""


def test_an_installed_blueprint_vendors_its_installed_files(installed, tmp_path):
    # `blueprint new` run from the venv (installed from the vendored wheel, no checkout): the wheel is packed again
    # from the installed files, and holds exactly the original wheel's files.
    project, python = installed
    run = subprocess.run([str(python), "-c", REPACK], cwd=tmp_path, capture_output=True, env=_clean_env(), timeout=300)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    (original,) = (project / "vendor").glob("*.whl")

    def contents(data: bytes) -> dict[str, bytes]:
        import io

        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {n: archive.read(n) for n in archive.namelist() if not n.endswith("/RECORD")}

    assert contents(run.stdout) == contents(original.read_bytes())
