"""`build(spec)`: the one place components are composed; names derive from the org and the Pulumi stack, every value from the spec.

The stack is the one Pulumi runs the program in (`pulumi.get_stack()`), never a copy in blueprint.yaml: `pulumi stack
init prod` in the same project builds a second, distinct workbench (components name their resources after it)."""

from __future__ import annotations

from collections.abc import Iterable

import pulumi

from blueprint.components.addons import ClusterAddons, ClusterAddonsArgs
from blueprint.components.ci_runner import CiRunner, CiRunnerArgs
from blueprint.components.cluster import ClusterArgs, WorkbenchCluster
from blueprint.components.cluster_access import ClusterAccess, ClusterAccessArgs
from blueprint.components.guardrails import Guardrails, GuardrailsArgs
from blueprint.components.hub_endpoint import HubEndpoint, HubEndpointArgs, configured_certificate_arn
from blueprint.components.identity import IdentityArgs, IdentityHooks
from blueprint.components.images import ImageMirror, ImageMirrorArgs
from blueprint.components.keys import EncryptionKeys, KeysArgs
from blueprint.components.codeartifact import PackageMirror, PackageMirrorArgs
from blueprint.components.curator import PackageCurator, PackageCuratorArgs
from blueprint.components.network import NetworkArgs, PrivateNetwork
from blueprint.components.naming import team_namespace
from blueprint.components.pip_token import PipTokenRefresher, PipTokenRefresherArgs
from blueprint.components.r_repository import RRepository, RRepositoryArgs
from blueprint.components.storage import DataStore, StorageArgs
# current_team is for the offline preview: which team's own resources are being declared (preview.incremental).
from blueprint.components.team_scope import current_team, each_team, only_teams as declaring_only  # noqa: F401
from blueprint.components.teamspace import TeamSpace, TeamSpaceArgs
from blueprint.components.workbench import Workbench, WorkbenchArgs
from blueprint.errors import SpecError, shown
from blueprint.facts.aws_apis import INSTALLED_CALLERS
from blueprint.model import BlueprintSpec
from blueprint.model.stack import check_stack

# Everything the program installs that calls AWS APIs from inside the VPC: facts.aws_apis.INSTALLED_CALLERS (the network's
# VPC endpoints follow it; works.network.aws-apis-reachable checks it against the graph).
AWS_API_CALLERS = INSTALLED_CALLERS


def build(spec: BlueprintSpec, *, only_teams: Iterable[str] | None = None) -> None:
    """Declare the whole workbench for `spec` and export `hubUrl`, `mirrorEndpoints`, `clusterName`, `teamNamespaces`,
    and what the platform team needs for the hub's DNS (`hubDns`).

    `only_teams` (for the offline preview, which rebuilds only changed teams) declares the own resources of those
    teams only; the shared infrastructure and what aggregates every team are still declared from the whole spec
    (see components.team_scope)."""
    with declaring_only(only_teams):
        _build(spec)


