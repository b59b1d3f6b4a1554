"""What a project records about its own generation, in `.blueprint/` (as copier's `Subproject` owns its answers file).

`answers.json` holds what `blueprint new` was told (a `NewProject`) plus the resolved stance; `generated.json`
holds a pristine copy of every generated file, the merge base of `blueprint upgrade`. This module owns both
file names, the answers' JSON form both ways and `record_generation`; `project` writes through it and
`upgrade` reads through it, so neither imports the other's internals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import GenerateError
from ..model import BlueprintSpec

ANSWERS_FILE = ".blueprint/answers.json"
GENERATED_FILE = ".blueprint/generated.json"
GENERATOR = "workbench-blueprint"
USER_FILES = re.compile(r"^(blueprint\.yaml|teams/[^/]+\.yaml)$")
# Release artifacts the project carries as they are (the vendored wheel, the chart): `upgrade` replaces them whole.
VENDORED = re.compile(r"^(vendor|charts)/")
NOT_MERGED = frozenset({ANSWERS_FILE, GENERATED_FILE})


def is_user_file(path: str) -> bool:
    return bool(USER_FILES.match(path))


def is_vendored(path: str) -> bool:
    return bool(VENDORED.match(path))


def is_merged(path: str) -> bool:
    """A generated file `blueprint upgrade` merges (not the user's files, the record itself, nor vendored artifacts)."""
    return not is_user_file(path) and path not in NOT_MERGED and not is_vendored(path)


@dataclass(frozen=True)
class TeamAnswer:
    name: str
    idp_group: str


@dataclass(frozen=True)
class NewProject:
    """Everything `blueprint new` was told; recorded in the project so upgrades are reproducible."""

    directory: str
    stance: str
    org: str
    region: str = "us-east-1"
    stack: str = "dev"
    hub_hostname: str = ""
    teams: tuple[TeamAnswer, ...] = ()
    idp: str = "cognito"
    issuer_url: str | None = None
    client_id: str | None = None
    metadata_url: str | None = None
    alert_emails: tuple[str, ...] = ()
    admin_cidrs: tuple[str, ...] = field(default_factory=tuple)
    index_url: str | None = None
    """An internal index that serves workbench-blueprint; None: the wheel is vendored into the project."""
    github_repository: str | None = None
    """owner/name of the repository the project lives in (the CodeBuild runner's webhook); None: guessed."""
    admin_role_arns: tuple[str, ...] = ()
    ci_role_arns: tuple[str, ...] = ()
    tls: dict[str, str] = field(default_factory=dict)
    """The blueprint's `tls` section as `blueprint new` was told it (certificate source, zones)."""
    on_premises_cidrs: tuple[str, ...] = ()

    @property
    def project_name(self) -> str:
        name = Path(self.directory).resolve().name
        return name if name and all(c.isalnum() or c in "-_." for c in name) else f"{self.org}-workbench"


def answers_to_json(answers: NewProject) -> dict[str, Any]:
    data = asdict(answers)
    data["directory"] = Path(answers.directory).name
    return data


def answers_from_json(data: Mapping[str, Any], path: Path) -> NewProject:
    """The answers recorded in `answers.json` (`data` is the whole file); a GenerateError if they are not ours."""
    raw = dict(data.get("answers") or {})
    try:
        raw["teams"] = tuple(TeamAnswer(**t) for t in raw.get("teams") or ())
        for key in ("alert_emails", "admin_cidrs", "admin_role_arns", "ci_role_arns", "on_premises_cidrs"):
            raw[key] = tuple(raw.get(key) or ())
        return NewProject(**raw)
    except TypeError as exc:
        raise GenerateError(target=path, message=f"answers are not from a known version ({exc})", fix="restore it from git") from None


def answers_file(answers: NewProject) -> str:
    return json.dumps({"generator": GENERATOR, "version": __version__, "answers": answers_to_json(answers)}, indent=2, sort_keys=True) + "\n"


def record_generation(files: Mapping[str, str], spec: BlueprintSpec) -> dict[str, str]:
    """`files` plus the upgrade record: the resolved stance in answers.json and a pristine copy of every generated file."""
    recorded = dict(files)
    if ANSWERS_FILE in recorded:
        answers = json.loads(recorded[ANSWERS_FILE])
        answers["stance"] = spec.stance.model_dump(mode="json")
        answers["merge_base"] = GENERATED_FILE
        recorded[ANSWERS_FILE] = json.dumps(answers, indent=2, sort_keys=True) + "\n"
    managed = {path: text for path, text in sorted(files.items()) if is_merged(path)}
    record = {"generator": GENERATOR, "version": __version__, "files": managed}
    recorded[GENERATED_FILE] = json.dumps(record, indent=2, sort_keys=True) + "\n"
    return recorded
