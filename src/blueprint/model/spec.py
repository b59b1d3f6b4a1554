"""The blueprint: what `blueprint.yaml` holds (BlueprintFile) and what the program builds from (BlueprintSpec)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from .base import StrictModel
from .controls import Concern as C
from .controls import Direction, Exposure, SettingInfo, setting, walk_settings
from .dns import non_public_suffix
from .idp import cognito_domain_host, guessed_endpoints, host_of, oidc_endpoints
from .stance import CONTROL_IDS, META, Profile, Quota, Stance, validate_control_value
from .types import (
    Cidr,
    CodeConnectionArn,
    ConfigKey,
    GithubRepository,
    CpuQuantity,
    HttpsUrl,
    IdpGroup,
    MemoryQuantity,
    OrgName,
    PackageName,
    RPackageName,
    ProfileName,
    Region,
    RoleArn,
    RunnerLabel,
    StackName,
    StorageQuantity,
    TeamName,
    looks_like_secret,
)

SCHEMA_VERSION = 1
Email = Annotated[str, Field(pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$", max_length=254)]


def _no_c1_controls(value: str) -> str:
    # The pattern refuses C0 controls; C1 controls are just as invisible, and YAML reads NEL (U+0085) as a line break.
    if any("\x7f" <= character <= "\x9f" for character in value):
        raise ValueError("contains a control character (U+007F to U+009F); use printable text")
    return value


Description = Annotated[str, Field(max_length=200, pattern=r"^[^\x00-\x1f`$<>\\|;]*$"), AfterValidator(_no_c1_controls)]
ClientId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:/-]{1,200}$")]
Hostname = Annotated[str, Field(min_length=4, max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")]
# ACM ARNs: a certificate (`certificate/<uuid>`) and an ACM Private CA (`certificate-authority/<uuid>`).
CertificateArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$")]
PrivateCaArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:acm-pca:[a-z0-9-]+:[0-9]{12}:certificate-authority/[0-9a-f-]{36}$")]
HostedZoneId = Annotated[str, Field(pattern=r"^Z[0-9A-Z]{1,31}$")]
ClaimName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_:/.-]{0,63}$")]


class IdentityProvider(StrictModel):
    """Where users sign in. The client secret is a Pulumi secret config key, never a value here."""

    kind: Literal["oidc", "saml", "cognito"] = Field(
        description=(
            "oidc: your OIDC IdP (issuer_url, client_id); saml: your SAML IdP, brokered through Cognito (metadata_url); "
            "cognito: a Cognito user pool the program creates, with users an admin adds."
        )
    )
    issuer_url: HttpsUrl | None = Field(default=None, description="OIDC issuer (kind: oidc).")
    metadata_url: HttpsUrl | None = Field(default=None, description="SAML metadata URL (kind: saml); brokered through Cognito.")
    client_id: ClientId | None = Field(default=None, description="OIDC client id registered at the IdP (kind: oidc).")
    group_claim: ClaimName = Field(default="groups", description="Token claim that lists the user's groups.")
    client_secret_config: ConfigKey = Field(
        default="idpClientSecret",
        description="Name of the Pulumi config key holding the client secret: `pulumi config set --secret <name> ...`.",
    )
    admin_groups: tuple[IdpGroup, ...] = Field(default=(), description="IdP groups that administer JupyterHub.")
    reachable_via: Literal["internet", "on-premises"] = Field(
        default="internet",
        description=(
            "How the hub reaches the IdP's token and userinfo endpoints: over the internet (through the egress firewall, "
            "allowing only the IdP's hosts, when the stance restricts egress) or over the organisation's network "
            "(`network.on_premises_cidrs`; no internet path at all). Cognito and SAML (brokered by Cognito) are always on the internet."
        ),
    )
    extra_hosts: tuple[Hostname, ...] = Field(
        default=(),
        description="More hosts the hub calls for this IdP, when its token or userinfo endpoint is not on the issuer's host (kind: oidc).",
    )

    @field_validator("client_secret_config", mode="before")
    @classmethod
    def _reference_not_secret(cls, value: object) -> object:
        if isinstance(value, str) and looks_like_secret(value):
            raise ValueError(
                "this looks like a secret value, not a config key name; keep the default 'idpClientSecret' and run "
                "`pulumi config set --secret idpClientSecret <value>`"
            )
        return value

    @model_validator(mode="after")
    def _kind_has_its_fields(self) -> IdentityProvider:
        needed = {"oidc": ("issuer_url", "client_id"), "saml": ("metadata_url",), "cognito": ()}[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"kind {self.kind!r} needs {', '.join(missing)}")
        unused = {"oidc": ("metadata_url",), "saml": ("issuer_url", "client_id"), "cognito": ("issuer_url", "metadata_url", "client_id")}[self.kind]
        present = [name for name in unused if getattr(self, name) is not None]
        if present:
            raise ValueError(f"kind {self.kind!r} does not use {', '.join(present)}; remove it")
        if self.kind != "oidc" and self.reachable_via == "on-premises":
            raise ValueError(
                f"kind {self.kind!r} signs in through a Cognito domain, which is only on the internet (Cognito's managed login "
                "has no PrivateLink endpoint); use reachable_via: internet, or an OIDC IdP on your network (kind: oidc)"
            )
        if self.kind != "oidc" and self.extra_hosts:
            raise ValueError(f"kind {self.kind!r} does not use extra_hosts; remove it")
        return self


class NetworkSpec(StrictModel):
    """Address plan; overlapping ranges break routing to on-premises networks or inside the cluster."""

    vpc_cidr: Annotated[Cidr, setting(C.LOST_TIME, "The VPC's address range; changing it replaces the network.")] = "10.40.0.0/16"
    service_cidr: Cidr = Field(default="172.20.0.0/16", description="Kubernetes service range inside EKS.")
    on_premises_cidrs: Annotated[
        tuple[Cidr, ...], setting(C.DATA_THEFT_OUTSIDER, "Networks routed to the VPC: each one can reach the workbench.")
    ] = Field(default=(), description="Networks routed to the VPC; must not overlap it.")
    admin_cidrs: Annotated[
        tuple[Cidr, ...],
        setting(C.DATA_THEFT_OUTSIDER, "Who may reach a public Kubernetes API endpoint.", direction=Direction.SUPERSET_IS_WEAKER, exposure=Exposure.PUBLIC),
    ] = Field(default=(), description="Who may reach a public Kubernetes API endpoint (stances with a public endpoint).")

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, value: str) -> str:
        prefix = ipaddress.ip_network(value).prefixlen
        if not 16 <= prefix <= 22:
            raise ValueError(f"{value!r} is a /{prefix}; the VPC needs between a /16 and a /22 to hold subnets in every AZ")
        return value

    @field_validator("admin_cidrs")
    @classmethod
    def _no_world(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if ipaddress.ip_network(value).prefixlen < 8:
                raise ValueError(f"{value!r} opens the API to most of the internet; list your office or VPN ranges")
        return values

    @model_validator(mode="after")
    def _no_overlaps(self) -> NetworkSpec:
        named = [("vpc_cidr", self.vpc_cidr), ("service_cidr", self.service_cidr)]
        named += [(f"on_premises_cidrs[{i}]", c) for i, c in enumerate(self.on_premises_cidrs)]
        for i, (name_a, cidr_a) in enumerate(named):
            for name_b, cidr_b in named[i + 1 :]:
                if ipaddress.ip_network(cidr_a).overlaps(ipaddress.ip_network(cidr_b)):
                    raise ValueError(f"{name_a} {cidr_a} overlaps {name_b} {cidr_b}; choose ranges that do not intersect")
        return self


class TlsSpec(StrictModel):
    """The hub's certificate (TLS ends at its load balancer) and the Route 53 zone its DNS name goes into.

    One certificate source: `certificate_arn`, `private_ca_arn` or `validation_zone_id`; with none, the ARN of
    the certificate you bring is read from the stack config key `certificate_arn_config`.
    """

    certificate_arn: CertificateArn | None = Field(
        default=None,
        description=(
            "Bring your own: an ACM certificate for hub_hostname in the blueprint's region (issued by your ACM Private CA, "
            "or imported). The way for a name that is not public (.internal, .corp, .lan, ...)."
        ),
    )
    private_ca_arn: PrivateCaArn | None = Field(
        default=None,
        description=(
            "The program requests a private certificate for hub_hostname from this ACM Private CA (issued at once, no DNS "
            "validation; your users' devices must trust the CA)."
        ),
    )
    validation_zone_id: HostedZoneId | None = Field(
        default=None,
        description=(
            "A public Route 53 hosted zone (in the stack's account) for hub_hostname's domain: the program requests a public ACM "
            "certificate and writes its DNS validation records here. Only for a public hub_hostname."
        ),
    )
    certificate_arn_config: ConfigKey = Field(
        default="hubCertificateArn",
        description=(
            "With no certificate source above: the Pulumi config key holding the ARN of the certificate you bring, for ARNs that "
            "differ per account (`pulumi config set hubCertificateArn <arn>`)."
        ),
    )
    hub_zone_id: HostedZoneId | None = Field(
        default=None,
        description=(
            "The Route 53 hosted zone the hub's alias record (hub_hostname -> the hub's load balancer) goes into: a private zone "
            "your resolvers answer from for an internal load balancer, a public zone for an internet-facing one. Default: "
            "validation_zone_id for an internet-facing hub, else a zone for exactly hub_hostname that the program creates "
            "(private and associated with the workbench VPC when the ingress is internal; public otherwise, delegated to by "
            "the exported name servers)."
        ),
    )

    @model_validator(mode="after")
    def _one_certificate_source(self) -> TlsSpec:
        given = [name for name in ("certificate_arn", "private_ca_arn", "validation_zone_id") if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError(f"{' and '.join(given)} are each a certificate source; keep one")
        return self

    @property
    def certificate_source(self) -> Literal["brought", "config", "private-ca", "public-dns"]:
        """Where the hub's certificate comes from: an ARN in the blueprint or the stack config, the private CA, or public DNS validation."""
        if self.certificate_arn is not None:
            return "brought"
        if self.private_ca_arn is not None:
            return "private-ca"
        if self.validation_zone_id is not None:
            return "public-dns"
        return "config"


