"""What a reviewer must look at first among resource changes: public exposure, IAM, encryption.

Table-driven over plain inputs, so it works on any graph (and on hand-made ones in tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .resources import ResourceChange, ResourceDiff, join_path

PUBLIC = "public"
IAM = "iam"
ENCRYPTION = "encryption"
KINDS = (PUBLIC, IAM, ENCRYPTION)

WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
# (path pattern, predicate on the new value, what it means); paths are the dotted input paths.
_PUBLIC_VALUES: tuple[tuple[re.Pattern[str], Any, str], ...] = (
    (re.compile(r"(?i)destinationCidrBlock|destinationIpv6CidrBlock"), lambda v: v in WORLD_CIDRS, "default route to the internet"),
    (re.compile(r"(?i)egress.*cidr|cidr.*egress"), lambda v: v in WORLD_CIDRS, "egress to anywhere"),
    (re.compile(r"(?i)^(?!.*destination)(?!.*egress)(?!publicAccessCidrs).*cidr"), lambda v: v in WORLD_CIDRS, "reachable from the whole internet"),
    (re.compile(r"(?i)endpointPublicAccess$"), lambda v: v is True, "public Kubernetes API endpoint"),
    (re.compile(r"(?i)publicAccessCidrs"), lambda v: v in WORLD_CIDRS, "public API reachable from anywhere"),
    (re.compile(r"(?i)(scheme|load-balancer-scheme|loadBalancerScheme)\"?\]?$"), lambda v: v == "internet-facing", "internet-facing load balancer"),
    (re.compile(r"(?i)mapPublicIpOnLaunch$|associatePublicIpAddress$|publiclyAccessible$"), lambda v: v is True, "public IP addresses"),
    (re.compile(r"(?i)(blockPublicAcls|blockPublicPolicy|ignorePublicAcls|restrictPublicBuckets)$"), lambda v: v is False, "S3 public-access block relaxed"),
    (re.compile(r"(?i)(^|\.)type$"), lambda v: v == "LoadBalancer", "Kubernetes LoadBalancer service"),
)
_PUBLIC_TYPES = {"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "S3 public-access block"}
_IAM_TYPE = re.compile(r"^(aws:iam/|kubernetes:rbac\.authorization\.k8s\.io/|aws:eks/accessEntry|aws:eks/accessPolicyAssociation|aws:eks/podIdentityAssociation)")
_IAM_PATH = re.compile(r"(?i)(^|\.)(policy|assumeRolePolicy|inlinePolicies|managedPolicyArns|policyArn|roleArn|serviceAccountRole)(\.|\[|$)")
_ENCRYPTION_TYPE = re.compile(r"^aws:kms/")
_ENCRYPTION_PATH = re.compile(r"(?i)(kms|encrypt|sseAlgorithm|serverSideEncryption|enableKeyRotation)")


@dataclass(frozen=True)
class Finding:
    """One reason a resource change is risky: its kind, the resource, the input path (if any) and why."""

    kind: str
    change: ResourceChange
    path: str
    why: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "urn": self.change.urn, "type": self.change.type, "action": self.change.action, "path": self.path, "why": self.why}


def _flatten(path: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _flatten(join_path(path, str(key)), value[key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(f"{path}[{index}]", item)
    else:
        yield path, value


def _new_leaves(change: ResourceChange) -> Iterator[tuple[str, Any]]:
    """Input leaves that are new in this change: everything of an added resource, the changed paths otherwise."""
    if change.action == "add" and change.resource is not None:
        yield from _flatten("", change.resource.inputs)
    elif change.action == "change":
        for item in change.inputs:
            if item.kind != "removed":
                yield from _flatten(item.path, item.new)


def _public(change: ResourceChange) -> Iterator[Finding]:
    if change.type in _PUBLIC_TYPES and change.action == "remove":
        yield Finding(PUBLIC, change, "", f"{_PUBLIC_TYPES[change.type]} removed")
    seen = set()
    # A rule resource says its direction in its type (SecurityGroupEgressRule) or a `type: egress` input.
    egress = "egress" in change.type.lower() or (change.resource is not None and change.resource.inputs.get("type") == "egress")
    for path, value in _new_leaves(change):
        for pattern, predicate, why in _PUBLIC_VALUES:
            if egress and why == "reachable from the whole internet":
                why = "egress to anywhere"
            try:
                hit = pattern.search(path) and predicate(value)
            except TypeError:
                hit = False
            if hit and (path, why) not in seen:
                seen.add((path, why))
                yield Finding(PUBLIC, change, path, why)


def _iam(change: ResourceChange) -> Iterator[Finding]:
    if _IAM_TYPE.match(change.type):
        paths = [c.path for c in change.inputs] if change.action == "change" else []
        yield Finding(IAM, change, ", ".join(paths[:3]), f"IAM/RBAC resource {'added' if change.action == 'add' else 'removed' if change.action == 'remove' else 'changed'}")
        return
    if change.action == "change":
        for item in change.inputs:
            if _IAM_PATH.search(item.path):
                yield Finding(IAM, change, item.path, "permissions changed")
                return


def _encryption(change: ResourceChange) -> Iterator[Finding]:
    if _ENCRYPTION_TYPE.match(change.type) and change.action != "add":
        yield Finding(ENCRYPTION, change, "", f"KMS resource {'removed' if change.action == 'remove' else 'changed'}")
        return
    if change.action == "change":
        for item in change.inputs:
            if _ENCRYPTION_PATH.search(item.path):
                yield Finding(ENCRYPTION, change, item.path, "encryption setting changed")
                return


def findings(diff: ResourceDiff) -> list[Finding]:
    """Every risky resource change, public exposure first, then IAM, then encryption; URN order within a kind."""
    found: list[Finding] = []
    for check in (_public, _iam, _encryption):
        for change in sorted(diff, key=lambda c: c.urn):
            found.extend(check(change))
    return found
