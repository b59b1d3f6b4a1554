"""Controls and resources diff on real pairs of generated projects, judged by `model.compare`."""

from __future__ import annotations

import json
import shutil

import pytest

from blueprint.model import compare
from blueprint.model.stance import META
from blueprint.review import Change, diff_projects
from blueprint.review.controls import ORG

from .conftest import new_project

EXCEPTIONS = """
exceptions:
  - team: genomics
    control: compute.sessions.root_allowed
    value: true
    reason: Legacy conda builds need root until the images are rebuilt
    approved_by: ciso
    expires: 2099-12-31
  - team: genomics
    control: compute.default_quota.cpu
    value: "48"
    reason: Genome assembly needs more cores this quarter
    approved_by: ciso
    expires: 2099-12-31
"""


def weakened_copy(strict, tmp_path):
    """A copy of a strict project where team genomics takes root and more CPU, each covered by an exception."""
    copy = tmp_path / "weakened"
    shutil.copytree(strict, copy)
    (copy / "blueprint.yaml").write_text((copy / "blueprint.yaml").read_text() + EXCEPTIONS)
    (copy / "teams").mkdir()
    (copy / "teams/genomics.yaml").write_text("team: genomics\nquota:\n  cpu: '48'\nidle_timeout_minutes: 30\ncontrols:\n  compute.sessions.root_allowed: true\n")
    return copy


def test_overlay_with_exceptions_is_weaker_per_team(tmp_path):
    strict = new_project(tmp_path / "strict")
    result = diff_projects(strict, weakened_copy(strict, tmp_path), preview=False)
    changes = {(c.scope, c.control): c for c in result.controls}
    assert changes[("team:genomics", "compute.sessions.root_allowed")].change is Change.WEAKER
    assert changes[("team:genomics", "compute.default_quota.cpu")].change is Change.WEAKER
    assert changes[("team:genomics", "compute.default_quota.cpu")].is_quota
    assert changes[("team:genomics", "compute.sessions.idle_timeout_minutes")].change is Change.STRONGER
    assert not any(c.scope == "team:vision" for c in result.controls)
    assert not any(c.scope == ORG for c in result.controls)
    # Riskiest first: the weakened insider control precedes the quota, strengthened last.
    assert [c.change for c in result.controls] == sorted((c.change for c in result.controls), key=lambda c: c.order)
    assert result.controls[0].control == "compute.sessions.root_allowed"
    assert [(e.team, e.control) for e in result.exceptions.added] == [("genomics", "compute.default_quota.cpu"), ("genomics", "compute.sessions.root_allowed")]


def test_every_verdict_is_compare(tmp_path):
    strict, balanced = new_project(tmp_path / "strict"), new_project(tmp_path / "balanced", "balanced")
    result = diff_projects(strict, balanced, preview=False)
    assert result.controls
    for change in result.controls:
        if change.control in META:
            verdict = compare(META[change.control], change.old, change.new)
            assert change.change is {-1: Change.WEAKER, 1: Change.STRONGER, 0: Change.CHANGED}[verdict], change
    # The stance-order invariant, seen through the diff: strict -> balanced never strengthens anything.
    assert not result.of(Change.STRONGER)
    weaker = {c.control for c in result.weakened if c.scope == ORG}
    assert {"network.egress", "network.ingress", "storage.encryption", "audit.cloudtrail", "identity.mfa"} <= weaker
    reverse = diff_projects(balanced, strict, preview=False)
    assert {c.control for c in reverse.of(Change.STRONGER) if c.scope == ORG} == weaker


def test_teams_added_and_removed(tmp_path):
    left = new_project(tmp_path / "left", teams=("genomics", "vision"))
    right = new_project(tmp_path / "right", teams=("genomics", "astro"))
    result = diff_projects(left, right, preview=False)
    assert (result.teams.added, result.teams.removed) == (("astro",), ("vision",))


def test_json_is_stable_and_sorted(tmp_path):
    strict, balanced = new_project(tmp_path / "strict"), new_project(tmp_path / "balanced", "balanced")
    first = json.dumps(diff_projects(strict, balanced, preview=False).to_json(), sort_keys=True)
    second = json.dumps(diff_projects(strict / "blueprint.yaml", balanced / "blueprint.yaml", preview=False).to_json(), sort_keys=True)
    assert json.loads(first)["controls"] == json.loads(second)["controls"]


@pytest.mark.slow
def test_resources_of_balanced_vs_open(tmp_path):
    balanced, open_ = new_project(tmp_path / "balanced", "balanced"), new_project(tmp_path / "open", "open")
    result = diff_projects(balanced, open_)
    assert result.resources is not None and not result.resources.empty
    summary = result.resources.summary()
    assert summary["same"] > 0, "resources of two project directories must match despite different project names"
    # Every changed input is a dotted path into the resource's inputs.
    for change in result.resources.changed:
        assert change.inputs and all(i.path for i in change.inputs)
        assert not any(i.path == "(options).parent" for i in change.inputs)
    paths = {(c.type, p) for c in result.resources.changed for p in c.paths}
    assert ("aws:eks/cluster:Cluster", "vpcConfig.endpointPublicAccess") in paths
    assert any(f.kind == "public" and f.path.endswith("endpointPublicAccess") for f in result.findings)


@pytest.mark.slow
def test_same_project_twice_has_no_resource_changes(tmp_path):
    strict = new_project(tmp_path / "strict")
    copy = tmp_path / "copy"
    shutil.copytree(strict, copy)
    result = diff_projects(strict, copy)
    assert result.empty and result.resources is not None and result.resources.unchanged > 10
