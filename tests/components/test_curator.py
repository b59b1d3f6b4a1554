"""PackageCurator under the mock engine: promote, seed and origin-control jobs per stance, their IAM and images."""

from __future__ import annotations

import json

import kubernetes_validate
import pulumi
import pytest

from blueprint.components import files
from blueprint.components.codeartifact import normalize_package
from blueprint.components.curator import SEED_VERSIONS, PackageCurator, PackageCuratorArgs
from blueprint.components.mirror_jobs import MIRROR_NAMESPACE
from tests.components import conftest as runner
from tests.components.mirror_parts import (
    CODEARTIFACT,
    CONFIGMAP,
    CRONJOB,
    JOB,
    answer_codeartifact_arns,
    env_of,
    irsa,
    mirror,
    provider,
)

PROMOTE_SCRIPT = files.read("promote.sh")
ORIGIN_CONTROLS_SCRIPT = files.read("origin-controls.sh")


@pytest.fixture(autouse=True)
def codeartifact_outputs(monkeypatch: pytest.MonkeyPatch) -> None:
    answer_codeartifact_arns(monkeypatch)


def build(spec, **extra):
    k8s_provider = provider()
    m = mirror(spec, k8s_provider)
    PackageCurator("acme-curator", PackageCuratorArgs.from_spec(spec, **irsa(k8s_provider), **extra), m)
    return m.pip_index_url


def test_curated_promoter_reads_allowlist_from_configmap_data(spec_for, run_program):
    teams = [
        {"name": "genomics", "idp_group": "dsw-genomics", "extra_packages": {"python": ["Bio_Python", "pysam"]}},
        {"name": "vision", "idp_group": "dsw-vision"},
    ]
    spec = spec_for("strict", teams=teams)
    run = run_program(lambda: build(spec))
    config = run.one(CONFIGMAP)
    allowlist = config.inputs["data"]["allowlist.txt"].split()
    expected = {normalize_package(p) for p in spec.stance.packages.python_allowlist} | {"bio-python", "pysam"}
    assert set(allowlist) == expected, f"{config}: allowlist {allowlist}"
    assert config.inputs["data"]["promote.sh"] == PROMOTE_SCRIPT, "the ConfigMap ships the package file as it is"
    for name in expected:
        for script in ("promote.sh", "seed-upstream.sh"):
            assert f" {name} " not in files.read(script), f"package {name} pasted into {script}"
    promote = run.named("acme-curator-promote")
    pod = promote.inputs["spec"]["jobTemplate"]["spec"]["template"]
    env = env_of(pod)
    assert env["COOLDOWN_DAYS"] == "14" and env["CURATION_MODE"] == "block", f"{promote}: {env}"
    container = pod["spec"]["containers"][0]
    assert container["image"] == "public.ecr.aws/aws-cli/aws-cli:2.22.0", f"{promote}: exact version policy pins the image"
    assert promote.inputs["metadata"]["namespace"] == MIRROR_NAMESPACE
    assert container["securityContext"]["runAsNonRoot"] is True
    assert promote.provider, f"{promote} must use the cluster provider"


def test_strict_day_one_allowlist_is_stance_data_with_the_scientific_stack(spec_for):
    allowlist = {normalize_package(p) for p in spec_for("strict").stance.packages.python_allowlist}
    assert {"numpy", "pandas", "scipy", "scikit-learn", "matplotlib", "jupyterlab-git", "ipywidgets"} <= allowlist
    # pandas cannot install without its own dependencies: they are on the list too.
    assert {"python-dateutil", "pytz", "tzdata", "six"} <= allowlist