class QuotaOverride(StrictModel):
    """Per-team quota; unset fields take the stance's default quota."""

    cpu: CpuQuantity | None = None
    memory: MemoryQuantity | None = None
    gpu: Annotated[int, Field(ge=0, le=64)] | None = None
    storage: StorageQuantity | None = None
    pods: Annotated[int, Field(ge=1, le=5000)] | None = None


class ExtraPackages(StrictModel):
    python: tuple[PackageName, ...] = Field(default=(), description="Python packages the mirror admits for this team (PyPI names).")
    r: tuple[RPackageName, ...] = Field(default=(), description="R packages the R repository holds for this team (CRAN names such as 'data.table').")


# Namespaces the platform itself uses; a team named like one would take it over.
RESERVED_TEAM_NAMES = frozenset(
    {"default", "kube-system", "kube-public", "kube-node-lease", "amazon-cloudwatch", "cert-manager", "jupyterhub", "package-mirror"}
)


class TeamEntry(StrictModel):
    """A team as written in blueprint.yaml or a team overlay."""

    name: TeamName = Field(
        description="Team name: its Kubernetes namespace, IAM role and S3 prefix. Lowercase letters, digits and '-', 2 to 30 characters."
    )
    idp_group: IdpGroup = Field(description="The IdP group whose members belong to this team, as the group claim carries it.")
    description: Description = Field(default="", description="A line about the team, for people.")
    quota: QuotaOverride = Field(default=QuotaOverride(), description="The team's ResourceQuota; unset fields take the stance's default quota.")
    profiles: tuple[ProfileName, ...] = Field(default=(), description="Profiles offered to this team; empty means every stance profile that fits the quota.")
    extra_packages: ExtraPackages = Field(default=ExtraPackages(), description="Packages added for this team on top of the stance's allowlists.")
    idle_timeout_minutes: Annotated[int, Field(ge=10, le=10080)] | None = None
    budget_usd: Annotated[int, Field(ge=1, le=10_000_000)] | None = None

    @field_validator("name")
    @classmethod
    def _not_a_platform_namespace(cls, name: str) -> str:
        if name in RESERVED_TEAM_NAMES or name.startswith("kube-"):
            raise ValueError(f"{name!r} is a namespace the platform uses; choose another team name")
        return name


