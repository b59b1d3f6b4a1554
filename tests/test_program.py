"""program.build end to end under the mock engine: every stance builds, components are wired, stance promises hold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from blueprint.errors import SpecError
from blueprint.program import build
from tests.components.conftest import OIDC_ISSUER, PROJECT, REGION, Run, run_program
from tests.conftest import make_spec

SECRET = "s3cr3t-from-pulumi-config"
CERTIFICATE = f"arn:aws:acm:{REGION}:123456789012:certificate/11111111-2222-4333-8444-555555555555"
CONFIG = {f"{PROJECT}:idpClientSecret": SECRET, f"{PROJECT}:hubCertificateArn": CERTIFICATE, "aws:region": REGION}
SECRETS = [f"{PROJECT}:idpClientSecret"]
STATEFUL = {"aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:efs/fileSystem:FileSystem", "aws:backup/vault:Vault"}
COMPONENTS = {
    "workbench:security:EncryptionKeys",
    "workbench:network:PrivateNetwork",
    "workbench:cluster:WorkbenchCluster",
    "workbench:identity:IdentityHooks",
    "workbench:storage:DataStore",
}


def build_run(spec, config: dict[str, str] | None = None) -> Run:
    return run_program(lambda: build(spec), config=CONFIG if config is None else config, secrets=SECRETS)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`built(stance)`: the recorded run of the whole program for a stance with three teams, built once per module."""
    cache: dict[str, tuple[Any, Run]] = {}

    def get(stance: str) -> tuple[Any, Run]:
        if stance not in cache:
            spec = make_spec(tmp_path_factory.mktemp(stance), stance, teams=3)
            cache[stance] = (spec, build_run(spec))
        return cache[stance]

    return get


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def test_every_stance_builds_and_exports(stance_name, built):
    spec, run = built(stance_name)
    assert COMPONENTS <= run.types()
    assert run.exports["hubUrl"] == "https://jupyter.acme.example"
    assert run.exports["clusterName"] == "acme-dev"
    assert run.exports["teamNamespaces"] == [team.name for team in spec.teams]
    assert isinstance(run.exports["mirrorEndpoints"], dict)
    hub_subnets = [s for s in run.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["tier"] == "hub"]
    assert len(hub_subnets) == (spec.stance.network.availability_zones if spec.hub_egress == "firewall" else 0)
    for component in (r for r in run.resources if r.type in COMPONENTS):
        assert component.name.startswith(f"{spec.org}-"), f"{component}: names derive from the org"


