"""PackageMirror: the CodeArtifact PyPI mirror (domain, upstream and workbench repositories) and its in-cluster home."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ..model import BlueprintSpec
from .mirror_jobs import MIRROR_NAMESPACE, policy_document, token_statements
from .naming import child, physical_name, tags, type_token
from .team_scope import each_team

UPSTREAM_REPOSITORY = "pypi-upstream"
WORKBENCH_REPOSITORY = "workbench"
PYPI_CONNECTION = "public:pypi"


def normalize_package(name: str) -> str:
    """PEP 503 normalised name, the form CodeArtifact stores and matches."""
    return re.sub(r"[-_.]+", "-", name).lower()


def domain_name_for(org: str, stack: str) -> str:
    """CodeArtifact domain name: `<org>-<stack>`, shortened with a hash past the 50-character limit."""
    return physical_name(org, stack, max_length=50)


def index_url(domain: str, owner: str, region: str, repository: str) -> str:
    """PyPI simple index of a CodeArtifact repository (no credential: pip adds `aws:<token>@`)."""
    return f"https://{domain}-{owner}.d.codeartifact.{region}.amazonaws.com/pypi/{repository}/simple/"


@dataclass(frozen=True)
class PackageMirrorArgs:
    """Inputs of PackageMirror; build with `from_spec`."""

    org: str
    stack: str
    region: str
    domain_name: str
    python_mode: str
    egress: str
    vpc_cidr: str
    protect: bool
    kms_key_arn: pulumi.Input[str] | None = None
    provider: k8s.Provider | None = None
    reader_role_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        kms_key_arn: pulumi.Input[str] | None = None,
        provider: k8s.Provider | None = None,
        reader_role_arns: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> PackageMirrorArgs:
        stack = pulumi.get_stack()  # names physical resources: a second stack is a second workbench
        return cls(
            org=spec.org,
            stack=stack,
            region=spec.region,
            domain_name=domain_name_for(spec.org, stack),
            python_mode=spec.stance.packages.python,
            egress=spec.stance.network.egress,
            vpc_cidr=spec.network.vpc_cidr,
            protect=spec.stance.storage.protect_stateful,
            kms_key_arn=kms_key_arn,
            provider=provider,
            reader_role_arns=dict(reader_role_arns or {}),
        )

    @property
    def promotes(self) -> bool:
        """Curated mode: the workbench repository has no upstream; the curator promotes allowlisted versions."""
        return self.python_mode == "curated"


class PackageMirror(pulumi.ComponentResource):
    """The Python package mirror users install from, built on CodeArtifact (a managed AWS service).

    A domain (encrypted with the stance's CMK when there is one), an upstream repository holding the
    `public:pypi` external connection, and the `workbench` repository sessions read. In `curated` mode the
    workbench repository has no upstream (the `PackageCurator` promotes allowlisted versions into it); in
    `proxy-blocklist` / `proxy` it reads through the upstream.

    With a Kubernetes `provider`, the `package-mirror` namespace its jobs run in (the curator's and the pip
    token refresher's), restricted pod security, and a network policy admitting DNS and HTTPS only (to the
    VPC, i.e. the endpoints and the EKS API, under egress 'mirror').

    Each team's IRSA role (`reader_role_arns`) may mint a token and read the workbench repository, so a
    session can also run `aws codeartifact login --tool pip` itself; day to day, pip reads the
    `PipTokenRefresher`'s Secret.
    """

    pip_index_url: pulumi.Output[str]
    """PyPI simple index of the workbench repository (what users install from), without credentials."""
    upstream_index_url: pulumi.Output[str]
    """PyPI simple index of the upstream repository (the request step of curated mode)."""
    domain_name: pulumi.Output[str]
    domain_owner: pulumi.Output[str]
    domain_arn: pulumi.Output[str]
    repository_name: pulumi.Output[str]
    """The workbench repository."""
    repository_arn: pulumi.Output[str]
    upstream_repository_name: pulumi.Output[str]
    upstream_arn: pulumi.Output[str]
    namespace: k8s.core.v1.Namespace | None
    """The `package-mirror` namespace (None without a provider); jobs there depend on it."""

    def __init__(self, name: str, args: PackageMirrorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("mirror", "PackageMirror"), name, None, opts)
        aws_tags = tags(args.org, args.stack)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect)

        domain = aws.codeartifact.Domain(
            child(name, "domain"), domain=args.domain_name, encryption_key=args.kms_key_arn, tags=aws_tags, opts=stateful
        )
        upstream = aws.codeartifact.Repository(
            child(name, "upstream"),
            domain=domain.domain,
            repository=UPSTREAM_REPOSITORY,
            description="Proxy of public PyPI; users never read it directly.",
            external_connections=aws.codeartifact.RepositoryExternalConnectionsArgs(external_connection_name=PYPI_CONNECTION),
            tags=aws_tags,
            opts=stateful,
        )
        workbench = aws.codeartifact.Repository(
            child(name, "workbench"),
            domain=domain.domain,
            repository=WORKBENCH_REPOSITORY,
            description=f"What workbench sessions install from (python: {args.python_mode}).",
            upstreams=None if args.promotes else [aws.codeartifact.RepositoryUpstreamArgs(repository_name=upstream.repository)],
            tags=aws_tags,
            opts=stateful,
        )

        # The domain lives in the deploying account, so its owner is the caller's account.
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        def index(repository: pulumi.Output[str]) -> pulumi.Output[str]:
            return pulumi.Output.all(domain.domain, account, repository).apply(lambda v: index_url(v[0], v[1], args.region, v[2]))

        self.pip_index_url = index(workbench.repository)
        self.upstream_index_url = index(upstream.repository)
        self.domain_name, self.domain_owner, self.domain_arn = domain.domain, account, domain.arn
        self.repository_name, self.repository_arn = workbench.repository, workbench.arn
        self.upstream_repository_name, self.upstream_arn = upstream.repository, upstream.arn

        for team, role_arn in each_team(sorted(args.reader_role_arns.items()), lambda item: item[0]):
            aws.iam.RolePolicy(
                child(name, "reader", team),
                role=pulumi.Output.from_input(role_arn).apply(lambda arn: arn.rsplit("/", 1)[-1]),
                policy=policy_document(reader_statements(domain.arn, workbench.arn)),
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.namespace = self._namespace(name, args) if args.provider is not None else None
        self.register_outputs(
            {
                "pip_index_url": self.pip_index_url,
                "upstream_index_url": self.upstream_index_url,
                "domain_name": self.domain_name,
                "repository_name": self.repository_name,
            }
        )

    def _namespace(self, name: str, args: PackageMirrorArgs) -> k8s.core.v1.Namespace:
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        namespace = k8s.core.v1.Namespace(
            child(name, "namespace"),
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=MIRROR_NAMESPACE,
                labels={f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "warn", "audit")},
            ),
            opts=k8s_opts,
        )
        https_to = (
            [{"ipBlock": {"cidr": args.vpc_cidr}}]
            if args.egress == "mirror"
            else [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]
        )
        k8s.networking.v1.NetworkPolicy(
            child(name, "curator-netpol"),
            metadata=k8s.meta.v1.ObjectMetaArgs(name="curator", namespace=MIRROR_NAMESPACE),
            spec={
                "podSelector": {},
                "policyTypes": ["Ingress", "Egress"],
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
                    {"to": https_to, "ports": [{"port": 443, "protocol": "TCP"}]},
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[namespace]),
        )
        return namespace


def reader_statements(domain_arn: pulumi.Input[str], repository_arn: pulumi.Input[str]) -> list[dict]:
    """Read the workbench repository, nothing else: what pip needs (ReadFromRepository and GetRepositoryEndpoint
    take the repository resource, service authorization reference for CodeArtifact)."""
    return [
        *token_statements(domain_arn),
        {
            "Sid": "ReadWorkbench",
            "Effect": "Allow",
            "Action": ["codeartifact:ReadFromRepository", "codeartifact:GetRepositoryEndpoint"],
            "Resource": [repository_arn],
        },
    ]
