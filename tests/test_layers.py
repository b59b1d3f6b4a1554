"""Imports point downward only (the layers in docs/architecture.md); siblings use each other's public package API only."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parents[1] / "src"
BOTTOM = {"blueprint", "blueprint.errors", "blueprint.usercache"}
SERVICES = {"generate", "preview", "policy", "export", "review", "diagram", "catalog"}
# Data modules any service may read directly: the resource graph is plain data, and the vendored charts
# with what is known about them (defaults, schema, images, Helm's merge and renderer), and the AWS facts
# (which API each caller needs, instance sizes) are shared data.
SHARED_DATA = {
    "blueprint.preview.graph", "blueprint.charts", "blueprint.charts.z2jh", "blueprint.facts", "blueprint.facts.aws_apis",
    "blueprint.facts.instances", "blueprint.facts.ci_runner", "blueprint.facts.kubernetes", "blueprint.facts.aws_regions",
}  # fmt: skip
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


def module_imports(path: Path, modules: set[str], root: Path = SRC) -> set[str]:
    """Every blueprint module `path` imports, at module level or inside a function (lazy imports hide cycles too).

    `from package import name` counts as importing the submodule `package.name` when there is one.
    """
    package = list(path.relative_to(root).with_suffix("").parts)[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in modules}


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    paths = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p for p in sorted((root / "blueprint").rglob("*.py"))}
    return {module: module_imports(path, set(paths), root) for module, path in paths.items()}


def cycles_within_layers(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles among the modules of one layer (a package importing its own submodules is not one)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if layer_of(target) != layer_of(module) or target in BOTTOM or module.startswith(target + "."):
                continue
            if state.get(target) == 1:
                found.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def test_no_import_cycle_within_a_layer():
    cycles = cycles_within_layers(import_graph())
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_cycle_check_sees_lazy_imports(tmp_path):
    # The shape issue 14 found in generate/: a module-level import one way, a function-level import back.
    generate = tmp_path / "blueprint" / "generate"
    generate.mkdir(parents=True)
    (tmp_path / "blueprint" / "__init__.py").write_text("")
    (generate / "__init__.py").write_text("")
    (generate / "project.py").write_text("from .upgrade import record_generation\n")
    (generate / "upgrade.py").write_text("def _answers():\n    from .project import NewProject\n")
    assert cycles_within_layers(import_graph(tmp_path)) == [["blueprint.generate.project", "blueprint.generate.upgrade", "blueprint.generate.project"]]
    (generate / "upgrade.py").write_text("def _answers():\n    from . import record\n")
    (generate / "record.py").write_text("")
    assert cycles_within_layers(import_graph(tmp_path)) == []
