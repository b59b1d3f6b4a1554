"""Every IAM policy document in a graph (role trust and inline policies, managed policies, bucket, key and
registry policies), and parliament (an independent IAM linter, in its own venv) run over them."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..preview.graph import ResourceGraph

# Input fields that hold a policy document, by resource type token; "trust" documents name principals.
POLICY_FIELDS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "aws:iam/role:Role": (("assumeRolePolicy", "trust"), ("inlinePolicies", "identity")),
    "aws:iam/rolePolicy:RolePolicy": (("policy", "identity"),),
    "aws:iam/policy:Policy": (("policy", "identity"),),
    "aws:iam/userPolicy:UserPolicy": (("policy", "identity"),),
    "aws:iam/groupPolicy:GroupPolicy": (("policy", "identity"),),
    "aws:s3/bucketPolicy:BucketPolicy": (("policy", "resource"),),
    "aws:kms/key:Key": (("policy", "resource"),),
    "aws:kms/keyPolicy:KeyPolicy": (("policy", "resource"),),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": (("policy", "resource"),),
    "aws:ecr/registryPolicy:RegistryPolicy": (("policy", "resource"),),
    "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": (("repositoryPolicy", "resource"),),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": (("policyDocument", "resource"),),
    "aws:sns/topicPolicy:TopicPolicy": (("policy", "resource"),),
    "aws:codeartifact/domainPermissions:DomainPermissions": (("policyDocument", "resource"),),
    "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy": (("policyDocument", "resource"),),
}


@dataclass(frozen=True)
class PolicyDocument:
    resource: str
    """The resource's logical name."""
    type: str
    field: str
    kind: str
    """'trust', 'identity' or 'resource'."""
    document: dict[str, Any]


def _as_document(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) and "Statement" in value else None


def policy_documents(graph: ResourceGraph) -> Iterator[PolicyDocument]:
    """Every policy document the graph's resources carry (documents still unknown offline are left out)."""
    for resource in graph:
        for field, kind in POLICY_FIELDS.get(resource.type, ()):
            value = resource.inputs.get(field)
            values = [v.get("policy") for v in value] if field == "inlinePolicies" and isinstance(value, list) else [value]
            for one in values:
                document = _as_document(one)
                if document is not None:
                    yield PolicyDocument(resource.name, resource.type, field, kind, document)


@dataclass(frozen=True)
class ParliamentFinding:
    issue: str
    title: str
    severity: str
    detail: Any
    document: PolicyDocument


def run_parliament(parliament: Path, documents: list[PolicyDocument]) -> list[ParliamentFinding]:
    """parliament over each document (one process for all: `--directory`), findings mapped back to their documents."""
    with tempfile.TemporaryDirectory() as tmp:
        by_file: dict[str, PolicyDocument] = {}
        for i, document in enumerate(documents):
            path = Path(tmp) / f"{i:05d}.json"
            path.write_text(json.dumps(document.document))
            by_file[str(path)] = document
        done = subprocess.run([str(parliament), "--directory", tmp, "--json"], capture_output=True, text=True, timeout=600)
        if done.returncode not in (0, 1) or (done.returncode == 1 and not done.stdout.strip()):
            raise RuntimeError(f"parliament failed (exit {done.returncode}): {done.stderr.strip()}")
        findings = []
        for line in done.stdout.splitlines():
            if not line.strip():
                continue
            data = json.loads(line)
            document = by_file[data["location"]["filepath"]]
            findings.append(ParliamentFinding(data["issue"], data.get("title", ""), data.get("severity", ""), data.get("detail"), document))
        return findings
