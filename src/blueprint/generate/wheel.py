"""The workbench-blueprint wheel a generated project installs: the exact code `blueprint new` runs from.

A generated project's `__main__.py` imports `blueprint`, so its requirements must name a workbench-blueprint
that pip can fetch. No public index serves it, so by default the project carries the wheel
(`vendor/workbench_blueprint-<version>-py3-none-any.whl`), pinned by its sha256 in requirements.txt; this
also works air-gapped. `--index-url` names an internal index that serves it instead.

Where the wheel comes from, first match:
1. `BLUEPRINT_WHEEL`: a wheel file a packager (or a test) names;
2. a source checkout (`pyproject.toml` beside `src/blueprint`): hatchling's own wheel builder, in process,
   as `pip wheel` would run it; hatchling builds reproducibly (fixed timestamps, sorted entries), so the same
   sources give the same bytes. Cached by a digest of the sources, so a warm `blueprint new` only hashes files;
3. an installed (non-editable) distribution: its installed files, listed in its RECORD, packed again
   deterministically (the wheel pip unpacked is not kept).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from .. import __version__
from ..errors import GenerateError

DISTRIBUTION = "workbench-blueprint"
VENDOR_DIR = "vendor"
ENV_WHEEL = "BLUEPRINT_WHEEL"
ENV_CACHE = "BLUEPRINT_CACHE"
_PACKAGE = Path(__file__).resolve().parents[1]  # .../blueprint
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def wheel_filename(version: str) -> str:
    return f"{DISTRIBUTION.replace('-', '_')}-{version}-py3-none-any.whl"


@dataclass(frozen=True)
class Wheel:
    version: str
    data: bytes

    @property
    def filename(self) -> str:
        return wheel_filename(self.version)

    @property
    def path(self) -> str:
        """Where it sits in a generated project."""
        return f"{VENDOR_DIR}/{self.filename}"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@cache
def running_wheel() -> Wheel:
    """The wheel of the workbench-blueprint this process runs (see the module doc for where it comes from)."""
    named = os.environ.get(ENV_WHEEL)
    if named:
        path = Path(named)
        if not path.is_file():
            raise GenerateError(target=path, message=f"{ENV_WHEEL} names no file", fix=f"point {ENV_WHEEL} at a workbench_blueprint-*.whl, or unset it")
        return Wheel(_version_of(path.name), path.read_bytes())
    checkout = source_checkout()
    if checkout is not None:
        return _built_from(checkout)
    return _repacked_installed()


def source_checkout() -> Path | None:
    root = _PACKAGE.parents[1]
    pyproject = root / "pyproject.toml"
    if _PACKAGE.parent.name == "src" and pyproject.is_file() and f'name = "{DISTRIBUTION}"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def _version_of(filename: str) -> str:
    parts = filename.split("-")
    if len(parts) != 5 or parts[0] != DISTRIBUTION.replace("-", "_") or not filename.endswith(".whl"):
        raise GenerateError(target=filename, message="is not a workbench-blueprint wheel", fix="name a workbench_blueprint-<version>-py3-none-any.whl")
    return parts[1]


def cache_dir() -> Path:
    configured = os.environ.get(ENV_CACHE)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workbench-blueprint"


def source_digest(root: Path) -> str:
    """What the wheel is built from: the package, the built-in stances and the project metadata."""
    digest = hashlib.sha256()
    files = [root / "pyproject.toml", root / "README.md"]
    for top in (root / "src" / "blueprint", root / "blueprints"):
        files += [p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    for path in sorted(files):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _built_from(root: Path) -> Wheel:
    cached = cache_dir() / "wheels" / source_digest(root) / wheel_filename(__version__)
    if cached.is_file():
        return Wheel(__version__, cached.read_bytes())
    try:
        from hatchling.builders.wheel import WheelBuilder
    except ImportError:
        raise GenerateError(
            target=root,
            message="runs from a source checkout, and building its wheel for the project needs hatchling, which is not installed",
            fix="pip install hatchling (it is in the test extra), or pass --index-url to install workbench-blueprint from your index",
        ) from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cached.parent) as scratch:
        os.environ.setdefault("SOURCE_DATE_EPOCH", "315532800")  # 1980-01-01: reproducible regardless of file times
        built = [Path(p) for p in WheelBuilder(str(root)).build(directory=scratch, versions=["standard"])]
        if built[0].name != cached.name:  # pyproject.toml and blueprint/__init__.py disagree on the version
            raise GenerateError(target=root / "pyproject.toml", message=f"builds {built[0].name}, but the package says version {__version__}", fix="make the two versions equal")
        os.replace(built[0], cached)  # atomic: a concurrent `blueprint new` reads a whole wheel or builds its own
    return Wheel(__version__, cached.read_bytes())


def _repacked_installed() -> Wheel:
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise GenerateError(target=str(_PACKAGE), message="is neither a source checkout nor an installed distribution", fix=f"install workbench-blueprint, set {ENV_WHEEL}, or pass --index-url") from None
    direct = dist.read_text("direct_url.json")
    if direct and json.loads(direct).get("dir_info", {}).get("editable"):
        raise GenerateError(target=str(_PACKAGE), message="is an editable install whose source is not beside it", fix=f"set {ENV_WHEEL} to a built wheel, or pass --index-url")
    info = f"{DISTRIBUTION.replace('-', '_')}-{dist.version}.dist-info"
    skip = {f"{info}/{name}" for name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")}
    entries = sorted(
        str(f) for f in dist.files or () if not str(f).startswith("..") and "__pycache__" not in str(f) and str(f) not in skip
    )
    buffer, record = io.BytesIO(), []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in entries:
            data = Path(dist.locate_file(name)).read_bytes()
            archive.writestr(zipfile.ZipInfo(name, _ZIP_DATE), data, zipfile.ZIP_DEFLATED)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        archive.writestr(zipfile.ZipInfo(f"{info}/RECORD", _ZIP_DATE), "\n".join(record) + "\n", zipfile.ZIP_DEFLATED)
    return Wheel(dist.version, buffer.getvalue())
