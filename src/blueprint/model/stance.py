"""The stance: every control, grouped by area, each naming the concern it serves and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Literal

from functools import cache

from pydantic import Field, TypeAdapter, ValidationInfo, field_validator, model_validator

from .base import StrictModel
from .controls import Concern as C
from .controls import ControlInfo, Direction, control, read_path, walk_controls
from .controls import Exposure as X
from .types import (
    CpuQuantity,
    DomainPattern,
    InstanceTypePattern,
    MemoryQuantity,
    PackageName,
    RPackageName,
    ProfileName,
    StorageQuantity,
)

LOWER = Direction.LOWER_IS_WEAKER
HIGHER = Direction.HIGHER_IS_WEAKER
SUPERSET = Direction.SUPERSET_IS_WEAKER
SUBSET = Direction.SUBSET_IS_WEAKER


class FlowLogs(StrictModel):
    traffic: Annotated[
        Literal["ALL", "REJECT", "NONE"],
        control(C.DATA_THEFT_OUTSIDER, "Flow logs are the evidence trail for data leaving the VPC; ALL also records accepted flows.", ranking=("ALL", "REJECT", "NONE")),
    ]
    retention_days: Annotated[
        int,
        Field(ge=0, le=3653),
        control(C.DATA_THEFT_OUTSIDER, "Investigations start weeks after an incident; logs must still exist then.", direction=LOWER),
    ]

    @model_validator(mode="after")
    def _retention_matches_traffic(self) -> FlowLogs:
        if self.traffic != "NONE" and self.retention_days == 0:
            raise ValueError("retention_days must be at least 1 when flow logs are on")
        return self


class NetworkControls(StrictModel):
    egress: Annotated[
        Literal["mirror", "allowlist", "open"],
        control(
            C.DATA_THEFT_OUTSIDER,
            "Where workbench traffic may go: 'mirror' = VPC endpoints and the package mirror only, "
            "'allowlist' = also NAT to listed domains, 'open' = NAT to anywhere. Egress is how data leaves.",
            ranking=("mirror", "allowlist", "open"),
            exposure=X.PUBLIC,
        ),
    ]
    egress_allowlist: Annotated[
        tuple[DomainPattern, ...],
        control(C.DATA_THEFT_OUTSIDER, "Domains reachable through NAT when egress is 'allowlist'; each entry is a door out.", direction=SUPERSET, exposure=X.PUBLIC),
    ] = ()
    vpc_endpoints: Annotated[
        bool,
        control(C.DATA_THEFT_OUTSIDER, "Private VPC endpoints keep AWS API traffic (S3, ECR, STS, logs) off the internet.", direction=LOWER),
    ]
    api_endpoint: Annotated[
        Literal["private", "public-and-private"],
        control(C.DATA_THEFT_OUTSIDER, "A public Kubernetes API is an internet-facing admin door; private keeps it inside the VPC.", ranking=("private", "public-and-private"), exposure=X.PUBLIC),
    ]
    ingress: Annotated[
        Literal["internal", "internet-sso"],
        control(C.DATA_THEFT_OUTSIDER, "Users reach JupyterHub through an internal load balancer only, or an internet-facing one behind SSO.", ranking=("internal", "internet-sso"), exposure=X.PUBLIC),
    ]
    flow_logs: FlowLogs = Field(description="VPC flow logs: which traffic they record and how long they are kept.")
    availability_zones: Annotated[
        int,
        Field(ge=1, le=6),
        control(C.LOST_TIME, "Subnets and node groups across several AZs survive the loss of one.", direction=LOWER),
    ]

    @field_validator("egress_allowlist")
    @classmethod
    def _allowlist_is_a_list(cls, allowlist: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        # The egress firewall admits what the list names; '*' would admit every domain behind the word "allowlist".
        if info.data.get("egress") == "allowlist" and "*" in allowlist:
            raise ValueError("'*' admits every domain, which is open egress under another name; list the domains, or set egress: open")
        return allowlist


class IdentityControls(StrictModel):
    sso_required: Annotated[
        Literal[True],
        control(C.DATA_THEFT_INSIDER, "Every session starts at the organisation's IdP; there are no local accounts to forget to disable.", direction=LOWER),
    ] = True
    mfa: Annotated[
        bool,
        control(C.DATA_THEFT_INSIDER, "Require multi-factor authentication. Checked on a Cognito user pool; an external OIDC IdP applies its own MFA policy, which no offline rule can see: require MFA there.", direction=LOWER, exposure=X.ACCESS),
    ]
    session_hours: Annotated[
        int,
        Field(ge=1, le=168),
        control(C.DATA_THEFT_INSIDER, "How long a login lasts (the hub's cookie; Cognito's tokens); shorter sessions limit a stolen cookie. An external IdP's own session is set there.", direction=HIGHER),
    ]
    group_rbac: Annotated[
        bool,
        control(C.DATA_THEFT_INSIDER, "Map IdP groups to team namespaces so people only reach their own team's data.", direction=LOWER, exposure=X.ACCESS),
    ]


class Sessions(StrictModel):
    root_allowed: Annotated[
        bool,
        control(C.DATA_THEFT_INSIDER, "Root or sudo in a session can escape the container's limits; least privilege says never.", direction=HIGHER, team_field="root_allowed"),
    ]
    idle_timeout_minutes: Annotated[
        int,
        Field(ge=10, le=10080),
        control(C.RESOURCE_HIJACKING, "Idle servers are culled so forgotten or hijacked sessions stop costing money.", direction=HIGHER, team_field="idle_timeout_minutes"),
    ]


class Quota(StrictModel):
    cpu: Annotated[CpuQuantity, control(C.RESOURCE_HIJACKING, "CPU a team may request in total; caps mining and runaway jobs.", direction=HIGHER, team_field="quota.cpu", quota=True)]
    memory: Annotated[MemoryQuantity, control(C.RESOURCE_HIJACKING, "Memory a team may request in total.", direction=HIGHER, team_field="quota.memory", quota=True)]
    gpu: Annotated[int, Field(ge=0, le=64), control(C.RESOURCE_HIJACKING, "GPUs a team may request; GPUs are the prize for crypto mining.", direction=HIGHER, team_field="quota.gpu", quota=True)]
    storage: Annotated[StorageQuantity, control(C.RESOURCE_HIJACKING, "Persistent storage a team may claim.", direction=HIGHER, team_field="quota.storage", quota=True)]
    pods: Annotated[int, Field(ge=1, le=5000), control(C.RESOURCE_HIJACKING, "Pods a team may run at once.", direction=HIGHER, team_field="quota.pods", quota=True)]


class Profile(StrictModel):
    """A server size users pick at spawn time."""

    name: ProfileName = Field(description="The profile's id, as teams' `profiles` name it.")
    display_name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9 ,.()+/-]+$")] = Field(
        description="What users see in the spawn form."
    )
    cpu: CpuQuantity = Field(description="CPU of the server, guaranteed and its limit, in cores ('2', '500m').")
    memory: MemoryQuantity = Field(description="Memory of the server, guaranteed and its limit ('8Gi').")
    gpu: Annotated[int, Field(ge=0, le=8)] = Field(default=0, description="GPUs of the server; above 0, it runs on the GPU node group.")


class Nodes(StrictModel):
    allowed_instance_types: Annotated[
        tuple[InstanceTypePattern, ...],
        Field(min_length=1),
        control(C.RESOURCE_HIJACKING, "Instance types (or families like 'm6i.*', or '*') node groups may use; expensive types invite abuse.", direction=SUPERSET),
    ]
    instance_types: Annotated[
        tuple[InstanceTypePattern, ...],
        Field(min_length=1),
        control(C.USER_EXPERIENCE, "Concrete types for the CPU node group; must fall within the allowlist."),
    ]
    gpu_instance_types: Annotated[
        tuple[InstanceTypePattern, ...],
        control(C.USER_EXPERIENCE, "Concrete types for the tainted GPU node group, created only when a team has GPU quota."),
    ] = ()
    max_nodes: Annotated[int, Field(ge=1, le=1000), control(C.RESOURCE_HIJACKING, "Upper bound of the CPU node group; the cluster cannot scale past it.", direction=HIGHER, quota=True)]
    max_gpu_nodes: Annotated[int, Field(ge=0, le=200), control(C.RESOURCE_HIJACKING, "Upper bound of the GPU node group.", direction=HIGHER, quota=True)]

    @model_validator(mode="after")
    def _concrete_types_are_allowed(self) -> Nodes:
        from fnmatch import fnmatchcase

        for kind, types in (("instance_types", self.instance_types), ("gpu_instance_types", self.gpu_instance_types)):
            for instance_type in types:
                if "*" in instance_type:
                    raise ValueError(f"{kind} must list concrete instance types, not the pattern {instance_type!r}")
                if not any(fnmatchcase(instance_type, p) for p in self.allowed_instance_types):
                    raise ValueError(
                        f"{kind} entry {instance_type!r} is not in allowed_instance_types {list(self.allowed_instance_types)}"
                    )
        return self


class ComputeControls(StrictModel):
    sessions: Sessions = Field(description="Users' servers: root and idle culling.")
    default_quota: Quota = Field(description="Each team's ResourceQuota, unless blueprint.yaml or the team's overlay says otherwise.")
    nodes: Nodes = Field(description="Node groups: the instance types they may use and how far they scale.")
    profiles: Annotated[
        tuple[Profile, ...],
        Field(min_length=1),
        control(C.USER_EXPERIENCE, "Server sizes offered at spawn time; teams choose a subset that fits their quota."),
    ]

    @field_validator("profiles")
    @classmethod
    def _unique_profiles(cls, profiles: tuple[Profile, ...]) -> tuple[Profile, ...]:
        names = [p.name for p in profiles]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"profile names must be unique; repeated: {duplicates}")
        return profiles


class Backup(StrictModel):
    schedule: Annotated[
        Literal["daily", "weekly"],
        control(C.DATA_LOSS, "How often home directories are backed up; the most work a user can lose.", ranking=("daily", "weekly")),
    ]
    retention_days: Annotated[int, Field(ge=1, le=3650), control(C.DATA_LOSS, "How far back a restore can go.", direction=LOWER)]


class StorageControls(StrictModel):
    encryption: Annotated[
        Literal["kms-cmk-rotated", "kms-cmk", "provider-managed"],
        control(
            C.DATA_THEFT_OUTSIDER,
            "Encryption at rest: a customer-managed KMS key lets the org audit and revoke access; rotation limits a leaked key.",
            ranking=("kms-cmk-rotated", "kms-cmk", "provider-managed"),
            exposure=X.ACCESS,
        ),
    ]
    versioning: Annotated[bool, control(C.DATA_LOSS, "S3 versioning turns an overwrite or delete into a recoverable event.", direction=LOWER)]
    backup: Backup = Field(description="AWS Backup of the home directories.")
    protect_stateful: Annotated[
        bool,
        control(C.DATA_LOSS, "Stateful resources (bucket, file system, keys) get Pulumi `protect` and retain-on-delete, so a bad change cannot destroy data.", direction=LOWER),
    ]


class AuditControls(StrictModel):
    cloudtrail: Annotated[
        Literal["multi-region", "single-region", "off"],
        control(C.DATA_THEFT_INSIDER, "CloudTrail records who did what with AWS APIs; multi-region leaves no blind spot.", ranking=("multi-region", "single-region", "off")),
    ]
    log_validation: Annotated[bool, control(C.DATA_THEFT_INSIDER, "Digest files prove the trail was not edited after the fact.", direction=LOWER)]
    eks_log_types: Annotated[
        tuple[Literal["api", "audit", "authenticator", "controllerManager", "scheduler"], ...],
        control(C.DATA_THEFT_INSIDER, "EKS control-plane logs; 'audit' and 'authenticator' say who did what inside the cluster.", direction=SUBSET),
    ]
    log_retention_days: Annotated[int, Field(ge=1, le=3653), control(C.DATA_THEFT_INSIDER, "Retention of CloudWatch log groups for cluster and audit logs.", direction=LOWER)]


class StabilityControls(StrictModel):
    versions: Annotated[
        Literal["exact", "minor", "latest"],
        control(C.LOST_TIME, "Version policy for the chart and images: exact pins never move under you; 'latest' takes every minor.", ranking=("exact", "minor", "latest")),
    ]
    kubernetes_version: Annotated[str, Field(pattern=r"^1\.[0-9]{2}$"), control(C.LOST_TIME, "EKS Kubernetes minor version; upgrades are deliberate changes reviewed in a pull request.")]
    multi_az_nodes: Annotated[bool, control(C.LOST_TIME, "Spread node groups across all the VPC's AZs, and give each AZ its own NAT gateway where there is NAT, so losing one AZ loses neither nodes nor egress.", direction=LOWER)]
    maintenance_window: Annotated[
        str,
        Field(pattern=r"^(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]$"),
        control(C.LOST_TIME, "When automated backups and upgrades may disrupt users (ddd:hh:mm-ddd:hh:mm, UTC)."),
    ]
    # The one stance setting the works rule family reads (policy/pack.py): how the generated CrossGuard pack
    # enforces the works rules it can judge from resource inputs. Defaulted so custom stances need not name it.
    works_rules: Annotated[
        Literal["mandatory", "advisory"],
        control(
            C.LOST_TIME,
            "Whether `pulumi preview --policy-pack policy` blocks on a broken works rule (a day-1 blocker) or only reports it.",
            ranking=("mandatory", "advisory"),
        ),
    ] = "advisory"


class PackageControls(StrictModel):
    python: Annotated[
        Literal["curated", "proxy-blocklist", "proxy"],
        control(
            C.INCORRECT_WORK,
            "Python packages: 'curated' admits only the allowlist, 'proxy-blocklist' proxies PyPI minus the blocklist, 'proxy' proxies PyPI.",
            ranking=("curated", "proxy-blocklist", "proxy"),
        ),
    ]
    python_allowlist: Annotated[tuple[PackageName, ...], control(C.USER_EXPERIENCE, "Packages admitted to a curated mirror (teams add their own in overlays).")] = ()
    python_blocklist: Annotated[tuple[PackageName, ...], control(C.INCORRECT_WORK, "Packages never admitted, e.g. known typosquats.")] = ()
    r: Annotated[
        Literal["curated-snapshot", "snapshot", "latest"],
        control(C.INCORRECT_WORK, "R packages: a dated snapshot makes results reproducible; 'curated' also limits which packages. An org mirror (packages.r_mirror_url) enforces this itself.", ranking=("curated-snapshot", "snapshot", "latest")),
    ]
    r_snapshot_date: Annotated[dt.date | None, control(C.INCORRECT_WORK, "The CRAN snapshot date served by the R mirror.")] = None
    r_allowlist: Annotated[
        tuple[RPackageName, ...],
        control(C.USER_EXPERIENCE, "R packages the program's private CRAN-like repository holds (with their dependencies) where egress reaches no public snapshot; teams add their own."),
    ] = ()
    cooldown_days: Annotated[
        int,
        Field(ge=0, le=365),
        control(C.INCORRECT_WORK, "New releases wait this long before a curated mirror admits them; most malicious uploads are caught within days. Only python 'curated' has a promoter to hold them: a proxy serves every release at once.", direction=LOWER),
    ]
    curation_mode: Annotated[
        Literal["block", "report"],
        control(C.INCORRECT_WORK, "Whether curation blocks a package or only reports it (dry run).", ranking=("block", "report")),
    ]
    block_public_internal_names: Annotated[
        bool,
        control(C.INCORRECT_WORK, "Never fetch the org's internal package names from public PyPI (dependency confusion).", direction=LOWER),
    ]

    @model_validator(mode="after")
    def _mode_has_its_data(self) -> PackageControls:
        if self.python == "curated" and not self.python_allowlist:
            raise ValueError("python 'curated' needs a non-empty python_allowlist")
        if self.r != "latest" and self.r_snapshot_date is None:
            raise ValueError(f"r {self.r!r} needs r_snapshot_date (YYYY-MM-DD)")
        return self


class BudgetControls(StrictModel):
    scope: Annotated[
        Literal["per-team", "org"],
        control(C.RESOURCE_HIJACKING, "Budgets per team spot one team's runaway spend; an org total hides it.", ranking=("per-team", "org")),
    ]
    alert_percent: Annotated[int, Field(ge=10, le=200), control(C.RESOURCE_HIJACKING, "Alert when actual spend passes this share of the budget.", direction=HIGHER)]
    team_monthly_usd: Annotated[int, Field(ge=1, le=10_000_000), control(C.RESOURCE_HIJACKING, "Default monthly budget of one team in USD.", direction=HIGHER, team_field="budget_usd", quota=True)]


class StanceControls(StrictModel):
    """All controls of a stance; the dotted path of each leaf is its control id."""

    network: NetworkControls = Field(description="Egress, the API endpoint, ingress, VPC endpoints, flow logs and AZs.")
    identity: IdentityControls = Field(description="Sign-in: SSO, MFA, session length and group-based access.")
    compute: ComputeControls = Field(description="Sessions, quotas, node groups and the server sizes offered.")
    storage: StorageControls = Field(description="Encryption at rest, versioning, backups and protection of stateful resources.")
    audit: AuditControls = Field(description="CloudTrail and the EKS control-plane logs.")
    stability: StabilityControls = Field(description="Version policy, the Kubernetes version, AZ spread and the maintenance window.")
    packages: PackageControls = Field(description="The Python package mirror and the R repository.")
    budgets: BudgetControls = Field(description="Budget scope, alert threshold and each team's default budget.")


def _count(items: tuple[str, ...], one: str) -> str:
    return f"{len(items)} {one}{'' if len(items) == 1 else 's'}"


# The one-line summary of a stance, phrase by phrase: each phrase is a function of one control's value, so a
# summary can only say what the values say (a custom stance never inherits its parent's words). Order: the
# concerns, biggest first. `None` leaves a reassuring default unsaid; every weakening is said.
SUMMARY_PHRASES: tuple[tuple[str, Callable[[StanceControls], str | None]], ...] = (
    ("network.egress", lambda s: {
        "mirror": "no internet egress",
        "allowlist": f"NAT to {_count(s.network.egress_allowlist, 'allowlisted domain')}",
        "open": "open internet egress",
    }[s.network.egress]),
    ("network.api_endpoint", lambda s: {"private": "private API", "public-and-private": "public API to admin CIDRs"}[s.network.api_endpoint]),
    ("network.ingress", lambda s: {"internal": "internal ingress", "internet-sso": "internet ingress behind SSO"}[s.network.ingress]),
    ("identity.mfa", lambda s: "MFA" if s.identity.mfa else "no MFA"),
    ("compute.sessions.root_allowed", lambda s: "root in sessions" if s.compute.sessions.root_allowed else None),
    ("storage.encryption", lambda s: {
        "kms-cmk-rotated": "KMS keys with rotation",
        "kms-cmk": "KMS keys",
        "provider-managed": "provider-managed encryption",
    }[s.storage.encryption]),
    ("audit.cloudtrail", lambda s: {
        "multi-region": "multi-region audit trail",
        "single-region": "single-region audit trail",
        "off": "no audit trail",
    }[s.audit.cloudtrail]),
    ("packages.python", lambda s: {
        "curated": "curated Python packages",
        "proxy-blocklist": "PyPI proxy with a blocklist",
        "proxy": "live PyPI",
    }[s.packages.python]),
    ("packages.r", lambda s: {
        "curated-snapshot": "curated CRAN snapshot",
        "snapshot": "dated CRAN snapshot",
        "latest": "live CRAN",
    }[s.packages.r]),
)  # fmt: skip


def derived_summary(controls: StanceControls) -> str:
    """One line saying what the values say: built from `SUMMARY_PHRASES`, never from written text."""
    phrases = [phrase for _, describe in SUMMARY_PHRASES if (phrase := describe(controls))]
    text = ", ".join(phrases)
    return f"{text[:1].upper()}{text[1:]}."


class Stance(StanceControls):
    """A named, resolved stance (built-in or custom after `extends:` resolution).

    `summary` is derived from the values; `note` is what a custom stance's own `summary:` says in
    blueprint.yaml (the org's words, shown as such, never inherited from the stance it extends).
    """

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")] = Field(description="The stance's name; a built-in's is its file name.")
    note: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="The organisation's own words about a custom stance, shown beside the summary derived from its values."
    )
    extends: str | None = Field(default=None, description="The stance a custom one extends (set when it is resolved); a built-in extends none.")

    @property
    def summary(self) -> str:
        return derived_summary(self)


def stance_controls() -> tuple[ControlInfo, ...]:
    """Every control id in declaration order."""
    return _CONTROLS


def control_value(stance: StanceControls, control_id: str) -> object:
    return read_path(stance, control_id)


_CONTROLS = tuple(walk_controls(StanceControls))
CONTROL_IDS = frozenset(c.id for c in _CONTROLS)
META = {c.id: c.meta for c in _CONTROLS}

# Tables derived from the declarations above; nothing else keeps a list of control ids.
# Team-scoped controls by id -> the path of the team's resolved value in `TeamSpec` (declaration order).
TEAM_FIELDS: dict[str, str] = {c.id: c.meta.team_field for c in _CONTROLS if c.meta.team_field is not None}
# Capacity controls (quotas, node caps, budgets): reviews list their increases as their own kind.
QUOTA_CONTROLS = frozenset(c.id for c in _CONTROLS if c.meta.quota)
# The team's ResourceQuota fields (`Quota` field name -> control id): team fields under `quota.`.
TEAM_QUOTA_CONTROLS: dict[str, str] = {field.removeprefix("quota."): cid for cid, field in TEAM_FIELDS.items() if field.startswith("quota.")}


def controls_exposed(exposure: X) -> frozenset[str]:
    """The ids of the controls declared with `exposure=`."""
    return frozenset(c.id for c in _CONTROLS if c.meta.exposure is exposure)


def validate_control_value(control_id: str, value: object) -> object:
    """Validate one control's value with the field's own type and constraints."""
    return _adapter(control_id).validate_python(value)


@cache
def _adapter(control_id: str) -> TypeAdapter:
    model: type = StanceControls
    *parents, leaf = control_id.split(".")
    for part in parents:
        model = model.model_fields[part].annotation
    field = model.model_fields[leaf]
    return TypeAdapter(Annotated[field.annotation, *field.metadata])
