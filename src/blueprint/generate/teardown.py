"""The generated README's teardown section: `pulumi destroy`, what the stance protects and what stays, on purpose.

What is protected follows one stance switch, `storage.protect_stateful`: the components give every stateful
resource `protect` and `retainOnDelete` together. STATEFUL names them by type; tests/generate/test_teardown.py
checks the list against the protected resources of the offline preview's graph for every stance and IdP kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import BlueprintSpec


@dataclass(frozen=True)
class Stateful:
    type: str
    what: str
    holds: str
    present: Callable[[BlueprintSpec], bool] = lambda spec: True


STATEFUL = (
    Stateful("aws:s3/bucket:Bucket", "S3 buckets", "teams' data, the R package repository and, with audit on, the CloudTrail and access logs"),
    Stateful("aws:efs/fileSystem:FileSystem", "EFS file system", "users' home directories"),
    Stateful("aws:backup/vault:Vault", "AWS Backup vault", "the home directories' recovery points"),
    Stateful("aws:kms/key:Key", "KMS key", "the key everything above is encrypted with", lambda spec: spec.stance.storage.encryption != "provider-managed"),
    Stateful("aws:codeartifact/domain:Domain", "CodeArtifact domain", "the package mirror's domain"),
    Stateful("aws:codeartifact/repository:Repository", "CodeArtifact repositories", "the mirrored and curated packages"),
    Stateful("aws:cognito/userPool:UserPool", "Cognito user pool", "users and their MFA devices (deletion protection on)", lambda spec: spec.idp.kind != "oidc"),
)


def protected(spec: BlueprintSpec) -> tuple[Stateful, ...]:
    """The stateful resource types the program protects and retains for `spec` (none unless the stance protects them)."""
    if not spec.stance.storage.protect_stateful:
        return ()
    return tuple(s for s in STATEFUL if s.present(spec))


def teardown_section(spec: BlueprintSpec) -> str:
    kept = protected(spec)
    if not kept:
        return (
            "This stance protects nothing (`storage.protect_stateful: false`): `pulumi destroy` deletes every resource it created, "
            "data and home directories included, so copy what you keep first. Buckets are never force-destroyed: empty them "
            "(every version, where versioning is on) or `pulumi destroy` stops at them.\n"
        )
    rows = "\n".join(f"| {s.what} | `{s.type}` | {s.holds} |" for s in kept)
    return f"""This stance protects stateful resources (`storage.protect_stateful: true`): each is `protect`ed, so `pulumi destroy`
refuses to start while any is in the stack, and `retainOnDelete`, so even after you unprotect it Pulumi only drops it from
the stack and leaves it in the account. On purpose: a mistaken destroy must not take the data with it.

| kept | type | holds |
|---|---|---|
{rows}

1. Copy what you keep (the data bucket, home directories, recovery points).
2. `pulumi stack --show-urns` lists the protected resources; `pulumi state unprotect --all` (or one URN at a time) lifts the protection.
3. `pulumi destroy` removes everything else and forgets the resources above.
4. What stays in the account is yours to delete by hand, last the KMS key (AWS deletes a key only after the 7 to 30 day
   waiting period you schedule, and nothing encrypted with it can be read afterwards). Versioned buckets hold every version;
   recovery points keep the backup vault until their retention ends or you delete them.
"""
