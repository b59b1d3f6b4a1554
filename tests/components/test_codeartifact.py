"""PackageMirror under the mock engine: the CodeArtifact layout per python mode, the index URL, readers, its namespace."""

from __future__ import annotations

import json

import pulumi
import pytest

from blueprint.components.codeartifact import domain_name_for, index_url
from blueprint.components.mirror_jobs import MIRROR_NAMESPACE
from tests.components import conftest as runner
from tests.components.mirror_parts import DOMAIN, INDEX, KMS_ARN, REPOSITORY, answer_codeartifact_arns, mirror, provider


@pytest.fixture(autouse=True)
def codeartifact_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    answer_codeartifact_arns(monkeypatch)


def repositories(run) -> dict[str, dict]:
    return {r.inputs["repository"]: r.inputs for r in run.of_type(REPOSITORY)}


def test_strict_workbench_repository_has_no_upstream(spec_for, run_program):
    run = run_program(lambda: mirror(spec_for("strict")).pip_index_url)
    repos = repositories(run)
    assert set(repos) == {"pypi-upstream", "workbench"}
    assert not repos["workbench"].get("upstreams"), f"curated workbench repository must not read PyPI: {repos['workbench']}"
    assert repos["pypi-upstream"]["externalConnections"]["externalConnectionName"] == "public:pypi"
    assert run.one(DOMAIN).inputs["encryptionKey"] == KMS_ARN


@pytest.mark.parametrize("stance", ["balanced", "open"])
def test_proxy_stances_read_public_pypi_through_the_upstream(spec_for, run_program, stance):
    run = run_program(lambda: mirror(spec_for(stance)).pip_index_url)
    upstreams = repositories(run)["workbench"].get("upstreams")
    assert upstreams == [{"repositoryName": "pypi-upstream"}], f"{stance}: workbench upstreams {upstreams}"


def test_pip_index_url_is_the_codeartifact_endpoint(spec_for, run_program):
    def program():
        m = mirror(spec_for("strict"))
        return pulumi.Output.all(pip=m.pip_index_url, domain=m.domain_name, repo=m.repository_name, owner=m.domain_owner)

    run = run_program(program)
    assert run.value["pip"] == INDEX
    assert run.value["domain"] == "acme-dev" and run.value["repo"] == "workbench" and run.value["owner"] == runner.ACCOUNT
    assert index_url("acme-dev", runner.ACCOUNT, runner.REGION, "workbench") == INDEX


def test_domain_name_fits_codeartifact_limit():
    name = domain_name_for("a" * 24, "b" * 30)
    assert len(name) <= 50 and name[0].isalpha() and not name.endswith("-")
    assert domain_name_for("acme", "dev") == "acme-dev"


def test_each_team_role_may_read_the_workbench_repository_only(spec_for, run_program):
    spec = spec_for("strict", teams=2)
    roles = {team.name: f"arn:aws:iam::123456789012:role/{team.name}-data" for team in spec.teams}
    run = run_program(lambda: mirror(spec, reader_role_arns=roles).pip_index_url)
    readers = [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if "-reader-" in r.name]
    assert sorted(r.inputs["role"] for r in readers) == sorted(f"{t}-data" for t in roles)
    for reader in readers:
        statements = json.loads(reader.inputs["policy"])["Statement"]
        actions = {a for s in statements for a in s["Action"]}
        assert actions == {"codeartifact:GetAuthorizationToken", "sts:GetServiceBearerToken", "codeartifact:ReadFromRepository", "codeartifact:GetRepositoryEndpoint"}, reader.name
        read = next(s for s in statements if s["Sid"] == "ReadWorkbench")
        assert all("workbench" in arn and "upstream" not in arn for arn in read["Resource"]), reader.name


def test_namespace_only_with_a_cluster(spec_for, run_program):
    run = run_program(lambda: mirror(spec_for("open")).pip_index_url)
    assert not [r for r in run.resources if r.type.startswith("kubernetes:")]
    run = run_program(lambda: mirror(spec_for("strict"), provider()).pip_index_url)
    namespace = run.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["name"] == MIRROR_NAMESPACE
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policy = run.one("kubernetes:networking.k8s.io/v1:NetworkPolicy").inputs["spec"]
    https = policy["egress"][1]
    assert https["to"] == [{"ipBlock": {"cidr": spec_for("strict").network.vpc_cidr}}], "egress 'mirror': HTTPS to the VPC only"
