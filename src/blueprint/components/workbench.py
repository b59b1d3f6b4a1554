"""Workbench: JupyterHub (Zero to JupyterHub chart) with EFS homes, team routing and TLS at an NLB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..charts.z2jh import release_chart
from ..model import BlueprintSpec
from .jupyterhub_values import (
    EFS_STORAGE_CLASS,
    JUPYTERHUB_NAMESPACE,
    RELEASE_NAME,
    USER_UID,
    USERS_GID,
    HubSettings,
    chart_version,
    hub_config_values,
    hub_namespace_policies,
    render_values,
)
from .naming import child, type_token


@dataclass(frozen=True)
class WorkbenchArgs:
    """Inputs of Workbench; build with `from_spec`."""

    org: str
    stack: str
    settings: HubSettings
    chart_version: str
    egress: str  # the stance's network.egress: decides where the chart comes from (charts.z2jh.release_chart)
    pod_security_version: str
    retain_homes: bool
    provider: k8s.Provider
    hub_config: Mapping[str, Any]
    efs_file_system_id: pulumi.Input[str]
    certificate_arn: pulumi.Input[str]
    vpc_cidr: str = "10.0.0.0/16"
    service_cidr: str = "172.20.0.0/16"
    r_repos_url: pulumi.Input[str] | None = None
    pip_index_url: pulumi.Input[str] | None = None
    image_registries: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    after: Sequence[pulumi.Resource] = field(default=())

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        provider: k8s.Provider,
        hub_config: Mapping[str, Any],
        efs_file_system_id: pulumi.Input[str],
        certificate_arn: pulumi.Input[str],
        r_repos_url: pulumi.Input[str] | None = None,
        pip_index_url: pulumi.Input[str] | None = None,
        image_registries: Mapping[str, pulumi.Input[str]] | None = None,
        after: Sequence[pulumi.Resource] = (),
    ) -> WorkbenchArgs:
        """`hub_config` is the `hub.config` fragment from the identity component (plain, its client secret a secret leaf);
        `certificate_arn` is the hub's certificate (`HubEndpoint.certificate_arn`, issued when it resolves);
        `r_repos_url` is None when there is no R repository (`PackageMirror.r_repository`);
        `pip_index_url` is the index sessions install from (recorded as data; the pip config Secret carries it);
        `image_registries` maps upstream registries to ECR pull-through caches (`ImageMirror.registries`;
        empty: the chart's images come from their public registries);
        `after` are resources (the TeamSpaces) that must exist before the hub spawns into them."""
        return cls(
            org=spec.org,
            stack=pulumi.get_stack(),
            settings=HubSettings.from_spec(spec),
            chart_version=chart_version(spec.stance.stability.versions),
            egress=spec.stance.network.egress,
            pod_security_version=f"v{spec.stance.stability.kubernetes_version}",
            retain_homes=spec.stance.storage.protect_stateful,
            provider=provider,
            hub_config=hub_config,
            efs_file_system_id=efs_file_system_id,
            vpc_cidr=spec.network.vpc_cidr,
            service_cidr=spec.network.service_cidr,
            r_repos_url=r_repos_url,
            pip_index_url=pip_index_url,
            certificate_arn=certificate_arn,
            image_registries=dict(image_registries or {}),
            after=tuple(after),
        )


class Workbench(pulumi.ComponentResource):
    """JupyterHub for every team, installed with the Zero to JupyterHub chart (open source we run).

    - Chart version per the stance's version policy (exact `4.4.0`, minor `~4.4.0`,
      latest `^4.4.0`), namespace `jupyterhub` (Pod Security `baseline` enforced,
      `restricted` warned: some chart pods do not declare everything restricted asks).
    - Values come from the pure `jupyterhub_values.render_values`; see there for
      team routing (per-team profiles and namespaces, static hub code reading data).
    - Idle culling: the chart runs one culler for the whole hub, so its timeout is
      the shortest of the stance's and every team's `idle_timeout_minutes`.
    - Values stay plain data except their Output leaves, so reviews and policy
      checks read them; only the IdP client secret leaf of `hub.config` is secret.
    - The `jupyterhub` namespace denies all traffic by default; the chart's own
      NetworkPolicies open what hub and proxy need (without the metadata server),
      and `allow-kube-api` lets the user scheduler and the image awaiter reach the API.
    - Homes on EFS through the `efs-homes` StorageClass (EFS CSI access points,
      uid 1000 / gid 100); `Retain` when the stance protects stateful resources.
    - TLS ends at an NLB (internal when the stance's ingress is `internal`) with
      the ACM certificate `certificate_arn` from `HubEndpoint`, which also points
      `hub_hostname` at the NLB (read back through `deployed_namespace`).
    - Images: with `image_registries` (egress not 'open') every image the chart can
      run is pulled through its registry's ECR pull-through cache (`ImageMirror`).
    - Not created here: the certificate and DNS record (`HubEndpoint`), the EFS
      CSI driver (a cluster add-on).
    """

    hub_url: pulumi.Output[str]
    """`https://<hub_hostname>`."""
    release_name: pulumi.Output[str]
    namespace: pulumi.Output[str]
    """Namespace of the hub and proxy (user sessions run in team namespaces)."""
    deployed_namespace: pulumi.Output[str]
    """The release's namespace, known only once Helm has deployed it (read the chart's objects through it)."""

    def __init__(self, name: str, args: WorkbenchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("workbench", "Workbench"), name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        namespace = k8s.core.v1.Namespace(
            child(name, "namespace"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=JUPYTERHUB_NAMESPACE,
                labels={
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/enforce-version": args.pod_security_version,
                    "pod-security.kubernetes.io/warn": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                },
            ),
            opts=k8s_opts,
        )
        storage_class = k8s.storage.v1.StorageClass(
            child(name, "efs-homes"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=EFS_STORAGE_CLASS),
            provisioner="efs.csi.aws.com",
            reclaim_policy="Retain" if args.retain_homes else "Delete",
            volume_binding_mode="Immediate",
            parameters={
                "provisioningMode": "efs-ap",
                "fileSystemId": args.efs_file_system_id,
                "directoryPerms": "700",
                "uid": str(USER_UID),
                "gid": str(USERS_GID),
                "basePath": "/homes",
                "subPathPattern": "${.PVC.namespace}/${.PVC.name}",
                "ensureUniqueDirectory": "true",
            },
            opts=k8s_opts,
        )

        policies = [
            k8s.networking.v1.NetworkPolicy(
                child(name, policy),
                metadata=k8s.meta.v1.ObjectMetaArgs(name=policy, namespace=JUPYTERHUB_NAMESPACE),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace]),
            )
            for policy, spec in hub_namespace_policies(args.vpc_cidr, args.service_cidr).items()
        ]

        waits_for: list[pulumi.Resource] = [namespace, storage_class, *policies, *args.after]
        values = _values(args, args.certificate_arn)
        release = k8s.helm.v3.Release(
            child(name, "jupyterhub"),
            name=RELEASE_NAME,
            **release_chart(args.egress, args.chart_version),  # the project's copy of the chart unless egress is open (charts.z2jh)
            namespace=namespace.metadata.name,
            values=values,
            # The hub image pull and the NLB take a while on a fresh cluster.
            timeout=900,
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=waits_for),
        )

        self.hub_url = pulumi.Output.from_input(f"https://{args.settings.hostname}")
        self.release_name = release.name
        self.namespace = namespace.metadata.name
        self.deployed_namespace = release.status.namespace
        self.register_outputs(
            {
                "hub_url": self.hub_url,
                "release_name": self.release_name,
                "namespace": self.namespace,
                "deployed_namespace": self.deployed_namespace,
            }
        )


# Stand-ins for values only known at deployment; `render_values` stays pure and
# the Outputs are bound into its result leaf by leaf.
_R_TOKEN = "@@workbench:r-repos-url@@"
_PIP_TOKEN = "@@workbench:pip-index-url@@"
_CERT_TOKEN = "@@workbench:certificate-arn@@"
_REGISTRY_TOKEN = "@@workbench:image-registry:{registry}@@"
_AUTH_STANDIN = {"JupyterHub": {"authenticator_class": "@@workbench:authenticator@@"}}


def _values(args: WorkbenchArgs, certificate_arn: pulumi.Input[str]) -> dict[str, Any]:
    bindings: dict[str, pulumi.Input[str]] = {_CERT_TOKEN: certificate_arn}
    if args.r_repos_url is not None:
        bindings[_R_TOKEN] = args.r_repos_url
    if args.pip_index_url is not None:
        bindings[_PIP_TOKEN] = args.pip_index_url
    registry_tokens = {registry: _REGISTRY_TOKEN.format(registry=registry) for registry in args.image_registries}
    bindings.update({token: args.image_registries[registry] for registry, token in registry_tokens.items()})
    template = render_values(
        args.settings,
        hub_config=_AUTH_STANDIN,
        r_repos_url=_R_TOKEN if args.r_repos_url is not None else None,
        pip_index_url=_PIP_TOKEN if args.pip_index_url is not None else None,
        certificate_arn=_CERT_TOKEN,
        image_registries=registry_tokens,
    )
    values = _bind(template, bindings)
    # Plain data with Output leaves (only the client secret is secret), so reviews and the rendered chart read it.
    values["hub"]["config"] = hub_config_values(args.hub_config)
    return values


def _bind(value: Any, bindings: Mapping[str, pulumi.Input[str]]) -> Any:
    if isinstance(value, dict):
        return {k: _bind(v, bindings) for k, v in value.items()}
    if isinstance(value, list):
        return [_bind(v, bindings) for v in value]
    if not isinstance(value, str):
        return value
    present = [token for token in bindings if token in value]
    if not present:
        return value
    if value in bindings:
        return bindings[value]

    def fill(resolved: list[str]) -> str:
        text = value
        for token, replacement in zip(present, resolved, strict=True):
            text = text.replace(token, replacement)
        return text

    return pulumi.Output.all(*(bindings[t] for t in present)).apply(fill)
