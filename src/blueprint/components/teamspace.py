"""TeamSpace: one team's namespace with its quota, limits, network policy, RBAC and workload identity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from ..errors import SpecError
from ..model import BlueprintSpec, TeamSpec
from ..model.spec import RESERVED_TEAM_NAMES
from ..model.units import parse_quantity
from .jupyterhub_values import (
    HUB_API_PORT,
    HUB_SERVICE_ACCOUNT,
    JUPYTERHUB_NAMESPACE,
    RPROFILE_CODE,
    RPROFILE_KEY,
    SESSION_CONFIG_MAP,
    SINGLEUSER_COMPONENT,
    SINGLEUSER_PORT,
)
from .mirror_jobs import MIRROR_NAMESPACE
from .subnets import subnet_plan
from .naming import child, team_namespace, team_service_account, type_token

TEAM_LABEL = "workbench.io/team"
IMDS_CIDR = "169.254.169.254/32"
NFS_PORT = 2049
HTTPS_PORT = 443
# Namespaces the platform itself uses; a team named like one would take it over.
# The model refuses these team names at the boundary; this guard only catches a
# platform namespace added to a component but not to the model's list.
RESERVED_NAMESPACES = RESERVED_TEAM_NAMES | {JUPYTERHUB_NAMESPACE, MIRROR_NAMESPACE}


@dataclass(frozen=True)
class TeamSpaceArgs:
    """Inputs of TeamSpace; build with `from_spec`."""

    team: TeamSpec
    pod_security: str
    pod_security_version: str
    egress: str
    vpc_cidr: str
    rbac_group: str
    provider: k8s.Provider
    irsa_role_arn: pulumi.Input[str]
    efs_cidrs: tuple[str, ...] = ()
    s3_cidrs: pulumi.Input[Sequence[str]] | None = None

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        team: str,
        *,
        provider: k8s.Provider,
        irsa_role_arn: pulumi.Input[str],
        rbac_group_prefix: str = "",
        s3_cidrs: pulumi.Input[Sequence[str]] | None = None,
    ) -> TeamSpaceArgs:
        """`s3_cidrs`: the CIDRs of the S3 gateway endpoint's prefix list (`PrivateNetwork.s3_cidrs`), which sessions
        reach S3 through; None until the network provides them (then only the HTTPS rule covers S3)."""
        resolved = spec.team(team)
        if team_namespace(resolved.name) in RESERVED_NAMESPACES:
            raise SpecError.single(
                source="blueprint.yaml",
                field=f"teams.{resolved.name}",
                message=f"team name {resolved.name!r} is a namespace the platform uses",
                fix="rename the team",
            )
        return cls(
            team=resolved,
            # Pod Security "restricted" forbids running as root; a team that may use
            # root/sudo needs "baseline" (which still forbids privileged pods).
            pod_security="baseline" if resolved.root_allowed else "restricted",
            pod_security_version=f"v{spec.stance.stability.kubernetes_version}",
            egress=spec.stance.network.egress,
            vpc_cidr=spec.network.vpc_cidr,
            rbac_group=f"{rbac_group_prefix}{resolved.idp_group}",
            provider=provider,
            irsa_role_arn=irsa_role_arn,
            # EFS mount targets sit in the private subnets (one per zone; DataStore), so NFS goes only there.
            efs_cidrs=subnet_plan(spec.network.vpc_cidr, spec.stance.network.availability_zones).private,
            s3_cidrs=s3_cidrs,
        )

    @property
    def namespace(self) -> str:
        return team_namespace(self.team.name)


def _smallest(team: TeamSpec):
    return min(team.profiles, key=lambda p: (parse_quantity(p.cpu), parse_quantity(p.memory)))


def _largest(team: TeamSpec):
    return max(team.profiles, key=lambda p: (parse_quantity(p.cpu), parse_quantity(p.memory)))


class TeamSpace(pulumi.ComponentResource):
    """A team's place in the cluster.

    - Namespace named after the team, Pod Security admission `enforce` (and warn,
      audit) at `restricted`, or `baseline` when the team may use root.
    - ResourceQuota from the team's quota (requests = limits); PVC count equals
      the pod quota (one home volume per server).
    - LimitRange: containers without resources get the smallest profile's size;
      no container may exceed the largest profile.
    - NetworkPolicies: default deny both ways; sessions accept the hub and proxy
      on 8888; may reach kube-dns, the hub API (8081), HTTPS (only inside the VPC
      when egress is `mirror`; never the instance metadata IP), HTTPS to the S3
      gateway endpoint's CIDRs, and NFS to the EFS mount targets' subnets.
      Domain-level egress allowlists are enforced by the network, not here.
    - RBAC: the team's IdP group may read and exec into pods in this namespace
      (RBAC cannot narrow that to a user's own pod: teammates can see each
      other's sessions); the JupyterHub hub ServiceAccount manages pods, PVCs and
      events here through a namespaced Role, never a ClusterRole.
    - ServiceAccount `<team>-workbench` annotated with the team's IRSA role.
    - ConfigMap `workbench-session` with the files sessions mount (Rprofile.site); the
      pip config Secret (`naming.PIP_CONF_SECRET`) comes from the mirror's refresher.
    """

    namespace: pulumi.Output[str]
    """The namespace user sessions of this team run in."""
    service_account: pulumi.Output[str]
    """ServiceAccount the sessions run as."""

    def __init__(self, name: str, args: TeamSpaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("teamspace", "TeamSpace"), name, None, opts)
        team, ns = args.team, args.namespace
        labels = {TEAM_LABEL: team.name}
        namespace = k8s.core.v1.Namespace(
            child(name, "namespace"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=ns,
                labels={
                    **labels,
                    **{
                        f"pod-security.kubernetes.io/{mode}{suffix}": value
                        for mode in ("enforce", "warn", "audit")
                        for suffix, value in (("", args.pod_security), ("-version", args.pod_security_version))
                    },
                },
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider),
        )
        opts_in = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace])

        def meta(resource: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=resource, namespace=ns, labels=labels)

        k8s.core.v1.ResourceQuota(
            child(name, "quota"),
            metadata=meta("team-quota"),
            spec={"hard": self.quota_hard(team)},
            opts=opts_in,
        )
        smallest, largest = _smallest(team), _largest(team)
        k8s.core.v1.LimitRange(
            child(name, "limits"),
            metadata=meta("team-limits"),
            spec={
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": smallest.cpu, "memory": smallest.memory},
                        "defaultRequest": {"cpu": smallest.cpu, "memory": smallest.memory},
                        "max": {"cpu": largest.cpu, "memory": largest.memory},
                    }
                ]
            },
            opts=opts_in,
        )
        if args.s3_cidrs is None:
            policies: dict[str, pulumi.Input[dict]] = dict(self.network_policies(args))
        else:
            specs = pulumi.Output.from_input(args.s3_cidrs).apply(lambda cidrs: self.network_policies(args, s3_cidrs=cidrs))
            policies = {policy: specs.apply(lambda all_specs, p=policy: all_specs[p]) for policy in self.network_policies(args)}
        for policy, spec in policies.items():
            k8s.networking.v1.NetworkPolicy(child(name, policy), metadata=meta(policy), spec=spec, opts=opts_in)
        # Files every session of the team mounts (jupyterhub_values.session_files): static, so plain data here. The pip
        # config Secret next to it is written by the package mirror's token refresher, never by this program.
        k8s.core.v1.ConfigMap(child(name, "session-files"), metadata=meta(SESSION_CONFIG_MAP), data={RPROFILE_KEY: RPROFILE_CODE}, opts=opts_in)

        user_role = k8s.rbac.v1.Role(
            child(name, "members-role"),
            metadata=meta("team-members"),
            rules=[
                {"apiGroups": [""], "resources": ["pods", "pods/log", "events"], "verbs": ["get", "list", "watch"]},
                {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]},
            ],
            opts=opts_in,
        )
        k8s.rbac.v1.RoleBinding(
            child(name, "members-binding"),
            metadata=meta("team-members"),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": user_role.metadata.name},
            subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": args.rbac_group}],
            opts=opts_in,
        )
        hub_role = k8s.rbac.v1.Role(
            child(name, "hub-role"),
            metadata=meta("jupyterhub-spawner"),
            # What KubeSpawner needs in a namespace it spawns into (the chart grants the same in its own).
            rules=[
                {"apiGroups": [""], "resources": ["pods", "persistentvolumeclaims"], "verbs": ["get", "watch", "list", "create", "delete"]},
                {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "watch", "list"]},
            ],
            opts=opts_in,
        )
        k8s.rbac.v1.RoleBinding(
            child(name, "hub-binding"),
            metadata=meta("jupyterhub-spawner"),
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": hub_role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": HUB_SERVICE_ACCOUNT, "namespace": JUPYTERHUB_NAMESPACE}],
            opts=opts_in,
        )
        service_account = k8s.core.v1.ServiceAccount(
            child(name, "sa"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=team_service_account(team.name),
                namespace=ns,
                labels=labels,
                annotations={"eks.amazonaws.com/role-arn": args.irsa_role_arn},
            ),
            automount_service_account_token=False,
            opts=opts_in,
        )
        self.namespace = namespace.metadata.name
        self.service_account = service_account.metadata.name
        self.register_outputs({"namespace": self.namespace, "service_account": self.service_account})

    @staticmethod
    def quota_hard(team: TeamSpec) -> dict[str, str]:
        """ResourceQuota `hard` for a team (plain data, so tests and reviews can read it)."""
        q = team.quota
        return {
            "requests.cpu": q.cpu,
            "limits.cpu": q.cpu,
            "requests.memory": q.memory,
            "limits.memory": q.memory,
            "requests.nvidia.com/gpu": str(q.gpu),
            "pods": str(q.pods),
            "persistentvolumeclaims": str(q.pods),
            "requests.storage": q.storage,
        }

    @staticmethod
    def network_policies(args: TeamSpaceArgs, s3_cidrs: Sequence[str] = ()) -> dict[str, dict]:
        """NetworkPolicy specs by object name: default deny plus the explicit allows.

        Sessions may reach: kube-dns, the hub API, HTTPS (inside the VPC with egress 'mirror': the interface
        endpoints and the mirror; else anywhere but the metadata IP), the S3 gateway endpoint's CIDRs (`s3_cidrs`;
        S3 traffic through a gateway endpoint goes to S3's public addresses, not into the VPC), and NFS to the EFS
        mount targets' subnets. Nothing else."""
        sessions = {"matchLabels": {"component": SINGLEUSER_COMPONENT}}
        in_hub_ns = {"kubernetes.io/metadata.name": JUPYTERHUB_NAMESPACE}
        https_to = (
            [{"ipBlock": {"cidr": args.vpc_cidr}}]
            if args.egress == "mirror"
            else [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [IMDS_CIDR]}}]
        )
        return {
            "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            "allow-from-jupyterhub": {
                "podSelector": sessions,
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [
                            {
                                "namespaceSelector": {"matchLabels": in_hub_ns},
                                "podSelector": {"matchExpressions": [{"key": "component", "operator": "In", "values": ["hub", "proxy"]}]},
                            }
                        ],
                        "ports": [{"port": SINGLEUSER_PORT, "protocol": "TCP"}],
                    }
                ],
            },
            "allow-session-egress": {
                "podSelector": sessions,
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [
                            {
                                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                            }
                        ],
                        "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                    },
                    {
                        "to": [{"namespaceSelector": {"matchLabels": in_hub_ns}, "podSelector": {"matchLabels": {"component": "hub"}}}],
                        "ports": [{"port": HUB_API_PORT, "protocol": "TCP"}],
                    },
                    {"to": https_to, "ports": [{"port": HTTPS_PORT, "protocol": "TCP"}]},
                    *(
                        [{"to": [{"ipBlock": {"cidr": c}} for c in s3_cidrs], "ports": [{"port": HTTPS_PORT, "protocol": "TCP"}]}]
                        if s3_cidrs
                        else []
                    ),
                    # EFS homes are mounted by the CSI node plugin in the node's network
                    # namespace; this rule covers sessions that mount NFS themselves.
                    {
                        "to": [{"ipBlock": {"cidr": c}} for c in (args.efs_cidrs or (args.vpc_cidr,))],
                        "ports": [{"port": NFS_PORT, "protocol": "TCP"}],
                    },
                ],
            },
        }
