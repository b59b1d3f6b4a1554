"""Pulumi entry point. All settings live in blueprint.yaml (and teams/*.yaml); this file only loads and builds."""

from pathlib import Path

from blueprint.model import load_blueprint
from blueprint.program import build

build(load_blueprint(Path(__file__).resolve().parent))
