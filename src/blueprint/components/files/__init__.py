"""Scripts the components ship into the cluster or to AWS (shell, R, buildspecs), kept as package files.

Read them with `read(name)`; tests lint each one (shellcheck for `.sh`), as the z2jh chart keeps
`files/hub/z2jh.py` next to its templates instead of inside them.
"""

from __future__ import annotations

from importlib.resources import files


def read(name: str) -> str:
    """The text of `blueprint/components/files/<name>` (FileNotFoundError names a file that is not shipped)."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


def names(suffix: str = "") -> tuple[str, ...]:
    """Every shipped file name ending in `suffix`."""
    return tuple(sorted(p.name for p in files(__name__).iterdir() if p.is_file() and p.name.endswith(suffix) and p.name != "__init__.py"))
