"""Hypothesis strategies: random valid blueprint documents, and hostile mutations of them."""

from __future__ import annotations

import copy
import ipaddress
from functools import cache
from typing import Any

from hypothesis import strategies as st

from blueprint.model import builtin_stance
from blueprint.model.spec import RESERVED_TEAM_NAMES
from blueprint.model.units import parse_quantity

STANCES = ("strict", "balanced", "open")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ca-central-1", "sa-east-1", "us-gov-west-1")

# Names chosen to collide once a suffix or prefix is added (`ml` + `-data` = `ml-data`),
# or to look like something the platform names itself.
TEAM_NAME_SEEDS = (
    "ml", "ml-data", "ml-data-access", "genomics", "genomics-gpu", "vision", "team-1", "team-total", "total",
    "hub", "users", "mirror", "budget", "data", "ab", "a1", "x-workbench", "workbench", "storage", "curator",
    "reader", "system", "proxy", "singleuser", "backup", "team", "keys", "network", "identity", "kube", "z9",
)
DNS_LABEL = r"\A[a-z]([-a-z0-9]{0,28}[a-z0-9])\Z"
GROUP = r"\A[A-Za-z0-9][A-Za-z0-9._/-]{0,40}\Z"

# Characters Description refuses (blueprint.model.spec.Description), plus the C1 controls it refuses since
# the NEL fix (a NEL in a YAML scalar reads back as a space).
DESCRIPTION_FORBIDDEN = "".join(chr(c) for c in range(0x20)) + "`$<>\\|;" + "".join(chr(c) for c in range(0x7F, 0xA0))
description_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=DESCRIPTION_FORBIDDEN), max_size=80
).filter(lambda text: text.strip() != "=")  # a lone '=' is refused (the hub's PyYAML cannot read it)

VPC_CIDRS = ("10.40.0.0/16", "10.0.0.0/16", "10.64.0.0/18", "10.128.0.0/20", "10.200.4.0/22")
SERVICE_CIDRS = ("172.20.0.0/16", "172.16.0.0/16", "172.31.0.0/16")
ON_PREMISES_CIDRS = ("192.168.0.0/24", "192.168.10.0/24", "10.250.0.0/16", "172.24.0.0/14")
ADMIN_CIDRS = ("203.0.113.0/24", "198.51.100.0/24", "192.0.2.10/32", "100.64.0.0/10")

CPUS = ("2", "4", "8", "16", "24", "32", "64", "128", 8, 16)
MEMORIES = ("8Gi", "16Gi", "32Gi", "64Gi", "128Gi", "256Gi", "512Gi")
GPUS = (0, 1, 2, 4)
STORAGES = ("10Gi", "100Gi", "500Gi", "1Ti")
PODS = (10, 50, 200)
PACKAGES = ("numpy", "pandas", "scikit-learn", "torch", "zope.interface", "ruamel.yaml", "Rcpp", "data.table", "ggplot2")


def is_reserved(name: str) -> bool:
    return name in RESERVED_TEAM_NAMES or name.startswith("kube-")


team_names = st.one_of(st.sampled_from(TEAM_NAME_SEEDS), st.from_regex(DNS_LABEL)).filter(lambda n: not is_reserved(n))
# 'dsw/ml' and 'dsw-ml' once gave Cognito user groups the same logical name (tests/security/test_regressions.py).
idp_groups = st.one_of(
    st.sampled_from(("dsw-ml", "dsw/ml", "DSW.ML", "dsw_ml", "org/dsw/genomics", "org-dsw-genomics", "a", "0", "admins")),
    st.from_regex(GROUP),
)


@cache
def _stance_facts(stance: str) -> tuple[dict[str, Any], tuple[tuple[str, str, str, int], ...]]:
    resolved = builtin_stance(stance)
    quota = resolved.compute.default_quota.model_dump()
    profiles = tuple((p.name, p.cpu, p.memory, p.gpu) for p in resolved.compute.profiles)
    return quota, profiles


def fitting_profiles(stance: str, override: dict[str, Any]) -> list[str]:
    """Names of the stance's profiles that fit the stance quota with `override` applied (as the model resolves it)."""
    quota, profiles = _stance_facts(stance)
    merged = {**quota, **override}
    return [
        name
        for name, cpu, memory, gpu in profiles
        if parse_quantity(cpu) <= parse_quantity(str(merged["cpu"]))
        and parse_quantity(memory) <= parse_quantity(merged["memory"])
        and gpu <= merged["gpu"]
    ]


