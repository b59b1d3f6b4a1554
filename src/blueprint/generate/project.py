"""`blueprint new`: from command-line answers to a validated spec and the files of a Pulumi project.

`NewProject` and `TeamAnswer` (the answers) live in `record`, which owns what a project records about itself."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .. import __version__
from ..catalog import BLUEPRINT_SCHEMA_FILE, OVERLAY_SCHEMA_FILE, blueprint_schema, modeline, overlay_schema, schema_text
from ..charts.z2jh import CHART_VERSION, PROJECT_CHART_DIR, chart_vendored, project_chart_files
from ..errors import UsageError
from ..model import BlueprintFile, BlueprintSpec, resolve
from ..model.loading import validate
from ..model.yamlio import dump_yaml
from ..policy import render_policy_pack
from .pins import PINS
from .templates import GITIGNORE, MAIN_PY
from .wheel import VENDOR_DIR, running_wheel
from .record import ANSWERS_FILE, NewProject, TeamAnswer, answers_file, record_generation
from .workflow import WORKFLOW_FILE, readme_section, render_workflow
from .writer import write_tree

SCHEMA_FILE = BLUEPRINT_SCHEMA_FILE


def blueprint_document(answers: NewProject) -> dict[str, Any]:
    idp: dict[str, Any] = {"kind": answers.idp}
    for key in ("issuer_url", "client_id", "metadata_url"):
        value = getattr(answers, key)
        if value is not None:
            idp[key] = value
    document: dict[str, Any] = {
        "schema_version": 1,
        "org": answers.org,
        "region": answers.region,
        "stack": answers.stack,
        "hub_hostname": answers.hub_hostname or f"jupyter.{answers.org}.internal",
        "stance": answers.stance,
        "idp": idp,
        "network": {"vpc_cidr": "10.40.0.0/16", "service_cidr": "172.20.0.0/16"},
        "budgets": {"alert_emails": list(answers.alert_emails)},
        "teams": [{"name": t.name, "idp_group": t.idp_group} for t in answers.teams],
    }
    if answers.admin_cidrs:
        document["network"]["admin_cidrs"] = list(answers.admin_cidrs)
    if answers.on_premises_cidrs:
        document["network"]["on_premises_cidrs"] = list(answers.on_premises_cidrs)
    if answers.tls:
        document["tls"] = dict(answers.tls)
    ci: dict[str, Any] = {"runner": "codebuild", "repository": answers.github_repository or f"{answers.org}/{answers.project_name}"}
    if answers.admin_role_arns:
        ci["admin_role_arns"] = list(answers.admin_role_arns)
    if answers.ci_role_arns:
        ci["ci_role_arns"] = list(answers.ci_role_arns)
    document["ci"] = ci
    return document


def validated(document: dict[str, Any], source: str) -> tuple[BlueprintFile, BlueprintSpec]:
    blueprint = validate(BlueprintFile, document, source)
    return blueprint, resolve(blueprint, source)


_KEY_COMMENTS = {
    "org": "Organisation name: prefixes AWS resource names. Lowercase letters, digits, '-'.",
    "region": "AWS region everything is created in.",
    "stack": "Pulumi stack this blueprint is previewed and applied as.",
    "hub_hostname": "DNS name of JupyterHub; the IdP callback is https://<hub_hostname>/hub/oauth_callback.\n"
    "TLS: with no `tls:` section, bring the certificate with `pulumi config set hubCertificateArn <ARN>` (e.g. from ACM\n"
    "Private CA: no public CA issues for names like .internal) and the hub's record goes into a zone the program creates.",
    "stance": "Built-in stance (strict, balanced, open) or a custom one under `stances:` that extends one.\n"
    "`blueprint explain <stance>` shows every control, the concern it serves and why.",
    "idp": "Single sign-on. The client secret is NOT here: `pulumi config set --secret <client_secret_config> <value>`.",
    "network": "Address plan. Ranges must not overlap each other or on_premises_cidrs.\n"
    "on_premises_cidrs: the office/VPN networks routed to the VPC (Direct Connect, VPN, Transit Gateway): with an internal\n"
    "load balancer (strict) they are the only way users reach the hub; `blueprint check` warns when there are none.",
    "tls": "The hub's certificate: certificate_arn, private_ca_arn or validation_zone_id (a public Route 53 zone); hub_zone_id\n"
    "takes the hub's alias record. `blueprint schema` describes each.",
    "budgets": "Budget alerts go to these addresses; with none, budgets are created but alert nobody.",
    "ci": "Where CI's `pulumi preview`/`pulumi up` run: a CodeBuild-hosted GitHub Actions runner in the VPC (the API endpoint\n"
    "may be private). repository: the GitHub owner/name this project lives in (guessed by `blueprint new`: check it).\n"
    "admin_role_arns / ci_role_arns: IAM roles given cluster access (EKS access entries); ci_role_arns are the roles\n"
    "the workflow assumes (AWS_PREVIEW_ROLE_ARN, AWS_APPLY_ROLE_ARN). `blueprint explain` and README.md say more.",
    "teams": "One entry per team: name (becomes the Kubernetes namespace) and the IdP group whose members belong to it.\n"
    "Teams tune quotas, profiles and packages in teams/<name>.yaml (`blueprint fork`).",
}


def commented_blueprint(document: dict[str, Any]) -> str:
    root = CommentedMap()
    for key, value in document.items():
        root[key] = _commented(value)
    root.yaml_set_start_comment(
        f"{modeline('./' + SCHEMA_FILE)}\n"
        "The workbench blueprint: pure data, validated by `blueprint check`. Generated by `blueprint new`;\n"
        "edit freely - `blueprint upgrade` keeps your edits."
    )
    for key, comment in _KEY_COMMENTS.items():
        if key in root and key != "schema_version":
            root.yaml_set_comment_before_after_key(key, before="\n" + comment)
    return dump_yaml(root)


def _commented(value: Any) -> Any:
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _commented(item)
        return mapping
    if isinstance(value, (list, tuple)):
        sequence = CommentedSeq(_commented(v) for v in value)
        if all(not isinstance(v, (dict, list)) for v in value):
            sequence.fa.set_flow_style()
        return sequence
    return value


def pulumi_project(answers: NewProject) -> str:
    return dump_yaml(
        {
            "name": answers.project_name,
            "description": f"Data-science workbench for {answers.org} ({answers.stance} stance), generated by workbench-blueprint",
            "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}},
            "main": "__main__.py",
        }
    )


def pulumi_stack(spec: BlueprintSpec) -> str:
    root = CommentedMap({"config": {"aws:region": spec.region}})
    root.yaml_set_start_comment(
        "Stack settings. The IdP client secret is set as an encrypted secret, never in plain text:\n"
        f"  pulumi config set --secret {spec.idp.client_secret_config} <value>"
        + ("  (kind: oidc)" if spec.idp.kind == "oidc" else "  (only for kind: oidc; Cognito generates its own)")
    )
    return dump_yaml(root)


def requirements(answers: NewProject, *, base: str = "") -> str:
    """requirements.txt; `base` leads from where pip runs to the project root ("../" for the policy pack).

    workbench-blueprint itself is the vendored wheel, pinned by its sha256 in the URL fragment, which pip checks
    (a `--hash` option would instead switch pip to hash-checking mode for every requirement, and the generator,
    offline, knows no hashes for the other packages' wheels on every platform: those are exact versions);
    or, with `--index-url`, an exact version from that index.
    """
    lines = [f"# Pinned to the versions workbench-blueprint {__version__} is tested with; `blueprint upgrade` moves them."]
    pins = dict(PINS)
    del pins["workbench-blueprint"]
    if answers.index_url:
        lines += [f"--index-url {answers.index_url}", f"workbench-blueprint=={PINS['workbench-blueprint']}"]
    else:
        wheel = running_wheel()
        lines += [
            "# workbench-blueprint: the wheel `blueprint new` ran from, in vendor/; pip checks its sha256.",
            "# Run pip from the directory this file is in: the path is relative to it (`pulumi install` and CI do).",
            f"file:{base}{wheel.path}#sha256={wheel.sha256}",
        ]
    lines += [f"{name}=={version}" for name, version in pins.items()]
    return "\n".join(lines) + "\n"


def vendored_files(answers: NewProject) -> dict[str, bytes]:
    """The binary files of a project: the vendored wheel, unless an index serves workbench-blueprint."""
    if answers.index_url:
        return {}
    wheel = running_wheel()
    return {wheel.path: wheel.data}


_INDEX_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/+-]*)?$")


def check_index_url(url: str | None) -> None:
    if url is not None and not _INDEX_URL.match(url):
        raise UsageError(
            option="--index-url",
            message=f"{url!r} is not an https URL of a package index",
            fix="name your internal index's simple API, e.g. https://pypi.example.internal/simple (credentials through pip's keyring or netrc, never in the URL)",
        )


def project_readme(answers: NewProject, spec: BlueprintSpec) -> str:
    teams = "\n".join(f"| `{t.name}` | `{t.idp_group}` | {t.quota.cpu} CPU, {t.quota.memory}, {t.quota.gpu} GPU |" for t in spec.teams)
    return f"""# {answers.project_name}

Data-science workbench for **{spec.org}** on AWS ({spec.region}), stance **{spec.stance.name}**:
{spec.stance.summary}

Generated by workbench-blueprint {__version__}. Everything you tune lives in `blueprint.yaml`
and `teams/*.yaml`; `__main__.py` only loads them. Run `blueprint explain .` to see every
control, the concern it serves and why.

| team | IdP group | quota |
|---|---|---|
{teams}

## Review before anything is applied

```
blueprint preview .      # offline: Pulumi mock engine, no cloud account, no Pulumi CLI
blueprint check .        # the stance policies, offline
```

The offline preview is not `pulumi preview`: it contacts nothing and shows placeholders
for computed values. The real preview runs with the policy pack:

```
python -m venv venv && venv/bin/pip install -r requirements.txt   # from this directory: paths are relative to it
pulumi login                       # your state backend
pulumi stack select --create {spec.stack}
pulumi config set --secret {spec.idp.client_secret_config} <value>   # only for idp kind oidc
pulumi preview --policy-pack policy
pulumi up                          # after review
```

The IdP callback URL to register is `https://{spec.hub_hostname}/hub/oauth_callback`.

## Reaching the hub

{_reaching_the_hub(spec)}

## What this repository carries, and why

{_carried(answers, spec)}
"""


def _reaching_the_hub(spec: BlueprintSpec) -> str:
    tls = spec.tls
    certificate = {
        "config": f"the certificate you bring: `pulumi config set {tls.certificate_arn_config} <ARN>` (an ACM certificate for "
        f"`{spec.hub_hostname}` in {spec.region}, e.g. from your ACM Private CA) before the first `pulumi preview`",
        "brought": "the certificate you brought (`tls.certificate_arn`)",
        "private-ca": "a private certificate the program requests from your ACM Private CA (`tls.private_ca_arn`); users' devices must trust the CA",
        "public-dns": "a public ACM certificate the program validates through records it writes into `tls.validation_zone_id`",
    }[tls.certificate_source]
    internal = spec.stance.network.ingress == "internal"
    zone = (
        f"zone `{tls.hub_zone_id}`"
        if tls.hub_zone_id
        else ("the public validation zone" if tls.validation_zone_id and not internal else f"a {'private' if internal else 'public'} zone for `{spec.hub_hostname}` the program creates")
    )
    lines = [f"`https://{spec.hub_hostname}` uses {certificate}; its alias record to the hub's load balancer goes into {zone}."]
    lines.append("`pulumi stack output hubDns` shows the zone, its name servers (delegate to them when the program made a public zone) and the load balancer.")
    if internal:
        routes = ", ".join(spec.network.on_premises_cidrs) or "none yet"
        lines.append(
            f"The load balancer is internal: users reach it only from networks routed to the VPC, `network.on_premises_cidrs` ({routes}), "
            "over Direct Connect, VPN or a Transit Gateway, and their DNS must forward the hub's name to a Route 53 Resolver inbound "
            "endpoint in the VPC. Both are the platform team's."
        )
    return "\n".join(lines)


def _carried(answers: NewProject, spec: BlueprintSpec) -> str:
    if answers.index_url:
        lines = [f"- workbench-blueprint comes from `{answers.index_url}` (`--index-url`), pinned to an exact version like the other requirements."]
    else:
        lines = [
            f"- `{VENDOR_DIR}/`: the workbench-blueprint wheel this project was generated with. No public index serves it, so the project carries it, "
            "and `requirements.txt` pins it by sha256 (pip refuses any other file). Commit it; `blueprint upgrade` replaces it."
        ]
    if chart_vendored(spec.stance.network.egress):
        lines.append(
            f"- `{PROJECT_CHART_DIR}/`: the Zero to JupyterHub chart {CHART_VERSION}, which `pulumi up` installs from these files: under egress "
            f"`{spec.stance.network.egress}` the runner in the VPC cannot fetch the chart repository. Commit it; `blueprint upgrade` moves it."
        )
    return "\n".join(lines)


def render_project(answers: NewProject, document: dict[str, Any], spec: BlueprintSpec, stances: tuple[str, ...] | None = None) -> dict[str, str]:
    """Every file of a new project, relative path -> text; `stances`: those the blueprint declares (default: the document's)."""
    files = {
        "blueprint.yaml": commented_blueprint(document),
        SCHEMA_FILE: schema_text(blueprint_schema(declared=tuple(document.get("stances") or ()) if stances is None else stances)),
        OVERLAY_SCHEMA_FILE: schema_text(overlay_schema()),  # teams/*.yaml name it in their modeline (`fork`)
        "Pulumi.yaml": pulumi_project(answers),
        f"Pulumi.{spec.stack}.yaml": pulumi_stack(spec),
        "__main__.py": MAIN_PY,
        "requirements.txt": requirements(answers),
        "README.md": project_readme(answers, spec) + readme_section(spec),
        ".gitignore": GITIGNORE,
        ANSWERS_FILE: answers_file(answers),
    }
    files.update(render_policy_pack(requirements(answers, base="../")))  # policy/: the stance rules as a CrossGuard pack
    if chart_vendored(spec.stance.network.egress):
        files.update(project_chart_files())  # charts/jupyterhub: what `pulumi up` installs from inside the VPC
    files[WORKFLOW_FILE] = render_workflow(spec)
    return record_generation(files, spec)  # last: `blueprint upgrade` merges against this record


@dataclass(frozen=True)
class NewResult:
    directory: Path
    files: Sequence[str]
    spec: BlueprintSpec


def new_project(answers: NewProject, *, force: bool = False) -> NewResult:
    """Validate the answers, render the project and write it atomically; raise BlueprintError on bad input."""
    target = Path(answers.directory)
    check_index_url(answers.index_url)
    document = blueprint_document(answers)
    _, spec = validated(document, f"{target / 'blueprint.yaml'} (from command-line options)")
    files: dict[str, str | bytes] = {**render_project(answers, document, spec), **vendored_files(answers)}
    write_tree(target, files, force=force)
    return NewResult(directory=target, files=sorted(files), spec=spec)


def answers_from(blueprint: BlueprintFile, directory: str, index_url: str | None = None) -> NewProject:
    """The answers equivalent to an existing blueprint, recorded so upgrades can regenerate."""
    return NewProject(
        directory=directory,
        stance=blueprint.stance,
        org=blueprint.org,
        region=blueprint.region,
        stack=blueprint.stack,
        hub_hostname=blueprint.hub_hostname,
        teams=tuple(TeamAnswer(t.name, t.idp_group) for t in blueprint.teams),
        idp=blueprint.idp.kind,
        issuer_url=blueprint.idp.issuer_url,
        client_id=blueprint.idp.client_id,
        metadata_url=blueprint.idp.metadata_url,
        alert_emails=blueprint.budgets.alert_emails,
        admin_cidrs=blueprint.network.admin_cidrs,
        tls=blueprint.tls.model_dump(exclude_defaults=True),
        on_premises_cidrs=blueprint.network.on_premises_cidrs,
        index_url=index_url,
        github_repository=blueprint.ci.repository,
        admin_role_arns=blueprint.ci.admin_role_arns,
        ci_role_arns=blueprint.ci.ci_role_arns,
    )


def new_project_from_file(source: Path, directory: Path, *, force: bool = False, index_url: str | None = None) -> NewResult:
    """`blueprint new DIR --from FILE`: a project around an existing blueprint.yaml, kept verbatim."""
    from ..model.yamlio import read_yaml

    check_index_url(index_url)
    data = read_yaml(source)
    blueprint, spec = validated(data, str(source))
    answers = answers_from(blueprint, str(directory), index_url)
    files: dict[str, str | bytes] = {**render_project(answers, data, spec), **vendored_files(answers)}
    files["blueprint.yaml"] = source.read_text(encoding="utf-8")
    write_tree(directory, files, force=force)
    return NewResult(directory=directory, files=sorted(files), spec=spec)