def _build(spec: BlueprintSpec) -> None:
    stack = check_stack(pulumi.get_stack(), source=f"Pulumi stack {shown(pulumi.get_stack())}")
    _check_region(spec)
    if spec.tls.certificate_source == "config":  # fail before anything is declared (see configured_certificate_arn)
        configured_certificate_arn(stack=stack, region=spec.region, config_key=spec.tls.certificate_arn_config)
    org = spec.org

    # ---- AWS foundation ---------------------------------------------------------------------------
    keys = EncryptionKeys(f"{org}-keys", KeysArgs.from_spec(spec))
    network = PrivateNetwork(f"{org}-network", NetworkArgs.from_spec(spec, api_callers=AWS_API_CALLERS, kms_key_arn=keys.key_arn))
    cluster = WorkbenchCluster(
        f"{org}-cluster",
        ClusterArgs.from_spec(
            spec,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            kms_key_arn=keys.key_arn,
            # The hub's own subnets (None unless spec.hub_egress is 'firewall'): the hub's node pool goes there.
            hub_subnet_ids=network.hub_subnet_ids,
        ),
    )
    # Who reaches the API, from where: the blueprint's admin and CI roles, and the CI runner's path into the VPC.
    ClusterAccess(f"{org}-cluster-access", ClusterAccessArgs.from_spec(spec, cluster_name=cluster.cluster_name))
    CiRunner(
        f"{org}-ci",
        CiRunnerArgs.from_spec(
            spec,
            vpc_id=network.vpc_id,
            subnet_ids=network.ci_subnet_ids or network.private_subnet_ids,
            cluster_security_group_id=cluster.node_security_group_id,
            kms_key_arn=keys.key_arn,
        ),
    )
    identity = IdentityHooks(f"{org}-identity", IdentityArgs.from_spec(spec, cluster_name=cluster.cluster_name))
    images = ImageMirror(f"{org}-images", ImageMirrorArgs.from_spec(spec, node_role_name=cluster.node_role_name, kms_key_arn=keys.key_arn))
    addons = ClusterAddons(
        f"{org}-addons",
        ClusterAddonsArgs.from_spec(
            spec,
            cluster_name=cluster.cluster_name,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_issuer=cluster.oidc_issuer,
            kubeconfig=cluster.kubeconfig,
            provider=cluster.provider,
            node_groups=cluster.node_groups,
            kms_key_arn=keys.key_arn,
            image_registries=images.registries,
        ),
    )
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
    # Available: spec, keys, network, cluster, addons, identity, images, storage (outputs documented on each class);
    # Kubernetes resources go through `addons.provider` (it waits for the storage classes and network policy). Every resource belongs to a component (none
    # created loose here; tests/test_program.py checks). Before the ruler below, set:
    #   hub_url          Input[str]             URL users open
    #   mirror_endpoints Input[dict[str, str]]  package index URLs by ecosystem ({} without a mirror)
    #   team_namespaces  Input[list[str]]       one namespace per team
    mirror = PackageMirror(
        f"{org}-mirror",
        PackageMirrorArgs.from_spec(spec, kms_key_arn=keys.key_arn, provider=addons.provider, reader_role_arns=storage.team_role_arns),
    )
    irsa = {"provider": addons.provider, "oidc_provider_arn": cluster.oidc_provider_arn, "oidc_issuer": cluster.oidc_issuer}
    PackageCurator(f"{org}-curator", PackageCuratorArgs.from_spec(spec, **irsa, image_registries=images.registries), mirror)
    r_repository = RRepository(f"{org}-r", RRepositoryArgs.from_spec(spec, vpc_id=network.vpc_id, kms_key_arn=keys.key_arn))
    team_spaces = {
        team.name: TeamSpace(
            f"{org}-team-{team.name}",
            TeamSpaceArgs.from_spec(
                spec,
                team.name,
                provider=addons.provider,
                irsa_role_arn=storage.team_role_arns[team.name],
                rbac_group_prefix=identity.rbac_group_prefix,
                # PrivateNetwork.s3_cidrs comes with the network branch; until then sessions reach S3 by their HTTPS rule.
                s3_cidrs=network.s3_cidrs,
            ),
        )
        for team in each_team(spec.teams, lambda team: team.name)
    }
    namespaces = {name: space.namespace for name, space in team_spaces.items()}
    pip_tokens = PipTokenRefresher(
        f"{org}-pip-token", PipTokenRefresherArgs.from_spec(spec, **irsa, image_registries=images.registries, namespaces=namespaces), mirror
    )
    # The endpoint's certificate goes into the release; its alias record reads the release's Service back.
    deployed_namespace, resolve_deployed_namespace = pulumi.deferred_output()
    endpoint = HubEndpoint(
        f"{org}-hub-endpoint",
        HubEndpointArgs.from_spec(spec, vpc_id=network.vpc_id, provider=addons.provider, proxy_namespace=deployed_namespace),
    )
    workbench = Workbench(
        f"{org}-workbench",
        WorkbenchArgs.from_spec(
            spec,
            certificate_arn=endpoint.certificate_arn,
            provider=addons.provider,
            hub_config=identity.authenticator,
            efs_file_system_id=storage.file_system_id,
            r_repos_url=r_repository.url,
            pip_index_url=mirror.pip_index_url,
            image_registries=images.registries,
            after=[*team_spaces.values(), pip_tokens],
        ),
    )
    resolve_deployed_namespace(workbench.deployed_namespace)
    Guardrails(f"{org}-guardrails", GuardrailsArgs.from_spec(spec, kms_key_arn=keys.key_arn, data_bucket_arn=storage.bucket_arn))
    hub_url: pulumi.Input[str] = endpoint.hub_url
    mirror_endpoints: pulumi.Input[dict[str, str]] = pulumi.Output.all(python=mirror.pip_index_url, r=r_repository.url).apply(
        lambda urls: {ecosystem: url for ecosystem, url in urls.items() if url}
    )
    # From the spec, not the TeamSpaces: an output over every team must not need each team's resources (components.team_scope).
    team_namespaces: pulumi.Input[list[str]] = [team_namespace(team.name) for team in spec.teams]
    # ==== END OF IN-CLUSTER COMPONENTS ==============================================================

    pulumi.export("hubUrl", hub_url)
    pulumi.export("mirrorEndpoints", mirror_endpoints)
    pulumi.export("clusterName", cluster.cluster_name)
    pulumi.export("teamNamespaces", team_namespaces)
    pulumi.export(
        "hubDns",
        pulumi.Output.all(
            zoneId=endpoint.zone_id,
            nameServers=endpoint.name_servers,
            loadBalancer=endpoint.load_balancer,
            certificateValidationRecords=endpoint.validation_records,
        ),
    )


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