def test_strict_is_private_and_audited(built):
    spec, run = built("strict")
    # The only ways out are the hub's sign-in path (hub subnets -> firewall admitting the IdP -> NAT, spec.hub_egress)
    # and the CI runner's (ci subnets -> firewall admitting GitHub, Pulumi, PyPI and the AWS APIs -> NAT, spec.ci_egress).
    assert spec.hub_egress == "firewall" and spec.ci_egress == "firewall"
    tiers = {s.inputs["tags"]["tier"] for s in run.of_type("aws:ec2/subnet:Subnet")}
    assert tiers == {"private", "hub", "ci", "firewall", "nat"}
    private_tables = {f"{t.name}-id" for t in run.of_type("aws:ec2/routeTable:RouteTable") if "-private-" in t.name}
    assert not [r for r in run.of_type("aws:ec2/route:Route") if r.inputs["routeTableId"] in private_tables], "sessions have no route out"
    groups = {g.inputs["tags"]["workbench:egress-tier"]: g for g in run.of_type("aws:networkfirewall/ruleGroup:RuleGroup")}
    assert set(groups) == {"hub", "ci"}
    assert groups["hub"].inputs["ruleGroup"]["rulesSource"]["rulesSourceList"]["targets"] == list(spec.idp_hosts)
    vpc_config = run.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert vpc_config["endpointPublicAccess"] is False and vpc_config["endpointPrivateAccess"] is True
    assert run.one("aws:ec2/flowLog:FlowLog").inputs["trafficType"] == "ALL"
    key = run.one("aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True
    for group in run.of_type("aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["retentionInDays"] == 365 and group.inputs["kmsKeyId"] == key.outputs["arn"], group


def test_balanced_has_nat_behind_the_firewall(built):
    _, run = built("balanced")
    assert len(run.of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(run.of_type("aws:networkfirewall/firewall:Firewall")) == 1


def test_open_has_a_public_endpoint_for_admin_cidrs(built):
    spec, run = built("open")
    vpc_config = run.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert vpc_config["endpointPublicAccess"] is True and vpc_config["publicAccessCidrs"] == list(spec.network.admin_cidrs)


def test_no_security_group_admits_the_world(stance_name, built):
    _, run = built(stance_name)
    for group in run.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in group.inputs.get("ingress", []):
            assert "0.0.0.0/0" not in rule.get("cidrBlocks", []) and "::/0" not in rule.get("ipv6CidrBlocks", []), group
    for rule in run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        assert rule.inputs.get("cidrIpv4") != "0.0.0.0/0" and rule.inputs.get("cidrIpv6") != "::/0", rule


def test_stateful_resources_are_protected_in_strict_only(stance_name, built):
    _, run = built(stance_name)
    protected = {r.type for r in run.resources if r.protect}
    if stance_name == "strict":
        assert STATEFUL <= protected, f"unprotected: {STATEFUL - protected}"
        assert all(r.retain_on_delete for r in run.resources if r.protect)
    else:
        assert protected == set(), f"{stance_name} protects {protected}"


def test_client_secret_is_never_plain_text(stance_name, built):
    _, run = built(stance_name)
    for resource in run.resources:
        for path, value in leaves(resource.inputs):
            if isinstance(value, str) and SECRET in value:
                assert any(path.startswith(secret) for secret in resource.secret_inputs), f"{resource}: {path} holds the client secret in plain text"


def test_missing_client_secret_config_stops_the_program(spec_for):
    with pytest.raises(Exception, match="idpClientSecret"):
        build_run(spec_for("strict"), config={k: v for k, v in CONFIG.items() if not k.endswith(":idpClientSecret")})


def test_stack_region_must_match_the_blueprint(spec_for):
    with pytest.raises(SpecError, match="aws:region"):
        build_run(spec_for("strict"), config={**CONFIG, "aws:region": "us-east-1"})


def test_components_are_wired_to_each_other(built):
    _, run = built("strict")
    private_subnets = sorted(s.id for s in run.of_type("aws:ec2/subnet:Subnet") if s.inputs["tags"]["tier"] == "private")
    assert sorted(run.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]["subnetIds"]) == private_subnets
    assert sorted(t.inputs["subnetId"] for t in run.of_type("aws:efs/mountTarget:MountTarget")) == private_subnets
    issuer = OIDC_ISSUER.removeprefix("https://")
    team_roles = [r for r in run.of_type("aws:iam/role:Role") if "workbench:team" in r.inputs["tags"]]
    assert len(team_roles) == 3
    for role in team_roles:
        assert f"{issuer}:sub" in role.json_input("assumeRolePolicy")["Statement"][0]["Condition"]["StringEquals"], role
    key_arn = run.one("aws:kms/key:Key").outputs["arn"]
    assert run.one("aws:efs/fileSystem:FileSystem").inputs["kmsKeyId"] == key_arn
    assert run.one("aws:eks/cluster:Cluster").inputs["encryptionConfig"]["provider"]["keyArn"] == key_arn
    assert run.one("aws:eks/identityProviderConfig:IdentityProviderConfig").inputs["clusterName"] == "acme-dev"
    data_bucket = run.named("acme-storage-bucket", "aws:s3/bucket:Bucket")
    [selector] = run.one("aws:cloudtrail/trail:Trail").inputs["eventSelectors"]
    assert selector["dataResources"][0]["values"] == [data_bucket.outputs["arn"] + "/"], "the trail records reads of the data bucket"


def test_program_only_wires_components(stance_name, built):
    _, run = built(stance_name)
    stack = run.one("pulumi:pulumi:Stack")
    loose = [str(r) for r in run.resources if r.parent == stack.urn and (r.custom or not r.type.startswith("workbench:"))]
    assert loose == [], f"resources created outside a component: {loose}"


def test_strict_nodes_pull_every_image_through_the_ecr_cache(built):
    """Egress 'mirror': no route out, so every image the hub chart and the curator jobs run comes from ECR."""
    from blueprint.charts import z2jh
    from tests.components.conftest import ACCOUNT, image_references

    _, run = built("strict")
    cache = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/acme-dev/"
    rules = {r.inputs["upstreamRegistryUrl"] for r in run.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")}
    assert rules == {"quay.io", "registry.k8s.io", "public.ecr.aws"}
    release = run.one("kubernetes:helm.sh/v3:Release")
    merged = z2jh.merge_like_helm(z2jh.chart_defaults(), release.inputs["values"])
    images = dict(image_references(merged))
    for job in run.of_type("kubernetes:batch/v1:CronJob"):
        images.update({f"{job.name}.{path}": image for path, image in image_references(job.inputs["spec"])})
    assert len(images) > len(z2jh.chart_images()), "the curator jobs' images are checked too"
    outside = {path: image for path, image in images.items() if not image.startswith(cache)}
    assert not outside, f"images the nodes could not pull: {outside}"
    (policy,) = [p for p in run.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("images-node-import")]
    assert policy.inputs["role"] == run.named("acme-cluster-node-role", "aws:iam/role:Role").outputs["name"]


def test_open_egress_pulls_images_upstream(built):
    _, run = built("open")
    assert not [r for r in run.resources if r.type.startswith("aws:ecr/")]
    assert "image" not in run.one("kubernetes:helm.sh/v3:Release").inputs["values"]["hub"]


def test_balanced_pulls_the_chart_through_the_caches(built):
    # The allowlist firewall admits no public registry (issue 11.5): balanced uses the caches like strict.
    _, run = built("balanced")
    assert {r.inputs["upstreamRegistryUrl"] for r in run.of_type("aws:ecr/pullThroughCacheRule:PullThroughCacheRule")} == {
        "quay.io",
        "registry.k8s.io",
        "public.ecr.aws",
    }
    assert ".dkr.ecr." in run.one("kubernetes:helm.sh/v3:Release").inputs["values"]["hub"]["image"]["name"]


def test_a_missing_certificate_config_fails_fast_instead_of_hanging(tmp_path):
    """The default tls section reads the certificate from the stack config; without it the program must stop with
    the fix at once (it once hung: an exception after the hub's deferred output was created left it pending)."""
    from blueprint.preview.engine import run_program

    spec = make_spec(tmp_path, "strict")
    with pytest.raises(SpecError, match="hubCertificateArn: is not set"):
        run_program(lambda: build(spec), project=PROJECT, stack="dev", config={"aws:region": REGION}, timeout=120)