@st.composite
def quota_overrides(draw: st.DrawFn) -> dict[str, Any]:
    choices = {"cpu": CPUS, "memory": MEMORIES, "gpu": GPUS, "storage": STORAGES, "pods": PODS}
    keys = draw(st.lists(st.sampled_from(sorted(choices)), unique=True, max_size=5))
    return {key: draw(st.sampled_from(choices[key])) for key in sorted(keys)}


@st.composite
def team_entries(draw: st.DrawFn, stance: str, name: str, group: str) -> dict[str, Any]:
    team: dict[str, Any] = {"name": name, "idp_group": group}
    if draw(st.booleans()):
        team["description"] = draw(description_text)
    quota = draw(quota_overrides())
    fitting = fitting_profiles(stance, quota)
    if not fitting:  # e.g. 8Gi with 2 CPU and no GPU still fits 'small'; keep the strategy honest anyway
        quota.pop("memory", None)
        quota.pop("cpu", None)
        fitting = fitting_profiles(stance, quota)
    if quota:
        team["quota"] = quota
    if draw(st.booleans()):
        team["profiles"] = draw(st.lists(st.sampled_from(fitting), unique=True, min_size=1))
    if draw(st.booleans()):
        team["extra_packages"] = {"python": draw(st.lists(st.sampled_from(PACKAGES), unique=True, max_size=3))}
    if draw(st.booleans()):
        team["idle_timeout_minutes"] = draw(st.integers(10, 10080))
    if draw(st.booleans()):
        team["budget_usd"] = draw(st.integers(1, 10_000_000))
    return team


@st.composite
def idps(draw: st.DrawFn, extra_groups: list[str]) -> dict[str, Any]:
    kind = draw(st.sampled_from(("oidc", "saml", "cognito")))
    idp: dict[str, Any] = {"kind": kind}
    if kind == "oidc":
        idp["issuer_url"] = draw(st.sampled_from(("https://login.acme.example/realms/dsw", "https://acme.okta.com", "https://login.microsoftonline.com/0000/v2.0")))
        idp["client_id"] = draw(st.sampled_from(("jupyterhub", "0oa1b2c3d4", "api://dsw/client")))
    elif kind == "saml":
        idp["metadata_url"] = draw(st.sampled_from(("https://idp.acme.example/saml/metadata", "https://login.microsoftonline.com/x/federationmetadata.xml")))
    if draw(st.booleans()):
        idp["group_claim"] = draw(st.sampled_from(("groups", "cognito:groups", "roles", "https://acme.example/groups")))
    if draw(st.booleans()):
        idp["client_secret_config"] = draw(st.sampled_from(("idpClientSecret", "hubOidcSecret", "ssoSecret2")))
    if extra_groups:
        idp["admin_groups"] = extra_groups
    return idp


@st.composite
def networks(draw: st.DrawFn, stance: str) -> dict[str, Any]:
    vpc = draw(st.sampled_from(VPC_CIDRS))
    service = draw(st.sampled_from(SERVICE_CIDRS))
    taken = [ipaddress.ip_network(vpc), ipaddress.ip_network(service)]
    on_premises = []
    for cidr in draw(st.lists(st.sampled_from(ON_PREMISES_CIDRS), unique=True, max_size=3)):
        network = ipaddress.ip_network(cidr)
        if not any(network.overlaps(other) for other in taken):
            on_premises.append(cidr)
            taken.append(network)
    network: dict[str, Any] = {"vpc_cidr": vpc, "service_cidr": service}
    if on_premises:
        network["on_premises_cidrs"] = on_premises
    admin = draw(st.lists(st.sampled_from(ADMIN_CIDRS), unique=True, min_size=1 if stance == "open" else 0, max_size=3))
    if admin:
        network["admin_cidrs"] = admin
    return network


@st.composite
def valid_documents(draw: st.DrawFn, max_teams: int = 6) -> dict[str, Any]:
    """A blueprint.yaml document the model must accept: 1-`max_teams` teams, any stance, idp kind, region and address plan."""
    stance = draw(st.sampled_from(STANCES))
    org = draw(st.one_of(st.sampled_from(("acme", "ab", "dsw", "a-very-long-org-name-123")), st.from_regex(r"\A[a-z]([-a-z0-9]{0,22}[a-z0-9])\Z")))
    count = draw(st.integers(1, max_teams))
    names = draw(st.lists(team_names, unique=True, min_size=count, max_size=count))
    groups = draw(st.lists(idp_groups, unique=True, min_size=count, max_size=count + 2))
    team_groups, admin_groups = groups[:count], groups[count:]
    document: dict[str, Any] = {
        "schema_version": 2,
        "org": org,
        "region": draw(st.sampled_from(REGIONS)),
        "hub_hostname": draw(st.sampled_from((f"jupyter.{org}.example", "hub.internal.acme.example", "dsw.example.org"))),
        "stance": stance,
        "idp": draw(idps(admin_groups)),
        "network": draw(networks(stance)),
        "teams": [draw(team_entries(stance, name, group)) for name, group in zip(names, team_groups, strict=True)],
    }
    if draw(st.booleans()):
        document["description"] = draw(description_text)
    if draw(st.booleans()):
        document["budgets"] = {
            "alert_emails": draw(st.lists(st.sampled_from(("platform@acme.example", "finops+dsw@acme.example", "a.b@c-d.example")), unique=True, max_size=2)),
            "org_monthly_usd": draw(st.integers(1, 100_000_000)),
        }
    if draw(st.booleans()):
        document["packages"] = {"internal_prefixes": draw(st.lists(st.sampled_from(("acme", "acme-", "internal.", "dsw_")), unique=True, max_size=2))}
    return document


