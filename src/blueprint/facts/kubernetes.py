"""Releases of in-cluster software that follow the Kubernetes minor version (shared data, no Pulumi).

Cluster Autoscaler is released once per Kubernetes minor and supports only that minor ("Releases" in
kubernetes/autoscaler cluster-autoscaler/README.md). The newest patch of each line, from the repository's
`cluster-autoscaler-<version>` tags (read 2026-12-01); images live at registry.k8s.io/autoscaling/cluster-autoscaler.
"""

from __future__ import annotations

CLUSTER_AUTOSCALER_IMAGE = "registry.k8s.io/autoscaling/cluster-autoscaler"
CLUSTER_AUTOSCALER_RELEASES = {
    "1.28": "v1.28.7",
    "1.29": "v1.29.5",
    "1.30": "v1.30.7",
    "1.31": "v1.31.5",
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
}


def cluster_autoscaler_image(kubernetes_version: str) -> str | None:
    """The Cluster Autoscaler image for a Kubernetes minor (`1.33`), or None when no release is known."""
    release = CLUSTER_AUTOSCALER_RELEASES.get(kubernetes_version)
    return f"{CLUSTER_AUTOSCALER_IMAGE}:{release}" if release else None
