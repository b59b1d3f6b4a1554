"""ImageMirror: ECR pull-through caches for the public registries the workbench's images come from (egress not 'open')."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from blueprint.model import BlueprintSpec

from .naming import POLICY_VERSION, child, ecr_registry_host, physical_name, service_trust_policy, tags, type_token


@dataclass(frozen=True)
class Upstream:
    """A public registry that ECR can cache with no credentials, and the short name of its cache under the stack's namespace."""

    registry: str
    prefix: str


# Every image the hub chart (z2jh values.yaml) and the curator jobs pull comes from one of these. Docker Hub
# is absent on purpose: ECR caches it only with a Secrets Manager credential; its official images come
# through ECR Public instead (naming.IMAGE_ALIASES).
UPSTREAMS = (
    Upstream("quay.io", "quay"),
    Upstream("registry.k8s.io", "k8s"),
    Upstream("public.ecr.aws", "ecr-public"),
)
# CreatePullThroughCacheRule: the ECR repository prefix is 2-30 characters of this pattern.
PREFIX_MAX_LENGTH = 30
_PREFIX_PATTERN = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")
# Tags that move by design; immutable everywhere else, so a cached version never changes under a pin.
MOVING_TAGS = ("latest",)


def cache_namespace(org: str, stack: str) -> str:
    """`<org>-<stack>`, the first part of every cache prefix: stacks sharing an account and region get their own
    rules (a prefix is unique per registry), shortened with a hash so the longest prefix fits ECR's 30 characters."""
    room = PREFIX_MAX_LENGTH - 1 - max(len(u.prefix) for u in UPSTREAMS)
    return re.sub(r"-{2,}", "-", physical_name(org, stack, max_length=room))


def cache_prefix(namespace: str, upstream: Upstream) -> str:
    """ECR repository prefix of one upstream's cache: `<namespace>/<short name>`."""
    prefix = f"{namespace}/{upstream.prefix}"
    if not (2 <= len(prefix) <= PREFIX_MAX_LENGTH and _PREFIX_PATTERN.fullmatch(prefix)):
        raise ValueError(f"ECR repository prefix {prefix!r} is not 2-30 characters of {_PREFIX_PATTERN.pattern}")
    return prefix


@dataclass(frozen=True)
class ImageMirrorArgs:
    """Inputs of ImageMirror; build with `from_spec`. `upstreams` is empty when the stance's egress is 'open'."""

    region: str
    namespace: str
    upstreams: tuple[Upstream, ...]
    version_policy: str
    node_role_name: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls, spec: BlueprintSpec, *, node_role_name: pulumi.Input[str], kms_key_arn: pulumi.Input[str] | None = None
    ) -> ImageMirrorArgs:
        """`node_role_name`: the EKS node role (the kubelet pulls, so it needs the import rights);
        `kms_key_arn`: the stance's CMK (None without one), used for the cached repositories."""
        stack = pulumi.get_stack()  # names physical resources: a second stack is a second workbench
        return cls(
            region=spec.region,
            namespace=cache_namespace(spec.org, stack),
            # Every stance whose egress is not open pulls through the caches: the allowlist stance's firewall admits
            # none of the public registries, and a cache keeps image pulls inside the VPC (ECR endpoints) anyway.
            upstreams=UPSTREAMS if spec.stance.network.egress != "open" else (),
            version_policy=spec.stance.stability.versions,
            node_role_name=node_role_name,
            kms_key_arn=kms_key_arn,
            tags=tags(spec.org, stack),
        )

    def prefix(self, upstream: Upstream) -> str:
        return cache_prefix(self.namespace, upstream)


