"""Imports point downward only (the layers in docs/architecture.md); siblings use each other's public package API only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parents[1] / "src"
BOTTOM = {"blueprint", "blueprint.errors"}
SERVICES = {"generate", "preview", "policy", "export", "review", "diagram", "catalog"}
# Data modules any service may read directly: the resource graph is plain data, and the vendored charts
# with what is known about them (defaults, schema, images, Helm's merge and renderer), and the AWS facts
# (which API each caller needs, instance sizes) are shared data.
SHARED_DATA = {"blueprint.preview.graph", "blueprint.charts", "blueprint.charts.z2jh", "blueprint.facts", "blueprint.facts.aws_apis", "blueprint.facts.instances"}
ALLOWED = {
    "charts": {"charts"},
    "facts": {"facts"},
    "model": {"model"},
    "components": {"model", "components"},
    "program": {"model", "components"},
    "cli": {"model", *SERVICES},
    **{service: {"model", "program"} for service in SERVICES},
}


def imports(path: Path) -> set[str]:
    package = list(path.relative_to(SRC).with_suffix("").parts)[:-1]  # same for modules and __init__
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "blueprint" or name.startswith("blueprint.")}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_imports_point_downward():
    wrong = []
    for path in sorted((SRC / "blueprint").rglob("*.py")):
        source = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        source_layer = layer_of(source)
        if source_layer not in ALLOWED:
            continue
        for target in imports(path):
            target_layer = layer_of(target)
            if target in BOTTOM or target in SHARED_DATA or target_layer == source_layer:
                continue
            if target_layer in ALLOWED[source_layer]:
                continue
            if source_layer in SERVICES and target_layer in SERVICES and target == f"blueprint.{target_layer}":
                continue  # a sibling's public package API
            wrong.append(f"{source} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_help_and_new_paths_import_no_pulumi():
    code = "import sys, blueprint.cli, blueprint.generate.project; print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_kubernetes')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", loaded


def test_model_imports_neither_pulumi_nor_typer():
    code = "import sys, blueprint.model; print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'typer', 'rich')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", loaded
