"""TeamSpace under the mock engine: Pod Security, quota, limits, network policy, RBAC, IRSA."""

from __future__ import annotations

import pulumi_kubernetes as k8s
import pytest

from blueprint.components.jupyterhub_values import JUPYTERHUB_NAMESPACE
from blueprint.components.mirror_jobs import MIRROR_NAMESPACE
from blueprint.components.teamspace import TeamSpace, TeamSpaceArgs
from blueprint.model.spec import RESERVED_TEAM_NAMES
from blueprint.errors import SpecError

NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role"
SA = "kubernetes:core/v1:ServiceAccount"
ROLE_ARN = "arn:aws:iam::123456789012:role/acme-team"


def build_all(spec, prefix: str = "oidc:"):
    provider = k8s.Provider("k8s", kubeconfig="{}")
    spaces = [
        TeamSpace(
            f"acme-team-{team.name}",
            TeamSpaceArgs.from_spec(spec, team.name, provider=provider, irsa_role_arn=f"{ROLE_ARN}-{team.name}", rbac_group_prefix=prefix),
        )
        for team in spec.teams
    ]
    return [s.namespace for s in spaces]


def in_namespace(run, token: str, namespace: str):
    return [r for r in run.of_type(token) if r.inputs["metadata"].get("namespace") == namespace]


