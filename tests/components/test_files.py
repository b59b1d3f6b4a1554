"""The scripts the components ship are package files, linted by independent tools (shellcheck, sh -n, YAML)."""

from __future__ import annotations

import shutil
import subprocess
from importlib.resources import files as resources

import pytest
import yaml

from blueprint.components import files

SHELL = files.names(".sh")


def shellcheck() -> str:
    found = shutil.which("shellcheck")
    if found is None:
        pytest.fail("shellcheck is not installed: `apt-get install -y shellcheck` (Debian/Ubuntu) or `brew install shellcheck`")
    return found


def test_the_package_ships_every_script():
    assert set(SHELL) == {"promote.sh", "origin-controls.sh", "seed-upstream.sh", "refresh-pip-conf.sh"}
    assert {"cran-curator.R", "cran-curator-buildspec.yml"} <= set(files.names())
    with pytest.raises(FileNotFoundError):
        files.read("no-such-script.sh")


@pytest.mark.parametrize("name", SHELL)
def test_shell_scripts_pass_shellcheck_as_posix_sh(name):
    path = resources(files.__name__).joinpath(name)
    text = files.read(name)
    assert text.startswith("#!/bin/sh\n"), f"{name}: the AWS CLI image runs them with /bin/sh"
    syntax = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    lint = subprocess.run([shellcheck(), "--shell=sh", "--severity=style", str(path)], capture_output=True, text=True)
    assert lint.returncode == 0, f"shellcheck {name}:\n{lint.stdout}{lint.stderr}"


def test_python_files_compile():
    for name in files.names(".py") + ("__init__.py",):
        compile(resources(files.__name__).joinpath(name).read_text(), name, "exec")


def test_buildspec_runs_the_curator_and_uploads_the_repository():
    spec = yaml.safe_load(files.read("cran-curator-buildspec.yml"))
    assert spec["version"] == 0.2
    assert spec["phases"]["build"]["commands"] == ["Rscript cran-curator.R"]
    assert spec["artifacts"] == {"base-directory": "repo", "files": ["**/*"]}
    script = files.read("cran-curator.R")
    for needed in ('Sys.getenv("SNAPSHOT_URL")', 'readLines("packages.txt"', "tools::write_PACKAGES", 'file.path("repo", "src", "contrib")'):
        assert needed in script, needed