class BudgetSpec(StrictModel):
    alert_emails: Annotated[tuple[Email, ...], setting(C.RESOURCE_HIJACKING, "Who hears about runaway spend.")] = Field(default=(), description="Who is told when spend passes the stance's alert threshold; with none, budgets alert nobody.")
    org_monthly_usd: Annotated[int, Field(ge=1, le=100_000_000), setting(C.RESOURCE_HIJACKING, "The org's monthly budget in USD.")] = 50_000
    activate_cost_allocation_tags: Annotated[bool, setting(C.RESOURCE_HIJACKING, "Whether the program activates the tags the budgets filter on.")] = Field(
        default=False,
        description=(
            "Activate workbench:org and workbench:team as cost allocation tags (what the budgets filter on). Billing only "
            "knows a tag key about a day after a tagged resource is billed, and only a payer or standalone account may "
            "activate it: set true for the second `pulumi up`, or activate the two keys in the payer account."
        ),
    )


class PackageSpec(StrictModel):
    internal_prefixes: Annotated[
        tuple[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,40}$")], ...],
        setting(C.INCORRECT_WORK, "Names never fetched from public PyPI; a dropped prefix reopens dependency confusion."),
    ] = Field(
        default=(), description="Name prefixes of the org's internal packages; never fetched from public PyPI when the stance blocks it."
    )
    r_mirror_url: HttpsUrl | None = Field(
        default=None,
        description="A CRAN-style repository the org runs inside the VPC (e.g. Posit Package Manager); CodeArtifact has no CRAN format.",
    )


