"""Shared builders: real blueprint files and resolved specs for every stance."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from blueprint.model import BlueprintSpec, load_blueprint
from blueprint.preview.cache import NO_CACHE_ENV
from blueprint.preview.incremental import WORKERS_ENV

# Every test previews from scratch (CLI subprocesses inherit this); tests/preview/test_cache.py turns the cache
# on, in a directory of its own, where the cache itself is under test.
os.environ[NO_CACHE_ENV] = "1"
# Previews run in this one process unless a test deals teams out itself (tests/preview/test_incremental.py and
# tests/property/test_incremental.py set the worker count): this process runs hundreds of programs, and a fork
# after them inherits their thread pools, which a fresh CLI process (the one that shards in real use) never has.
os.environ.setdefault(WORKERS_ENV, "1")
from blueprint.model.yamlio import dump_yaml


def blueprint_data(stance: str = "strict", teams: int | list[dict[str, Any]] = 2, **overrides: Any) -> dict[str, Any]:
    """A valid blueprint.yaml document; `teams` is a count or explicit team entries."""
    if isinstance(teams, int):
        team_entries = [{"name": f"team-{i}", "idp_group": f"dsw-team-{i}"} for i in range(teams)]
        if team_entries:
            team_entries[0] = {"name": "genomics", "idp_group": "dsw-genomics", "quota": {"gpu": 1}}
    else:
        team_entries = teams
    data: dict[str, Any] = {
        "org": "acme",
        "region": "eu-west-1",
        "hub_hostname": "jupyter.acme.example",
        "stance": stance,
        "idp": {"kind": "oidc", "issuer_url": "https://login.acme.example/realms/dsw", "client_id": "jupyterhub"},
        "network": {"admin_cidrs": ["203.0.113.0/24"]},
        "budgets": {"alert_emails": ["platform@acme.example"]},
        "ci": {
            "repository": "acme/acme-dsw",
            "admin_role_arns": ["arn:aws:iam::123456789012:role/platform-admin"],
            "ci_role_arns": ["arn:aws:iam::123456789012:role/acme-dsw-preview", "arn:aws:iam::123456789012:role/acme-dsw-apply"],
        },
        "teams": team_entries,
    }
    data.update(overrides)
    return data


def write_blueprint(directory: Path, data: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "blueprint.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def make_spec(tmp_path: Path, stance: str = "strict", teams: int | list[dict[str, Any]] = 2, **overrides: Any) -> BlueprintSpec:
    return load_blueprint(write_blueprint(tmp_path / f"bp-{stance}", blueprint_data(stance, teams, **overrides)))


@pytest.fixture(params=["strict", "balanced", "open"])
def stance_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def spec_for(tmp_path: Path):
    """`spec_for("strict", teams=3)` -> a resolved BlueprintSpec from a real YAML file."""

    def build(stance: str = "strict", teams: int | list[dict[str, Any]] = 2, **overrides: Any) -> BlueprintSpec:
        return make_spec(tmp_path, stance, teams, **overrides)

    return build
