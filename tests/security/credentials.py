"""A small credential scanner for generated files, with its allow rules written down.

What counts as a hit:
- AWS access key ids (`AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 upper-case letters or digits), GitHub,
  Pulumi, Slack and Google API tokens by their documented prefixes, and JSON Web Tokens;
- PEM private key blocks (`-----BEGIN ... PRIVATE KEY-----`);
- a credential-named key (`password`, `secret`, `client_secret`, `token`, `api_key`, `access_key`,
  `secret_access_key`, `passphrase`, ...) assigned a literal value with `:` or `=`;
- a long high-entropy token: 32+ characters of base64/hex alphabet with Shannon entropy of at least
  4.2 bits per character (hex: 40+ characters and 3.5 bits).

Allow rules (each one is a reason a value is not a credential):
- credential-named keys whose value is a reference, not a value: `${{ secrets.X }}` / `${{ vars.X }}`
  (GitHub expressions), `$VAR` / `"$VAR"` (shell), `<value>` / `<...>` (documentation placeholders),
  `[secret]` (the offline preview's secret marker), empty or `null`, a boolean, a `!=` comparison,
  and the names of config keys (`client_secret_config`, `secret_keys`, ...: the key name ends in
  `_config`, `_key_name`, `_ref` or `_arn`);
- `secure:` values in `Pulumi.<stack>.yaml`: ciphertext written by `pulumi config set --secret`;
- high-entropy tokens that are sha256/sha1 hex digests of package pins (`--hash=sha256:`), git
  object ids, or pieces of a Pulumi URN / ARN (the mock engine's ids are not secrets);
- the name part of a load balancer's DNS name (`a<hex>-<hex>.elb.<region>.amazonaws.com`, as EKS's
  service controller names an NLB): a public address, not a credential;
- EC2's `http_tokens: required|optional` (IMDSv2 setting of a launch template), not a token;
- the word "token" in prose: only `key: value` / `key = value` pairs are read as assignments;
- `#sha256=` digests pinning the vendored wheel in requirements.txt;
- vendored release artifacts, not written from anything the user gave: the workbench-blueprint wheel
  (`vendor/*.whl`, a zip of this package) and the Zero to JupyterHub chart as released (`charts/jupyterhub/`,
  its own sources; `tests/charts` check it is the upstream release).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass

PREFIXED = {
    "aws-access-key-id": re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])"),
    "github-token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})\b"),
    "pulumi-token": re.compile(r"\bpul-[a-f0-9]{40}\b"),
    "slack-token": re.compile(r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b"),
    "google-api-key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "jwt": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "private-key-block": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
}
CREDENTIAL_WORDS = ("password", "passwd", "secret", "token", "apikey", "accesskey", "passphrase", "privatekey", "credential")
# A key, maybe quoted, then ':' (YAML/JSON, followed by a space, a quote or the line end) or '='; the value is only looked at.
# Only where a line (or a flow mapping entry) starts: "the client secret: `pulumi ...`" in prose is not one.
ASSIGNMENT = re.compile(
    r"""(?x)
    (?:^\s*(?:-\s+)?(?:export\s+)?|[{,]\s*|(?<=:)(?=[A-Za-z]))      # line start, list item, flow entry, or after 'project:'
    (?P<quote>["']?)(?P<key>[A-Za-z][A-Za-z0-9_.-]*)(?P=quote)
    \s*(?:=|:(?=\s|$|["']))\s*
    (?=(?P<value>\$\{\{[^}]*\}\}|"[^"\n]*"|'[^'\n]*'|[^\s,}\]#]*))
    """
)
REFERENCE = re.compile(
    r"""(?ix)^(
        \$\{\{.*\}\}                      # GitHub expression
      | \$\{?[A-Za-z_][A-Za-z0-9_]*\}?    # shell variable
      | <[^>]*>                          # documentation placeholder
      | \[secret\]                       # offline preview marker
      | null | none | ~ | true | false
      | -?[0-9]+(\.[0-9]+)?               # numbers: durations, counts
      | [{\[].* | [|>][-+]?                # a nested mapping, list or block starts: its keys are scanned themselves
      | secure                           # Pulumi ciphertext follows (stack files)
    )$"""
)
# Keys that name or configure a credential without holding one.
NOT_A_CREDENTIAL_KEY = re.compile(
    r"(?i)(config|keyname|keys|ref|arn|id|url|uri|claim|path|file|rotation|validity|revocation|units|type|name|"
    r"flows|scopes|enabled|length|days|hours|policy|header|env|generate|mode)$"
)
TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{32,}")
HEX = re.compile(r"\b[0-9a-f]{40,}\b")
VENDORED = re.compile(r"(^|[/ ])(vendor/[^/]+\.whl$|charts/jupyterhub/)")
# `uses: owner/action@<commit>`: a GitHub Actions step pinned by commit SHA.
SAFE_CONTEXT = re.compile(
    r"(?i)(--hash=sha(?:1|256|512):|(?:#|^)sha256=|urn:pulumi:|arn:aws[a-z-]*:|thumbprint|fingerprint|digest|checksum|etag|uses:\s*[\w.-]+/[\w./-]+@)"
)
TIME_UNITS = ("seconds", "minutes", "hours", "days")
LOAD_BALANCER_HOST = re.compile(r"\.elb\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\b")


@dataclass(frozen=True)
class Hit:
    path: str
    where: str
    rule: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.path} ({self.where}): {self.rule}: {self.excerpt}"


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_like_a_name(token: str) -> bool:
    """Words, acronyms and numbers (AmazonEC2ContainerRegistryReadOnly, aws_s3_bucket, acme-dev-ml2): not a random string.

    About 0.7 % of random 32-character base64 strings pass as names; the other rules still see them when assigned.
    """
    letters = re.sub(r"[-_./+=]", "", token)
    pieces = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+", letters)
    return bool(pieces) and "".join(pieces) == letters and sum(map(len, pieces)) / len(pieces) >= 3


def _mask(text: str) -> str:
    return text if len(text) <= 12 else text[:6] + "…" + text[-3:]


def json_lines(data: object, where: str = "$") -> list[tuple[str, str]]:
    """A JSON document as `key: value` lines (strings with newlines continue on their own lines), each with its JSON path."""
    lines: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            inner = f"{where}.{key}"
            if isinstance(value, (dict, list)):
                lines.append((inner, f"{key}: {'{' if isinstance(value, dict) else '['}"))
                lines.extend(json_lines(value, inner))
            else:
                text = value if isinstance(value, str) else json.dumps(value)
                first, *rest = text.splitlines() or [""]
                lines.append((inner, f"{key}: {first}"))
                lines.extend((f"{inner} line {n}", line) for n, line in enumerate(rest, 2))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            lines.extend(json_lines(value, f"{where}[{index}]") if isinstance(value, (dict, list)) else json_lines({"-": value}, f"{where}[{index}]"))
    return lines


def file_lines(path: str, content: bytes) -> list[tuple[str, str]]:
    text = content.decode("utf-8", "replace")
    if path.endswith(".json") or text.lstrip().startswith(("{", "[")):
        try:
            return json_lines(json.loads(text))
        except json.JSONDecodeError:
            pass
    return [(f"line {n}", line) for n, line in enumerate(text.splitlines(), 1)]


def scan_lines(path: str, lines: list[tuple[str, str]]) -> list[Hit]:
    hits: list[Hit] = []
    name = re.split(r"[/ ]", path)[-1]
    stack_file = name.startswith("Pulumi.") and name.endswith(".yaml") and name != "Pulumi.yaml"
    for where, line in lines:
        for rule, pattern in PREFIXED.items():
            for match in pattern.finditer(line):
                hits.append(Hit(path, where, rule, _mask(match.group(0))))
        for match in ASSIGNMENT.finditer(line):
            key, value = match["key"], match["value"].strip("\"'")
            normalised = re.sub(r"[-_.]", "", key.lower())
            if not any(word in normalised for word in CREDENTIAL_WORDS) or NOT_A_CREDENTIAL_KEY.search(normalised):
                continue
            if value == "" or REFERENCE.match(value) or value in TIME_UNITS or (normalised == "idtoken" and value in ("write", "read", "none")):
                continue  # a reference, a unit (Cognito's token_validity_units), or GitHub's `permissions: id-token: write`
            if normalised == "httptokens" and value in ("required", "optional"):
                continue  # EC2 metadata options: whether IMDSv2 session tokens are required (node launch templates)
            hits.append(Hit(path, where, f"literal value for {key!r}", _mask(value)))
        if stack_file and re.match(r"\s*secure:\s", line):
            continue  # Pulumi ciphertext
        for match in TOKEN.finditer(line):
            token = match.group(0)
            # 100 characters: enough for `uses: <owner>/<long action name>@` before a pinned commit.
            before = where + " " + line[max(0, match.start() - 100) : match.start()]
            if SAFE_CONTEXT.search(before) or SAFE_CONTEXT.search(token):
                continue  # digests in pins, URNs, ARNs and fingerprints
            if LOAD_BALANCER_HOST.match(line, match.end()):
                continue  # a load balancer's DNS name
            if looks_like_a_name(token) or not (re.search("[A-Za-z]", token) and re.search("[0-9]", token)):
                continue  # names such as acme-cluster-node-AmazonEC2ContainerRegistryReadOnly, paths, words
            if entropy(token) >= 3.8:
                hits.append(Hit(path, where, f"high-entropy token ({entropy(token):.1f} bits/char)", _mask(token)))
        for match in HEX.finditer(line):
            # 100 characters: enough for `uses: <owner>/<long action name>@` before a pinned commit.
            before = where + " " + line[max(0, match.start() - 100) : match.start()]
            if not SAFE_CONTEXT.search(before) and entropy(match.group(0)) >= 3.5:
                hits.append(Hit(path, where, "long hex string", _mask(match.group(0))))
    return hits


def scan_files(files: dict[str, bytes]) -> list[Hit]:
    """Every hit in `files` (relative path -> bytes); JSON files are read as key/value pairs."""
    hits: list[Hit] = []
    for path, content in sorted(files.items()):
        if VENDORED.search(path):
            continue
        hits.extend(scan_lines(path, file_lines(path, content)))
    return hits
