"""Where the hub talks to the identity provider: its OAuth endpoints and the hosts they live on (pure data).

JupyterHub's GenericOAuthenticator does no OIDC discovery: the hub calls the token and userinfo URLs itself,
server to server, while the browser follows the authorize URL. So the hub, and only the hub, must reach the
hosts of the token and userinfo endpoints (OAuthenticator 17, `GenericOAuthenticator.token_url` /
`userdata_url`). SAML is brokered through Cognito: the hub talks OAuth to the Cognito domain, and Cognito
(an AWS service) fetches the SAML metadata itself. Cognito's managed login is not reachable through
PrivateLink, so a Cognito domain always needs an internet path from the hub.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple
from urllib.parse import urlsplit


class OAuthEndpoints(NamedTuple):
    authorize: str
    token: str
    userinfo: str


def oidc_endpoints(issuer: str) -> OAuthEndpoints | None:
    """Endpoints of well-known IdP layouts (GenericOAuthenticator does no OIDC discovery, and the program stays offline).
    None when the issuer's layout is not known."""
    base = issuer.rstrip("/")
    parts = urlsplit(base)
    host, path = parts.hostname or "", parts.path
    if "/realms/" in path:  # Keycloak
        return OAuthEndpoints(f"{base}/protocol/openid-connect/auth", f"{base}/protocol/openid-connect/token", f"{base}/protocol/openid-connect/userinfo")
    if host == "login.microsoftonline.com":  # Microsoft Entra ID, issuer https://login.microsoftonline.com/<tenant>/v2.0
        tenant = path.strip("/").split("/")[0]
        root = f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
        return OAuthEndpoints(f"{root}/authorize", f"{root}/token", "https://graph.microsoft.com/oidc/userinfo")
    if host == "accounts.google.com":
        return OAuthEndpoints("https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token", "https://openidconnect.googleapis.com/v1/userinfo")
    if host.endswith((".okta.com", ".oktapreview.com")):  # custom authorization server (/oauth2/<id>) or the org server
        root = base if "/oauth2/" in path else f"{base}/oauth2"
        return OAuthEndpoints(f"{root}/v1/authorize", f"{root}/v1/token", f"{root}/v1/userinfo")
    if host.endswith(".auth0.com"):
        return OAuthEndpoints(f"{base}/authorize", f"{base}/oauth/token", f"{base}/userinfo")
    return None


def guessed_endpoints(issuer: str) -> OAuthEndpoints:
    """Keycloak-like paths under the issuer, for a layout `oidc_endpoints` does not know."""
    base = issuer.rstrip("/")
    return OAuthEndpoints(f"{base}/authorize", f"{base}/token", f"{base}/userinfo")


def physical_name(*parts: str, max_length: int) -> str:
    """A deterministic AWS name from `parts`; too long, it is cut and suffixed with a short hash so it stays unique."""
    name = "-".join(parts)
    if len(name) <= max_length:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: max_length - 9].rstrip('-')}-{digest}"


def cognito_domain_prefix(org: str, stack: str) -> str:
    """The Cognito user pool domain prefix the identity component creates."""
    return physical_name(org, stack, "workbench", max_length=63)


def cognito_domain_host(org: str, stack: str, region: str) -> str:
    return f"{cognito_domain_prefix(org, stack)}.auth.{region}.amazoncognito.com"


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""
