"""`blueprint upgrade`: regenerate a project's files with this version and keep the user's edits (three-way merge).

`blueprint new` records what it generated in `.blueprint/generated.json` (the merge base)
and the resolved stance in `.blueprint/answers.json`. An upgrade merges, per file,
base = what was generated before, theirs = what this version generates now,
ours = the file as it is. `blueprint.yaml` and `teams/*.yaml` belong to the user:
validated, never rewritten.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import GenerateError, SpecError
from ..model import BlueprintSpec
from .project import blueprint_document, render_project, vendored_files
from .record import ANSWERS_FILE, GENERATED_FILE, answers_from_json, is_merged, is_vendored
from .wheel import VENDOR_DIR
from .writer import write_tree

if TYPE_CHECKING:
    from ..review import ProjectDiff

# ---- three-way merge of lines --------------------------------------------------------


@dataclass(frozen=True)
class Merged:
    text: str
    conflicts: int


def _matches(base: Sequence[str], other: Sequence[str]) -> list[tuple[int, int, int]]:
    return [tuple(m) for m in difflib.SequenceMatcher(None, base, other, autojunk=False).get_matching_blocks()]  # type: ignore[misc]


def _sync_regions(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> list[tuple[int, int, int, int, int, int]]:
    """Base ranges unchanged on both sides, with where they sit in ours and theirs (the diff3 'stable' chunks)."""
    a, b = _matches(base, ours), _matches(base, theirs)
    regions, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        a_base, a_at, a_len = a[i]
        b_base, b_at, b_len = b[j]
        low, high = max(a_base, b_base), min(a_base + a_len, b_base + b_len)
        if low < high:
            in_a, in_b = a_at + low - a_base, b_at + low - b_base
            regions.append((low, high, in_a, in_a + high - low, in_b, in_b + high - low))
        if a_base + a_len < b_base + b_len:
            i += 1
        else:
            j += 1
    regions.append((len(base), len(base), len(ours), len(ours), len(theirs), len(theirs)))
    return regions


def merge3(base: str, ours: str, theirs: str, *, labels: tuple[str, str, str] = ("yours", "base", "new")) -> Merged:
    """diff3-style merge: a side's change wins where the other side kept the base; both changing the same lines is a conflict."""
    b, o, t = base.splitlines(keepends=True), ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    out: list[str] = []
    conflicts = 0
    at_base = at_ours = at_theirs = 0
    for base_start, base_end, ours_start, ours_end, theirs_start, theirs_end in _sync_regions(b, o, t):
        base_chunk, ours_chunk, theirs_chunk = b[at_base:base_start], o[at_ours:ours_start], t[at_theirs:theirs_start]
        if ours_chunk == theirs_chunk:
            out += ours_chunk
        elif ours_chunk == base_chunk:
            out += theirs_chunk
        elif theirs_chunk == base_chunk:
            out += ours_chunk
        else:
            conflicts += 1
            out += [f"<<<<<<< {labels[0]}\n", *_terminated(ours_chunk), f"||||||| {labels[1]}\n", *_terminated(base_chunk)]
            out += ["=======\n", *_terminated(theirs_chunk), f">>>>>>> {labels[2]}\n"]
        out += b[base_start:base_end]
        at_base, at_ours, at_theirs = base_end, ours_end, theirs_end
    return Merged("".join(out), conflicts)


def _terminated(lines: list[str]) -> list[str]:
    return [*lines[:-1], lines[-1] if lines[-1].endswith("\n") else lines[-1] + "\n"] if lines else []


# ---- the upgrade ----------------------------------------------------------------------

# What happened to each generated file.
UNCHANGED, UPDATED, ADDED, MERGED, CONFLICT, KEPT = "unchanged", "updated", "added", "merged", "conflict", "kept"


@dataclass
class UpgradeResult:
    directory: Path
    old_version: str
    new_version: str
    files: dict[str, str] = field(default_factory=dict)  # path -> status
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    diff: ProjectDiff | None = None
    written: bool = False


