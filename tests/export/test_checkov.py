"""checkov on the three stances' Terraform plans: it scans every resource, strict fails nothing unaccounted for,
every skip is still needed, and docs/validation.md holds today's figures."""

from __future__ import annotations

import pytest

from blueprint.export.checkov import STANCES, Result, ScanError, evaluate, load_skips

from .conftest import SKIPS_FILE, VALIDATION_DOC

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stance", STANCES)
def test_checkov_scans_every_exported_resource(stance, validation):
    # checkov checks nothing, silently, when a plan lacks what it needs; the count proves it read them all.
    assert validation.exported[stance] > 0
    assert validation.scans[stance].resource_count == validation.exported[stance]
    assert validation.scans[stance].passed, "no check passed: checkov read the plan but matched no resource type"


def test_strict_fails_nothing_the_skips_file_does_not_account_for(validation):
    unaccounted = [f"{r.check_id} on {r.resource}: {r.check_name}" for r in validation.verdict.unaccepted["strict"]]
    assert not unaccounted, "fix the component, or list the failure with a written reason in scan/checkov-skips.yaml"


def test_no_check_crashed_on_strict(validation):
    assert validation.scans["strict"].errored == ()


def test_every_skip_is_still_needed(validation):
    assert validation.verdict.stale == ()


def test_the_scanner_sees_connections_between_resources(validation):
    # Graph checks pass only when the plan's references connect resources: each bucket has its public access
    # block, versioning and KMS encryption in separate resources that refer to it.
    passed = {(r.check_id, r.resource) for r in validation.scans["strict"].passed}
    for bucket in ("aws_s3_bucket.acme-storage-bucket", "aws_s3_bucket.acme-guardrails-trail-logs"):
        for check in ("CKV2_AWS_6", "CKV_AWS_21", "CKV_AWS_145"):
            assert (check, bucket) in passed, f"{check} on {bucket}"
    assert ("CKV2_AWS_11", "aws_vpc.acme-network-vpc") in passed  # flow logs refer to the VPC


def test_validation_doc_is_current(validation):
    assert VALIDATION_DOC.read_text(encoding="utf-8") == validation.markdown, "docs/validation.md is out of date: run `make scan`"


# ---- the skips file itself ---------------------------------------------------------------------------


def test_every_skip_has_a_kind_and_a_written_reason():
    skips = load_skips(SKIPS_FILE)
    assert skips
    for skip in skips:
        assert len(skip.reason.split()) >= 8, f"{skip.check_id}: say why, in a sentence or two"


def test_a_skip_without_a_reason_is_refused(tmp_path):
    path = tmp_path / "skips.yaml"
    path.write_text("skips:\n  - check: CKV_AWS_1\n    kind: by-design\n    resources: {strict: [aws_s3_bucket.x]}\n")
    with pytest.raises(ScanError, match="written reason"):
        load_skips(path)


def test_stale_entries_are_reported(tmp_path, validation):
    path = tmp_path / "skips.yaml"
    path.write_text(
        "skips:\n  - check: CKV_AWS_999\n    kind: by-design\n    reason: a check that never fails here, to prove stale entries are caught\n"
        "    resources: {strict: [aws_vpc.acme-network-vpc]}\n"
    )
    verdict = evaluate({"strict": validation.scans["strict"]}, load_skips(path))
    assert verdict.stale == ("CKV_AWS_999 on aws_vpc.acme-network-vpc (strict): no longer fails; remove it from the skips file",)
    assert Result("CKV_AWS_999", "aws_vpc.acme-network-vpc") not in validation.scans["strict"].failed


# ---- checkov's kubernetes framework on every in-cluster object (ours + the chart rendered by helm) ----------


@pytest.mark.parametrize("stance", STANCES)
def test_checkov_scans_every_rendered_object(stance, validation):
    figures = {f.stance: f for f in validation.rendered}[stance]
    scan = validation.kubernetes_scans[stance]
    assert figures.chart > 20, "the chart rendered: hub, proxy, scheduler, RBAC, policies..."
    assert scan.passed and scan.resource_count > 0
    workloads = {r.resource.split(".")[0] for r in (*scan.passed, *scan.failed)}
    assert {"Deployment", "StatefulSet"} <= workloads, "checkov judged the chart's workloads, not only ours"


def test_strict_rendered_objects_fail_nothing_unaccounted_for(validation):
    unaccounted = [f"{r.check_id} on {r.resource}: {r.check_name}" for r in validation.kubernetes_verdict.unaccepted["strict"]]
    assert not unaccounted, "fix the values or component, or list the failure with a reason in scan/checkov-kubernetes-skips.yaml"


def test_every_kubernetes_skip_is_still_needed_and_explained(validation):
    from .conftest import KUBERNETES_SKIPS_FILE

    assert validation.kubernetes_verdict.stale == ()
    for skip in load_skips(KUBERNETES_SKIPS_FILE):
        assert len(skip.reason.split()) >= 8, f"{skip.check_id}: say why, in a sentence or two"
