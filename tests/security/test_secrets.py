"""No file the CLI writes holds a credential or a secret it was handed (allow rules: tests/security/credentials.py)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from blueprint.preview import PLACEHOLDER_SECRET
from tests.security.conftest import (
    AGED_FILES,
    age_project,
    commit_all,
    git,
    invoke,
    make_git_project,
    new_options,
    new_project,
    snapshot,
)
from tests.security.credentials import Hit, file_lines, scan_files, scan_lines

# Canary credentials in the environment of every command: a generator that copied its
# environment, its config or a token into a file would leak one of these.
CANARY_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIACANARY0TEST0KEY",
    "AWS_SECRET_ACCESS_KEY": "cAnArY/wJalrXUtnFEMI/K7MDENGbPxRfiCYEXAMPLE",
    "AWS_SESSION_TOKEN": "canary-session-token-IQoJb3JpZ2luX2VjEJr",
    "PULUMI_ACCESS_TOKEN": "pul-" + "c0ffee" * 6 + "beef",
    "PULUMI_CONFIG_PASSPHRASE": "canary-passphrase-correct-horse-battery",
    "PULUMI_CONFIG": json.dumps({"acme-dsw:idpClientSecret": "canary-idp-client-secret-from-config"}),
    "GITHUB_TOKEN": "ghp_" + "Canary0123456789abcdefghijklmnopqrstuv",
}
# Values the offline preview itself uses in place of secrets: they may show as "[secret]", never as text.
PREVIEW_SECRETS = (PLACEHOLDER_SECRET, "offline-preview-client-secret", "offline-preview-token", "k8s-aws-v1.offline-preview")
CANARIES = (*(v for k, v in CANARY_ENV.items() if k != "PULUMI_CONFIG"), "canary-idp-client-secret-from-config", *PREVIEW_SECRETS)
# What `pulumi config set --secret idpClientSecret ...` leaves in the stack file: ciphertext, allowed there.
CIPHERTEXT = "v1:Q2FuYXJ5U2FsdA==:v1:bW9ja0NpcGhlcnRleHQ0MjAxOTg3NjU0MzIxMEFCQ0RFRkdISUpL"
EXPORT_FORMATS = ("terraform-plan", "kubernetes", "helm-values")


@dataclass
class Written:
    """Every file each command wrote (created or changed), and everything it printed."""

    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # command -> path -> bytes
    output: dict[str, str] = field(default_factory=dict)

    def record(self, command: str, root: Path, before: dict[str, bytes], printed: str, prefix: str = "") -> None:
        after = snapshot(root)
        changed = {f"{prefix}{path}": content for path, content in after.items() if before.get(path) != content}
        self.files.setdefault(command, {}).update(changed)
        self.output[command] = self.output.get(command, "") + printed

    def all_files(self) -> dict[str, bytes]:
        return {f"[{command}] {path}": content for command, files in self.files.items() for path, content in files.items()}


def run(written: Written, command: str, root: Path, args: list, prefix: str = "") -> None:
    before = snapshot(root)
    result = invoke(args, env=CANARY_ENV)
    written.record(command, root, before, result.output, prefix)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Written:
    root = tmp_path_factory.mktemp("secrets")
    written = Written()

    (root / "new").mkdir()
    for stance in ("strict", "balanced", "open"):
        for idp in ("oidc", "saml", "cognito"):
            run(written, "new", root / "new", ["new", root / "new" / f"{stance}-{idp}", *new_options(stance, idp)])

    fork = root / "fork" / "acme-dsw"
    new_project(fork, "balanced", "oidc")
    run(written, "fork", fork, ["fork", fork, "--team", "genomics"])
    run(written, "fork", fork, ["fork", fork, "--team", "newcomers", "--group", "dsw/newcomers"])
    run(written, "fork", fork, ["fork", fork, "--team", "genomics", "--force"])

    upgrade = make_git_project(root / "upgrade" / "acme-dsw", "strict", "oidc")
    age_project(upgrade, files=(*AGED_FILES, "Pulumi.dev.yaml"))
    commit_all(upgrade, "as an older generator wrote it")
    stack_file = upgrade / "Pulumi.dev.yaml"  # then the user ran `pulumi config set --secret idpClientSecret ...`
    stack_file.write_text(stack_file.read_text() + f"  acme-dsw:idpClientSecret:\n    secure: {CIPHERTEXT}\n", encoding="utf-8")
    commit_all(upgrade, "secret set with pulumi config")
    run(written, "upgrade", upgrade, ["upgrade", upgrade])

    exports = root / "exports"
    exports.mkdir()
    for idp, formats in (("oidc", EXPORT_FORMATS), ("cognito", ("terraform-plan", "helm-values"))):
        project = new_project(root / f"export-{idp}" / "acme-dsw", "strict", idp)
        for export_format in formats:
            run(written, "export", exports, ["export", project, "--format", export_format, "-o", exports / f"{idp}.{export_format}"])
    return written


def test_every_command_wrote_what_it_should(written):
    files = written.files
    assert sum(1 for path in files["new"] if path.endswith("blueprint.yaml")) == 9
    assert len(files["new"]) >= 9 * 14
    assert {"blueprint.yaml", "teams/genomics.yaml", "teams/newcomers.yaml"} <= set(files["fork"])
    assert {"README.md", ".gitignore", ".blueprint/generated.json", "Pulumi.dev.yaml"} <= set(files["upgrade"]), sorted(files["upgrade"])
    assert len(files["export"]) == 5


def test_no_written_file_holds_anything_that_looks_like_a_credential(written):
    hits = scan_files(written.all_files())
    assert not hits, "credential-like content:\n" + "\n".join(map(str, hits[:30]))


def test_no_written_file_or_output_holds_a_secret_the_run_was_given(written):
    found = [
        f"{path}: {canary[:8]}…"
        for path, content in written.all_files().items()
        for canary in CANARIES
        if canary.encode() in content
    ]
    found += [f"output of {command}: {canary[:8]}…" for command, text in written.output.items() for canary in CANARIES if canary in text]
    assert not found, found


def test_the_encrypted_secret_stays_only_in_the_stack_file(written):
    upgraded = written.files["upgrade"]
    assert CIPHERTEXT.encode() in upgraded["Pulumi.dev.yaml"], "upgrade dropped the user's encrypted config"
    assert [path for path, content in written.all_files().items() if CIPHERTEXT.encode() in content] == ["[upgrade] Pulumi.dev.yaml"]


def test_the_generated_gitignore_keeps_local_state_and_credentials_out_of_git(tmp_path):
    project = make_git_project(tmp_path / "acme-dsw")
    ignored = [
        ".pulumi/stacks/dev.json",
        ".pulumi/backups/dev/x.json",
        "venv/bin/python",
        ".venv/lib/site.py",
        ".env",
        "sub/.env",
        "kubeconfig",
        "admin.pem",
        "stack.tfstate",
    ]
    for relative in ignored:
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text("x")
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    assert status == "", f"not ignored by the generated .gitignore:\n{status}"
    # ...and nothing the project needs is ignored.
    tracked = git(project, "ls-files").split()
    assert {"blueprint.yaml", "Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "requirements.txt", ".gitignore"} <= set(tracked)
    shutil.rmtree(project)


# ---- the scanner finds what it should, so a silent scanner cannot pass the tests above ----

POSITIVE = {
    "config.ini": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    "session.env": "export AWS_SESSION_KEY=ASIAIOSFODNN7EXAMPLE\n",
    "values.yaml": "hub:\n  config:\n    GenericOAuthenticator:\n      client_secret: s3cr3t-value-123\n",
    "Pulumi.dev.yaml": "config:\n  acme-dsw:idpClientSecret: plain-text-secret\n",
    "answers.json": '{"answers": {"password": "hunter2hunter2"}}',
    "key.pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n",
    "ssh": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "workflow.yml": "env:\n  GITHUB_TOKEN: ghp_0123456789abcdefghijklmnopqrstuvwxyzAB\n",
    "plan.json": '{"values": {"secret_string": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}}',
    "notes.md": "token for later: Zx8Qp2Lm9Vb4Rt7Yk1Hs6Jd3Fg5Nc0Wa\n",
    "digest.txt": "deadbeef0badf00d1234567890abcdef12345678aa\n",
    "jwt.txt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\n",
}
NEGATIVE = {
    "workflow.yml": "env:\n  PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}\n  HAS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN != '' }}\npermissions:\n  id-token: write\n",
    "Pulumi.dev.yaml": f"config:\n  acme-dsw:idpClientSecret:\n    secure: {CIPHERTEXT}\n",
    "blueprint.yaml": "idp:\n  kind: oidc\n  client_secret_config: idpClientSecret\n",
    "README.md": "pulumi config set --secret idpClientSecret <value>   # only for idp kind oidc\nThe client secret: `pulumi config set --secret`.\n",
    "graph.json": '{"secretString": "[secret]", "urn": "urn:pulumi:dev::acme::aws:s3/bucket:Bucket::acme-dev-genomics-data-3f2a9c1d"}',
    "requirements.txt": "pulumi==3.200.0 --hash=sha256:0f3a9d0e6f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4\n",
    "paths.yaml": "image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-dev-workbench-jupyterhub-singleuser\n",
    "cognito.yaml": "generate_secret: true\naccess_token_validity: 8\nenable_token_revocation: true\n",
    "pinned.yml": "      - uses: azure/setup-helm@b9e51907a09c216f16ebe8536097933489208112  # v4.3.0\n",
}


@pytest.mark.parametrize("path", sorted(POSITIVE))
def test_the_scanner_finds_each_kind_of_credential(path):
    assert scan_files({path: POSITIVE[path].encode()}), f"missed: {POSITIVE[path]!r}"


@pytest.mark.parametrize("path", sorted(NEGATIVE))
def test_the_scanner_allows_references_ciphertext_and_digests(path):
    hits: list[Hit] = scan_lines(path, file_lines(path, NEGATIVE[path].encode()))
    assert not hits, list(map(str, hits))
