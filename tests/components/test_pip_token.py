"""PipTokenRefresher under the mock engine, and its script run for real against stand-ins of `aws` and the Kubernetes API.

The end-to-end case takes the rendered objects (the Job's pod environment, the ConfigMap's script and namespace
list), runs the script with a stand-in token in a temp dir, and reads the Secrets it would apply the way a
session's pip reads its mounted file (`pip config list` with PIP_CONFIG_FILE).
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest

from blueprint.components.curator import PackageCurator, PackageCuratorArgs
from blueprint.components.mirror_jobs import MIRROR_NAMESPACE
from blueprint.components.naming import PIP_CONF_KEY, PIP_CONF_SECRET
from blueprint.components.pip_token import CONFIG_DIR, REFRESH_SCHEDULE, TOKEN_SECONDS, PipTokenRefresher, PipTokenRefresherArgs
from tests.components import conftest as runner
from tests.components.mirror_parts import CONFIGMAP, CRONJOB, INDEX, JOB, answer_codeartifact_arns, env_of, irsa, mirror, provider

STAND_IN_TOKEN = "eyJ2ZXIiOjEsImlzdSI6MTcwMH0.stand-in_token-ABC"


@pytest.fixture(autouse=True)
def codeartifact_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    answer_codeartifact_arns(monkeypatch)


def build(spec, **extra):
    k8s_provider = provider()
    m = mirror(spec, k8s_provider)
    PackageCurator("acme-curator", PackageCuratorArgs.from_spec(spec, **irsa(k8s_provider)), m)
    PipTokenRefresher("acme-pip", PipTokenRefresherArgs.from_spec(spec, **irsa(k8s_provider), **extra), m)
    return m.pip_index_url


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_every_stance_refreshes_a_short_lived_token_into_every_team_namespace(spec_for, run_program, stance):
    spec = spec_for(stance, teams=3)
    run = run_program(lambda: build(spec))
    cron = run.named("acme-pip-cron")
    assert cron.inputs["spec"]["schedule"] == REFRESH_SCHEDULE == "0 */4 * * *"
    assert TOKEN_SECONDS <= 43200, "CodeArtifact tokens live 12 hours at most"
    assert TOKEN_SECONDS / 3600 >= 2 * 4, "refreshed at least twice per token life: one failed run never reaches a user"
    env = env_of(cron.inputs["spec"]["jobTemplate"]["spec"]["template"])
    assert env["INDEX_URL"] == INDEX and env["TOKEN_SECONDS"] == str(TOKEN_SECONDS)
    assert env["SECRET_NAME"] == PIP_CONF_SECRET and env["SECRET_KEY"] == PIP_CONF_KEY
    config = run.named("acme-pip-config")
    assert config.inputs["data"]["namespaces.txt"].split() == [t.name for t in spec.teams]
    # The first token, at apply time: a Job Pulumi waits for, after every binding exists.
    first = run.named("acme-pip-first")
    assert "skipAwait" not in json.dumps(first.inputs["metadata"]), "the first Secret must exist before `pulumi up` ends"


def test_rbac_reaches_one_secret_name_in_team_namespaces_only(spec_for, run_program):
    spec = spec_for("strict", teams=3)
    run = run_program(lambda: build(spec))
    (role,) = run.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
    assert role.inputs["rules"] == [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": [PIP_CONF_SECRET], "verbs": ["get", "patch"]}]
    bindings = run.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    assert sorted(b.inputs["metadata"]["namespace"] for b in bindings) == sorted(t.name for t in spec.teams)
    for binding in bindings:
        assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "curator-pip-token", "namespace": MIRROR_NAMESPACE}]
        assert binding.inputs["roleRef"]["kind"] == "ClusterRole"
    assert not run.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"), "a cluster-wide binding would reach every namespace"
    sa = run.named("acme-pip-sa")
    assert sa.inputs["automountServiceAccountToken"] is True, "the refresher calls the Kubernetes API"


def test_refresher_role_mints_tokens_and_reads_the_workbench_repository_only(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    statements = run.named("acme-pip-policy").json_input("policy")["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["Token"]["Resource"] == [f"arn:aws:codeartifact:{runner.REGION}:{runner.ACCOUNT}:domain/acme-dev"]
    assert by_sid["BearerToken"]["Condition"] == {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}
    assert by_sid["ReadWorkbench"]["Resource"] == [f"arn:aws:codeartifact:{runner.REGION}:{runner.ACCOUNT}:repository/acme-dev/workbench"]
    trust = run.named("acme-pip-role").json_input("assumeRolePolicy")
    assert list(trust["Statement"][0]["Condition"]["StringEquals"].values())[0] == f"system:serviceaccount:{MIRROR_NAMESPACE}:curator-pip-token"


def test_adding_a_team_runs_the_first_token_job_again(spec_for, run_program):
    names = []
    for teams in (2, 2, 3):
        run = run_program(lambda teams=teams: build(spec_for("open", teams=teams)))
        names.append(run.named("acme-pip-first").inputs["metadata"]["name"])
    assert names[0] == names[1] != names[2], names


def test_refresher_manifests_are_valid_kubernetes(spec_for, run_program):
    spec = spec_for("balanced")
    run = run_program(lambda: build(spec))
    for resource in run.resources:
        if resource.custom and resource.type.startswith("kubernetes:"):
            kubernetes_validate.validate(dict(resource.inputs), spec.stance.stability.kubernetes_version, strict=True)


def _stand_in(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize("stance", ["strict", "open"])
def test_the_pip_config_a_session_sees_end_to_end(spec_for, run_program, tmp_path, stance):
    """Run the rendered Job's script with its rendered environment; pip reads the Secret it writes."""
    spec = spec_for(stance, teams=2)
    run = run_program(lambda: build(spec))
    first = next(j for j in run.of_type(JOB) if j.name == "acme-pip-first")
    pod = first.inputs["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    (config,) = [c for c in run.of_type(CONFIGMAP) if c.inputs["metadata"]["name"] == pod["spec"]["volumes"][0]["configMap"]["name"]]
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")["mountPath"]
    assert mount == CONFIG_DIR and container["command"] == ["/bin/sh", f"{CONFIG_DIR}/refresh-pip-conf.sh"]

    # The ConfigMap as the kubelet mounts it, the service account files, and stand-ins for aws and curl.
    config_dir, sa_dir, work, out, bin_dir = (tmp_path / d for d in ("config", "sa", "tmp", "out", "bin"))
    for d in (config_dir, sa_dir, work, out, bin_dir):
        d.mkdir()
    for key, text in config.inputs["data"].items():
        (config_dir / key).write_text(text)
    (sa_dir / "token").write_text("k8s-sa-token")
    (sa_dir / "ca.crt").write_text("ca")
    _stand_in(bin_dir, "aws", f'echo "$*" >> "{out}/aws.args"\necho "{STAND_IN_TOKEN}"\n')
    _stand_in(
        bin_dir,
        "curl",
        f'echo "$*" >> "{out}/curl.args"\n'
        'for a in "$@"; do case "$a" in @*secret.json) body=${a#@} ;; @*) header=${a#@} ;; esac; url=$a; done\n'
        f'n=$(ls "{out}" | grep -c "^body" || true)\n'
        f'cp "$body" "{out}/body$n.json"; cp "$header" "{out}/header$n"; echo "$url" > "{out}/url$n"\n',
    )
    env = {**env_of(pod), "CONFIG_DIR": str(config_dir), "WORK_DIR": str(work), "SA_DIR": str(sa_dir)}
    env["PATH"] = f"{bin_dir}:{os.environ['PATH']}"
    result = subprocess.run(["/bin/sh", str(config_dir / "refresh-pip-conf.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr

    assert "--duration-seconds 43200" in (out / "aws.args").read_text()
    assert STAND_IN_TOKEN not in (out / "curl.args").read_text(), "the token must not appear on a command line"
    assert list(work.iterdir()) == [], "the script leaves no token behind"
    for i, team in enumerate(spec.teams):
        url = (out / f"url{i}").read_text().strip()
        assert url.startswith(f"https://kubernetes.default.svc/api/v1/namespaces/{team.name}/secrets/{PIP_CONF_SECRET}?")
        assert "fieldManager=" in url
        assert (out / f"header{i}").read_text() == "Authorization: Bearer k8s-sa-token\n"
        secret = json.loads((out / f"body{i}.json").read_text())
        kubernetes_validate.validate(secret, spec.stance.stability.kubernetes_version, strict=True)
        assert secret["metadata"] == {"name": PIP_CONF_SECRET, "namespace": team.name, "labels": {"app.kubernetes.io/managed-by": "workbench-pip-token"}}
        # The Secret mounted as a directory in the session: pip reads the key as its config file.
        mounted = tmp_path / "session" / team.name / PIP_CONF_KEY
        mounted.parent.mkdir(parents=True)
        mounted.write_bytes(base64.b64decode(secret["data"][PIP_CONF_KEY]))
        pip = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            env={"PIP_CONFIG_FILE": str(mounted), "PATH": os.environ["PATH"], "HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert pip.returncode == 0, pip.stderr
        expected = INDEX.replace("https://", f"https://aws:{STAND_IN_TOKEN}@")
        assert pip.stdout.strip() == expected, pip.stdout


def test_the_refresher_may_reach_the_kubernetes_api_and_nothing_more(spec_for, run_program):
    spec = spec_for("strict")
    run = run_program(lambda: build(spec))
    policy = run.named("acme-pip-netpol").inputs
    pod = run.named("acme-pip-first").inputs["spec"]["template"]
    assert policy["spec"]["podSelector"]["matchLabels"] == pod["metadata"]["labels"]
    (rule,) = policy["spec"]["egress"]
    assert rule["to"] == [{"ipBlock": {"cidr": spec.network.service_cidr}}, {"ipBlock": {"cidr": spec.network.vpc_cidr}}]
    assert rule["ports"] == [{"port": 443, "protocol": "TCP"}]
