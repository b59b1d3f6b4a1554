"""Fixed text of generated files. Nothing a user typed is formatted into Python here."""

MAIN_PY = '''"""Pulumi entry point. All settings live in blueprint.yaml (and teams/*.yaml); this file only loads and builds."""

from pathlib import Path

from blueprint.model import load_blueprint
from blueprint.program import build

build(load_blueprint(Path(__file__).resolve().parent))
'''

GITIGNORE = """# Python virtual environments and caches
venv/
.venv/
__pycache__/
*.pyc
# Local Pulumi state and backups (use a real backend for shared stacks)
.pulumi/
*.tfstate
*.bak
# Exports and scan results are build output, not source
exports/
# Left behind only if a `blueprint` write was killed mid-way; safe to delete
.blueprint-staging-*/
# Never commit credentials
.env
.env.*
*.pem
kubeconfig*
"""