class ControlException(StrictModel):
    """A recorded, approved and expiring permission for one team to go below the floor on one control."""

    team: TeamName = Field(description="The team the exception is for.")
    control: str = Field(description="The control's id (`blueprint explain --json` lists them); only a control with a weaker/stronger order.")
    value: Any = Field(description="The value the team may set, of the control's own type.")
    reason: Annotated[str, Field(min_length=10, max_length=500, pattern=r"^[^\x00-\x1f`$<>\\]*$")] = Field(
        description="Why the team needs it, for reviewers (10 to 500 characters)."
    )
    approved_by: Annotated[str, Field(min_length=3, max_length=120, pattern=r"^[A-Za-z0-9 ._@'-]+$")] = Field(
        description="Who approved it: a name or an email address."
    )
    expires: dt.date = Field(description="The last day the exception holds (YYYY-MM-DD); after it, the team's overlay is refused again.")

    @field_validator("control")
    @classmethod
    def _known_control(cls, value: str) -> str:
        if value not in CONTROL_IDS:
            raise ValueError(f"unknown control {value!r}; `blueprint explain --json` lists the ids")
        if not META[value].ordered:
            raise ValueError(f"{value!r} has no floor to go below, so it needs no exception")
        return value

    @model_validator(mode="after")
    def _value_fits_the_control(self) -> ControlException:
        try:
            validate_control_value(self.control, self.value)
        except ValueError as exc:
            raise ValueError(f"value {self.value!r} is not a valid {self.control}: {str(exc).splitlines()[-1].strip()}") from None
        return self


class FloorSpec(StrictModel):
    """Controls teams may not weaken: the stance's security controls, plus any the org adds."""

    add: tuple[str, ...] = Field(default=(), description="More controls to put on the floor, by id; only controls with a weaker/stronger order.")

    @field_validator("add")
    @classmethod
    def _known_controls(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in values if v not in CONTROL_IDS]
        if unknown:
            raise ValueError(f"unknown control(s) {unknown}; `blueprint explain --json` lists the ids")
        unordered = [v for v in values if not META[v].ordered]
        if unordered:
            raise ValueError(f"control(s) {unordered} have no weaker/stronger order, so they cannot be a floor")
        return values


