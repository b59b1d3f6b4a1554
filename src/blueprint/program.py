"""`build(spec)`: the one place components are composed; names derive from the org, every value from the spec."""

from __future__ import annotations

import pulumi

from blueprint.components.cluster import ClusterArgs, WorkbenchCluster
from blueprint.components.identity import IdentityArgs, IdentityHooks
from blueprint.components.keys import EncryptionKeys, KeysArgs
from blueprint.components.naming import team_namespace
from blueprint.components.network import NetworkArgs, PrivateNetwork
from blueprint.components.storage import DataStore, StorageArgs
from blueprint.errors import SpecError
from blueprint.model import BlueprintSpec


def build(spec: BlueprintSpec) -> None:
    """Declare the whole workbench for `spec` and export `hubUrl`, `mirrorEndpoints`, `clusterName`, `teamNamespaces`."""
    _check_region(spec)
    org = spec.org

    # ---- AWS foundation ---------------------------------------------------------------------------
    keys = EncryptionKeys(f"{org}-keys", KeysArgs.from_spec(spec))
    network = PrivateNetwork(f"{org}-network", NetworkArgs.from_spec(spec, kms_key_arn=keys.key_arn))
    cluster = WorkbenchCluster(
        f"{org}-cluster",
        ClusterArgs.from_spec(spec, vpc_id=network.vpc_id, private_subnet_ids=network.private_subnet_ids, kms_key_arn=keys.key_arn),
    )
    identity = IdentityHooks(f"{org}-identity", IdentityArgs.from_spec(spec, cluster_name=cluster.cluster_name))
    storage = DataStore(
        f"{org}-storage",
        StorageArgs.from_spec(
            spec,
            vpc_id=network.vpc_id,
            vpc_cidr=network.vpc_cidr,
            private_subnet_ids=network.private_subnet_ids,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer,
            kms_key_arn=keys.key_arn,
        ),
    )

    # ==== IN-CLUSTER COMPONENTS: PackageMirror, TeamSpace (one per team), Workbench, Guardrails ====
    # Owned by the in-cluster components' engineer, who may edit only between these two rulers.
    # Available: spec, keys, network, cluster, identity, storage (outputs documented on each class) and
    # `in_cluster`, the options that route Kubernetes resources to the cluster's provider. Parent nothing
    # here to another component. Before the ruler below, set:
    #   hub_url          Input[str]             URL users open
    #   mirror_endpoints Input[dict[str, str]]  package index URLs by ecosystem ({} without a mirror)
    #   team_namespaces  Input[list[str]]       one namespace per team
    in_cluster = pulumi.ResourceOptions(providers=[cluster.provider])
    hub_url: pulumi.Input[str] = f"https://{spec.hub_hostname}"
    mirror_endpoints: pulumi.Input[dict[str, str]] = {}
    team_namespaces: pulumi.Input[list[str]] = [team_namespace(team.name) for team in spec.teams]
    del in_cluster, identity, storage  # used by the in-cluster components once they are wired here
    # ==== END OF IN-CLUSTER COMPONENTS ==============================================================

    pulumi.export("hubUrl", hub_url)
    pulumi.export("mirrorEndpoints", mirror_endpoints)
    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("teamNamespaces", team_namespaces)


def _check_region(spec: BlueprintSpec) -> None:
    """The stack's `aws:region` (written by `blueprint new`) must be the blueprint's region."""
    configured = pulumi.Config("aws").get("region")
    if configured is not None and configured != spec.region:
        raise SpecError.single(
            source=f"Pulumi.{pulumi.get_stack()}.yaml",
            field="aws:region",
            message=f"is {configured!r} but blueprint.yaml says region {spec.region!r}",
            fix=f"run `pulumi config set aws:region {spec.region}` or change region in blueprint.yaml",
        )
