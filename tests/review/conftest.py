"""Builders for review tests: real generated projects, and small hand-made resource graphs."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.preview.graph import Resource, ResourceGraph

runner = CliRunner()
STACK = "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev"


def new_project(path: Path, stance: str = "strict", teams: tuple[str, ...] = ("genomics", "vision"), *extra: str) -> Path:
    args = ["new", str(path), "--stance", stance, "--org", "acme", "--admin-cidr", "203.0.113.0/24", "--alert-email", "platform@acme.example"]
    for team in teams:
        args += ["--team", team]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    return path


def resource(name: str, type_: str = "aws:ec2/securityGroup:SecurityGroup", project: str = "proj", **inputs: Any) -> Resource:
    return Resource(urn=f"urn:pulumi:dev::{project}::{type_}::{name}", type=type_, name=name, parent=STACK.replace("proj", project), inputs=inputs)


def graph(*resources: Resource) -> ResourceGraph:
    return ResourceGraph(tuple(resources))


def git(directory: Path, *args: str) -> str:
    env_args = ["-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]
    return subprocess.run(["git", *env_args, *args], cwd=directory, check=True, capture_output=True, text=True).stdout


def commit_all(directory: Path, message: str) -> None:
    git(directory, "add", "-A")
    git(directory, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An empty git repository."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    return root
