"""Works rules for packages on real generated graphs: each passes for every stance and fires on a mutation of a real graph."""

from __future__ import annotations

import json

import pytest

from blueprint.policy import BY_ID, evaluate
from blueprint.policy import tokens as T

from .conftest import find, mutate, without

PIP = "works.packages.pip-config-reachable"
R = "works.packages.r-repository"
SEED = "works.packages.day-one-allowlist"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"


def messages(project, graph, rule_id):
    result = evaluate(project.spec, graph, rules=[BY_ID[rule_id]])
    return [v.message for v in result.violations], result


@pytest.mark.parametrize("rule_id", [PIP, R, SEED])
@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_every_stance_passes(real, stance, rule_id):
    project = real(stance)
    found, result = messages(project, project.graph, rule_id)
    assert not found and (rule_id in result.passed or rule_id in result.not_applicable), found
    rule = BY_ID[rule_id]
    assert rule.family == "works" and rule.concern.value == "user-experience"


@pytest.mark.parametrize("stance", ["strict", "open"])
def test_pip_fires_without_the_first_token_job(real, stance):
    project = real(stance)
    first = find(project.graph, T.JOB, "pip-token-first")
    found, _ = messages(project, without(project.graph, first), PIP)
    assert any("a Job at apply time" in m for m in found), found


def test_pip_fires_when_a_team_namespace_has_no_binding(real):
    project = real("balanced")
    binding = find(project.graph, ROLE_BINDING, "binding-genomics")
    found, _ = messages(project, without(project.graph, binding), PIP)
    assert any("may not write Secret workbench-pip in team namespace genomics" in m for m in found), found


def test_pip_fires_when_the_refresher_points_elsewhere_or_too_rarely(real):
    project = real("strict")
    cron = find(project.graph, T.CRON_JOB, "pip-token-cron")

    def elsewhere(inputs):
        for e in inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]:
            if e["name"] == "INDEX_URL":
                e["value"] = e["value"].replace("/pypi/workbench/", "/pypi/pypi-upstream/")
        inputs["spec"]["schedule"] = "0 */12 * * *"

    found, _ = messages(project, mutate(project.graph, cron, elsewhere), PIP)
    assert any("not the repository sessions install from" in m for m in found), found
    assert any("not refreshed at least twice" in m for m in found), found


def test_pip_fires_when_a_team_is_missing_from_the_namespace_list(real):
    project = real("open")
    config = next(c for c in project.graph.of_type(CONFIG_MAP) if "namespaces.txt" in (c.inputs.get("data") or {}))
    found, _ = messages(project, mutate(project.graph, config, lambda i: i["data"].update({"namespaces.txt": "genomics\n"})), PIP)
    assert any("team namespace team-1: add it to its namespaces.txt" in m for m in found), found


def _session_env(values):
    """The environment every session gets (the hub merges `custom.workbench.session` into each profile)."""
    return values["custom"]["workbench"]["session"]["kubespawner_override"]["environment"]


def test_r_fires_when_strict_points_at_the_public_snapshot(real):
    """Today's main: strict has no path to packagemanager.posit.co; a session configured with it could not install anything."""
    project = real("strict")
    release = next(r for r in project.graph.of_type(T.HELM_RELEASE))

    def public(inputs):
        _session_env(inputs["values"])["WORKBENCH_CRAN_URL"] = "https://packagemanager.posit.co/cran/2026-10-01"

    found, _ = messages(project, mutate(project.graph, release, public), R)
    assert any("egress 'mirror' does not reach packagemanager.posit.co" in m for m in found), found


def test_r_fires_when_sessions_have_no_r_repository(real):
    project = real("balanced")
    release = next(r for r in project.graph.of_type(T.HELM_RELEASE))
    found, _ = messages(project, mutate(project.graph, release, lambda i: _session_env(i["values"]).pop("WORKBENCH_CRAN_URL")), R)
    assert any("sessions have no R repository" in m for m in found), found


