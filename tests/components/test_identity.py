"""IdentityHooks under the mock engine: SSO per IdP kind, the z2jh authenticator fragment, secrets kept secret."""

from __future__ import annotations

import json
from dataclasses import replace

import pulumi
import pytest

from blueprint.components.identity import RBAC_GROUP_PREFIX, IdentityArgs, IdentityHooks, oidc_endpoints
from tests.components.conftest import PROJECT, REGION

SECRET = "s3cr3t-from-pulumi-config"
CONFIG = {f"{PROJECT}:idpClientSecret": SECRET}
SECRETS = [f"{PROJECT}:idpClientSecret"]
SAML = {"kind": "saml", "metadata_url": "https://idp.acme.example/saml/metadata", "admin_groups": ["dsw-admins"]}
COGNITO = {"kind": "cognito"}
POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
EKS_IDP = "aws:eks/identityProviderConfig:IdentityProviderConfig"
CALLBACK = "https://jupyter.acme.example/hub/oauth_callback"
AUTHENTICATOR_KEYS = {
    "client_id",
    "client_secret",
    "oauth_callback_url",
    "authorize_url",
    "token_url",
    "userdata_url",
    "userdata_from_id_token",
    "scope",
    "username_claim",
    "login_service",
    "manage_groups",
    "claim_groups_key",
    "allowed_groups",
    "admin_groups",
}


def run_identity(run_program, args: IdentityArgs, **config):
    """Run IdentityHooks; `run.value` is (authenticator, paths of its secret leaves, team_groups, rbac prefix)."""

    def leaves(value, path=""):
        if isinstance(value, pulumi.Output):
            yield path, value
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from leaves(item, f"{path}.{key}" if path else key)

    def program():
        hooks = IdentityHooks("acme-identity", args)
        assert isinstance(hooks.authenticator, dict), "plain data, so only its secret leaf is secret in the graph"
        secret = pulumi.Output.all(*(pulumi.Output.all(path, output.is_secret()) for path, output in leaves(hooks.authenticator)))
        secret_paths = secret.apply(lambda pairs: sorted(path for path, is_secret in pairs if is_secret))
        return pulumi.Output.all(pulumi.Output.from_input(hooks.authenticator), secret_paths, hooks.team_groups, hooks.rbac_group_prefix)

    return run_program(program, config=config.get("config", CONFIG), secrets=config.get("secrets", SECRETS))


def args_for(spec) -> IdentityArgs:
    return IdentityArgs.from_spec(spec, cluster_name="acme-dev")


# ---- oidc ------------------------------------------------------------------------


def test_oidc_authenticator_is_the_z2jh_fragment(spec_for, run_program):
    spec = spec_for("strict", idp={"kind": "oidc", "issuer_url": "https://login.acme.example/realms/dsw", "client_id": "jupyterhub", "admin_groups": ["dsw-admins"]})
    run = run_identity(run_program, args_for(spec))
    authenticator, is_secret, team_groups, prefix = run.value
    assert is_secret == ["GenericOAuthenticator.client_secret"], "the client secret, and only it, is a secret Output"
    assert set(authenticator) == {"JupyterHub", "GenericOAuthenticator"}
    assert authenticator["JupyterHub"] == {"authenticator_class": "generic-oauth", "cookie_max_age_days": round(8 / 24, 4)}
    oauth = authenticator["GenericOAuthenticator"]
    assert set(oauth) == AUTHENTICATOR_KEYS
    assert oauth["client_id"] == "jupyterhub" and oauth["client_secret"] == SECRET
    assert oauth["oauth_callback_url"] == CALLBACK
    assert oauth["authorize_url"] == "https://login.acme.example/realms/dsw/protocol/openid-connect/auth"
    assert oauth["token_url"].endswith("/protocol/openid-connect/token") and oauth["userdata_url"].endswith("/protocol/openid-connect/userinfo")
    assert oauth["claim_groups_key"] == "groups" and oauth["manage_groups"] is True
    assert oauth["allowed_groups"] == sorted(team.idp_group for team in spec.teams)
    assert oauth["admin_groups"] == ["dsw-admins"]
    assert team_groups == {team.name: team.idp_group for team in spec.teams}
    assert prefix == RBAC_GROUP_PREFIX


def test_oidc_client_secret_comes_only_from_secret_config(spec_for, run_program):
    run = run_identity(run_program, args_for(spec_for("strict")))
    for resource in run.resources:
        assert SECRET not in json.dumps(resource.inputs), f"{resource} holds the client secret in plain text"
    assert run.of_type(POOL) == [], "kind oidc uses the org's IdP directly"


def test_oidc_without_the_secret_config_fails_and_names_the_key(spec_for, run_program):
    with pytest.raises(Exception, match="idpClientSecret"):
        run_identity(run_program, args_for(spec_for("strict")), config={}, secrets=[])


def test_oidc_maps_idp_groups_for_kubectl(spec_for, run_program):
    run = run_identity(run_program, args_for(spec_for("strict")))
    oidc = run.one(EKS_IDP).inputs["oidc"]
    assert run.one(EKS_IDP).inputs["clusterName"] == "acme-dev"
    assert oidc["issuerUrl"] == "https://login.acme.example/realms/dsw" and oidc["clientId"] == "jupyterhub"
    assert oidc["groupsClaim"] == "groups" and oidc["groupsPrefix"] == RBAC_GROUP_PREFIX


