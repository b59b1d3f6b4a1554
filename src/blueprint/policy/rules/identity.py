"""Identity rules: IAM least privilege and the IdP client secret (data-theft-insider)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import EVERY_TYPE, Context, Finding, RuleSet, Severity, as_list, is_secret, known
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


def _plain_secrets(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if _SECRET_KEY.match(str(key)) and isinstance(item, str) and item and known(item) and not is_secret(item):
                yield here
            else:
                yield from _plain_secrets(item, here)
    elif isinstance(value, list):
        for i, item in enumerate(value):
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


RULES = tuple(rules.rules)
