"""PipTokenRefresher: short-lived CodeArtifact tokens for every session's pip, refreshed in every team namespace."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from ..model import BlueprintSpec
from . import files
from .codeartifact import PackageMirror, reader_statements
from .mirror_jobs import MIRROR_NAMESPACE, aws_cli_image, job_identity, job_pod, pulled_image
from .naming import PIP_CONF_KEY, PIP_CONF_SECRET, child, tags, team_namespace, type_token
from .team_scope import each_team

JOB = "pip-token"
SCRIPT = "refresh-pip-conf.sh"
CONFIG_DIR = "/etc/pip-token"
# CodeArtifact tokens live at most 12 h (43200 s, GetAuthorizationToken durationSeconds). Minted every 4 h, the
# Secret always holds a token with at least 8 h left, so one failed run (or two) never reaches a user.
TOKEN_SECONDS = 43200
REFRESH_SCHEDULE = "0 */4 * * *"
# The ClusterRole grants get/patch on this one Secret name; RoleBindings make it effective only in team namespaces.
CLUSTER_ROLE = "workbench-pip-token"


@dataclass(frozen=True)
class PipTokenRefresherArgs:
    """Inputs of PipTokenRefresher; build with `from_spec`."""

    org: str
    stack: str
    region: str
    version_policy: str
    teams: tuple[str, ...]
    team_namespaces: tuple[str, ...]
    service_cidr: str
    vpc_cidr: str
    provider: k8s.Provider
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]
    image_registries: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    namespace_outputs: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        provider: k8s.Provider,
        oidc_provider_arn: pulumi.Input[str],
        oidc_issuer: pulumi.Input[str],
        image_registries: Mapping[str, pulumi.Input[str]] | None = None,
        namespaces: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> PipTokenRefresherArgs:
        """`namespaces`: team -> its namespace as the TeamSpace outputs it (`TeamSpace.namespace`), so each RoleBinding
        waits for its own namespace only (depending on every TeamSpace would make 200 teams cost 200 x 200 edges)."""
        return cls(
            org=spec.org,
            stack=pulumi.get_stack(),
            region=spec.region,
            version_policy=spec.stance.stability.versions,
            teams=tuple(t.name for t in spec.teams),
            team_namespaces=tuple(team_namespace(t.name) for t in spec.teams),
            service_cidr=spec.network.service_cidr,
            vpc_cidr=spec.network.vpc_cidr,
            provider=provider,
            oidc_provider_arn=oidc_provider_arn,
            oidc_issuer=oidc_issuer,
            image_registries=dict(image_registries or {}),
            namespace_outputs=dict(namespaces or {}),
        )


class PipTokenRefresher(pulumi.ComponentResource):
    """Keeps `pip install` working for a session's whole life with no long-lived credential.

    One per org (not per team): a CronJob in `package-mirror`, every 4 hours, runs as an IRSA role that may only
    mint a token for the mirror's domain and read the workbench repository
    (`codeartifact:GetAuthorizationToken` + `sts:GetServiceBearerToken`, the pair GetAuthorizationToken
    requires), asks for a 12-hour token and writes `pip.conf` (the workbench index URL with `aws:<token>@`) into
    the Secret `naming.PIP_CONF_SECRET`, key `naming.PIP_CONF_KEY`, of every team namespace. A one-off Job with
    the same pod runs at apply time (and is awaited), so the Secret exists before the first session starts.
    The token carries the refresher's rights (read the workbench repository), whatever the session's role.

    Kubernetes rights: a ClusterRole with get/patch on secrets named `PIP_CONF_SECRET` only, bound by a
    RoleBinding in each team namespace (so nowhere else). The script creates the Secret by server-side apply,
    a PATCH, which Kubernetes authorises as `patch` on the named object (kubernetes#64892), so no `create` right
    (which RBAC cannot narrow to a name) is needed.

    Sessions mount the Secret as a directory (the Workbench does, and sets PIP_CONFIG_FILE to it), never through
    a subPath (a subPath mount never sees an update) and never with PIP_INDEX_URL set (the environment overrides
    the file). The script is a package file (`components/files/refresh-pip-conf.sh`).
    """

    secret_name: str
    secret_key: str
    index_url: pulumi.Output[str]
    """The index the written pip.conf points at (without the token)."""

    def __init__(self, name: str, args: PipTokenRefresherArgs, mirror: PackageMirror, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("mirror", "PipTokenRefresher"), name, None, opts)
        if mirror.namespace is None:
            raise ValueError("PipTokenRefresher needs the PackageMirror's namespace: give the PackageMirror the cluster provider")
        self.secret_name, self.secret_key, self.index_url = PIP_CONF_SECRET, PIP_CONF_KEY, mirror.pip_index_url
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[mirror.namespace])

        account = job_identity(
            self,
            name,
            JOB,
            statements=reader_statements(mirror.domain_arn, mirror.repository_arn),
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer=args.oidc_issuer,
            tags=tags(args.org, args.stack),
            opts=k8s_opts,
            kubernetes_api=True,
        )
        role = k8s.rbac.v1.ClusterRole(
            child(name, "cluster-role"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_ROLE),
            rules=[{"apiGroups": [""], "resources": ["secrets"], "resourceNames": [PIP_CONF_SECRET], "verbs": ["get", "patch"]}],
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        bindings = [
            k8s.rbac.v1.RoleBinding(
                child(name, "binding", namespace),
                metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_ROLE, namespace=args.namespace_outputs.get(team, namespace)),
                role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role.metadata.name},
                subjects=[{"kind": "ServiceAccount", "name": account.metadata.name, "namespace": MIRROR_NAMESPACE}],
                opts=k8s_opts,
            )
            for team, namespace in each_team(zip(args.teams, args.team_namespaces, strict=True), lambda pair: pair[0])
        ]
        # The refresher calls the Kubernetes API at kubernetes.default.svc: its ClusterIP is in the service range,
        # its endpoints (the EKS control plane's ENIs) in the VPC. The namespace's policy admits HTTPS to the VPC
        # only under egress 'mirror'; depending on where the CNI's policy agent sees the packet (before or after the
        # service translation) it matches one or the other, so this pod may reach both, on 443 only.
        k8s.networking.v1.NetworkPolicy(
            child(name, "netpol"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"curator-{JOB}-api", namespace=MIRROR_NAMESPACE),
            spec={
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": f"curator-{JOB}"}},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [{"ipBlock": {"cidr": args.service_cidr}}, {"ipBlock": {"cidr": args.vpc_cidr}}],
                        "ports": [{"port": 443, "protocol": "TCP"}],
                    }
                ],
            },
            opts=k8s_opts,
        )
        config = k8s.core.v1.ConfigMap(
            child(name, "config"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=JOB, namespace=MIRROR_NAMESPACE),
            data={"namespaces.txt": "".join(f"{n}\n" for n in args.team_namespaces), SCRIPT: files.read(SCRIPT)},
            opts=k8s_opts,
        )
        env: dict[str, pulumi.Input[str]] = {
            "DOMAIN": mirror.domain_name,
            "DOMAIN_OWNER": mirror.domain_owner,
            "INDEX_URL": mirror.pip_index_url,
            "SECRET_NAME": PIP_CONF_SECRET,
            "SECRET_KEY": PIP_CONF_KEY,
            "TOKEN_SECONDS": str(TOKEN_SECONDS),
            "CONFIG_DIR": CONFIG_DIR,
            "AWS_REGION": args.region,
        }
        pod = job_pod(
            JOB,
            service_account=account,
            image=pulled_image(aws_cli_image(args.version_policy), args.image_registries),
            version_policy=args.version_policy,
            command=["/bin/sh", f"{CONFIG_DIR}/{SCRIPT}"],
            env=env,
            config_map=config.metadata.name,
            config_dir=CONFIG_DIR,
            kubernetes_api=True,
        )
        k8s.batch.v1.CronJob(
            child(name, "cron"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"curator-{JOB}", namespace=MIRROR_NAMESPACE),
            spec={
                "schedule": REFRESH_SCHEDULE,
                "concurrencyPolicy": "Forbid",
                "startingDeadlineSeconds": 3600,
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": {"spec": {"backoffLimit": 3, "activeDeadlineSeconds": 900, "template": pod}},
            },
            opts=k8s_opts,
        )
        # The first Secret, at apply time: Pulumi waits for this Job to complete (and the Workbench waits for this
        # component), so the first session finds its pip.conf.
        # Named after the team namespaces: adding a team runs it again, so the new team's first session has its file.
        digest = hashlib.sha256("\n".join(args.team_namespaces).encode()).hexdigest()[:10]
        k8s.batch.v1.Job(
            child(name, "first"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"curator-{JOB}-{digest}", namespace=MIRROR_NAMESPACE),
            spec={"backoffLimit": 3, "activeDeadlineSeconds": 900, "template": pod},
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[mirror.namespace, *bindings]),
        )
        self.register_outputs({"secret_name": PIP_CONF_SECRET, "index_url": self.index_url})