class CiSpec(StrictModel):
    """Where the generated workflow's cluster jobs (`pulumi preview`, `pulumi up`) run, and who may use the cluster.

    A private API endpoint answers only inside the VPC (or networks routed to it), so a GitHub-hosted runner
    cannot reach it: the jobs that touch the cluster run on a runner in the VPC. `codebuild` (default): the
    program provisions a CodeBuild-hosted GitHub Actions runner with a VPC configuration in the private subnets
    (https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html); `self-hosted`: your own runners,
    labelled `runner_label`, in `runner_cidrs`; `github-hosted`: only with a public endpoint that admits them.
    """

    runner: Literal["codebuild", "self-hosted", "github-hosted"] = Field(
        default="codebuild", description="Where the cluster jobs run: codebuild (provisioned in the VPC), self-hosted (yours) or github-hosted."
    )
    repository: GithubRepository | None = Field(
        default=None, description="GitHub owner/name of this project's repository: the CodeBuild runner's webhook takes its workflow jobs."
    )
    connection_arn: CodeConnectionArn | None = Field(
        default=None, description="AWS CodeConnections connection to GitHub for the CodeBuild runner; without it, the account's CodeBuild source credential."
    )
    runner_label: RunnerLabel | None = Field(default=None, description="Label of your self-hosted runners (runner: self-hosted).")
    runner_cidrs: tuple[Cidr, ...] = Field(
        default=(), description="Networks your self-hosted runners run in (runner: self-hosted): admitted to the cluster API on 443."
    )
    admin_role_arns: tuple[RoleArn, ...] = Field(default=(), description="IAM roles given cluster-admin through EKS access entries (people).")
    ci_role_arns: tuple[RoleArn, ...] = Field(
        default=(), description="IAM roles the CI jobs assume (AWS_PREVIEW_ROLE_ARN, AWS_APPLY_ROLE_ARN), given cluster access through EKS access entries."
    )

    @model_validator(mode="after")
    def _runner_fields(self) -> CiSpec:
        if self.runner == "self-hosted" and (self.runner_label is None or not self.runner_cidrs):
            raise ValueError("runner 'self-hosted' needs runner_label (the label your runners carry) and runner_cidrs (where they run)")
        if self.runner != "self-hosted" and (self.runner_label is not None or self.runner_cidrs):
            raise ValueError(f"runner_label and runner_cidrs describe self-hosted runners; runner is {self.runner!r}: remove them")
        if self.runner != "codebuild" and (self.repository is not None or self.connection_arn is not None):
            raise ValueError(f"repository and connection_arn configure the CodeBuild runner; runner is {self.runner!r}: remove them")
        overlap = sorted(set(self.admin_role_arns) & set(self.ci_role_arns))
        if overlap:
            raise ValueError(f"roles listed both as admin and CI: {overlap}; list each role once")
        return self


class CustomStance(StrictModel):
    """A stance defined in blueprint.yaml: a built-in (or another custom stance) plus partial overrides."""

    extends: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")] = Field(
        description="The stance this one starts from: a built-in, or another stance under `stances:`."
    )
    summary: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(default=None, description="Your own words about this stance, shown by `blueprint explain` as a note beside the summary derived from its values.")
    overrides: dict[str, Any] = Field(default_factory=dict, description="Partial stance controls, same shape as a stance file.")


