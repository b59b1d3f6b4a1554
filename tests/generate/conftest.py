"""Projects made by the real `blueprint new`, previewed once per session: what README sections are checked against."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from blueprint.cli import app

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-4333-8444-555555555555"
# (stance, IdP) variants whose protected resources and always-on infrastructure differ.
VARIANTS = {
    "strict-oidc": ["--stance", "strict", "--idp", "oidc", "--issuer-url", "https://login.acme.example/realms/dsw", "--client-id", "jupyterhub"],
    "strict-cognito": ["--stance", "strict", "--idp", "cognito"],
    "balanced-oidc": ["--stance", "balanced", "--idp", "oidc", "--issuer-url", "https://login.acme.example/realms/dsw", "--client-id", "jupyterhub"],
    "open-cognito": ["--stance", "open", "--idp", "cognito", "--admin-cidr", "203.0.113.0/24"],
    # The IdP on the organisation's network (EDITS): no hub tier, so only the CI runner's tier puts a firewall in the VPC.
    "strict-on-premises-idp": [
        "--stance", "strict", "--idp", "oidc", "--issuer-url", "https://login.acme.example/realms/dsw", "--client-id", "jupyterhub",
        "--on-premises-cidr", "10.0.0.0/16",
    ],
}  # fmt: skip
# blueprint.yaml edits no `new` flag makes: (old text, new text).
EDITS = {"strict-on-premises-idp": ("  client_id: jupyterhub\n", "  client_id: jupyterhub\n  reachable_via: on-premises\n")}


@pytest.fixture(scope="session")
def previewed(tmp_path_factory):
    """`previewed(variant)` -> (project directory, its spec, its offline preview graph)."""
    from blueprint.model import load_blueprint
    from blueprint.preview import preview_project

    made: dict[str, tuple[Path, object, object]] = {}

    def get(variant: str):
        if variant not in made:
            target = tmp_path_factory.mktemp(variant) / "acme-dsw"
            args = ["new", str(target), "--org", "acme", "--team", "genomics:dsw-genomics", "--certificate-arn", CERTIFICATE, *VARIANTS[variant]]
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 0, result.output
            if variant in EDITS:
                path = target / "blueprint.yaml"
                old, new = EDITS[variant]
                assert old in path.read_text()
                path.write_text(path.read_text().replace(old, new))
            made[variant] = (target, load_blueprint(target), preview_project(target))
        return made[variant]

    return get