def test_no_eks_identity_provider_without_group_rbac(spec_for, run_program):
    run = run_identity(run_program, replace(args_for(spec_for("strict")), group_rbac=False))
    assert run.of_type(EKS_IDP) == []


@pytest.mark.parametrize(
    ("issuer", "authorize"),
    [
        ("https://login.microsoftonline.com/tenant-id/v2.0", "https://login.microsoftonline.com/tenant-id/oauth2/v2.0/authorize"),
        ("https://acme.okta.com/oauth2/default", "https://acme.okta.com/oauth2/default/v1/authorize"),
        ("https://acme.okta.com", "https://acme.okta.com/oauth2/v1/authorize"),
        ("https://accounts.google.com", "https://accounts.google.com/o/oauth2/v2/auth"),
        ("https://acme.eu.auth0.com/", "https://acme.eu.auth0.com/authorize"),
    ],
)
def test_known_idp_layouts(issuer, authorize):
    endpoints = oidc_endpoints(issuer)
    assert endpoints is not None and endpoints.authorize == authorize


def test_unknown_idp_layout_is_not_guessed_silently():
    assert oidc_endpoints("https://sso.acme.example") is None


# ---- Cognito-backed kinds --------------------------------------------------------


def test_saml_is_brokered_by_cognito(spec_for, run_program):
    spec = spec_for("balanced", idp=SAML)
    run = run_identity(run_program, args_for(spec), config={}, secrets=[])
    saml = run.one("aws:cognito/identityProvider:IdentityProvider").inputs
    assert saml["providerType"] == "SAML" and saml["providerDetails"] == {"MetadataURL": SAML["metadata_url"]}
    client = run.one(CLIENT).inputs
    assert client["supportedIdentityProviders"] == [saml["providerName"]], "users sign in at the SAML IdP only"
    assert client["generateSecret"] is True and client["callbackUrls"] == [CALLBACK]
    assert client["allowedOauthFlows"] == ["code"]
    authenticator, is_secret, _, _ = run.value
    oauth = authenticator["GenericOAuthenticator"]
    assert is_secret == ["GenericOAuthenticator.client_secret"] and oauth["client_secret"] == "mock-cognito-client-secret"
    assert oauth["claim_groups_key"] == "cognito:groups" and oauth["userdata_from_id_token"] is True
    assert oauth["authorize_url"] == f"https://acme-dev-workbench.auth.{REGION}.amazoncognito.com/oauth2/authorize"
    groups = {g.inputs["name"] for g in run.of_type("aws:cognito/userGroup:UserGroup")}
    assert groups == {team.idp_group for team in spec.teams} | {"dsw-admins"}


@pytest.mark.parametrize(("stance", "mfa", "hours"), [("strict", "ON", 8), ("balanced", "OPTIONAL", 12), ("open", "OPTIONAL", 24)])
def test_cognito_pool_follows_the_stance(spec_for, run_program, stance, mfa, hours):
    run = run_identity(run_program, args_for(spec_for(stance, idp=COGNITO)), config={}, secrets=[])
    pool = run.one(POOL)
    assert pool.inputs["mfaConfiguration"] == mfa, pool
    assert pool.inputs["adminCreateUserConfig"] == {"allowAdminCreateUserOnly": True}
    policy = pool.inputs["passwordPolicy"]
    assert policy["minimumLength"] >= 14 and all(policy[k] for k in ("requireLowercase", "requireUppercase", "requireNumbers", "requireSymbols"))
    if mfa == "ON":
        assert pool.inputs["userPoolAddOns"] == {"advancedSecurityMode": "ENFORCED"}
    client = run.one(CLIENT).inputs
    assert client["accessTokenValidity"] == hours and client["idTokenValidity"] == hours and client["refreshTokenValidity"] == hours
    assert client["supportedIdentityProviders"] == ["COGNITO"]
    assert pool.protect == (stance == "strict") and pool.retain_on_delete == (stance == "strict"), pool
    assert run.one("aws:cognito/userPoolDomain:UserPoolDomain").inputs["domain"] == "acme-dev-workbench"


def test_cognito_caps_token_lifetime_but_keeps_the_session(spec_for, run_program):
    args = replace(args_for(spec_for("open", idp=COGNITO)), session_hours=72)
    run = run_identity(run_program, args, config={}, secrets=[])
    client = run.one(CLIENT).inputs
    assert client["idTokenValidity"] == 24 and client["refreshTokenValidity"] == 72
    assert run.value[0]["JupyterHub"]["cookie_max_age_days"] == 3


def test_cognito_groups_feed_kubectl_rbac(spec_for, run_program):
    run = run_identity(run_program, args_for(spec_for("strict", idp=COGNITO)), config={}, secrets=[])
    oidc = run.one(EKS_IDP).inputs["oidc"]
    assert oidc["groupsClaim"] == "cognito:groups" and oidc["groupsPrefix"] == RBAC_GROUP_PREFIX
    assert oidc["issuerUrl"].startswith(f"https://cognito-idp.{REGION}.amazonaws.com/")
    assert oidc["clientId"] == f"{run.one(CLIENT).name}-id", "the same app client JupyterHub uses (mock id)"


def test_children_are_parented_to_the_component(spec_for, run_program):
    run = run_identity(run_program, args_for(spec_for("strict", idp=SAML)), config={}, secrets=[])
    component = run.one("workbench:identity:IdentityHooks")
    assert all(r.parent == component.urn for r in run.resources if r.custom)
