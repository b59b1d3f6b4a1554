"""What the package mirror's in-cluster jobs share: their namespace, image, IRSA identity and pod shape.

Not a component: `job_identity` adds children to the component that calls it (the curator, the pip token
refresher), so each job stays under its component in the preview tree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from .naming import child, irsa_trust_policy, mirrored_image, service_account_subject

MIRROR_NAMESPACE = "package-mirror"

# The jobs run the official AWS CLI image (Amazon Linux 2 with the CLI, curl, coreutils). It publishes exact
# tags and `latest` only (no floating minor tag), so "minor" keeps the exact pin and a dependency bot moves
# it; "latest" follows the newest release.
AWS_CLI_IMAGE = "public.ecr.aws/aws-cli/aws-cli"
AWS_CLI_VERSION = "2.22.0"
_IMAGE_TAG = {"exact": AWS_CLI_VERSION, "minor": AWS_CLI_VERSION, "latest": "latest"}


def aws_cli_image(version_policy: str) -> str:
    """The jobs' image at its upstream (ECR Public)."""
    return f"{AWS_CLI_IMAGE}:{_IMAGE_TAG[version_policy]}"


def pulled_image(image: str, registries: Mapping[str, pulumi.Input[str]]) -> pulumi.Input[str]:
    """`image` as nodes pull it: through the ECR pull-through cache when there is one (egress 'mirror')."""
    if not registries:
        return image
    return pulumi.Output.all(**registries).apply(lambda caches: _through_cache(image, caches))


def _through_cache(image: str, caches: Mapping[str, str]) -> str:
    mirrored = mirrored_image(image, caches)
    if mirrored is None:
        raise ValueError(f"no pull-through cache serves {image}; with egress 'mirror' nodes could not pull it")
    return mirrored


def policy_document(statements: list[dict[str, Any]]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})


def token_statements(domain_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """Mint a CodeArtifact token for one domain. GetAuthorizationToken takes the domain resource; the bearer
    token STS issues for it takes none ("*"), narrowed by sts:AWSServiceName (service authorization reference)."""
    return [
        {"Sid": "Token", "Effect": "Allow", "Action": ["codeartifact:GetAuthorizationToken"], "Resource": [domain_arn]},
        {
            "Sid": "BearerToken",
            "Effect": "Allow",
            "Action": ["sts:GetServiceBearerToken"],
            "Resource": ["*"],
            "Condition": {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}},
        },
    ]


def packages_of(repository_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """`arn:...:repository/<domain>/<repo>` -> `arn:...:package/<domain>/<repo>/*` (every package in it)."""
    return pulumi.Output.from_input(repository_arn).apply(lambda arn: arn.replace(":repository/", ":package/", 1) + "/*")


def package_groups_of(domain_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """`arn:...:domain/<domain>` -> `arn:...:package-group/<domain>/*`."""
    return pulumi.Output.from_input(domain_arn).apply(lambda arn: arn.replace(":domain/", ":package-group/", 1) + "/*")


def job_identity(
    parent: pulumi.Resource,
    logical: str,
    job: str,
    *,
    statements: list[dict[str, Any]],
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    kubernetes_api: bool = False,
) -> k8s.core.v1.ServiceAccount:
    """IRSA role (trusting only `package-mirror:curator-<job>`), its inline policy and the ServiceAccount, named
    `<logical>-role`, `<logical>-policy`, `<logical>-sa`.

    `kubernetes_api`: mount the ServiceAccount's Kubernetes token (only a job that calls the Kubernetes API)."""
    account = f"curator-{job}"
    trust = pulumi.Output.all(oidc_provider_arn, oidc_issuer).apply(
        lambda v: json.dumps(irsa_trust_policy(v[0], v[1], [service_account_subject(MIRROR_NAMESPACE, account)]))
    )
    role = aws.iam.Role(
        child(logical, "role"),
        description=f"IRSA role of the package mirror's {job} job.",
        assume_role_policy=trust,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.iam.RolePolicy(child(logical, "policy"), role=role.id, policy=policy_document(statements), opts=pulumi.ResourceOptions(parent=parent))
    return k8s.core.v1.ServiceAccount(
        child(logical, "sa"),
        metadata=k8s.meta.v1.ObjectMetaArgs(name=account, namespace=MIRROR_NAMESPACE, annotations={"eks.amazonaws.com/role-arn": role.arn}),
        automount_service_account_token=kubernetes_api,
        opts=opts,
    )


def job_pod(
    job: str,
    *,
    service_account: k8s.core.v1.ServiceAccount,
    image: pulumi.Input[str],
    version_policy: str,
    command: list[str],
    env: Mapping[str, pulumi.Input[str]],
    config_map: pulumi.Input[str],
    config_dir: str,
    kubernetes_api: bool = False,
) -> dict[str, Any]:
    """Pod template of a mirror job: restricted pod security, read-only root, config from a ConfigMap, /tmp in memory."""
    container = {
        "name": job,
        "image": image,
        "imagePullPolicy": "Always" if version_policy == "latest" else "IfNotPresent",
        "command": command,
        "env": [{"name": k, "value": v} for k, v in {**env, "HOME": "/tmp"}.items()],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "config", "mountPath": config_dir, "readOnly": True}, {"name": "tmp", "mountPath": "/tmp"}],
    }
    return {
        "metadata": {"labels": {"app.kubernetes.io/name": f"curator-{job}"}},
        "spec": {
            "serviceAccountName": service_account.metadata.name,
            # The Kubernetes token only where the job calls the Kubernetes API (the pip token refresher).
            "automountServiceAccountToken": kubernetes_api,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "runAsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
            "restartPolicy": "Never",
            "containers": [container],
            "volumes": [
                {"name": "config", "configMap": {"name": config_map, "defaultMode": 0o444}},
                # Memory-backed: tokens written here never reach the node's disk.
                {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            ],
        },
    }
