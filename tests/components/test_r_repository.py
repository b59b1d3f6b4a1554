"""RRepository: one R repository per stance, under the mock engine; strict's private repository and its curator."""

from __future__ import annotations

import json

import pulumi
import pytest
import yaml

from blueprint.components import files
from blueprint.components.r_repository import CURATOR_PREFIX, RRepository, RRepositoryArgs, plan_r_repository
from blueprint.errors import BlueprintError
from tests.components import conftest as runner

VPC = "vpc-0workbench000000"


def build(spec):
    repository = RRepository("acme-r", RRepositoryArgs.from_spec(spec, vpc_id=VPC))
    return pulumi.Output.all(url=repository.url, kind=repository.kind, status=repository.status)


def test_every_stance_has_an_r_repository(spec_for):
    strict = RRepositoryArgs.from_spec(spec_for("strict")).plan
    assert strict.kind == "private" and strict.url is None and "S3 gateway endpoint" in strict.status
    assert strict.snapshot == "https://packagemanager.posit.co/cran/2026-10-01", "filled from the dated snapshot"
    balanced = RRepositoryArgs.from_spec(spec_for("balanced")).plan
    assert (balanced.kind, balanced.url) == ("public", "https://packagemanager.posit.co/cran/2026-10-01")
    opened = RRepositoryArgs.from_spec(spec_for("open")).plan
    assert (opened.kind, opened.url) == ("public", "https://cloud.r-project.org")
    own = RRepositoryArgs.from_spec(spec_for("strict", packages={"r_mirror_url": "https://cran.acme.internal/snapshot"})).plan
    assert (own.kind, own.url) == ("org-mirror", "https://cran.acme.internal/snapshot") and "org-run" in own.status


def test_an_allowlist_without_the_snapshot_host_gets_the_private_repository(spec_for):
    narrowed = spec_for("tight", stances={"tight": {"extends": "balanced", "overrides": {"network": {"egress_allowlist": ["github.com"]}}}})
    plan = RRepositoryArgs.from_spec(narrowed).plan
    assert plan.kind == "private" and "packagemanager.posit.co is not in the stance's egress_allowlist" in plan.status
    wildcard = plan_r_repository("snapshot", "2026-10-01", "allowlist", ("*.posit.co",), None)
    assert wildcard.url == "https://packagemanager.posit.co/cran/2026-10-01"


@pytest.mark.parametrize("egress", ["open", "allowlist"])
def test_curated_snapshot_always_gets_the_private_repository(egress):
    """A public snapshot serves every CRAN package of its day; only the private repository holds just the allowlist,
    even where egress would reach Posit (packages.r-snapshot fires on the public one)."""
    plan = plan_r_repository("curated-snapshot", "2026-10-01", egress, ("*.posit.co", "packagemanager.posit.co"), None)
    assert (plan.kind, plan.url) == ("private", None)
    assert "admits only the allowlist" in plan.status and plan.snapshot == "https://packagemanager.posit.co/cran/2026-10-01"


@pytest.mark.parametrize("stance", ["balanced", "open"])
def test_public_repositories_create_nothing(spec_for, run_program, stance):
    run = run_program(lambda: build(spec_for(stance)))
    assert [r.type for r in run.resources if r.custom] == []
    assert run.value["url"].startswith("https://")


def test_strict_private_repository_is_read_from_the_vpc_only(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    bucket = run.named("acme-r-bucket")
    name = bucket.outputs["bucket"]
    assert run.value["url"] == f"https://{name}.s3.{runner.REGION}.amazonaws.com/cran"
    block = run.named("acme-r-bucket-public-access").inputs
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    policy = run.named("acme-r-bucket-policy").json_input("policy")
    reads = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert reads == [
        {
            "Sid": "ReadFromTheWorkbenchVpc",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/cran/*",
            "Condition": {"StringEquals": {"aws:SourceVpc": VPC}},
        }
    ]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy["Statement"])
    encryption = run.named("acme-r-bucket-encryption").inputs
    assert encryption["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256", "anonymous reads cannot use a KMS key"
    logging = run.one("aws:s3/bucketLogging:BucketLogging").inputs
    assert logging["bucket"] == name, "who read which package is in S3 server access logs"


def test_strict_curator_runs_in_codebuild_outside_the_vpc_from_data(spec_for, run_program):
    teams = [
        {"name": "genomics", "idp_group": "dsw-genomics", "extra_packages": {"r": ["Seurat", "BiocManager"]}},
        {"name": "vision", "idp_group": "dsw-vision"},
    ]
    spec = spec_for("strict", teams=teams)
    run = run_program(lambda: build(spec))
    project = run.one("aws:codebuild/project:Project").inputs
    assert "vpcConfig" not in project, "the curator needs the internet; strict's VPC has none"
    assert project["environment"]["environmentVariables"] == [
        {"name": "SNAPSHOT_URL", "value": "https://packagemanager.posit.co/cran/2026-10-01", "type": "PLAINTEXT"}
    ]
    assert project["source"]["type"] == "S3" and project["source"]["location"].endswith(f"/{CURATOR_PREFIX}/")
    assert yaml.safe_load(project["source"]["buildspec"]) == yaml.safe_load(files.read("cran-curator-buildspec.yml"))
    assert project["artifacts"]["name"] == "cran" and project["artifacts"]["encryptionDisabled"] is True
    objects = {o.inputs["key"]: o.inputs["content"] for o in run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")}
    assert objects[f"{CURATOR_PREFIX}/cran-curator.R"] == files.read("cran-curator.R")
    listed = [line for line in objects[f"{CURATOR_PREFIX}/packages.txt"].splitlines() if not line.startswith("#")]
    assert set(listed) == {*spec.stance.packages.r_allowlist, "Seurat", "BiocManager"}, "a team's R packages reach the repository"
    for name in listed:
        assert name not in files.read("cran-curator.R"), f"{name} pasted into the curator script"
    # A change of the list (first apply, any edit) is an S3 event that starts exactly this project.
    rule = run.one("aws:cloudwatch/eventRule:EventRule")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern["detail"]["object"]["key"] == [f"{CURATOR_PREFIX}/packages.txt"]
    assert run.one("aws:s3/bucketNotification:BucketNotification").inputs["eventbridge"] is True
    target = run.one("aws:cloudwatch/eventTarget:EventTarget").inputs
    assert target["arn"] == run.one("aws:codebuild/project:Project").outputs["arn"]
    start = json.loads(run.named("acme-r-trigger-policy").inputs["policy"])["Statement"]
    assert start == [{"Effect": "Allow", "Action": ["codebuild:StartBuild"], "Resource": [target["arn"]]}]


def test_curator_role_writes_the_repository_prefix_only(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    statements = json.loads(run.named("acme-r-curator-policy").inputs["policy"])["Statement"]
    writes = [s for s in statements if any(a in ("s3:PutObject", "s3:DeleteObject") for a in s["Action"])]
    assert [s["Resource"] for s in writes] == [f"arn:aws:s3:::{run.named('acme-r-bucket').outputs['bucket']}/cran/*"]
    trust = json.loads(run.named("acme-r-curator-role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "codebuild.amazonaws.com"} and "aws:SourceAccount" in json.dumps(trust)


def test_a_team_r_package_with_an_impossible_name_is_refused_at_the_model_boundary(spec_for):
    teams = [{"name": "genomics", "idp_group": "dsw-genomics", "extra_packages": {"r": ["my-pkg"]}}]
    with pytest.raises(BlueprintError) as caught:
        spec_for("strict", teams=teams)
    message = str(caught.value)
    assert "extra_packages.r" in message and "'my-pkg' is not an R package name" in message, message
