"""Identity rules: IAM least privilege and the IdP client secret (data-theft-insider)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ...charts.z2jh import is_jupyterhub_chart
from ..base import EVERY_TYPE, Context, Finding, RuleSet, Severity, as_list, dig, is_secret, known
from .storage import policy_document

rules = RuleSet()


def _documents(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if resource.type == T.ROLE:
        for i, inline in enumerate(as_list(resource.inputs.get("inlinePolicies"))):
            document = policy_document(inline.get("policy")) if isinstance(inline, Mapping) else None
            if document:
                yield f"inline policy {inline.get('name') or i}", document
    else:
        document = policy_document(resource.inputs.get("policy"))
        if document:
            yield "the policy", document


def _wildcard(statement: Mapping[str, Any]) -> str | None:
    if statement.get("Effect", "Allow") != "Allow":
        return None
    actions = [str(a) for a in as_list(statement.get("Action"))]
    if any(a in ("*", "*:*") for a in actions):
        return 'allows "Action": "*" (every action of every service)'
    if "NotAction" in statement:
        return "allows everything except NotAction; list the actions instead"
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    if "*" in resources and any(a.lower() == "s3:*" for a in actions):
        return 'allows "s3:*" on "Resource": "*" (every bucket in the account)'
    return None


@rules.resource(
    "identity.no-wildcard-iam",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.CRITICAL,
    controls=("identity.group_rbac",),
    types=T.IAM_POLICIES,
    description='No IAM policy allows "Action": "*", or "s3:*" on "Resource": "*"; each role reaches only its own data.',
)
def no_wildcard_iam(resource: Resource, ctx: Context) -> Iterator[str]:
    for where, document in _documents(resource):
        for i, statement in enumerate(as_list(document.get("Statement"))):
            problem = _wildcard(statement) if isinstance(statement, Mapping) else None
            if problem:
                sid = statement.get("Sid") or f"Statement[{i}]"
                yield f"{where}, {sid}: {problem}"


_SECRET_KEY = re.compile(r"^client[_-]?secret$", re.IGNORECASE)


_SCALARS = (str, int, float, bool, type(None))


def _plain_secrets(value: Any, path: str) -> Iterator[str]:
    # Every input of every resource is walked (84k values at 200 teams): a path is spelt out only for a key that
    # holds plain text or a value to descend into, and scalars are not asked whether they are a Mapping (an ABC check).
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, str):
                if item and _SECRET_KEY.match(str(key)) and known(item) and not is_secret(item):
                    yield f"{path}.{key}" if path else str(key)
            elif not isinstance(item, _SCALARS):
                yield from _plain_secrets(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, _SCALARS):
                yield from _plain_secrets(item, f"{path}[{i}]")


@rules.graph(
    "identity.client-secret-is-secret",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.CRITICAL,
    controls=("identity.sso_required",),
    types=(EVERY_TYPE,),
    needs_secret_markers=True,
    description="The IdP client secret reaches the hub only as a Pulumi secret, never as plain text in state or Helm values.",
)
def client_secret_is_secret(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    for resource in graph:
        for path in _plain_secrets(resource.inputs, ""):
            yield Finding(
                f"{path} holds a plain-text value; pass it as a secret "
                f"(`pulumi config set --secret {ctx.client_secret_config}` / Output.secret)",
                resource.urn,
            )


USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
# Cognito's unit for a token validity when `tokenValidityUnits` names none (API reference, TokenValidityUnitsType).
COGNITO_DEFAULT_UNITS = {"accessToken": "hours", "idToken": "hours", "refreshToken": "days"}
HOURS = {"seconds": 1 / 3600, "minutes": 1 / 60, "hours": 1, "days": 24}
JUPYTERHUB_DEFAULT_COOKIE_DAYS = 14  # JupyterHub.cookie_max_age_days when unset


@rules.resource(
    "identity.mfa-enforced",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.HIGH,
    controls=("identity.mfa",),
    types={USER_POOL},
    applies=lambda ctx: ctx.stance.identity.mfa,
    description="A Cognito user pool that signs users in requires MFA (mfaConfiguration ON, with TOTP enabled).",
)
def mfa_enforced(pool: Resource, ctx: Context) -> Iterator[str]:
    mode = pool.inputs.get("mfaConfiguration")
    if mode != "ON":
        yield f"mfaConfiguration is {mode!r}, not 'ON': users may sign in with a password alone"
    if pool.inputs.get("softwareTokenMfaConfiguration", {}).get("enabled") is not True:
        yield "softwareTokenMfaConfiguration.enabled is not true: users have no second factor to enrol"


def _validity_hours(client: Resource, token: str) -> float | None:
    value = client.inputs.get(f"{token}Validity")
    if value is None or not known(value):
        return None
    unit = (client.inputs.get("tokenValidityUnits") or {}).get(token) or COGNITO_DEFAULT_UNITS[token]
    return float(value) * HOURS.get(unit, 24)


def _hub_config(release: Resource) -> Any:
    return dig(release.inputs, "values", "hub", "config")


@rules.resource(
    "identity.session-length",
    concern=Concern.DATA_THEFT_INSIDER,
    severity=Severity.MEDIUM,
    controls=("identity.session_hours",),
    types={T.HELM_RELEASE, USER_POOL_CLIENT},
    description="A login lasts no longer than the stance's session hours: the hub's cookie, and Cognito's tokens when Cognito signs users in.",
)
def session_length(resource: Resource, ctx: Context) -> Iterator[str]:
    hours = ctx.stance.identity.session_hours
    if resource.type == USER_POOL_CLIENT:
        for token in ("refreshToken", "accessToken", "idToken"):
            lasts = _validity_hours(resource, token)
            if lasts is None and token == "refreshToken":
                lasts = 30 * 24  # Cognito's default refresh token validity
            if lasts is not None and lasts > hours:
                yield f"{token}Validity lets a login last {lasts:g} h; the stance's session is {hours} h"
        return
    if not is_jupyterhub_chart(resource.inputs.get("chart")):
        return
    config = _hub_config(resource)
    if not isinstance(config, Mapping):
        yield "hub.config is one opaque value, so the hub's cookie lifetime cannot be checked; keep only the secret leaves secret"
        return
    days = dig(config, "JupyterHub", "cookie_max_age_days", default=JUPYTERHUB_DEFAULT_COOKIE_DAYS)
    if not known(days):
        return
    if not isinstance(days, (int, float)) or days * 24 > hours + 0.01:  # the component rounds to 4 decimals
        yield f"hub.config.JupyterHub.cookie_max_age_days is {days!r}: the hub's cookie outlasts the stance's {hours}-hour session"


RULES = tuple(rules.rules)
