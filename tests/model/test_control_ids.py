"""Every control id written in src/ names a real control or setting of the model (ids are declared once, in model)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from blueprint.model.controls import ControlMeta, SettingMeta
from blueprint.model.spec import ORG_SETTINGS, SETTING_IDS, TEAM_SETTINGS
from blueprint.model.stance import CONTROL_IDS, META, QUOTA_CONTROLS, TEAM_FIELDS, StanceControls

SRC = Path(__file__).parents[2] / "src" / "blueprint"
# A string shaped like a control id: `<section>.<field>[.<field>...]`, sections being the stance's areas and the
# two settings scopes. Rule ids use '-' (`storage.bucket-tls-only`), so they never match unless they are control ids.
SECTIONS = (*StanceControls.model_fields, "settings", "team")
ID_SHAPE = re.compile(rf"^(?:{'|'.join(SECTIONS)})\.[a-z_]+(?:\.[a-z_]+)*$")
# Dotted strings of that shape that are not control or setting ids, each with why.
NOT_CONTROL_IDS = {
    "network.admin_cidrs",  # a blueprint.yaml field named in an error (model/loading.py)
    "network.vpc_cidr",  # a blueprint.yaml field named in an error (components/network.py: no room for the subnets)
    "budgets.alert_emails",  # a blueprint.yaml field a `blueprint new` option sets (generate/project.py OPTION_FIELDS)
    "network.on_premises_cidrs",  # likewise
    "budgets.org_monthly_usd",  # a blueprint.yaml field named in a warning (model/warnings.py)
    "budgets.amazonaws.com",  # an AWS API host the CI runner calls (facts/ci_runner.py), not a control
}


def id_shaped_literals(root: Path = SRC) -> list[tuple[str, int, str]]:
    """(file, line, value) of every string constant shaped like a control id (f-string parts included)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] == "charts" and len(parts) > 2:
            continue  # the vendored chart's own Python (charts/jupyterhub/files/hub/*.py) is upstream code
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and ID_SHAPE.match(node.value):
                found.append((str(path.relative_to(root)), node.lineno, node.value))
    return found


def unknown_ids(root: Path = SRC) -> list[str]:
    known = CONTROL_IDS | SETTING_IDS | NOT_CONTROL_IDS
    return [f"{where}:{line}: {value!r}" for where, line, value in id_shaped_literals(root) if value not in known]


def test_every_control_id_literal_names_a_real_control():
    unknown = unknown_ids()
    assert not unknown, "strings shaped like control ids that name no control or setting:\n" + "\n".join(unknown)


def test_the_scan_sees_the_ids_the_rules_name():
    # The scan must find what it guards: the policy rules name controls as literals.
    values = {value for _, _, value in id_shaped_literals()}
    assert {"network.flow_logs.retention_days", "compute.sessions.root_allowed", "storage.encryption"} <= values


def test_the_scan_catches_a_misspelt_id(tmp_path):
    (tmp_path / "rules.py").write_text(
        'controls = ("compute.default_quota.cpu", "compute.quota.cpu")\nRULE = "storage.bucket-tls-only"\nWHY = f"{x} network.egres"\n'
    )
    assert unknown_ids(tmp_path) == ["rules.py:1: 'compute.quota.cpu'"]


def test_allowlist_holds_only_strings_that_are_really_not_ids():
    assert not NOT_CONTROL_IDS & (CONTROL_IDS | SETTING_IDS)
    values = {value for _, _, value in id_shaped_literals()}
    assert NOT_CONTROL_IDS <= values, f"stale allowlist entries: {sorted(NOT_CONTROL_IDS - values)}"


def test_tables_derive_from_the_declarations():
    assert set(TEAM_FIELDS) == {cid for cid, meta in META.items() if meta.team_scoped}
    assert QUOTA_CONTROLS >= {cid for cid, field in TEAM_FIELDS.items() if field.startswith("quota.")}
    assert all(isinstance(meta, ControlMeta) for meta in META.values())
    assert all(isinstance(s.meta, SettingMeta) for s in (*ORG_SETTINGS, *TEAM_SETTINGS))
    assert len(SETTING_IDS) == len(ORG_SETTINGS) + len(TEAM_SETTINGS)
