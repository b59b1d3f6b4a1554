"""User strings cannot break out of where they land: Kubernetes names, Helm values, IAM JSON, markdown, CI shell.

Names are refused at the model boundary; descriptions may hold almost anything, so they must
come back byte for byte from every file they are written to.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml as pyyaml  # an independent YAML parser: what other tools will read
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.errors import SpecError
from blueprint.model import load_blueprint, load_file
from blueprint.model.yamlio import dump_yaml
from blueprint.preview import preview_project
from tests.conftest import blueprint_data, write_blueprint
from tests.security.conftest import commit_all, git, invoke, new_project, snapshot

runner = CliRunner()

HOSTILE_NAMES = [
    "$(id)", "`id`", "a;id", "a&&id", "a||id", "a|id", "../../etc", "..", "a/b", "a b", "Genomics", "GENOMICS",
    "ml\n", "ml\nkind: Secret", "ml\r", "ml\x00", "ml\t", "\tml", " ml", "ml ", "-ml", "ml-", "1ml", "m",
    "a" * 31, "ｍｌ", "mІ", "gеnomics", "ml\u200b", "\u202eml", "ml.data", "ml_data", "ml:x", "ml#x", "{{ml}}",
    "${ml}", "ml'", 'ml"', "*ml", "&ml", "!ml", "ml%", "ml@x", "ml,x", "", "kube-system", "kube-anything",
    "default", "jupyterhub", "package-mirror", "cert-manager",
]  # fmt: skip
NOT_STRINGS = [123, 1.5, True, None, ["ml"], {"name": "ml"}]
HOSTILE_ORGS = [n for n in HOSTILE_NAMES if n not in ("kube-system", "kube-anything", "default", "jupyterhub", "package-mirror", "cert-manager")]
HOSTILE_ORGS += ["a-very-long-organisation-x"]  # 26 > 24
HOSTILE_BY_FIELD: dict[str, list[Any]] = {
    "region": ["eu-west-1\n", "eu-west-1; curl x|sh", "../eu-west-1", "EU-WEST-1", "eu-west-1 ", "${{ github.event.issue.title }}", "eu-west-1\necho pwned"],
    "stack": ["dev\n", "Dev", "dev;id", "dev/../prod", "$(id)", "-dev"],
    "hub_hostname": ["jupyter.acme.example\n", "evil.example/x", "jupyter.acme.example:443@evil", "JUPYTER.acme.example", "a.b;c.example", "https://jupyter.acme.example", "jupyter.acme.example."],
    "description": ["`id`", "$(id)", "a\nb", "a\rb", "<script>", "a|b", "a;b", "a\\b", "\x1b[31mred", "a\x85b", "a\x00b", "\x7f", "x" * 201],
}
TEAM_FIELDS: dict[str, list[Any]] = {
    "idp_group": ["$(id)", "dsw ml", "dsw;ml", "dsw\nml", "-dsw", "/dsw", "dsw`id`", "dsw$x", "dsw:admins", "", "ｄｓｗ"],
    "description": HOSTILE_BY_FIELD["description"],
}

# Hostile but valid: quotes, braces, YAML and markdown syntax, mentions, unicode, bidi and line-separator characters.
DESCRIPTIONS = [
    'He said "hi" & it\'s {fine}',
    "# not a comment &anchor *alias !tag",
    "key: value - item ? [x] {y: z}",
    "{{ .Values.hub.config }} %YAML ---",
    "&*!%@: ~ null true 0x1F 1e3",
    "@everyone #123 [link](https://evil.example) **bold** _em_",
    "Ünïcödé 日本語 🚀 ٱلْعَرَبِيَّة ｆｕｌｌ",
    "  leading and trailing  ",
    "\u202eRTL override and zero\u200bwidth",
    "line\u2028separator",
    "'unbalanced \"quotes",
    "=HYPERLINK(\"http://x\") +cmd -cmd",
]
TEAMS = [
    {"name": "zq-genomics", "idp_group": "zq/dsw-genomics", "description": DESCRIPTIONS[0], "quota": {"gpu": 1}},
    *({"name": f"zq-team-{i}", "idp_group": f"zq-dsw.team_{i}", "description": d} for i, d in enumerate(DESCRIPTIONS[1:], 1)),
]
USER_STRINGS = ["zqxorg", "zq-genomics", "zq-team-", "zq/dsw-genomics", "zq-dsw", "jupyter.zqxorg.example", *DESCRIPTIONS]


def load_with(tmp_path: Path, **changes: Any) -> None:
    changes.setdefault("teams", [{"name": "genomics", "idp_group": "dsw-genomics"}])
    data = blueprint_data(**changes)
    load_blueprint(write_blueprint(tmp_path / "acme-dsw", data))


def spec_error(tmp_path: Path, **changes: Any) -> str:
    with pytest.raises(SpecError) as caught:
        load_with(tmp_path, **changes)
    return str(caught.value)


# ---- hostile names never pass the model --------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES + NOT_STRINGS, ids=repr)
def test_hostile_team_names_are_refused(tmp_path, name):
    message = spec_error(tmp_path, teams=[{"name": name, "idp_group": "dsw-genomics"}])
    assert "teams[0].name" in message


@pytest.mark.parametrize("org", HOSTILE_ORGS + NOT_STRINGS, ids=repr)
def test_hostile_org_names_are_refused(tmp_path, org):
    assert "org" in spec_error(tmp_path, org=org)


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, values in HOSTILE_BY_FIELD.items() for v in values], ids=repr)
def test_hostile_values_of_other_fields_are_refused(tmp_path, field, value):
    assert field in spec_error(tmp_path, **{field: value})


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, values in TEAM_FIELDS.items() for v in values], ids=repr)
def test_hostile_team_fields_are_refused(tmp_path, field, value):
    message = spec_error(tmp_path, teams=[{"name": "genomics", "idp_group": "dsw-genomics", field: value}])
    assert f"teams[0].{field}" in message


@pytest.mark.parametrize(
    "options",
    [
        ["--team", "$(id)"],
        ["--team", "ml:$(id)"],
        ["--team", "../../etc"],
        ["--team", "kube-system"],
        ["--org", "acme;id"],
        ["--region", "eu-west-1\necho pwned"],
        ["--stack", "dev$(id)"],
        ["--hub-hostname", "evil.example/x"],
        ["--idp", "oidc", "--issuer-url", "https://login.example/$(id)", "--client-id", "x"],
        ["--idp", "oidc", "--issuer-url", "https://user:pass@login.example", "--client-id", "x"],
        ["--idp", "oidc", "--issuer-url", "https://login.example", "--client-id", "x;id"],
        ["--alert-email", "a@b.example\nBcc: all@example.com"],
    ],
    ids=lambda o: " ".join(o).replace("\n", "\\n"),
)
def test_hostile_command_line_options_write_nothing(tmp_path, options):
    result = runner.invoke(app, ["new", str(tmp_path / "acme-dsw"), *options])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("team", ["$(id)", "../blueprint", "../../etc/passwd", "Genomics", "ml\nx", "kube-system"])
def test_hostile_fork_team_writes_nothing(tmp_path, team):
    project = new_project(tmp_path / "acme-dsw")
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["fork", str(project), "--team", team, "--force"])
    assert result.exit_code == 2, result.output
    assert snapshot(tmp_path) == before


# ---- hostile-but-valid strings come back exactly -------------------------------------------


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory) -> Path:
    """A project whose every team carries a hostile-but-valid description, as `new --from` writes it."""
    root = tmp_path_factory.mktemp("injection")
    data = blueprint_data(
        "balanced", teams=TEAMS, org="zqxorg", hub_hostname="jupyter.zqxorg.example", description=DESCRIPTIONS[5]
    )
    source = root / "source.yaml"
    source.write_text(dump_yaml(data), encoding="utf-8")
    project = root / "zqxorg-dsw"
    invoke(["new", project, "--from", source])
    invoke(["fork", project, "--team", "zq-genomics"])
    return project


@pytest.fixture(scope="module")
def graph(hostile_project):
    return preview_project(hostile_project)


@pytest.fixture(scope="module")
def exports(hostile_project) -> dict[str, str]:
    out = hostile_project.parent / "exports"
    out.mkdir()
    for export_format in ("helm-values", "kubernetes"):
        invoke(["export", hostile_project, "--format", export_format, "-o", out / export_format])
    return {f: (out / f).read_text(encoding="utf-8") for f in ("helm-values", "kubernetes")}


def test_descriptions_round_trip_through_blueprint_yaml_and_the_forked_overlay(hostile_project):
    blueprint = load_file(hostile_project)
    assert [t.description for t in blueprint.teams] == [t["description"] for t in TEAMS]
    assert blueprint.description == DESCRIPTIONS[5]
    overlay = pyyaml.safe_load((hostile_project / "teams" / "zq-genomics.yaml").read_text(encoding="utf-8"))
    assert overlay["description"] == DESCRIPTIONS[0]
    spec = load_blueprint(hostile_project)  # the overlay is read back by the model too
    assert spec.team("zq-genomics").description == DESCRIPTIONS[0]


def test_descriptions_round_trip_through_the_helm_values(exports):
    values = pyyaml.safe_load(exports["helm-values"])
    teams = values["custom"]["workbench"]["teams"]
    found = {team["name"]: {p["description"] for p in team["profiles"]} for team in teams}
    assert found == {t["name"]: {t["description"]} for t in TEAMS}


def test_the_hub_runs_only_fixed_python(exports):
    """The one piece of Python in the Helm values (hub extraConfig) holds no user string and compiles."""
    values = pyyaml.safe_load(exports["helm-values"])
    for name, code in values["hub"]["extraConfig"].items():
        compile(code, name, "exec")
        assert not [s for s in USER_STRINGS if s in code]


def test_every_generated_and_exported_yaml_file_parses(hostile_project, exports):
    # charts/jupyterhub/ is the vendored upstream chart: Helm templates, rendered by the real Helm engine in tests/charts.
    files = [p for p in hostile_project.rglob("*") if p.suffix in (".yaml", ".yml") and "charts" not in p.relative_to(hostile_project).parts]
    assert len(files) >= 6, files
    for path in files:
        documents = list(pyyaml.safe_load_all(path.read_text(encoding="utf-8")))
        assert documents and all(d is not None for d in documents), path
    manifests = [d for d in pyyaml.safe_load_all(exports["kubernetes"]) if d]
    assert all({"apiVersion", "kind", "metadata"} <= set(d) for d in manifests)
    namespaces = {d["metadata"]["name"] for d in manifests if d["kind"] == "Namespace"}
    assert {t["name"] for t in TEAMS} <= namespaces


def test_no_user_string_in_generated_python(hostile_project):
    for path in hostile_project.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        compile(source, str(path), "exec")
        assert not [s for s in USER_STRINGS if s in source], path


def _policy_documents(graph) -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for resource in graph:
        for key in ("policy", "assumeRolePolicy"):
            value = resource.inputs.get(key)
            if isinstance(value, str) and not value.startswith("arn:") and resource.type != "kubernetes:storage.k8s.io/v1:StorageClass":
                documents.append((f"{resource.name}.{key}", json.loads(value)))
            elif isinstance(value, dict) and "Statement" in value:
                documents.append((f"{resource.name}.{key}", value))
    return documents


def test_every_iam_policy_document_is_json_with_the_expected_structure(graph):
    documents = _policy_documents(graph)
    assert len(documents) >= 20
    for where, document in documents:
        assert set(document) <= {"Version", "Statement", "Id"}, where
        assert document["Version"] == "2012-10-17", where
        statements = document["Statement"]
        assert isinstance(statements, list) and statements, where
        for statement in statements:
            assert statement["Effect"] in ("Allow", "Deny"), where
            assert set(statement) <= {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}, where
            actions = statement.get("Action", statement.get("NotAction"))
            assert actions, where
            for action in actions if isinstance(actions, list) else [actions]:
                assert re.fullmatch(r"[a-z0-9-]+:[A-Za-z0-9*]+|\*", action), (where, action)
            assert "Resource" in statement or "NotResource" in statement or "Principal" in statement, where


def test_team_policies_name_exactly_their_own_team(graph):
    for team in TEAMS:
        name = team["name"]
        trust = next(json.loads(r.inputs["assumeRolePolicy"]) for r in graph.of_type("aws:iam/role:Role") if r.name.endswith(f"-team-{name}"))
        subjects = [v for c in (s.get("Condition", {}) for s in trust["Statement"]) for v in c.get("StringEquals", {}).values()]
        assert f"system:serviceaccount:{name}:{name}-workbench" in subjects
        data = next(json.loads(r.inputs["policy"]) for r in graph.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith(f"-team-{name}-data"))
        prefixes = {p for s in data["Statement"] for p in json.dumps(s.get("Resource", "")).split('"') if "/teams/" in p}
        prefixes |= {p for s in data["Statement"] for v in s.get("Condition", {}).values() for ps in v.values() for p in (ps if isinstance(ps, list) else [ps]) if p.startswith("teams/")}
        assert prefixes and all(f"teams/{name}/" in p for p in prefixes), prefixes


def test_kubernetes_objects_carry_names_as_written(graph):
    for team in TEAMS:
        namespace = [r for r in graph.of_type("kubernetes:core/v1:Namespace") if r.inputs["metadata"]["name"] == team["name"]]
        assert len(namespace) == 1
        subjects = [s for r in graph.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding") for s in r.inputs.get("subjects", []) if r.inputs["metadata"].get("namespace") == team["name"]]
        assert any(s.get("kind") == "Group" and s["name"].endswith(team["idp_group"]) for s in subjects), subjects


def test_the_workflow_runs_no_user_string(hostile_project):
    workflow = pyyaml.safe_load((hostile_project / ".github" / "workflows" / "preview.yml").read_text(encoding="utf-8"))
    runs = [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]
    assert len(runs) >= 5
    for block in runs:
        assert "${{" not in block, f"a GitHub expression inside a run block is expanded into the shell: {block}"
        assert not [s for s in [*USER_STRINGS, "eu-west-1"] if s in block], block
        if shutil.which("bash"):
            subprocess.run(["bash", "-n"], input=block, text=True, check=True)


# ---- the pull-request review keeps its tables ------------------------------------------------

REASON = "approved | forged cell | **bold** [link](https://evil.example) @acme/security #42 &amp; 'q' \"qq\" {x}"


def review(root: Path, descriptions: list[str], reason: str, approved_by: str) -> str:
    """`blueprint review --base HEAD` of a commit that gives every team a description and adds an exception."""
    project = root / "zqxorg-dsw"
    teams = [{"name": t["name"], "idp_group": t["idp_group"]} for t in TEAMS]
    write_blueprint(project, blueprint_data("balanced", teams=teams, org="zqxorg"))
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "base")
    data = blueprint_data("balanced", teams=[{**t, "description": d} for t, d in zip(teams, descriptions, strict=True)], org="zqxorg")
    expires = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    data["exceptions"] = [{"team": "zq-genomics", "control": "compute.default_quota.cpu", "value": "64", "reason": reason, "approved_by": approved_by, "expires": expires}]
    write_blueprint(project, data)
    invoke(["review", project, "--base", "HEAD", "--no-preview", "-o", root / "review.md"])
    return (root / "review.md").read_text(encoding="utf-8")


def structure(markdown: str) -> list[str]:
    """Every markdown-it token but plain text: tables, cells, code spans, links, emphasis, HTML."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    flat = [child for token in tokens for child in (token.children or [token])]
    return [t.type + (f":{t.content}" if t.type.startswith("html") else "") for t in flat if t.type not in ("text", "text_special", "inline")]


def test_the_review_markdown_has_the_same_structure_whatever_the_teams_wrote(tmp_path):
    (tmp_path / "hostile").mkdir()
    (tmp_path / "plain").mkdir()
    hostile = review(tmp_path / "hostile", [t["description"] for t in TEAMS], REASON, "@acme-security 'lead'")
    plain = review(tmp_path / "plain", [f"plain words {i}" for i in range(len(TEAMS))], "approved for the quarter", "security lead")

    assert structure(hostile) == structure(plain), "hostile text changed the markdown's structure (cells, links, emphasis or HTML)"
    assert structure(hostile).count("table_open") >= 2
    assert "@acme/security" not in hostile and "@acme-security" not in hostile  # nobody is notified
    # ...and what the user wrote is still there to read.
    tokens = MarkdownIt("commonmark").enable("table").parse(hostile)
    shown = " ".join(child.content for token in tokens for child in (token.children or []))
    assert "approved | forged cell | **bold** [link](https://evil.example) @\u200bacme/security #42 &amp; 'q' \"qq\" {x}" in shown
    for team in TEAMS:  # the review shows bidi controls and line separators as spaces
        assert re.sub(r"[\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+", " ", team["description"]).strip()[:20] in shown