class BlueprintFile(StrictModel):
    """The document in `blueprint.yaml`."""

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, description="Format version of this file; this release reads and writes 1.")
    org: OrgName = Field(description="Organisation name: prefixes AWS resource names and tags. Lowercase letters, digits and '-', 2 to 24 characters.")
    description: Description = Field(default="", description="A line about this workbench, for people; no shell or markup characters.")
    region: Region = Field(description="AWS region everything is created in, such as eu-west-1; changing it builds a new workbench.")
    stack: StackName = Field(default="dev", description="Pulumi stack this blueprint is previewed and applied as; part of physical resource names.")
    hub_hostname: Hostname = Field(description="DNS name users open for JupyterHub; the OAuth callback is https://<hub_hostname>/hub/oauth_callback.")
    stance: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$", description="A built-in stance (strict, balanced, open) or a name under `stances`.")]
    stances: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")], CustomStance] = Field(
        default_factory=dict,
        description="Custom stances by name: each extends a built-in (or another custom stance) and overrides some of its controls.",
    )
    idp: IdentityProvider = Field(
        description="Single sign-on: where users sign in and which claim carries their groups. No secret here: `pulumi config set --secret`."
    )
    network: NetworkSpec = Field(default=NetworkSpec(), description="Address plan: the VPC, the Kubernetes services and the networks routed to the VPC.")
    tls: TlsSpec = Field(default=TlsSpec(), description="The hub's certificate and the Route 53 zone of its DNS name.")
    budgets: BudgetSpec = Field(default=BudgetSpec(), description="The org's monthly budget and who hears when spend passes the alert threshold.")
    packages: PackageSpec = Field(default=PackageSpec(), description="The org's own packages: internal name prefixes and an internal R repository.")
    ci: CiSpec = Field(default=CiSpec(), description="Where the generated workflow's `pulumi preview` and `pulumi up` run, and which IAM roles reach the cluster.")
    teams: tuple[TeamEntry, ...] = Field(
        min_length=1,
        description="The teams, at least one: each gets a namespace, an IdP group and a quota, and tunes its values in teams/<name>.yaml.",
    )
    floor: FloorSpec = Field(
        default=FloorSpec(), description="The org floor: controls no team may weaken without an exception; the stance's security controls are always on it."
    )
    exceptions: tuple[ControlException, ...] = Field(
        default=(), description="Approved, expiring permissions for one team to go below the floor on one control."
    )

    @field_validator("tls")
    @classmethod
    def _certificate_can_be_issued(cls, tls: TlsSpec, info: ValidationInfo) -> TlsSpec:
        hostname, region = info.data.get("hub_hostname"), info.data.get("region")
        if tls.validation_zone_id is not None and hostname:
            suffix = non_public_suffix(hostname)
            if suffix:
                raise ValueError(
                    f"validation_zone_id asks for a public certificate, but hub_hostname {hostname!r} is under '.{suffix}', "
                    "a special- or private-use name no public CA issues for (IANA special-use domain names, RFC 6762 Appendix G), "
                    "so DNS validation would never complete; bring a certificate from your private CA (tls.certificate_arn, or "
                    "tls.private_ca_arn), or use a hub_hostname under a public domain you own"
                )
        arn = tls.certificate_arn
        if arn is not None and region and arn.split(":")[3] != region:
            # ACM certificates are regional: a load balancer uses only those of its own region (ACM user guide, "Regions").
            raise ValueError(
                f"certificate_arn is in {arn.split(':')[3]!r} but the hub's load balancer is in {region!r}, and a load balancer "
                f"only uses an ACM certificate of its own region; issue or import the certificate in {region}"
            )
        return tls

    @model_validator(mode="after")
    def _idp_reachable(self) -> BlueprintFile:
        if self.idp.reachable_via == "on-premises" and not self.network.on_premises_cidrs:
            raise ValueError(
                "idp.reachable_via is 'on-premises' but network.on_premises_cidrs is empty, so the hub has no route to the IdP "
                "and nobody could sign in; list the networks routed to the VPC in network.on_premises_cidrs, or set idp.reachable_via: internet"
            )
        return self

    @field_validator("teams")
    @classmethod
    def _unique_teams(cls, teams: tuple[TeamEntry, ...]) -> tuple[TeamEntry, ...]:
        for attribute in ("name", "idp_group"):
            values = [getattr(t, attribute) for t in teams]
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"team {attribute}s must be unique; repeated: {repeated}")
        return teams


def _profile_names(profiles: tuple[Profile, ...]) -> list[str]:
    return [p.name for p in profiles]


class TeamSpec(StrictModel):
    """A team with every value resolved against the stance: what the program builds.

    Team-scoped stance controls land in the fields their `control(team_field=...)` names; the team's
    other values a reviewer should see are `setting(...)`s, with ids `team.<as written in the file>`.
    """

    name: TeamName
    idp_group: Annotated[IdpGroup, setting(C.DATA_THEFT_INSIDER, "The IdP group whose members get this team's namespace and data.", exposure=Exposure.ACCESS)]
    description: Annotated[str, setting(C.USER_EXPERIENCE)]
    quota: Quota
    profiles: Annotated[tuple[Profile, ...], setting(C.USER_EXPERIENCE, "Server sizes the team may start.", shown=_profile_names)]
    python_packages: Annotated[tuple[PackageName, ...], setting(C.USER_EXPERIENCE, written_as="extra_packages.python")]
    r_packages: Annotated[tuple[RPackageName, ...], setting(C.USER_EXPERIENCE, written_as="extra_packages.r")]
    idle_timeout_minutes: int
    root_allowed: bool
    budget_usd: int


