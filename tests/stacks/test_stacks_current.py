"""The committed example projects in stacks/ are exactly what the CLI produces today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

STACKS = Path(__file__).parents[2] / "stacks"


def load_builder():
    spec = importlib.util.spec_from_file_location("stacks_build", STACKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tree(root: Path, names: list[str]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for name in names:
        base = root / name
        paths = sorted(base.rglob("*")) if base.is_dir() else [base]
        files.update({str(p.relative_to(root)): p.read_bytes() for p in paths if p.is_file() and "__pycache__" not in p.parts})
    return files


def test_stacks_match_a_fresh_regeneration(tmp_path):
    builder = load_builder()
    builder.build(tmp_path)
    names = [f"{stance}-acme{suffix}" for stance in builder.STANCES for suffix in ("", ".preview.txt", ".check.txt")]
    fresh, committed = tree(tmp_path, names), tree(STACKS, names)
    assert sorted(fresh) == sorted(committed), "stacks/ has missing or extra files: run `make stacks`"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stacks/ is stale, run `make stacks`: {stale[:10]}"


def test_every_example_has_three_teams_a_gpu_team_and_a_fork():
    from blueprint.model import load_blueprint

    for stance in ("strict", "balanced", "open"):
        spec = load_blueprint(STACKS / f"{stance}-acme")
        assert len(spec.teams) == 3
        assert any(team.quota.gpu > 0 for team in spec.teams)
        assert (STACKS / f"{stance}-acme" / "teams" / "vision.yaml").is_file()
        assert spec.team("vision").idle_timeout_minutes == 45