# ---- mutations --------------------------------------------------------------------------

HOSTILE_STRINGS = (
    "$(id)",
    "`id`",
    "; rm -rf / #",
    "../../etc/passwd",
    "..",
    "/",
    '"; DROP TABLE teams; --',
    "' OR '1'='1",
    "a\nb",
    "team\n",
    "\r\n",
    "\t",
    "\x00",
    "\x1b[2J\x1b[31mred",
    "\u202egnp.exe",
    "ｇｅｎｏｍｉｃｓ",  # fullwidth
    "gеnomics",  # Cyrillic 'е'
    "genomics\u200b",
    "{{ .Values.secret }}",
    "${{ secrets.PULUMI_ACCESS_TOKEN }}",
    "*alias",
    "&anchor",
    "!!python/object/apply:os.system ['id']",
    "<script>alert(1)</script>",
    "| pipe | table |",
    "@everyone",
    "%s%s%s%n",
    "A" * 5000,
    "",
    " ",
    "null",
    "kube-system",
    "default",
    "AKIAIOSFODNN7EXAMPLE",
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from((10**100, -(10**30), 2**63, -1, 0)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.sampled_from(HOSTILE_STRINGS),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)),
    max_leaves=8,
)
keys = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20), st.integers(), st.none())


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index path in a document (not the root)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((*prefix, index))
            found.extend(paths(value, (*prefix, index)))
    return found


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    node = document
    for part in path[:-1]:
        node = node[part]
    return node


MUTATIONS = ("delete", "replace", "rename", "duplicate-team", "hostile-string", "hostile-key", "text")


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, Any, tuple[float, str, int] | None]:
    """(mutation kind, document, text edit). Kind 'text' leaves the document valid and gives a text edit
    (where as a fraction of the dumped YAML, what to insert, how many characters to delete) instead."""
    document = copy.deepcopy(draw(valid_documents(max_teams=3)))
    kind = draw(st.sampled_from(MUTATIONS))
    everywhere = paths(document)
    path = draw(st.sampled_from(everywhere))
    parent, last = _parent(document, path), path[-1]
    if kind == "delete":
        del parent[last]
    elif kind == "replace":
        parent[last] = draw(values)
    elif kind == "rename" and isinstance(parent, dict):
        parent[draw(keys)] = parent.pop(last)
    elif kind == "duplicate-team":
        teams = document["teams"]
        twin = copy.deepcopy(draw(st.sampled_from(teams)))
        which = draw(st.sampled_from(("both", "name", "group")))  # what the twin shares with the original
        if which == "name":
            twin["idp_group"] = twin["idp_group"] + "-x"
        elif which == "group":
            twin["name"] = twin["name"][:27] + "-x"
        teams.append(twin)
    elif kind == "hostile-string":
        strings = [p for p in everywhere if isinstance(_parent(document, p)[p[-1]], str)]
        target = draw(st.sampled_from(strings))
        hostile = draw(st.sampled_from(HOSTILE_STRINGS))
        original = _parent(document, target)[target[-1]]
        _parent(document, target)[target[-1]] = draw(st.sampled_from((hostile, original + hostile, hostile + original)))
    elif kind == "hostile-key":
        mappings = [document] + [_parent(document, p)[p[-1]] for p in everywhere if isinstance(_parent(document, p)[p[-1]], dict)]
        draw(st.sampled_from(mappings))[draw(keys)] = draw(values)
    elif kind == "text":
        inserted = draw(st.one_of(st.sampled_from(HOSTILE_STRINGS + (":", "- ", "\t", "{", "]", "&a ", "*a", "\ufeff", "\x85", "!!binary ", "<<: ")), st.text(max_size=5)))
        return kind, document, (draw(st.floats(0, 1)), inserted, draw(st.integers(0, 3)))
    else:  # rename on a list element: replace it instead
        parent[last] = draw(values)
    return kind, document, None
