"""Building blocks the package-mirror tests share: CodeArtifact ARNs as the provider computes them, and the components wired as program.py does."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from blueprint.components.codeartifact import PackageMirror, PackageMirrorArgs
from tests.components import conftest as runner

DOMAIN = "aws:codeartifact/domain:Domain"
REPOSITORY = "aws:codeartifact/repository:Repository"
CRONJOB = "kubernetes:batch/v1:CronJob"
JOB = "kubernetes:batch/v1:Job"
CONFIGMAP = "kubernetes:core/v1:ConfigMap"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
OIDC_ARN = f"arn:aws:iam::{runner.ACCOUNT}:oidc-provider/{runner.OIDC_ISSUER.removeprefix('https://')}"
OIDC_ISSUER = runner.OIDC_ISSUER.removeprefix("https://")
KMS_ARN = f"arn:aws:kms:{runner.REGION}:{runner.ACCOUNT}:key/mock"
CODEARTIFACT = f"arn:aws:codeartifact:{runner.REGION}:{runner.ACCOUNT}"
INDEX = f"https://acme-dev-{runner.ACCOUNT}.d.codeartifact.{runner.REGION}.amazonaws.com/pypi/workbench/simple/"


def answer_codeartifact_arns(monkeypatch) -> None:
    """CodeArtifact computes ARNs of its own shape; answer them like the provider would."""
    monkeypatch.setitem(runner.COMPUTED, DOMAIN, lambda n: {"arn": f"{CODEARTIFACT}:domain/{n.inputs['domain']}"})
    monkeypatch.setitem(runner.COMPUTED, REPOSITORY, lambda n: {"arn": f"{CODEARTIFACT}:repository/{n.inputs['domain']}/{n.inputs['repository']}"})


def provider() -> k8s.Provider:
    return k8s.Provider("k8s", kubeconfig="{}")


def mirror(spec, k8s_provider: k8s.Provider | None = None, **extra) -> PackageMirror:
    return PackageMirror("acme-mirror", PackageMirrorArgs.from_spec(spec, kms_key_arn=KMS_ARN, provider=k8s_provider, **extra))


def irsa(k8s_provider: k8s.Provider) -> dict[str, object]:
    return {"provider": k8s_provider, "oidc_provider_arn": OIDC_ARN, "oidc_issuer": OIDC_ISSUER}


def env_of(pod_template: dict) -> dict[str, str]:
    (container,) = pod_template["spec"]["containers"]
    return {e["name"]: e["value"] for e in container["env"]}


def resolved(*outputs: pulumi.Output) -> pulumi.Output:
    return pulumi.Output.all(*outputs)
