"""PackageMirror under the mock engine: CodeArtifact layout per python mode, curator jobs, R honesty."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from blueprint.components.mirror import (
    MIRROR_NAMESPACE,
    ORIGIN_CONTROLS_SCRIPT,
    PROMOTE_SCRIPT,
    PackageMirror,
    PackageMirrorArgs,
    domain_name_for,
    normalize_package,
    resolve_r_repository,
)
from tests.components import conftest as runner

DOMAIN = "aws:codeartifact/domain:Domain"
REPOSITORY = "aws:codeartifact/repository:Repository"
CRONJOB = "kubernetes:batch/v1:CronJob"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
OIDC_ARN = f"arn:aws:iam::{runner.ACCOUNT}:oidc-provider/{runner.OIDC_ISSUER.removeprefix('https://')}"
KMS_ARN = f"arn:aws:kms:{runner.REGION}:{runner.ACCOUNT}:key/mock"


@pytest.fixture(autouse=True)
def codeartifact_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """CodeArtifact computes ARNs of its own shape; answer them like the provider would."""
    prefix = f"arn:aws:codeartifact:{runner.REGION}:{runner.ACCOUNT}"
    monkeypatch.setitem(runner.COMPUTED, DOMAIN, lambda n: {"arn": f"{prefix}:domain/{n.inputs['domain']}"})
    monkeypatch.setitem(
        runner.COMPUTED, REPOSITORY, lambda n: {"arn": f"{prefix}:repository/{n.inputs['domain']}/{n.inputs['repository']}"}
    )


def build(spec, **extra):
    provider = k8s.Provider("k8s", kubeconfig="{}")
    args = PackageMirrorArgs.from_spec(
        spec,
        kms_key_arn=KMS_ARN,
        provider=provider,
        oidc_provider_arn=OIDC_ARN,
        oidc_issuer=runner.OIDC_ISSUER.removeprefix("https://"),
        **extra,
    )
    mirror = PackageMirror("acme-mirror", args)
    return pulumi.Output.all(
        pip=mirror.pip_index_url, r=mirror.r_repos_url, domain=mirror.domain_name, repo=mirror.repository_name
    )


def repositories(run) -> dict[str, dict]:
    return {r.inputs["repository"]: r.inputs for r in run.of_type(REPOSITORY)}


def test_strict_workbench_repository_has_no_upstream(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    repos = repositories(run)
    assert set(repos) == {"pypi-upstream", "workbench"}
    assert not repos["workbench"].get("upstreams"), f"curated workbench repository must not read PyPI: {repos['workbench']}"
    assert repos["pypi-upstream"]["externalConnections"]["externalConnectionName"] == "public:pypi"
    assert run.one(DOMAIN).inputs["encryptionKey"] == KMS_ARN


@pytest.mark.parametrize("stance", ["balanced", "open"])
def test_proxy_stances_read_public_pypi_through_the_upstream(spec_for, run_program, stance):
    run = run_program(lambda: build(spec_for(stance)))
    upstreams = repositories(run)["workbench"].get("upstreams")
    assert upstreams == [{"repositoryName": "pypi-upstream"}], f"{stance}: workbench upstreams {upstreams}"


def test_pip_index_url_is_the_codeartifact_endpoint(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    assert run.value["pip"] == (
        f"https://acme-dev-{runner.ACCOUNT}.d.codeartifact.eu-west-1.amazonaws.com/pypi/workbench/simple/"
    )
    assert run.value["domain"] == "acme-dev" and run.value["repo"] == "workbench"


def test_curated_promoter_reads_allowlist_from_configmap_data(spec_for, run_program):
    teams = [
        {"name": "genomics", "idp_group": "dsw-genomics", "extra_packages": {"python": ["Bio_Python", "pysam"]}},
        {"name": "vision", "idp_group": "dsw-vision"},
    ]
    spec = spec_for("strict", teams=teams)
    run = run_program(lambda: build(spec))
    config = run.one(CONFIGMAP)
    allowlist = config.inputs["data"]["allowlist.txt"].split()
    expected = {normalize_package(p) for p in spec.stance.packages.python_allowlist} | {"bio-python", "pysam"}
    assert set(allowlist) == expected, f"{config}: allowlist {allowlist}"
    for name in expected:
        assert name not in PROMOTE_SCRIPT, f"package {name} pasted into the promote script"
    promote = run.named("acme-mirror-promote")
    pod = promote.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["COOLDOWN_DAYS"] == "14" and env["CURATION_MODE"] == "block", f"{promote}: {env}"
    assert container["image"] == "public.ecr.aws/aws-cli/aws-cli:2.22.0", f"{promote}: exact version policy pins the image"
    assert promote.inputs["metadata"]["namespace"] == MIRROR_NAMESPACE
    assert container["securityContext"]["runAsNonRoot"] is True
    assert promote.provider, f"{promote} must use the cluster provider"


def test_promoter_role_reads_upstream_and_writes_only_workbench(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    policy = run.named("acme-mirror-promote-policy").json_input("policy")
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    write = by_sid["WriteWorkbench"]
    assert write["Action"] == ["codeartifact:CopyPackageVersions"]
    assert write["Resource"] == [f"arn:aws:codeartifact:eu-west-1:{runner.ACCOUNT}:repository/acme-dev/workbench"]
    for statement in policy["Statement"]:
        resources = json.dumps(statement["Resource"])
        if statement["Sid"] != "WriteWorkbench":
            assert "/workbench" not in resources, f"statement {statement['Sid']} touches the workbench repository"
        for action in statement["Action"]:
            assert not action.endswith("*"), f"wildcard action {action} in {statement['Sid']}"
    trust = run.named("acme-mirror-promote-role").json_input("assumeRolePolicy")
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert f"system:serviceaccount:{MIRROR_NAMESPACE}:curator-promote" in condition.values()


def test_balanced_blocklist_and_internal_prefixes_use_origin_controls(spec_for, run_program):
    spec = spec_for("balanced", packages={"internal_prefixes": ["acme_", "acme-ml"]})
    run = run_program(lambda: build(spec))
    assert [r.name for r in run.of_type(CRONJOB)] == ["acme-mirror-origin-controls"], "proxy mode needs no promoter"
    data = run.one(CONFIGMAP).inputs["data"]
    assert data["internal-prefixes.txt"].split() == ["acme-", "acme-ml"]
    assert set(data["blocklist.txt"].split()) == {normalize_package(p) for p in spec.stance.packages.python_blocklist}
    assert "PUBLISH\":\"ALLOW" in ORIGIN_CONTROLS_SCRIPT and "EXTERNAL_UPSTREAM\":\"BLOCK" in ORIGIN_CONTROLS_SCRIPT
    for word in ("acme", "colourama", "jeIlyfish"):
        assert word not in ORIGIN_CONTROLS_SCRIPT
    policy = run.named("acme-mirror-origin-controls-policy").json_input("policy")
    resources = [r for s in policy["Statement"] for r in s["Resource"]]
    assert resources == [f"arn:aws:codeartifact:eu-west-1:{runner.ACCOUNT}:package-group/acme-dev/*"]


def test_open_has_no_jobs_and_needs_no_cluster(spec_for, run_program):
    spec = spec_for("open")
    run = run_program(lambda: PackageMirror("acme-mirror", PackageMirrorArgs.from_spec(spec)).pip_index_url)
    assert not [r for r in run.resources if r.type.startswith("kubernetes:")]


def test_jobs_without_a_cluster_are_refused(spec_for, run_program):
    spec = spec_for("strict")
    with pytest.raises(ValueError, match="curator jobs"):
        run_program(lambda: PackageMirror("acme-mirror", PackageMirrorArgs.from_spec(spec)))


def test_r_repository_per_stance(spec_for):
    strict = PackageMirrorArgs.from_spec(spec_for("strict"))
    assert strict.r_repos_url is None and "mirror inside the VPC" in strict.r_status
    balanced = PackageMirrorArgs.from_spec(spec_for("balanced"))
    assert balanced.r_repos_url == "https://packagemanager.posit.co/cran/2026-10-01"
    narrowed = spec_for("tight", stances={"tight": {"extends": "balanced", "overrides": {"network": {"egress_allowlist": ["github.com"]}}}})
    unreachable = PackageMirrorArgs.from_spec(narrowed)
    assert unreachable.r_repos_url is None and "packagemanager.posit.co is not in the stance's egress_allowlist" in unreachable.r_status
    opened = PackageMirrorArgs.from_spec(spec_for("open"))
    assert opened.r_repos_url == "https://cloud.r-project.org"
    own = PackageMirrorArgs.from_spec(spec_for("strict", packages={"r_mirror_url": "https://cran.acme.internal/snapshot"}))
    assert own.r_repos_url == "https://cran.acme.internal/snapshot" and "org-run" in own.r_status


def test_snapshot_url_when_egress_reaches_it():
    url, status = resolve_r_repository("curated-snapshot", "2026-10-01", "allowlist", ("*.posit.co",), None)
    assert url == "https://packagemanager.posit.co/cran/2026-10-01"
    assert "package curation is not" in status


def test_domain_name_fits_codeartifact_limit():
    name = domain_name_for("a" * 24, "b" * 30)
    assert len(name) <= 50 and name[0].isalpha() and not name.endswith("-")
    assert domain_name_for("acme", "dev") == "acme-dev"


def test_curator_manifests_are_valid_kubernetes(spec_for, run_program):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    spec = spec_for("strict", packages={"internal_prefixes": ["acme"]})
    run = run_program(lambda: build(spec))
    manifests = [r for r in run.resources if r.custom and r.type.startswith("kubernetes:")]
    assert {r.type for r in manifests} >= {CRONJOB, CONFIGMAP, "kubernetes:core/v1:Namespace"}
    assert len(run.of_type(CRONJOB)) == 2, "curated mode with internal prefixes runs both jobs"
    for resource in manifests:
        kubernetes_validate.validate(dict(resource.inputs), spec.stance.stability.kubernetes_version, strict=True)


def test_report_mode_is_passed_as_data_and_may_only_list(spec_for, run_program):
    custom = {"lenient": {"extends": "balanced", "overrides": {"packages": {"curation_mode": "report"}}}}
    spec = spec_for("lenient", stances=custom)
    run = run_program(lambda: build(spec))
    job = run.named("acme-mirror-origin-controls")
    env = {e["name"]: e["value"] for e in job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["CURATION_MODE"] == "report", f"{job}: {env}"
    statements = {s["Sid"]: s for s in run.named("acme-mirror-origin-controls-policy").json_input("policy")["Statement"]}
    assert statements["ReportBlocklisted"]["Action"] == ["codeartifact:ListPackageVersions"]


def test_each_team_role_may_read_the_workbench_repository_only(spec_for, run_program):
    spec = spec_for("strict", teams=2)
    roles = {team.name: f"arn:aws:iam::123456789012:role/{team.name}-data" for team in spec.teams}
    run = run_program(lambda: build(spec, reader_role_arns=roles))
    readers = [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if "-reader-" in r.name]
    assert sorted(r.inputs["role"] for r in readers) == sorted(f"{t}-data" for t in roles)
    for reader in readers:
        statements = json.loads(reader.inputs["policy"])["Statement"]
        actions = {a for s in statements for a in s["Action"]}
        assert actions == {"codeartifact:GetAuthorizationToken", "sts:GetServiceBearerToken", "codeartifact:ReadFromRepository", "codeartifact:GetRepositoryEndpoint"}, reader.name
        read = next(s for s in statements if s["Sid"] == "ReadWorkbench")
        assert all("workbench" in arn and "upstream" not in arn for arn in read["Resource"]), reader.name


def test_curator_image_comes_through_the_pull_through_cache(spec_for, run_program):
    cache = f"{runner.ACCOUNT}.dkr.ecr.{runner.REGION}.amazonaws.com/acme-dev"
    registries = {"quay.io": f"{cache}/quay", "public.ecr.aws": pulumi.Output.from_input(f"{cache}/ecr-public")}
    run = run_program(lambda: build(spec_for("strict"), image_registries=registries))
    for job in run.of_type(CRONJOB):
        (container,) = job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"{cache}/ecr-public/aws-cli/aws-cli:2.22.0", f"{job}: pulls from the internet"


def test_curator_image_with_no_cache_for_its_registry_fails(spec_for, run_program):
    registries = {"quay.io": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-dev/quay"}
    with pytest.raises(Exception, match="no pull-through cache serves public.ecr.aws/aws-cli/aws-cli:2.22.0"):
        run_program(lambda: build(spec_for("strict"), image_registries=registries))
