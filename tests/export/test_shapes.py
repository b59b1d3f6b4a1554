"""The shape table: derived from the installed pulumi-aws SDK once, then read from the user's cache; never trusted when damaged."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from importlib import metadata

import pytest

from blueprint.cli.export import preview_outputs
from blueprint.export import shapes
from blueprint.export.checkov import STANCES
from blueprint.export.terraform import aws_resources, terraform_plan
from blueprint.usercache import CACHE_DIR_ENV, NO_CACHE_ENV

REGION = "eu-west-1"
VPC = "aws:ec2/vpc:Vpc"
BUCKET = "aws:s3/bucket:Bucket"
BACKUP_PLAN = "aws:backup/plan:Plan"  # nested blocks two deep: rules -> lifecycle


@pytest.fixture
def cache_on(tmp_path, monkeypatch):
    """The cache turned on (tests/conftest.py turns it off), in a directory of this test's own; the shapes directory."""
    monkeypatch.delenv(NO_CACHE_ENV, raising=False)
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / shapes.DIRECTORY


def stance_tokens(stance_graphs) -> list[str]:
    return sorted({r.type for g in stance_graphs.values() for r in aws_resources(g)})


def the_entry(directory):
    (path,) = directory.glob("*.json")
    return path


def assert_same_as_the_sdk(table: shapes.ShapeTable, tokens) -> None:
    reference = shapes.sdk_table(tokens)
    assert reference.resources and reference.objects
    for token in tokens:
        assert table.resource_fields(token) == reference.resource_fields(token), token
    for token, fields in reference.objects.items():
        assert table.object_fields(token) == fields, token


def test_the_stored_table_is_the_sdks_and_a_hit_imports_no_sdk(stance_graphs, cache_on):
    tokens = stance_tokens(stance_graphs)
    shapes.shape_table(tokens)  # derives and stores
    assert the_entry(cache_on).is_file()
    # A fresh process, as the next `blueprint export` would be: it reads the entry and never imports the SDK.
    code = (
        "import pickle, sys, json; from blueprint.export import shapes; "
        "table = shapes.shape_table(json.loads(sys.argv[1])); "
        "sys.stdout.buffer.write(pickle.dumps((table, sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws')))))"
    )
    done = subprocess.run([sys.executable, "-c", code, json.dumps(tokens)], capture_output=True, check=True)
    table, sdk_modules = pickle.loads(done.stdout)
    assert sdk_modules == []
    assert_same_as_the_sdk(table, tokens)


@pytest.mark.parametrize("stance", STANCES)
def test_the_plan_is_byte_identical_with_and_without_the_cache(stance, stance_graphs, cache_on, monkeypatch):
    graph = stance_graphs[stance]
    monkeypatch.setenv(NO_CACHE_ENV, "1")
    without = terraform_plan(graph, region=REGION, outputs=preview_outputs(REGION)).to_json()
    monkeypatch.delenv(NO_CACHE_ENV)
    stored = terraform_plan(graph, region=REGION, outputs=preview_outputs(REGION)).to_json()
    assert the_entry(cache_on).is_file()
    from_cache = terraform_plan(graph, region=REGION, outputs=preview_outputs(REGION)).to_json()
    assert from_cache == stored == without


def _truncated(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _not_json(path):
    path.write_text("not json", encoding="utf-8")


def _edited(path):
    # Well-formed, but not what was written: the VPC's tags (a map) made a scalar.
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["table"]["resources"][VPC]["tags"] == "map"
    data["table"]["resources"][VPC]["tags"] = "scalar"
    path.write_text(json.dumps(data), encoding="utf-8")


def _another_key(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    data["key"] = "0" * 64
    path.write_text(json.dumps(data), encoding="utf-8")


def _older_format(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    data["format"] = shapes.FORMAT - 1
    path.write_text(json.dumps(data), encoding="utf-8")


def _a_nested_type_missing(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["table"]["objects"]["aws:backup/PlanRule:PlanRule"]
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("damage", [_truncated, _not_json, _edited, _another_key, _older_format, _a_nested_type_missing])
def test_a_damaged_or_foreign_entry_is_not_trusted_and_is_written_again(cache_on, damage):
    tokens = [VPC, BUCKET, BACKUP_PLAN]
    shapes.shape_table(tokens)
    path = the_entry(cache_on)
    written = path.read_bytes()
    damage(path)
    table = shapes.shape_table(tokens)
    assert_same_as_the_sdk(table, tokens)
    assert table.resource_fields(VPC)["tags"] == shapes.MAP
    assert path.read_bytes() == written  # derived again and stored again: the next run reads a good entry


def test_tokens_the_entry_lacks_are_derived_and_added(cache_on):
    shapes.shape_table([VPC])
    table = shapes.shape_table([VPC, BACKUP_PLAN])
    assert_same_as_the_sdk(table, [VPC, BACKUP_PLAN])
    stored = json.loads(the_entry(cache_on).read_text(encoding="utf-8"))["table"]
    assert set(stored["resources"]) == {VPC, BACKUP_PLAN}
    assert "aws:backup/PlanRuleLifecycle:PlanRuleLifecycle" in stored["objects"]


def test_a_token_the_sdk_lacks_is_named_and_not_stored(cache_on):
    table = shapes.shape_table([VPC, "aws:nope/nope:Nope"])
    with pytest.raises(LookupError, match="pulumi-aws SDK has no resource aws:nope/nope:Nope"):
        table.resource_fields("aws:nope/nope:Nope")
    assert set(json.loads(the_entry(cache_on).read_text(encoding="utf-8"))["table"]["resources"]) == {VPC}


def test_another_sdk_version_or_format_changes_the_key(cache_on, monkeypatch):
    keys = {shapes.table_key()}
    installed = metadata.version
    for distribution in shapes.SDKS:
        with monkeypatch.context() as patch:
            patch.setattr(metadata, "version", lambda name, d=distribution: "0.0.1" if name == d else installed(name))
            keys.add(shapes.table_key())
    with monkeypatch.context() as patch:
        patch.setattr(shapes, "FORMAT", shapes.FORMAT + 1)
        keys.add(shapes.table_key())
    assert len(keys) == 2 + len(shapes.SDKS)


def test_an_entry_of_another_sdk_version_is_not_read(cache_on, monkeypatch):
    installed = metadata.version
    with monkeypatch.context() as patch:
        patch.setattr(metadata, "version", lambda name: "7.0.0" if name == "pulumi-aws" else installed(name))
        shapes.shape_table([VPC])
        other = the_entry(cache_on)
    shapes.shape_table([VPC])
    assert sorted(cache_on.glob("*.json")) == sorted([other, cache_on / f"{shapes.table_key()}.json"])


def test_without_the_cache_nothing_is_stored(tmp_path, monkeypatch):
    monkeypatch.setenv(NO_CACHE_ENV, "1")
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    assert_same_as_the_sdk(shapes.shape_table([VPC, BACKUP_PLAN]), [VPC, BACKUP_PLAN])
    assert not (tmp_path / "cache").exists()


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache directory cannot be made under a file")
    monkeypatch.delenv(NO_CACHE_ENV, raising=False)
    monkeypatch.setenv(CACHE_DIR_ENV, str(blocker))
    assert_same_as_the_sdk(shapes.shape_table([VPC, BACKUP_PLAN]), [VPC, BACKUP_PLAN])
    assert blocker.is_file()
