"""Loading blueprints: resolution of teams and custom stances, and errors users will hit."""

from __future__ import annotations

import pytest

from blueprint.errors import SpecError
from blueprint.model import load_blueprint
from tests.conftest import blueprint_data, write_blueprint


def load(tmp_path, **overrides):
    return load_blueprint(write_blueprint(tmp_path, blueprint_data(**overrides)))


def test_team_quota_overrides_merge_over_stance_default(tmp_path):
    spec = load(tmp_path, teams=[{"name": "genomics", "idp_group": "g", "quota": {"cpu": "8", "gpu": 1}}])
    team = spec.team("genomics")
    assert (team.quota.cpu, team.quota.memory, team.quota.gpu) == ("8", "64Gi", 1)
    assert [p.name for p in team.profiles] == ["small", "medium", "gpu"]


def test_profiles_default_to_those_that_fit_the_quota(tmp_path):
    spec = load(tmp_path, teams=[{"name": "tiny", "idp_group": "g", "quota": {"cpu": "2", "memory": "8Gi"}}])
    assert [p.name for p in spec.team("tiny").profiles] == ["small"]


def test_custom_stance_extends_builtin(tmp_path):
    spec = load(
        tmp_path,
        stance="acme-strict",
        stances={"acme-strict": {"extends": "strict", "overrides": {"network": {"flow_logs": {"retention_days": 730}}}}},
    )
    assert spec.stance.name == "acme-strict"
    assert spec.stance.extends == "strict"
    assert spec.stance.network.flow_logs.retention_days == 730
    assert spec.stance.network.egress == "mirror"


def test_extends_cycle_is_named(tmp_path):
    with pytest.raises(SpecError, match="cycle: a -> b -> a"):
        load(tmp_path, stance="a", stances={"a": {"extends": "b"}, "b": {"extends": "a"}})


def test_invalid_override_names_the_stance_field(tmp_path):
    with pytest.raises(SpecError) as info:
        load(tmp_path, stance="mine", stances={"mine": {"extends": "strict", "overrides": {"network": {"egress": "sometimes"}}}})
    assert "stances.mine.overrides.network.egress" in str(info.value)
    assert "allowed: mirror, allowlist or open" in str(info.value)


def test_gpu_quota_without_gpu_nodes_is_an_error(tmp_path):
    with pytest.raises(SpecError, match=r"teams\[0\].quota.gpu.*no GPU node group"):
        load(
            tmp_path,
            teams=[{"name": "vision", "idp_group": "g", "quota": {"gpu": 2}}],
            stance="nogpu",
            stances={"nogpu": {"extends": "strict", "overrides": {"compute": {"nodes": {"gpu_instance_types": [], "max_gpu_nodes": 0}}}}},
        )


def test_public_api_needs_admin_cidrs(tmp_path):
    with pytest.raises(SpecError, match="network.admin_cidrs"):
        load(tmp_path, stance="open", network={})


@pytest.mark.parametrize(
    ("network", "message"),
    [
        ({"vpc_cidr": "10.0.0.0/16", "service_cidr": "10.0.128.0/17"}, "overlaps"),
        ({"vpc_cidr": "10.0.0.0/16", "on_premises_cidrs": ["10.0.4.0/24"]}, "overlaps"),
        ({"vpc_cidr": "10.0.0.1/16"}, "not a valid IPv4 CIDR"),
        ({"vpc_cidr": "10.0.0.0/26"}, "between a /16 and a /22"),
        ({"admin_cidrs": ["0.0.0.0/0"]}, "most of the internet"),
    ],
)
def test_network_errors(tmp_path, network, message):
    with pytest.raises(SpecError, match=message):
        load(tmp_path, network=network)


def test_several_problems_are_reported_together(tmp_path):
    with pytest.raises(SpecError) as info:
        load(tmp_path, org="ACME", region="Europe")
    text = str(info.value)
    assert "org:" in text and "region:" in text


# ---- where the hub reaches the IdP (model.idp) ----------------------------------------------------------


def test_idp_hosts_are_the_hosts_the_hub_calls(spec_for):
    spec = spec_for("strict")
    assert spec.idp_hosts("dev") == ("login.acme.example",)
    assert spec.hub_egress == "firewall"
    assert spec_for("open").hub_egress == "open"
    entra = spec_for("balanced", idp={"kind": "oidc", "issuer_url": "https://login.microsoftonline.com/t1/v2.0", "client_id": "x"})
    assert entra.idp_hosts("dev") == ("graph.microsoft.com", "login.microsoftonline.com")
    cognito = spec_for("strict", idp={"kind": "cognito"})
    assert cognito.idp_hosts("dev") == ("acme-dev-workbench.auth.eu-west-1.amazoncognito.com",)


def test_an_idp_on_the_org_network_needs_a_route_to_it(tmp_path):
    idp = {"kind": "oidc", "issuer_url": "https://sso.acme.corp.example/realms/dsw", "client_id": "hub", "reachable_via": "on-premises"}
    with pytest.raises(SpecError, match="on_premises_cidrs is empty"):
        load_blueprint(write_blueprint(tmp_path / "a", blueprint_data("strict", idp=idp)))
    spec = load_blueprint(write_blueprint(tmp_path / "b", blueprint_data("strict", idp=idp, network={"on_premises_cidrs": ["10.0.0.0/16"]})))
    assert spec.hub_egress == "on-premises"
    with pytest.raises(SpecError, match="only on the internet"):
        load_blueprint(write_blueprint(tmp_path / "c", blueprint_data("strict", idp={"kind": "cognito", "reachable_via": "on-premises"})))
