"""Inline Pulumi programs and project directories for the preview tests."""

from __future__ import annotations

import asyncio
import sys
import types
from collections.abc import Iterable, Iterator
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

import blueprint
from blueprint.components import team_scope
from blueprint.model import BlueprintSpec
from tests.conftest import blueprint_data, write_blueprint

STACK_URN = "urn:pulumi:dev::acme-dsw::pulumi:pulumi:Stack::acme-dsw-dev"


class Storage(pulumi.ComponentResource):
    """A small component with children, a protected bucket and a secret-bearing child."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("workbench:storage:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.key = aws.kms.Key(f"{name}-key", deletion_window_in_days=30, enable_key_rotation=True, opts=child)
        self.bucket = aws.s3.Bucket(f"{name}-data", force_destroy=False, opts=pulumi.ResourceOptions(parent=self, protect=True, retain_on_delete=True))
        self.encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": self.key.arn}}],
            opts=child,
        )
        self.register_outputs({"bucket": self.bucket.bucket})


def small_program() -> None:
    """Components, nested camelCase inputs, a secret from config, an explicit provider and integer values."""
    secret = pulumi.Config().require_secret("idpClientSecret")
    storage = Storage("storage")
    cluster = aws.eks.Cluster(
        "cluster",
        role_arn="arn:aws:iam::123456789012:role/eks",
        version="1.31",
        vpc_config={"subnet_ids": ["subnet-a", "subnet-b"], "endpoint_public_access": False, "endpoint_private_access": True},
    )
    aws.secretsmanager.SecretVersion("idp-secret", secret_id="idp", secret_string=secret)
    provider = k8s.Provider("cluster-k8s", kubeconfig=cluster.endpoint.apply(lambda endpoint: f"server: {endpoint}"))
    k8s.helm.v3.Release(
        "hub",
        chart="jupyterhub",
        version="4.2.0",
        values={"cull": {"timeout": 3600, "every": 600.0, "ratio": 0.5}, "bucket": storage.bucket.bucket},
        opts=pulumi.ResourceOptions(provider=provider),
    )


@pytest.fixture
def main_event_loop_restored() -> Iterator[None]:
    """Put back this thread's event loop after a test that runs or replaces one (other tests' mocks need it)."""
    try:
        previous = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        previous = None
    yield
    asyncio.set_event_loop(previous)


@pytest.fixture
def fake_program(monkeypatch: pytest.MonkeyPatch) -> list[BlueprintSpec]:
    """Stand in for `blueprint.program` with a small real program; returns the specs it was built from."""
    built: list[BlueprintSpec] = []

    def build(spec: BlueprintSpec, *, only_teams: Iterable[str] | None = None) -> None:
        built.append(spec)
        with team_scope.only_teams(only_teams):
            secret = pulumi.Config().require_secret(spec.idp.client_secret_config)
            aws.secretsmanager.SecretVersion("idp-client-secret", secret_id="idp", secret_string=secret)
            aws.ec2.Vpc(f"{spec.org}-vpc", cidr_block=spec.network.vpc_cidr, tags={"region": aws.get_region().region})
            for team in team_scope.each_team(spec.teams, lambda team: team.name):
                k8s.core.v1.Namespace(team.name, metadata={"name": team.name, "labels": {"team": team.name}})

    module = types.ModuleType("blueprint.program")
    module.build = build  # type: ignore[attr-defined]
    module.current_team = team_scope.current_team  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "blueprint.program", module)
    monkeypatch.setattr(blueprint, "program", module, raising=False)
    return built


def make_project(directory: Path, *, project: str | None = "acme-dsw", **overrides: object) -> Path:
    """A project directory with blueprint.yaml and, unless `project` is None, a Pulumi.yaml."""
    write_blueprint(directory, blueprint_data(**overrides))
    if project is not None:
        (directory / "Pulumi.yaml").write_text(f"name: {project}\nruntime:\n  name: python\n", encoding="utf-8")
    return directory


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    return make_project(tmp_path / "acme-dsw")