def test_r_fires_when_the_private_bucket_is_not_readable_from_the_vpc(real):
    project = real("strict")
    policy = find(project.graph, T.BUCKET_POLICY, "acme-r-bucket-policy")

    def from_anywhere_else(inputs):
        document = json.loads(inputs["policy"])
        for statement in document["Statement"]:
            if statement["Effect"] == "Allow":
                statement["Condition"] = {"StringEquals": {"aws:SourceVpc": "vpc-0someoneelse"}}
        inputs["policy"] = json.dumps(document)

    found, _ = messages(project, mutate(project.graph, policy, from_anywhere_else), R)
    assert any("not from a VPC with an S3 gateway endpoint" in m for m in found), found
    found, _ = messages(project, without(project.graph, policy), R)
    assert any("no bucket policy lets sessions read" in m for m in found), found


def test_seed_fires_without_the_seed_job(real):
    project = real("strict")
    seed = find(project.graph, T.JOB, "curator-seed")
    found, _ = messages(project, without(project.graph, seed), SEED)
    assert any("workbench repository starts empty" in m for m in found), found


def test_seed_fires_when_the_allowlist_loses_a_package(real):
    project = real("strict")
    config = find(project.graph, CONFIG_MAP, "acme-curator-config")
    found, _ = messages(project, mutate(project.graph, config, lambda i: i["data"].update({"allowlist.txt": "pandas\n"})), SEED)
    assert any("does not request" in m and "boto3" in m for m in found), found


def test_seed_fires_when_the_private_r_repository_drops_a_package(real):
    project = real("strict")
    packages = find(project.graph, BUCKET_OBJECT, "curator-packages")
    found, _ = messages(project, mutate(project.graph, packages, lambda i: i.update({"content": "dplyr\n"})), SEED)
    assert any("will not hold" in m and "ggplot2" in m for m in found), found


def test_only_a_vpc_only_repository_may_skip_the_cmk(real):
    """storage.bucket-encryption lets strict's R repository use SSE-S3 only while its unsigned reads stay inside the VPC."""
    project = real("strict")
    rule = BY_ID["storage.bucket-encryption"]
    assert not evaluate(project.spec, project.graph, rules=[rule]).violations
    policy = find(project.graph, T.BUCKET_POLICY, "acme-r-bucket-policy")

    def anyone(inputs):
        document = json.loads(inputs["policy"])
        for statement in document["Statement"]:
            statement.pop("Condition", None) if statement["Effect"] == "Allow" else None
        inputs["policy"] = json.dumps(document)

    (violation,) = evaluate(project.spec, mutate(project.graph, policy, anyone), rules=[rule]).violations
    assert "acme-r-bucket" in violation.urn and "AES256" in violation.message


def test_curated_snapshot_under_open_egress_gets_a_private_repository_its_sessions_reach(tmp_path):
    """A custom stance: open egress (no interface endpoints), but R curated. A public snapshot would serve every CRAN
    package (packages.r-snapshot); the private repository admits reads only through the S3 gateway endpoint, which
    the network creates in every stance (works.packages.r-repository)."""
    from blueprint.model import load_blueprint
    from blueprint.preview import preview_project
    from tests.conftest import blueprint_data, write_blueprint

    mine = {"extends": "open", "overrides": {"packages": {"r": "curated-snapshot", "r_snapshot_date": "2026-10-01"}}}
    write_blueprint(tmp_path, blueprint_data("mine", teams=1, stances={"mine": mine}))
    spec, graph = load_blueprint(tmp_path), preview_project(tmp_path)
    assert spec.stance.network.vpc_endpoints is False and spec.stance.network.egress == "open"
    result = evaluate(spec, graph, rules=[BY_ID["packages.r-snapshot"], BY_ID["works.packages.r-repository"]])
    assert result.ok, [f"{v.rule}: {v.message}" for v in result.violations]
    assert any(r.type in T.BUCKETS and "r-bucket" in r.name for r in graph), "the private repository"
