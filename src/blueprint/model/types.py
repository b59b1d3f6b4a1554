"""Named constrained types shared by every model, so each rule is written once."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema

from ..errors import shown
from ..facts.aws_regions import AWS_REGIONS, PULUMI_AWS_VERSION
from .units import GIB, QUANTITY_LOOKS_LIKE, QUANTITY_PATTERN, parse_quantity

# What a value of each pattern looks like, said in messages instead of the regular expression (`pattern`).
PATTERN_HINTS: dict[str, str] = {}


def pattern(regex: str, looks_like: str, **constraints: int) -> StringConstraints:
    """A string pattern with what a valid value looks like ("lowercase letters ..., e.g. genomics"), for messages."""
    PATTERN_HINTS.setdefault(regex, looks_like)
    return StringConstraints(pattern=regex, **constraints)


def _known_region(value: str) -> str:
    # The regions the pinned pulumi-aws knows (facts.aws_regions, generated from its `Region` enum): a region
    # code no provider can target is refused here, not at `pulumi up`.
    if value in AWS_REGIONS:
        return value
    prefix = value.split("-", 1)[0]
    nearby = [region for region in AWS_REGIONS if region.split("-", 1)[0] == prefix]
    hint = f"the {prefix} regions are {', '.join(nearby)}" if nearby else "use an AWS region code such as eu-west-1 or us-east-1"
    raise ValueError(f"{shown(value)} is not an AWS region pulumi-aws {PULUMI_AWS_VERSION} knows; {hint}")


DNS_LABEL_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"
_DNS_LABEL = "lowercase letters, digits and '-', starting with a letter and not ending in '-', e.g. genomics"

# Team names become Kubernetes namespaces, IAM role names and S3 prefixes:
# DNS-1123 labels, short enough to leave room for suffixes like "-data-access".
TeamName = Annotated[str, pattern(DNS_LABEL_PATTERN, _DNS_LABEL, min_length=2, max_length=30)]
OrgName = Annotated[str, pattern(DNS_LABEL_PATTERN, _DNS_LABEL, min_length=2, max_length=24)]
StackName = Annotated[str, pattern(r"^[a-z][a-z0-9-]{0,29}$", "up to 30 lowercase letters, digits and '-', starting with a letter, e.g. dev")]
ProfileName = Annotated[str, pattern(DNS_LABEL_PATTERN, _DNS_LABEL, min_length=1, max_length=40)]
# Stance names (built-in and custom, and what `extends` names).
StanceName = Annotated[str, pattern(r"^[a-z][a-z0-9-]{0,39}$", "up to 40 lowercase letters, digits and '-', starting with a letter, e.g. strict-gpu")]
# IdP groups appear in JWT claims and Kubernetes RBAC subjects; keep them to a
# conservative character set so they cannot break out of YAML, JSON or shell.
IdpGroup = Annotated[str, pattern(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$", "letters, digits and . _ / - as the IdP sends the group, e.g. dsw-genomics")]
Region = Annotated[str, AfterValidator(_known_region), Field(json_schema_extra={"enum": list(AWS_REGIONS)})]
# Pulumi config keys: the IdP client secret lives there, never in blueprint.yaml.
ConfigKey = Annotated[str, pattern(r"^[a-zA-Z][a-zA-Z0-9]{0,39}$", "a Pulumi config key: a letter, then up to 39 letters and digits, e.g. idpClientSecret")]
PackageName = Annotated[
    str, pattern(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$", "a package name as PyPI writes it: letters, digits and . _ -, e.g. scikit-learn")
]

def _cran_name(value: str) -> str:
    # "Writing R Extensions", 1.1.1: letters, numbers and '.', at least two characters, starting with a
    # letter and not ending in '.'. A name like 'my-pkg' can exist in no CRAN-like repository.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]", value):
        raise ValueError(
            f"{shown(value)} is not an R package name: CRAN names use letters, digits and '.', start with a letter "
            "and do not end in '.' (e.g. 'data.table', 'ggplot2')"
        )
    return value


RPackageName = Annotated[str, AfterValidator(_cran_name)]
InstanceTypePattern = Annotated[
    str, pattern(r"^(\*|[a-z][a-z0-9-]*\.(\*|[a-z0-9]+))$", "an EC2 instance type, a family with '.*' or '*' alone, e.g. m6i.xlarge or 'm6i.*'")
]
DomainPattern = Annotated[
    str,
    pattern(
        r"^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)$",
        "a lowercase domain name, optionally with a leading '*.', e.g. pypi.org or '*.amazonaws.com'",
    ),
]
# IAM role ARNs (any partition); they reach EKS access entries and the generated README, never Python source.
RoleArn = Annotated[
    str, pattern(r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", "an IAM role ARN, e.g. arn:aws:iam::123456789012:role/platform-admin")
]
# GitHub `owner/name`; GitHub allows these characters only. A runner label goes into the workflow's `runs-on`.
GithubRepository = Annotated[str, pattern(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$", "a GitHub OWNER/NAME, e.g. acme/acme-dsw")]
RunnerLabel = Annotated[str, pattern(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", "a runner label of letters, digits and . _ -, e.g. dsw-runner")]
CodeConnectionArn = Annotated[
    str,
    pattern(
        r"^arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]{36}$",
        "a CodeConnections connection ARN, e.g. arn:aws:codeconnections:eu-west-1:123456789012:connection/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
    ),
]


def _cidr(value: str) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a CIDR string such as '10.40.0.0/16'")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{shown(value)} is not a valid IPv4 CIDR such as '10.40.0.0/16' ({exc})") from None
    if network.version != 4:
        raise ValueError(f"{shown(value)} is IPv6; only IPv4 CIDRs are supported")
    return str(network)


def _https_url(value: str) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a URL string")
    parts = urlsplit(value)
    if parts.scheme != "https":
        raise ValueError(f"{shown(value)} must use https:// (identity traffic is never sent in clear text)")
    if not parts.hostname or "." not in parts.hostname:
        raise ValueError(f"{shown(value)} has no fully qualified host name")
    if parts.username or parts.password:
        raise ValueError("must not embed credentials in the URL")
    if any(ch.isspace() or ch in "\"'`$\\<>" for ch in value):
        raise ValueError("contains characters that are not allowed in a URL")
    return value


def _exact(text: str) -> str:
    # parse_quantity ignores surrounding whitespace, but the text itself goes into Kubernetes objects.
    if text != text.strip():
        raise ValueError(f"{shown(text)} has whitespace around it; write the quantity alone, such as '16Gi'")
    return text


def _cpu(value: str | int | float) -> str:
    text = _exact(str(value))
    amount = parse_quantity(text)
    if amount <= 0:
        raise ValueError(f"CPU {shown(text)} must be more than zero")
    if amount > 4096:
        raise ValueError(f"CPU {shown(text)} is more than 4096 cores; use a realistic quota")
    return text


def _memory(value: str) -> str:
    text = _exact(str(value))
    amount = parse_quantity(text)
    if amount < 64 * 2**20:
        raise ValueError(f"memory {shown(text)} is less than 64Mi; use units such as '16Gi'")
    if amount > 64 * 2**40:
        raise ValueError(f"memory {shown(text)} is more than 64Ti; use a realistic quota")
    return text


def _storage(value: str) -> str:
    text = _exact(str(value))
    amount = parse_quantity(text)
    if amount < GIB:
        raise ValueError(f"storage {shown(text)} is less than 1Gi; use units such as '200Gi'")
    if amount > 1024 * 2**40:
        raise ValueError(f"storage {shown(text)} is more than 1Pi; use a realistic quota")
    return text


def _as_str(value: object) -> object:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


# What editors see of a quantity (`blueprint schema`): the parser's own pattern, and what their message says instead of
# the regular expression (`patternErrorMessage`, read by VS Code and yaml-language-server); the ranges stay the validators'.
_QUANTITY_TEXT = {"type": "string", "pattern": QUANTITY_PATTERN, "patternErrorMessage": f"Should be {QUANTITY_LOOKS_LIKE}."}
PATTERN_HINTS.setdefault(QUANTITY_PATTERN, QUANTITY_LOOKS_LIKE)  # the schema's pattern; the validators say the same in words

Cidr = Annotated[str, AfterValidator(_cidr)]
HttpsUrl = Annotated[str, AfterValidator(_https_url)]
CpuQuantity = Annotated[
    str, BeforeValidator(_as_str), AfterValidator(_cpu), WithJsonSchema({"anyOf": [_QUANTITY_TEXT, {"type": "number", "exclusiveMinimum": 0}]})
]
MemoryQuantity = Annotated[str, AfterValidator(_memory), WithJsonSchema(_QUANTITY_TEXT)]
StorageQuantity = Annotated[str, AfterValidator(_storage), WithJsonSchema(_QUANTITY_TEXT)]


def looks_like_secret(value: str) -> bool:
    """True for long high-variety tokens, which belong in `pulumi config set --secret`, not in YAML."""
    if len(value) < 20:
        return False
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]"))
    return classes >= 3 and not re.fullmatch(r"[a-z]+([A-Z][a-z]+)*", value)
