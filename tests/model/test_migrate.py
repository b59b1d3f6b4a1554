"""blueprint.yaml schema_version 1 (with `stack:`) is refused with the fix; model.migrate brings it to 2, comments kept."""

from __future__ import annotations

import pytest

from blueprint.errors import SpecError
from blueprint.model import load_blueprint
from blueprint.model.migrate import check_current, migrate_text
from blueprint.model.spec import SCHEMA_VERSION
from blueprint.model.yamlio import parse_yaml_text
from tests.conftest import blueprint_data, write_blueprint

V1 = """# yaml-language-server: $schema=./blueprint.schema.json
# Our blueprint.
schema_version: 1

# Organisation name
org: acme
region: eu-west-1

# Pulumi stack this blueprint is previewed and applied as.
stack: prod

# DNS name of JupyterHub
hub_hostname: jupyter.acme.example  # our comment
"""


def test_a_blueprint_with_stack_is_refused_naming_upgrade(tmp_path):
    path = write_blueprint(tmp_path, {"schema_version": 1, "stack": "prod", **blueprint_data()})
    with pytest.raises(SpecError) as caught:
        load_blueprint(path)
    message = str(caught.value)
    assert f"{path}: stack: `stack: prod` is no longer read" in message and "blueprint upgrade" in message
    with pytest.raises(SpecError, match="schema_version: 1 is the format from before"):
        check_current({"schema_version": 1, "org": "acme"}, "blueprint.yaml")
    check_current(blueprint_data(), "blueprint.yaml")  # current: nothing to say


def test_migration_removes_stack_and_its_comment_and_keeps_every_other_line():
    text, notes = migrate_text(V1, parse_yaml_text(V1, "blueprint.yaml"))
    assert text == V1.replace("schema_version: 1", f"schema_version: {SCHEMA_VERSION}").replace(
        "\n# Pulumi stack this blueprint is previewed and applied as.\nstack: prod\n", ""
    )
    assert any("removed `stack: prod`" in note and "pulumi stack select prod" in note for note in notes)
    again, more = migrate_text(text, parse_yaml_text(text, "blueprint.yaml"))
    assert again == text and more == []


def test_a_v1_file_without_schema_version_gets_one_after_the_modeline():
    text = "# yaml-language-server: $schema=./blueprint.schema.json\norg: acme\nstack: dev\n"
    migrated, _ = migrate_text(text, parse_yaml_text(text, "blueprint.yaml"))
    assert migrated == f"# yaml-language-server: $schema=./blueprint.schema.json\nschema_version: {SCHEMA_VERSION}\norg: acme\n"


def test_a_stack_in_flow_style_asks_for_the_edit_by_hand():
    text = "{org: acme, stack: dev}\n"
    with pytest.raises(SpecError, match="not on a line of its own"):
        migrate_text(text, parse_yaml_text(text, "blueprint.yaml"))


def test_a_current_file_that_still_has_stack_loses_only_that_line():
    text = "schema_version: 2\norg: acme\nstack: dev\nregion: eu-west-1\n"
    migrated, notes = migrate_text(text, parse_yaml_text(text, "blueprint.yaml"))
    assert migrated == "schema_version: 2\norg: acme\nregion: eu-west-1\n" and len(notes) == 1