class BlueprintSpec(StrictModel):
    """A validated, resolved blueprint: the only input of `program.build`."""

    org: OrgName
    description: str
    region: Annotated[Region, setting(C.LOST_TIME, "Where everything runs; changing it builds a new workbench.")]
    stack: StackName
    hub_hostname: Annotated[Hostname, setting(C.USER_EXPERIENCE, "The address users open; the IdP's callback names it.")]
    stance: Stance
    idp: Annotated[IdentityProvider, setting(C.DATA_THEFT_INSIDER, "Where users sign in and which groups they bring.", exposure=Exposure.ACCESS)]
    network: NetworkSpec
    tls: TlsSpec
    budgets: BudgetSpec
    packages: PackageSpec
    ci: CiSpec = CiSpec()
    teams: tuple[TeamSpec, ...]
    floor: frozenset[str]
    exceptions: tuple[ControlException, ...]

    @property
    def idp_hosts(self) -> tuple[str, ...]:
        """Every host the hub calls to sign users in (token and userinfo endpoints), sorted; see `model.idp`."""
        if self.idp.kind != "oidc":
            return (cognito_domain_host(self.org, self.stack, self.region),)
        assert self.idp.issuer_url is not None  # the model requires it for kind oidc
        endpoints = oidc_endpoints(self.idp.issuer_url) or guessed_endpoints(self.idp.issuer_url)
        hosts = {host_of(self.idp.issuer_url), host_of(endpoints.token), host_of(endpoints.userinfo), *self.idp.extra_hosts}
        return tuple(sorted(hosts))

    @property
    def hub_egress(self) -> Literal["open", "firewall", "on-premises"]:
        """How the hub reaches `idp_hosts`: `open` (the stance's egress is open: NAT like every pod), `on-premises`
        (over the organisation's network, no internet path), or `firewall` (the hub on its own nodes in subnets whose
        only way out is the egress firewall, admitting exactly `idp_hosts`; session subnets keep their own egress)."""
        if self.idp.reachable_via == "on-premises":
            return "on-premises"
        return "open" if self.stance.network.egress == "open" else "firewall"

    @property
    def ci_egress(self) -> Literal["none", "open", "firewall"]:
        """How the CodeBuild CI runner reaches GitHub, Pulumi, the package index and the AWS APIs
        (`facts.ci_runner.runner_domains`): `none` (no CodeBuild runner: no `ci.repository`, or your own runners),
        `open` (the stance's egress is open: NAT like every node), or `firewall` (the runner in subnets of its own
        whose only way out is the egress firewall, admitting exactly those hosts; session subnets keep theirs)."""
        if self.ci.runner != "codebuild" or self.ci.repository is None:
            return "none"
        return "open" if self.stance.network.egress == "open" else "firewall"

    @property
    def ci_runner_project(self) -> str:
        """Name of the CodeBuild project hosting the CI runner (`ci.runner: codebuild`); the workflow's `runs-on` names it."""
        return f"{self.org}-{self.stack}-ci-runner"

    @property
    def any_gpu(self) -> bool:
        return any(team.quota.gpu > 0 for team in self.teams)

    def team(self, name: str) -> TeamSpec:
        return next(t for t in self.teams if t.name == name)


def today() -> dt.date:
    """The clock the model uses; tests replace it to check expiry."""
    return dt.date.today()



# Org and team settings, derived from the `setting(...)` declarations above (ids `settings.<path>`, `team.<path>`).
ORG_SETTINGS: tuple[SettingInfo, ...] = tuple(walk_settings(BlueprintSpec, "settings"))
TEAM_SETTINGS: tuple[SettingInfo, ...] = tuple(walk_settings(TeamSpec, "team"))
SETTING_IDS = frozenset(s.id for s in (*ORG_SETTINGS, *TEAM_SETTINGS))


def settings_exposed(exposure: Exposure) -> frozenset[str]:
    """The ids of the settings declared with `exposure=`."""
    return frozenset(s.id for s in (*ORG_SETTINGS, *TEAM_SETTINGS) if s.meta.exposure is exposure)