class ImageMirror(pulumi.ComponentResource):
    """ECR pull-through caches (a managed AWS service) so nodes with no internet route can pull public images.

    With egress 'mirror' the VPC reaches ECR only through its endpoints; with 'allowlist' the firewall admits no
    public registry. For each upstream in `UPSTREAMS`:
    - a pull-through cache rule: `<account>.dkr.ecr.<region>.amazonaws.com/<namespace>/<short>/<repo>:<tag>`
      serves `<upstream>/<repo>:<tag>`; ECR fetches it from the upstream on first pull (from AWS's side,
      not through the VPC) and creates the repository `<namespace>/<short>/<repo>` then;
    - a repository creation template for that prefix, so those repositories are encrypted with the stance's
      CMK (AES-256 without one) and have immutable tags (except `latest` when the version policy follows it),
      so a cached pin never changes after the first pull.
    The node role gets exactly `ecr:BatchImportUpstreamImage` and `ecr:CreateRepository` on those prefixes
    (AmazonEC2ContainerRegistryReadOnly, which the nodes keep for every later pull, has neither). With a CMK,
    ECR creates the repositories as a role of its own (`ecr.amazonaws.com` trust) that may create repositories
    under the prefixes and create grants on that one key for AWS services only.

    Not managed here: scan on push (a registry-wide setting, `aws.ecr.RegistryScanningConfiguration`, that one
    stack must not overwrite for the whole account), and the cached repositories themselves (ECR creates them;
    `pulumi destroy` leaves them, with their images).
    """

    registries: dict[str, pulumi.Output[str]]
    """Upstream registry -> ECR prefix URL (`<account>.dkr.ecr.<region>.amazonaws.com/<prefix>`); empty unless
    egress is not 'open'. A plain dict so consumers know the upstreams at plan time; each URL resolves once its
    rule, creation template and the node role's import rights exist, so whatever pulls through it waits for them."""

    def __init__(self, name: str, args: ImageMirrorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("images", "ImageMirror"), name, None, opts)
        self.registries = {}
        if args.upstreams:
            self.registries = self._caches(name, args)
        self.register_outputs({"registries": self.registries})

    def _caches(self, name: str, args: ImageMirrorArgs) -> dict[str, pulumi.Output[str]]:
        opts = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke)
        prefixes = [args.prefix(u) for u in args.upstreams]
        repositories = pulumi.Output.all(partition.partition, account).apply(
            lambda v: [f"arn:{v[0]}:ecr:{args.region}:{v[1]}:repository/{prefix}/*" for prefix in prefixes]
        )

        node_import = aws.iam.RolePolicy(
            child(name, "node-import"),
            role=args.node_role_name,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": POLICY_VERSION,
                    "Statement": [
                        {
                            # First pull of an image: ECR creates its cache repository and imports it, as the puller.
                            "Sid": "PullThroughCacheImport",
                            "Effect": "Allow",
                            "Action": ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
                            "Resource": repositories,
                        }
                    ],
                }
            ),
            opts=opts,
        )
        creation_role, creation_policy = self._creation_role(name, args, repositories) if args.kms_key_arn is not None else (None, None)
        host = pulumi.Output.all(account, partition.dns_suffix).apply(lambda v: ecr_registry_host(v[0], args.region, v[1]))

        registries: dict[str, pulumi.Output[str]] = {}
        for upstream, prefix in zip(args.upstreams, prefixes, strict=True):
            rule = aws.ecr.PullThroughCacheRule(
                child(name, upstream.prefix),
                ecr_repository_prefix=prefix,
                upstream_registry_url=upstream.registry,
                opts=opts,
            )
            template = aws.ecr.RepositoryCreationTemplate(
                child(name, upstream.prefix, "template"),
                prefix=prefix,
                applied_fors=["PULL_THROUGH_CACHE"],
                description=f"Cache of {upstream.registry} for this workbench (egress not open).",
                encryption_configurations=[
                    {"encryption_type": "KMS", "kms_key": args.kms_key_arn}
                    if args.kms_key_arn is not None
                    else {"encryption_type": "AES256"}
                ],
                custom_role_arn=creation_role.arn if creation_role is not None else None,
                **_tag_mutability(args.version_policy),
                # ECR uses the role at the first pull: its rights must exist by then, not just the role.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[creation_policy] if creation_policy is not None else None),
            )
            registries[upstream.registry] = pulumi.Output.all(host, rule.ecr_repository_prefix, template.id, node_import.id).apply(
                lambda v: f"{v[0]}/{v[1]}"
            )
        return registries

    def _creation_role(
        self, name: str, args: ImageMirrorArgs, repositories: pulumi.Output[list[str]]
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The role ECR assumes to create KMS-encrypted cache repositories (a template with a KMS key needs one)."""
        opts = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            child(name, "creation-role"),
            description="ECR creates this workbench's pull-through cache repositories as this role.",
            assume_role_policy=pulumi.Output.json_dumps(service_trust_policy("ecr.amazonaws.com")),
            tags=args.tags,
            opts=opts,
        )
        policy = aws.iam.RolePolicy(
            child(name, "creation-policy"),
            role=role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": POLICY_VERSION,
                    "Statement": [
                        {"Sid": "CreateCacheRepositories", "Effect": "Allow", "Action": ["ecr:CreateRepository"], "Resource": repositories},
                        {"Sid": "UseKeyForEcr", "Effect": "Allow", "Action": ["kms:DescribeKey", "kms:RetireGrant"], "Resource": [args.kms_key_arn]},
                        {
                            # ECR encrypts a repository through a grant on the key, created on the role's behalf.
                            "Sid": "GrantKeyToEcr",
                            "Effect": "Allow",
                            "Action": ["kms:CreateGrant"],
                            "Resource": [args.kms_key_arn],
                            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                        },
                    ],
                }
            ),
            opts=opts,
        )
        return role, policy


def _tag_mutability(version_policy: str) -> Mapping[str, object]:
    """Immutable tags; under the 'latest' version policy the moving tags stay mutable so the cache can follow them."""
    if version_policy != "latest":
        return {"image_tag_mutability": "IMMUTABLE"}
    return {
        "image_tag_mutability": "IMMUTABLE_WITH_EXCLUSION",
        "image_tag_mutability_exclusion_filters": [{"filter": tag, "filter_type": "WILDCARD"} for tag in MOVING_TAGS],
    }