def test_seed_job_requests_the_allowlist_then_promotes_with_the_cooldown(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    (seed,) = run.of_type(JOB)
    pod = seed.inputs["spec"]["template"]
    command = " ".join(pod["spec"]["containers"][0]["command"])
    assert command.index("seed-upstream.sh") < command.index("promote.sh"), command
    env = env_of(pod)
    assert env["UPSTREAM_INDEX_URL"].endswith("/pypi/pypi-upstream/simple/") and env["SEED_VERSIONS"] == str(SEED_VERSIONS)
    assert env["COOLDOWN_DAYS"] == "14", "the promoter the seed job runs still applies the cooldown"
    assert pod["spec"]["serviceAccountName"] == "curator-promote", "the seed job reads and promotes as the promoter"
    assert "skipAwait" in json.dumps(seed.inputs["metadata"]["annotations"]), "apply does not wait for PyPI downloads"


def test_seed_job_runs_again_when_the_allowlist_changes_and_only_then(spec_for):
    base = PackageCuratorArgs.from_spec(spec_for("strict"))
    same = PackageCuratorArgs.from_spec(spec_for("strict"))
    teams = [{"name": "genomics", "idp_group": "dsw-genomics", "extra_packages": {"python": ["pysam"]}}, {"name": "vision", "idp_group": "dsw-vision"}]
    more = PackageCuratorArgs.from_spec(spec_for("strict", teams=teams))
    slower = PackageCuratorArgs.from_spec(spec_for("slow", stances={"slow": {"extends": "strict", "overrides": {"packages": {"cooldown_days": 30}}}}))
    assert base.seed_digest == same.seed_digest
    assert len({base.seed_digest, more.seed_digest, slower.seed_digest}) == 3


def test_promoter_role_reads_upstream_and_writes_only_workbench(spec_for, run_program):
    run = run_program(lambda: build(spec_for("strict")))
    policy = run.named("acme-curator-promote-policy").json_input("policy")
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    write = by_sid["WriteWorkbench"]
    assert write["Action"] == ["codeartifact:CopyPackageVersions"]
    # CopyPackageVersions: resource types repository* and package* (service authorization reference).
    assert write["Resource"] == [f"{CODEARTIFACT}:repository/acme-dev/workbench", f"{CODEARTIFACT}:package/acme-dev/workbench/*"]
    for statement in policy["Statement"]:
        resources = json.dumps(statement["Resource"])
        if statement["Sid"] != "WriteWorkbench":
            assert "/workbench" not in resources, f"statement {statement['Sid']} touches the workbench repository"
        for action in statement["Action"]:
            assert not action.endswith("*"), f"wildcard action {action} in {statement['Sid']}"
    trust = run.named("acme-curator-promote-role").json_input("assumeRolePolicy")
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    assert f"system:serviceaccount:{MIRROR_NAMESPACE}:curator-promote" in condition.values()


def test_balanced_blocklist_and_internal_prefixes_use_origin_controls(spec_for, run_program):
    spec = spec_for("balanced", packages={"internal_prefixes": ["acme_", "acme-ml"]})
    run = run_program(lambda: build(spec))
    assert [r.name for r in run.of_type(CRONJOB)] == ["acme-curator-origin-controls"], "proxy mode needs no promoter"
    assert not run.of_type(JOB), "proxy mode needs no seed"
    data = run.one(CONFIGMAP).inputs["data"]
    assert data["internal-prefixes.txt"].split() == ["acme-", "acme-ml"]
    assert set(data["blocklist.txt"].split()) == {normalize_package(p) for p in spec.stance.packages.python_blocklist}
    assert 'PUBLISH":"ALLOW' in ORIGIN_CONTROLS_SCRIPT and 'EXTERNAL_UPSTREAM":"BLOCK' in ORIGIN_CONTROLS_SCRIPT
    for word in ("acme", "colourama", "jeIlyfish"):
        assert word not in ORIGIN_CONTROLS_SCRIPT
    policy = run.named("acme-curator-origin-controls-policy").json_input("policy")
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    # CreatePackageGroup has no resource type in the service authorization reference: "*" is the only valid scope.
    assert by_sid["CreatePackageGroups"] == {"Sid": "CreatePackageGroups", "Effect": "Allow", "Action": ["codeartifact:CreatePackageGroup"], "Resource": ["*"]}
    assert by_sid["ManagePackageGroups"]["Resource"] == [f"{CODEARTIFACT}:package-group/acme-dev/*"]


def test_open_has_no_curator_jobs(spec_for, run_program):
    run = run_program(lambda: build(spec_for("open")))
    assert not run.of_type(CRONJOB) and not run.of_type(JOB) and not run.of_type(CONFIGMAP)


def test_jobs_without_a_cluster_are_refused(spec_for, run_program):
    spec = spec_for("strict")
    with pytest.raises(ValueError, match="curator jobs"):
        run_program(lambda: PackageCurator("acme-curator", PackageCuratorArgs.from_spec(spec), mirror(spec)))


def test_curator_manifests_are_valid_kubernetes(spec_for, run_program):
    spec = spec_for("strict", packages={"internal_prefixes": ["acme"]})
    run = run_program(lambda: build(spec))
    manifests = [r for r in run.resources if r.custom and r.type.startswith("kubernetes:")]
    assert {r.type for r in manifests} >= {CRONJOB, CONFIGMAP, JOB, "kubernetes:core/v1:Namespace"}
    assert len(run.of_type(CRONJOB)) == 2, "curated mode with internal prefixes runs both jobs"
    for resource in manifests:
        kubernetes_validate.validate(dict(resource.inputs), spec.stance.stability.kubernetes_version, strict=True)


def test_report_mode_is_passed_as_data_and_may_only_list(spec_for, run_program):
    custom = {"lenient": {"extends": "balanced", "overrides": {"packages": {"curation_mode": "report"}}}}
    run = run_program(lambda: build(spec_for("lenient", stances=custom)))
    job = run.named("acme-curator-origin-controls")
    assert env_of(job.inputs["spec"]["jobTemplate"]["spec"]["template"])["CURATION_MODE"] == "report"
    statements = {s["Sid"]: s for s in run.named("acme-curator-origin-controls-policy").json_input("policy")["Statement"]}
    assert statements["ReportBlocklisted"]["Action"] == ["codeartifact:ListPackageVersions"]


def test_curator_image_comes_through_the_pull_through_cache(spec_for, run_program):
    cache = f"{runner.ACCOUNT}.dkr.ecr.{runner.REGION}.amazonaws.com/acme-dev"
    registries = {"quay.io": f"{cache}/quay", "public.ecr.aws": pulumi.Output.from_input(f"{cache}/ecr-public")}
    run = run_program(lambda: build(spec_for("strict"), image_registries=registries))
    pods = [j.inputs["spec"]["jobTemplate"]["spec"]["template"] for j in run.of_type(CRONJOB)] + [j.inputs["spec"]["template"] for j in run.of_type(JOB)]
    assert len(pods) == 2
    for pod in pods:
        (container,) = pod["spec"]["containers"]
        assert container["image"] == f"{cache}/ecr-public/aws-cli/aws-cli:2.22.0", f"{pod}: pulls from the internet"


def test_curator_image_with_no_cache_for_its_registry_fails(spec_for, run_program):
    registries = {"quay.io": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-dev/quay"}
    with pytest.raises(Exception, match="no pull-through cache serves public.ecr.aws/aws-cli/aws-cli:2.22.0"):
        run_program(lambda: build(spec_for("strict"), image_registries=registries))


SIMPLE_PAGE = """<html><body>
<a href="../../numpy/1.26.3/numpy-1.26.3-cp311-cp311-manylinux_2_17_x86_64.whl#sha256=aa">numpy-1.26.3-cp311-cp311-manylinux_2_17_x86_64.whl</a>
<a href="../../numpy/1.26.4/numpy-1.26.4.tar.gz#sha256=bb">numpy-1.26.4.tar.gz</a>
<a href="../../numpy/1.26.4/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl#sha256=cc">numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl</a>
<a href="../../numpy/2.0.0rc1/numpy-2.0.0rc1.tar.gz#sha256=dd">numpy-2.0.0rc1.tar.gz</a>
<a href="../../numpy/1.10.0/numpy-1.10.0.tar.gz#sha256=ee">numpy-1.10.0.tar.gz</a>
<a href="../../numpy/2.1.0/numpy-2.1.0-cp312-cp312-macosx_14_0_arm64.whl#sha256=ff">numpy-2.1.0-cp312-cp312-macosx_14_0_arm64.whl</a>
</body></html>
"""


def test_seed_script_requests_the_newest_final_releases_and_skips_the_blocklist(spec_for, run_program, tmp_path):
    """The rendered seed Job's script, run with its rendered environment against stand-ins of aws and the index."""
    import os
    import subprocess

    run = run_program(lambda: build(spec_for("strict")))
    (seed,) = run.of_type(JOB)
    env = env_of(seed.inputs["spec"]["template"])
    config, out, bin_dir, work = (tmp_path / d for d in ("config", "out", "bin", "work"))
    for d in (config, out, bin_dir, work):
        d.mkdir()
    for key, text in run.one(CONFIGMAP).inputs["data"].items():
        (config / key).write_text(text)
    (config / "allowlist.txt").write_text("numpy\nevil-pkg\n")
    (config / "blocklist.txt").write_text("evil-pkg\n")
    (tmp_path / "page.html").write_text(SIMPLE_PAGE)
    for name, body in {
        "aws": 'echo "stand-in-token"\n',
        "curl": (
            'for a in "$@"; do last=$a; done\n'
            f'echo "$*" >> "{out}/curl.args"\n'
            'case "$last" in\n'
            f'  */numpy/) prev=""; for a in "$@"; do [ "$prev" = -o ] && cp "{tmp_path}/page.html" "$a"; prev=$a; done ;;\n'
            f'  *) echo "$last" >> "{out}/fetched" ;;\n'
            'esac\n'
        ),
    }.items():
        (bin_dir / name).write_text("#!/bin/sh\n" + body)
        (bin_dir / name).chmod(0o755)
    env.update({"CONFIG_DIR": str(config), "WORK_DIR": str(work), "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    result = subprocess.run(["/bin/sh", str(config / "seed-upstream.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    fetched = (out / "fetched").read_text().split()
    base = env["UPSTREAM_INDEX_URL"] + "numpy/../../numpy/"
    assert fetched == [
        base + "1.26.3/numpy-1.26.3-cp311-cp311-manylinux_2_17_x86_64.whl",
        base + "1.26.4/numpy-1.26.4.tar.gz",
        base + "2.1.0/numpy-2.1.0-cp312-cp312-macosx_14_0_arm64.whl",
    ], "the three newest final releases (numeric order, no rc), one file each"
    assert "skipped: evil-pkg (blocklisted)" in result.stdout
    assert "stand-in-token" not in (out / "curl.args").read_text(), "the token travels in a netrc file, never on a command line"
    assert list(work.iterdir()) == [], "the script leaves no token or page behind"