@pytest.mark.parametrize(("stance", "level"), [("strict", "restricted"), ("balanced", "restricted"), ("open", "baseline")])
def test_pod_security_follows_root_allowed(spec_for, run_program, stance, level):
    spec = spec_for(stance, teams=3)
    run = run_program(lambda: build_all(spec))
    assert sorted(run.value) == sorted(t.name for t in spec.teams)
    for ns in run.of_type(NAMESPACE):
        labels = ns.inputs["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == level, f"{ns}: {labels}"
        assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.33", f"{ns}: {labels}"


def test_quota_per_team_matches_spec(spec_for, run_program):
    teams = [
        {"name": "genomics", "idp_group": "dsw-genomics", "quota": {"gpu": 1, "cpu": "24"}},
        {"name": "vision", "idp_group": "dsw-vision", "quota": {"memory": "32Gi", "pods": 5}},
        {"name": "finance", "idp_group": "dsw-finance"},
    ]
    spec = spec_for("balanced", teams=teams)
    run = run_program(lambda: build_all(spec))
    for team in spec.teams:
        [quota] = in_namespace(run, QUOTA, team.name)
        hard = quota.inputs["spec"]["hard"]
        expected = {
            "requests.cpu": team.quota.cpu,
            "limits.cpu": team.quota.cpu,
            "requests.memory": team.quota.memory,
            "limits.memory": team.quota.memory,
            "requests.nvidia.com/gpu": str(team.quota.gpu),
            "pods": str(team.quota.pods),
            "persistentvolumeclaims": str(team.quota.pods),
            "requests.storage": team.quota.storage,
        }
        assert hard == expected, f"{quota} in {team.name}: {hard}"
    hard_of = {q.inputs["metadata"]["namespace"]: q.inputs["spec"]["hard"] for q in run.of_type(QUOTA)}
    assert hard_of["genomics"]["requests.cpu"] == "24" and hard_of["vision"]["pods"] == "5"


def test_gpu_quota_key_present_even_when_zero(spec_for, run_program):
    spec = spec_for("strict", teams=[{"name": "finance", "idp_group": "dsw-finance"}])
    run = run_program(lambda: build_all(spec))
    hard = run.one(QUOTA).inputs["spec"]["hard"]
    assert hard["requests.nvidia.com/gpu"] == "0", f"strict has no GPUs by default: {hard}"


def test_limit_range_defaults_to_smallest_profile(spec_for, run_program):
    spec = spec_for("balanced", teams=1)
    run = run_program(lambda: build_all(spec))
    [limit] = run.one(LIMITS).inputs["spec"]["limits"]
    assert limit["default"] == {"cpu": "2", "memory": "8Gi"}, f"{run.one(LIMITS)}"
    assert limit["defaultRequest"] == {"cpu": "2", "memory": "8Gi"}
    largest = max(spec.teams[0].profiles, key=lambda p: float(p.cpu))
    assert limit["max"]["cpu"] == largest.cpu == "7", "no container exceeds the largest profile the team has"


def _policies(run, namespace):
    return {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in in_namespace(run, NETPOL, namespace)}


def test_default_deny_and_explicit_allows(spec_for, run_program):
    spec = spec_for("strict", teams=1)
    run = run_program(lambda: build_all(spec))
    policies = _policies(run, "genomics")
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    ingress = policies["allow-from-jupyterhub"]["ingress"][0]
    assert ingress["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "jupyterhub"}
    egress = policies["allow-session-egress"]["egress"]
    ports = {(p["port"], p["protocol"]) for rule in egress for p in rule["ports"]}
    assert {(53, "UDP"), (53, "TCP"), (8081, "TCP"), (443, "TCP"), (2049, "TCP")} <= ports
    https = next(rule for rule in egress if rule["ports"][0]["port"] == 443)
    assert https["to"] == [{"ipBlock": {"cidr": spec.network.vpc_cidr}}], "egress 'mirror' keeps HTTPS inside the VPC"


def test_open_egress_https_anywhere_but_metadata(spec_for, run_program):
    run = run_program(lambda: build_all(spec_for("open", teams=1)))
    egress = _policies(run, "genomics")["allow-session-egress"]["egress"]
    https = next(rule for rule in egress if rule["ports"][0]["port"] == 443)
    assert https["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]


def test_rbac_is_namespaced_and_names_the_group(spec_for, run_program):
    spec = spec_for("strict", teams=2)
    run = run_program(lambda: build_all(spec, prefix="oidc:"))
    assert not [r for r in run.resources if "ClusterRole" in r.type], "no cluster-wide RBAC from a TeamSpace"
    for team in spec.teams:
        bindings = {b.inputs["metadata"]["name"]: b.inputs for b in in_namespace(run, ROLE_BINDING, team.name)}
        members = bindings["team-members"]["subjects"]
        assert members == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"oidc:{team.idp_group}"}]
        hub = bindings["jupyterhub-spawner"]
        assert hub["subjects"] == [{"kind": "ServiceAccount", "name": "hub", "namespace": "jupyterhub"}]
        assert hub["roleRef"]["kind"] == "Role"
    roles = {r.inputs["metadata"]["name"]: r.inputs["rules"] for r in in_namespace(run, ROLE, "genomics")}
    member_verbs = {v for rule in roles["team-members"] for v in rule["verbs"]}
    assert member_verbs <= {"get", "list", "watch", "create"}, "members read, and create only pods/exec"
    assert [r for rule in roles["team-members"] if "create" in rule["verbs"] for r in rule["resources"]] == ["pods/exec"]


def test_service_account_carries_the_irsa_role(spec_for, run_program):
    spec = spec_for("strict", teams=2)
    run = run_program(lambda: build_all(spec))
    for team in spec.teams:
        [sa] = in_namespace(run, SA, team.name)
        assert sa.inputs["metadata"]["name"] == f"{team.name}-workbench"
        assert sa.inputs["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": f"{ROLE_ARN}-{team.name}"}, f"{sa}"


def test_every_child_uses_the_cluster_provider(spec_for, run_program):
    run = run_program(lambda: build_all(spec_for("strict", teams=1)))
    for resource in run.resources:
        if resource.type.startswith("kubernetes:") and resource.custom and resource.type != "pulumi:providers:kubernetes":
            assert resource.provider and "pulumi:providers:kubernetes" in resource.provider, f"{resource} has no provider"
            assert resource.parent and "workbench:teamspace:TeamSpace" in resource.parent, f"{resource} is not a child"


def test_reserved_team_name_is_refused_at_the_model_boundary(spec_for):
    with pytest.raises(SpecError, match="namespace the platform uses"):
        spec_for("strict", teams=[{"name": "jupyterhub", "idp_group": "dsw-hub"}])


def test_every_platform_namespace_is_reserved_in_the_model():
    assert {JUPYTERHUB_NAMESPACE, MIRROR_NAMESPACE} <= RESERVED_TEAM_NAMES


def test_manifests_are_valid_kubernetes(spec_for, run_program):
    """Every object validates against the Kubernetes OpenAPI schema of the stance's version (offline)."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    spec = spec_for("strict", teams=1)
    run = run_program(lambda: build_all(spec))
    checked = 0
    for resource in run.resources:
        if resource.custom and resource.type.startswith("kubernetes:"):
            kubernetes_validate.validate(dict(resource.inputs), spec.stance.stability.kubernetes_version, strict=True)
            checked += 1
    assert checked >= 10, f"only {checked} manifests checked"


def test_nfs_only_to_the_efs_mount_target_subnets(spec_for, run_program):
    from blueprint.components.network import subnet_plan

    spec = spec_for("balanced", teams=1)
    run = run_program(lambda: build_all(spec))
    egress = _policies(run, "genomics")["allow-session-egress"]["egress"]
    [nfs] = [rule for rule in egress if rule["ports"][0]["port"] == 2049]
    private = subnet_plan(spec.network.vpc_cidr, spec.stance.network.availability_zones).private
    assert nfs["to"] == [{"ipBlock": {"cidr": cidr}} for cidr in private], "the private subnets hold the mount targets"


def test_s3_gateway_cidrs_on_443_when_the_network_provides_them(spec_for, run_program):
    import pulumi

    spec = spec_for("strict", teams=1)
    s3 = ["52.218.0.0/17", "3.5.64.0/21"]

    def program():
        provider = k8s.Provider("k8s", kubeconfig="{}")
        team = spec.teams[0].name
        TeamSpace(f"acme-team-{team}", TeamSpaceArgs.from_spec(spec, team, provider=provider, irsa_role_arn=ROLE_ARN, s3_cidrs=pulumi.Output.from_input(s3)))

    egress = _policies(run_program(program), "genomics")["allow-session-egress"]["egress"]
    assert {"to": [{"ipBlock": {"cidr": c}} for c in s3], "ports": [{"port": 443, "protocol": "TCP"}]} in egress
    plain = TeamSpace.network_policies(TeamSpaceArgs.from_spec(spec, spec.teams[0].name, provider=None, irsa_role_arn=ROLE_ARN))
    assert not any(rule["to"] == [{"ipBlock": {"cidr": c}} for c in s3] for rule in plain["allow-session-egress"]["egress"])


def test_session_files_config_map_per_team(spec_for, run_program):
    from blueprint.components import jupyterhub_values as jv

    spec = spec_for("strict", teams=2)
    run = run_program(lambda: build_all(spec))
    for team in spec.teams:
        [files] = in_namespace(run, "kubernetes:core/v1:ConfigMap", team.name)
        assert files.inputs["metadata"]["name"] == jv.SESSION_CONFIG_MAP
        assert files.inputs["data"] == {jv.RPROFILE_KEY: jv.RPROFILE_CODE}
    assert not run.of_type("kubernetes:core/v1:Secret"), "the pip config Secret is the mirror refresher's, never declared here"
