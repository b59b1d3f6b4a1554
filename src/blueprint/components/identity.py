"""IdentityHooks: single sign-on for JupyterHub (and kubectl) from the org's IdP, per `idp.kind`.

- `oidc`: the org's IdP is used directly; the client secret comes from Pulumi secret config, never blueprint.yaml.
- `saml`: a Cognito user pool federates the SAML IdP. JupyterHub speaks OAuth2/OIDC, not SAML, so Cognito
  is the broker that turns SAML assertions into OIDC tokens.
- `cognito`: a Cognito user pool is the IdP (admin-created users only, strong passwords, MFA per stance).

With Cognito the groups claim is `cognito:groups` (Cognito groups named after the teams' IdP groups are
created here); membership of federated SAML users is assigned in Cognito (console, API, or a
pre-token-generation trigger, which this blueprint does not ship).
"""

from __future__ import annotations

import hashlib

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from blueprint.model import BlueprintSpec
from blueprint.model.idp import cognito_domain_prefix, guessed_endpoints, oidc_endpoints

from .naming import child, physical_name, tags, type_token
from .team_scope import each_team

RBAC_GROUP_PREFIX = "oidc:"
COGNITO_GROUP_CLAIM = "cognito:groups"
SCOPES = ("openid", "profile", "email")
MAX_COGNITO_TOKEN_HOURS = 24  # Cognito caps access and ID tokens at one day
SAML_EMAIL_ATTRIBUTE = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
EKS_IDENTITY_CONFIG_NAME = "workbench-sso"


@dataclass(frozen=True)
class IdentityArgs:
    """The IdP from the spec; MFA, session length and group RBAC from the stance."""

    org: str
    stack: str
    kind: Literal["oidc", "saml", "cognito"]
    hub_hostname: str
    issuer_url: str | None
    client_id: str | None
    client_secret_config: str
    metadata_url: str | None
    group_claim: str
    admin_groups: tuple[str, ...]
    team_groups: dict[str, str]
    mfa: bool
    session_hours: int
    group_rbac: bool
    protect: bool
    cluster_name: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: BlueprintSpec, *, cluster_name: pulumi.Input[str] | None = None) -> IdentityArgs:
        idp, identity = spec.idp, spec.stance.identity
        stack = pulumi.get_stack()  # names physical resources: a second stack is a second workbench
        return cls(
            org=spec.org,
            stack=stack,
            kind=idp.kind,
            hub_hostname=spec.hub_hostname,
            issuer_url=idp.issuer_url,
            client_id=idp.client_id,
            client_secret_config=idp.client_secret_config,
            metadata_url=idp.metadata_url,
            group_claim=idp.group_claim,
            admin_groups=idp.admin_groups,
            team_groups={team.name: team.idp_group for team in spec.teams},
            mfa=identity.mfa,
            session_hours=identity.session_hours,
            group_rbac=identity.group_rbac,
            protect=spec.stance.storage.protect_stateful,
            cluster_name=cluster_name,
            tags=tags(spec.org, stack),
        )

    @property
    def callback_url(self) -> str:
        return f"https://{self.hub_hostname}/hub/oauth_callback"


@dataclass(frozen=True)
class _Client:
    """What JupyterHub and EKS need to know about the OAuth client, whichever kind built it."""

    issuer: pulumi.Input[str]
    client_id: pulumi.Input[str]
    client_secret: pulumi.Output[str]
    authorize_url: pulumi.Input[str]
    token_url: pulumi.Input[str]
    userdata_url: pulumi.Input[str]
    group_claim: str
    username_claim: str
    userdata_from_id_token: bool  # Cognito's userInfo endpoint omits cognito:groups; its ID token has them
    login_service: str


