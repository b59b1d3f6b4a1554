"""Named constrained types shared by every model, so each rule is written once."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, StringConstraints, WithJsonSchema

from .units import GIB, QUANTITY_LOOKS_LIKE, QUANTITY_PATTERN, parse_quantity

DNS_LABEL_PATTERN = r"^[a-z]([-a-z0-9]*[a-z0-9])?$"

# Team names become Kubernetes namespaces, IAM role names and S3 prefixes:
# DNS-1123 labels, short enough to leave room for suffixes like "-data-access".
TeamName = Annotated[str, StringConstraints(pattern=DNS_LABEL_PATTERN, min_length=2, max_length=30)]
OrgName = Annotated[str, StringConstraints(pattern=DNS_LABEL_PATTERN, min_length=2, max_length=24)]
StackName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,29}$")]
ProfileName = Annotated[str, StringConstraints(pattern=DNS_LABEL_PATTERN, min_length=1, max_length=40)]
# IdP groups appear in JWT claims and Kubernetes RBAC subjects; keep them to a
# conservative character set so they cannot break out of YAML, JSON or shell.
IdpGroup = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")]
# Pulumi config keys: the IdP client secret lives there, never in blueprint.yaml.
ConfigKey = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z][a-zA-Z0-9]{0,39}$")]
PackageName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,98}[A-Za-z0-9])?$")]


def _cran_name(value: str) -> str:
    # "Writing R Extensions", 1.1.1: letters, numbers and '.', at least two characters, starting with a
    # letter and not ending in '.'. A name like 'my-pkg' can exist in no CRAN-like repository.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]", value):
        raise ValueError(
            f"{value!r} is not an R package name: CRAN names use letters, digits and '.', start with a letter "
            "and do not end in '.' (e.g. 'data.table', 'ggplot2')"
        )
    return value


RPackageName = Annotated[str, AfterValidator(_cran_name)]
InstanceTypePattern = Annotated[str, StringConstraints(pattern=r"^(\*|[a-z][a-z0-9-]*\.(\*|[a-z0-9]+))$")]
DomainPattern = Annotated[str, StringConstraints(pattern=r"^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)$")]
# IAM role ARNs (any partition); they reach EKS access entries and the generated README, never Python source.
RoleArn = Annotated[str, StringConstraints(pattern=r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")]
# GitHub `owner/name`; GitHub allows these characters only. A runner label goes into the workflow's `runs-on`.
GithubRepository = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")]
RunnerLabel = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
CodeConnectionArn = Annotated[str, StringConstraints(pattern=r"^arn:aws(-[a-z]+)*:(codeconnections|codestar-connections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f-]{36}$")]


def _cidr(value: str) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a CIDR string such as '10.40.0.0/16'")
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid IPv4 CIDR such as '10.40.0.0/16' ({exc})") from None
    if network.version != 4:
        raise ValueError(f"{value!r} is IPv6; only IPv4 CIDRs are supported")
    return str(network)


def _https_url(value: str) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a URL string")
    parts = urlsplit(value)
    if parts.scheme != "https":
        raise ValueError(f"{value!r} must use https:// (identity traffic is never sent in clear text)")
    if not parts.hostname or "." not in parts.hostname:
        raise ValueError(f"{value!r} has no fully qualified host name")
    if parts.username or parts.password:
        raise ValueError("must not embed credentials in the URL")
    if any(ch.isspace() or ch in "\"'`$\\<>" for ch in value):
        raise ValueError("contains characters that are not allowed in a URL")
    return value


def _exact(text: str) -> str:
    # parse_quantity ignores surrounding whitespace, but the text itself goes into Kubernetes objects.
    if text != text.strip():
        raise ValueError(f"{text!r} has whitespace around it; write the quantity alone, such as '16Gi'")
    return text


def _cpu(value: str | int | float) -> str:
    text = _exact(str(value))
    amount = parse_quantity(text)
    if amount <= 0:
        raise ValueError(f"CPU {text!r} must be more than zero")
    if amount > 4096:
        raise ValueError(f"CPU {text!r} is more than 4096 cores; use a realistic quota")
    return text


def _memory(value: str) -> str:
    text = _exact(str(value))
    amount = parse_quantity(text)
    if amount < 64 * 2**20:
        raise ValueError(f"memory {text!r} is less than 64Mi; use units such as '16Gi'")
    if amount > 64 * 2**40:
        raise ValueError(f"memory {text!r} is more than 64Ti; use a realistic quota")
    return text


def _storage(value: str) -> str:
    text = _exact(str(value))
    amount = parse_quantity(text)
    if amount < GIB:
        raise ValueError(f"storage {text!r} is less than 1Gi; use units such as '200Gi'")
    if amount > 1024 * 2**40:
        raise ValueError(f"storage {text!r} is more than 1Pi; use a realistic quota")
    return text


def _as_str(value: object) -> object:
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


# What editors see of a quantity (`blueprint schema`): the parser's own pattern, and what their message says instead of
# the regular expression (`patternErrorMessage`, read by VS Code and yaml-language-server); the ranges stay the validators'.
_QUANTITY_TEXT = {"type": "string", "pattern": QUANTITY_PATTERN, "patternErrorMessage": f"Should be {QUANTITY_LOOKS_LIKE}."}

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