def _read_json(path: Path, what: str, fix: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GenerateError(target=path, message=f"missing: {what}", fix=fix) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GenerateError(target=path, message=f"is not valid JSON ({exc})", fix="restore it from git") from None
    if not isinstance(data, dict):
        raise GenerateError(target=path, message="is not a JSON object", fix="restore it from git")
    return data


def _old_spec(directory: Path, spec: BlueprintSpec, recorded: Mapping[str, Any]) -> BlueprintSpec | None:
    """The project as the recorded stance resolved it: same blueprint and overlays, the old stance's values."""
    from ..model import Stance, load_file
    from ..model.loading import load_overlays, resolve
    from ..model.spec import CustomStance
    from ..model.stance import StanceControls

    # Projects generated before summaries were derived recorded the written `summary`; it follows from the values now.
    recorded = {key: value for key, value in recorded.items() if key != "summary"}
    try:
        stance = Stance.model_validate(recorded)
    except ValueError:
        return None
    blueprint = load_file(directory)
    controls = stance.model_dump(mode="json", include=set(StanceControls.model_fields))
    # Resolve the blueprint once more with the recorded stance as a custom stance that overrides every control.
    name = "recorded-stance"
    custom = CustomStance(extends="strict", summary=stance.note, overrides=controls)
    old_file = blueprint.model_copy(update={"stance": name, "stances": {**blueprint.stances, name: custom}})
    try:
        old = resolve(old_file, str(directory / "blueprint.yaml"), load_overlays(directory, blueprint))
    except SpecError:
        # An overlay valid today may break the old stance's floor; compare the stance alone then.
        return spec.model_copy(update={"stance": stance})
    return old.model_copy(update={"stance": stance})


def plan_files(base: Mapping[str, str] | None, current: Mapping[str, str | None], generated: Mapping[str, str], *, old_version: str) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """(path -> new text to write, path -> status, conflicting paths) for every generated file."""
    writes: dict[str, str] = {}
    status: dict[str, str] = {}
    conflicts: list[str] = []
    labels = ("yours", f"generated by {old_version}", f"generated by {__version__}")
    for path, theirs in sorted(generated.items()):
        ours = current.get(path)
        previous = None if base is None else base.get(path)
        if ours == theirs:
            status[path] = UNCHANGED
        elif ours is None:
            if previous is None or previous != theirs:
                writes[path], status[path] = theirs, ADDED if previous is None else UPDATED
            else:
                status[path] = KEPT  # the user deleted it and this version generates the same text
        elif previous is None:
            # No record of what was generated: cannot tell a hand edit from an older generator's text.
            conflicts.append(path)
            status[path] = CONFLICT
            writes[path] = merge3("", ours, theirs, labels=labels).text
        elif ours == previous:
            writes[path], status[path] = theirs, UPDATED
        elif theirs == previous:
            status[path] = KEPT
        else:
            merged = merge3(previous, ours, theirs, labels=labels)
            writes[path] = merged.text
            if merged.conflicts:
                conflicts.append(path)
                status[path] = CONFLICT
            else:
                status[path] = MERGED
    return writes, status, conflicts


def upgrade_project(directory: str | Path, *, force: bool = False, allow_conflicts: bool = False, dry_run: bool = False, preview: bool = True) -> UpgradeResult:
    """Merge this version's generated files into the project; all or nothing, nothing at all on conflicts unless allowed."""
    from ..model import load_blueprint, load_file
    from ..review import uncommitted

    directory = Path(directory)
    if not (directory / "blueprint.yaml").is_file():
        raise GenerateError(target=directory, message="has no blueprint.yaml", fix="point at a project made by `blueprint new`")
    spec = load_blueprint(directory)  # the user's files: validated, never rewritten
    dirty = uncommitted(directory)
    if dirty and not force:
        shown = ", ".join(dirty[:10]) + (f" and {len(dirty) - 10} more" if len(dirty) > 10 else "")
        raise GenerateError(target=directory, message=f"has uncommitted changes ({shown})", fix="commit or stash them so the upgrade is one reviewable change, or pass --force")

    answers_path = directory / ANSWERS_FILE
    answers_data = _read_json(answers_path, "the answers `blueprint new` recorded", "regenerate with `blueprint new --force` and the same options")
    answers = answers_from_json(answers_data, answers_path)
    old_version = str(answers_data.get("version", "unknown"))
    result = UpgradeResult(directory=directory, old_version=old_version, new_version=__version__)

    base: dict[str, str] | None = None
    if (directory / GENERATED_FILE).is_file():
        record = _read_json(directory / GENERATED_FILE, "the merge base", "restore it from git")
        base = {str(k): str(v) for k, v in (record.get("files") or {}).items()}
    else:
        result.notes.append(f"{GENERATED_FILE} is missing (project made before {__version__}): files you did not edit are updated, edited ones conflict")

    declared = tuple(load_file(directory).stances)  # for the schema's stance names: the blueprint as it is now
    rendered = render_project(answers, blueprint_document(answers), spec, stances=declared)
    generated = {p: t for p, t in rendered.items() if is_merged(p)}
    current = {p: _read_text(directory / p) for p in generated}
    writes, result.files, result.conflicts = plan_files(base, current, generated, old_version=old_version)
    for path in sorted(set(base or {}) - set(generated)):
        result.notes.append(f"{path} is no longer generated; it was left in place")
    binary = _vendored(directory, {**{p: t for p, t in rendered.items() if is_vendored(p)}, **vendored_files(answers)}, result)

    old_spec = _old_spec(directory, spec, answers_data["stance"]) if "stance" in answers_data else None
    if old_spec is not None:
        from ..preview import preview_spec
        from ..review import diff_specs

        graphs: dict[str, Any] = {}
        if preview and old_spec.stance != spec.stance:
            # Both sides run this version's program: the difference is what the stance data changes.
            graphs = {"old_graph": preview_spec(old_spec, directory), "new_graph": preview_spec(spec, directory)}
        result.diff = diff_specs(old_spec, spec, old_source=f"stance as generated by {old_version}", new_source=f"stance of {__version__}", **graphs)
    else:
        result.notes.append("no stance recorded in answers.json: the controls diff is not available for this upgrade")
    if preview:
        result.notes.append(
            "resources: the offline diff runs this version's program on both sides, so it shows what changed stance values do; "
            "what a new program does to your stack shows in `pulumi preview` (CI) after the upgrade"
        )

    if result.conflicts and not allow_conflicts or dry_run:
        return result
    writes[ANSWERS_FILE] = rendered[ANSWERS_FILE]
    writes[GENERATED_FILE] = rendered[GENERATED_FILE]
    # Resolved: the swap renames the directory, which fails for '.'.
    write_tree(directory.resolve(), {**writes, **binary}, force=True)
    result.written = True
    return result


def _vendored(directory: Path, wanted: Mapping[str, str | bytes], result: UpgradeResult) -> dict[str, str | bytes]:
    """This version's vendored artifacts (the wheel requirements.txt pins, the chart), where the project's differ."""
    writes: dict[str, str | bytes] = {}
    for path, content in sorted(wanted.items()):
        data = content.encode("utf-8") if isinstance(content, str) else content
        present = directory / path
        if present.is_file() and present.read_bytes() == data:
            result.files[path] = UNCHANGED
        else:
            writes[path] = content
            result.files[path] = UPDATED if present.exists() else ADDED
    stale: dict[str, list[str]] = {}
    for top in ("vendor", "charts"):
        for old in sorted(p for p in (directory / top).rglob("*") if p.is_file()) if (directory / top).is_dir() else ():
            relative = old.relative_to(directory).as_posix()
            if is_vendored(relative) and relative not in wanted:
                stale.setdefault(relative if top == VENDOR_DIR else "/".join(relative.split("/")[:2]) + "/", []).append(relative)
    for where, paths in sorted(stale.items()):
        what = where if len(paths) == 1 else f"{where} ({len(paths)} files)"
        result.notes.append(f"{what} is no longer vendored by this version; remove it (`git rm -r {where}`)")
    return writes


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise GenerateError(target=path, message="is not UTF-8 text", fix="restore the generated file from git") from None