class IdentityHooks(pulumi.ComponentResource):
    """SSO wiring: the JupyterHub authenticator config, the team -> IdP group map, and OIDC for kubectl."""

    authenticator: dict[str, object]
    """Exactly the z2jh `hub.config` fragment for GenericOAuthenticator: `JupyterHub` (authenticator class,
    cookie lifetime from the stance's session hours) and `GenericOAuthenticator` (client, endpoints, groups).
    A plain dict whose only secret is the `GenericOAuthenticator.client_secret` leaf (a secret Output), so the
    rest of the hub's configuration stays readable in reviews, policy checks and the rendered chart."""
    team_groups: dict[str, str]
    """Team name -> IdP group whose members belong to the team."""
    rbac_group_prefix: str
    """Prefix EKS puts before IdP group names: TeamSpace RoleBindings bind the group `<prefix><idp_group>`."""
    issuer_url: pulumi.Output[str]

    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("identity", "IdentityHooks"), name, None, opts)
        self._name, self._args = name, args
        client = self._external_oidc() if args.kind == "oidc" else self._cognito()
        self.team_groups = dict(args.team_groups)
        self.rbac_group_prefix = RBAC_GROUP_PREFIX
        self.issuer_url = pulumi.Output.from_input(client.issuer)
        self.authenticator = self._hub_config(client)
        if args.group_rbac and args.cluster_name is not None:
            aws.eks.IdentityProviderConfig(
                child(name, "eks"),
                cluster_name=args.cluster_name,
                oidc={
                    "identity_provider_config_name": EKS_IDENTITY_CONFIG_NAME,
                    "issuer_url": client.issuer,
                    "client_id": client.client_id,
                    "groups_claim": client.group_claim,
                    "groups_prefix": RBAC_GROUP_PREFIX,
                    "username_claim": client.username_claim,
                    "username_prefix": RBAC_GROUP_PREFIX,
                },
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs(
            {"authenticator": self.authenticator, "team_groups": self.team_groups, "rbac_group_prefix": self.rbac_group_prefix, "issuer_url": self.issuer_url}
        )

    def _hub_config(self, client: _Client) -> dict[str, object]:
        args = self._args
        return {
            "JupyterHub": {"authenticator_class": "generic-oauth", "cookie_max_age_days": round(args.session_hours / 24, 4)},
            "GenericOAuthenticator": {
                "client_id": client.client_id,
                "client_secret": client.client_secret,
                "oauth_callback_url": args.callback_url,
                "authorize_url": client.authorize_url,
                "token_url": client.token_url,
                "userdata_url": client.userdata_url,
                "userdata_from_id_token": client.userdata_from_id_token,
                "scope": list(SCOPES),
                "username_claim": client.username_claim,
                "login_service": client.login_service,
                "manage_groups": True,
                "claim_groups_key": client.group_claim,
                "allowed_groups": sorted(set(args.team_groups.values())),
                "admin_groups": sorted(args.admin_groups),
            },
        }

    def _external_oidc(self) -> _Client:
        args = self._args
        assert args.issuer_url is not None and args.client_id is not None  # the model requires both for kind oidc
        endpoints = oidc_endpoints(args.issuer_url)
        if endpoints is None:
            base = args.issuer_url.rstrip("/")
            endpoints = guessed_endpoints(base)
            pulumi.log.warn(
                f"unknown IdP layout for {args.issuer_url}; guessed {endpoints.authorize}, {endpoints.token} and {endpoints.userinfo}. "
                f"Compare with {base}/.well-known/openid-configuration before deploying.",
                resource=self,
            )
        return _Client(
            issuer=args.issuer_url,
            client_id=args.client_id,
            # Only ever from `pulumi config set --secret <key>`; require_secret keeps it encrypted in state.
            client_secret=pulumi.Config().require_secret(args.client_secret_config),
            authorize_url=endpoints.authorize,
            token_url=endpoints.token,
            userdata_url=endpoints.userinfo,
            group_claim=args.group_claim,
            username_claim="preferred_username",
            userdata_from_id_token=False,
            login_service="SSO",
        )

    def _cognito(self) -> _Client:
        args, name = self._args, self._name
        pool = self._user_pool()
        providers = ["COGNITO"]
        depends: list[pulumi.Resource] = []
        if args.kind == "saml":
            saml = aws.cognito.IdentityProvider(
                child(name, "saml"),
                user_pool_id=pool.id,
                provider_name=physical_name(args.org, "saml", max_length=32),
                provider_type="SAML",
                provider_details={"MetadataURL": args.metadata_url},
                attribute_mapping={"email": SAML_EMAIL_ATTRIBUTE},
                opts=pulumi.ResourceOptions(parent=self),
            )
            providers, depends = [saml.provider_name], [saml]
        domain = aws.cognito.UserPoolDomain(
            child(name, "domain"),
            domain=cognito_domain_prefix(args.org, args.stack),
            user_pool_id=pool.id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        token_hours = min(args.session_hours, MAX_COGNITO_TOKEN_HOURS)
        app = aws.cognito.UserPoolClient(
            child(name, "jupyterhub"),
            user_pool_id=pool.id,
            generate_secret=True,
            allowed_oauth_flows=["code"],
            allowed_oauth_flows_user_pool_client=True,
            allowed_oauth_scopes=list(SCOPES),
            callback_urls=[args.callback_url],
            supported_identity_providers=providers,
            explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=token_hours,
            id_token_validity=token_hours,
            refresh_token_validity=args.session_hours,
            token_validity_units={"access_token": "hours", "id_token": "hours", "refresh_token": "hours"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        # A team's group is that team's own resource (components.team_scope), so an incremental preview re-declares
        # only the changed teams' groups; the admin groups that are no team's are shared. IdP groups are unique per
        # team (model.spec), so each group is declared once either way.
        for team in each_team(sorted(args.team_groups)):
            self._group(pool, args.team_groups[team])
        for group in sorted(set(args.admin_groups) - set(args.team_groups.values())):
            self._group(pool, group)
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        hosted = pulumi.Output.concat("https://", domain.domain, ".auth.", region, ".amazoncognito.com/oauth2/")
        return _Client(
            issuer=pulumi.Output.concat("https://", pool.endpoint),
            client_id=app.id,
            client_secret=pulumi.Output.secret(app.client_secret),
            authorize_url=pulumi.Output.concat(hosted, "authorize"),
            token_url=pulumi.Output.concat(hosted, "token"),
            userdata_url=pulumi.Output.concat(hosted, "userInfo"),
            group_claim=COGNITO_GROUP_CLAIM,
            username_claim="email",
            userdata_from_id_token=True,
            login_service="SSO" if args.kind == "saml" else "Cognito",
        )

    def _group(self, pool: aws.cognito.UserPool, group: str) -> None:
        aws.cognito.UserGroup(child(self._name, "group", _group_key(group)), user_pool_id=pool.id, name=group, opts=pulumi.ResourceOptions(parent=self))

    def _user_pool(self) -> aws.cognito.UserPool:
        """Admin-created users only, 14-character passwords, TOTP MFA `ON` or `OPTIONAL` per stance. Threat protection
        (Cognito Plus tier, compromised-credential and risk checks) follows the MFA control: both guard stolen credentials."""
        args = self._args
        return aws.cognito.UserPool(
            child(self._name, "users"),
            mfa_configuration="ON" if args.mfa else "OPTIONAL",
            software_token_mfa_configuration={"enabled": True},
            password_policy={
                "minimum_length": 14,
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": True,
                "temporary_password_validity_days": 1,
            },
            admin_create_user_config={"allow_admin_create_user_only": True},
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            account_recovery_setting={"recovery_mechanisms": [{"name": "verified_email", "priority": 1}]},
            user_pool_tier="PLUS" if args.mfa else "ESSENTIALS",
            user_pool_add_ons={"advanced_security_mode": "ENFORCED"} if args.mfa else None,
            deletion_protection="ACTIVE" if args.protect else "INACTIVE",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )


def _group_key(group: str) -> str:
    """A logical-name part for an IdP group: `/` is not kept, so groups with one get a digest
    ('dsw/ml' and 'dsw-ml' are different groups and must not share a resource name)."""
    if "/" not in group:
        return group
    return f"{group.replace('/', '-')}-{hashlib.sha256(group.encode()).hexdigest()[:8]}"
