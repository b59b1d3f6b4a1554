"""The generated CrossGuard pack, run with the real pulumi_policy SDK on a real offline-preview graph.

`blueprint new` writes policy/; importing its `__main__.py` builds the PolicyPack (the test
records the constructor instead of letting it start a gRPC server and wait forever). The
policies then go through the SDK's own analyzer service (`Analyze`, `AnalyzeStack`) with
requests built from the graph, exactly as the Pulumi engine sends them, so the SDK's
property proxies, unknown values, secrets, enforcement levels and `report_violation` are real.
"""

from __future__ import annotations

import ast
import datetime as dt
import runpy
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy
from ruamel.yaml import YAML
from typer.testing import CliRunner

from blueprint.cli import app
from blueprint.model import load_blueprint
from blueprint.model.yamlio import dump_yaml, read_yaml
from blueprint.policy import BY_ID, RULES, select
from blueprint.policy.pack import PACK_NAME, WARNINGS_SUFFIX, enforcement, in_pack
from blueprint.preview import UNKNOWN, Resource, ResourceGraph, preview_project

from .conftest import Real, added, find, hub_values, mutate, without

MANDATORY, ADVISORY = proto.MANDATORY, proto.ADVISORY
STANCE_IDS = {r.id for r in select("stance")} | {r.id + WARNINGS_SUFFIX for r in select("stance") if r.warns}


def stance_only(found: Any) -> Any:
    """Diagnostics of stance-family policies: the works family is judged in its own tests below."""
    return type(found)(d for d in found if d[0] in STANCE_IDS)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Real:
    directory = tmp_path_factory.mktemp("pack") / "zeta-dsw"
    result = CliRunner().invoke(app, ["new", str(directory), "--stance", "strict", "--org", "zeta", "--team", "quasar:grp-quasar", "--team", "pulsar"])
    assert result.exit_code == 0, result.output
    return Real(load_blueprint(directory), preview_project(directory), directory)


class Recorded:
    """Stands in for pulumi_policy.PolicyPack, whose constructor serves gRPC forever."""

    packs: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        Recorded.packs.append(kwargs)


def load_pack(directory: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    Recorded.packs = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", Recorded)
    # As `pulumi-analyzer-policy-python` does: `python -m pulumi.policy <engine> .` in the pack's directory,
    # which runs `runpy.run_path(".", run_name="__main__")` (absolute here: one process runs many packs).
    monkeypatch.chdir(directory / "policy")
    runpy.run_path(str(directory / "policy"), run_name="__main__")
    (pack,) = Recorded.packs
    return pack


def servicer(pack: dict[str, Any]) -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(pack["name"], "0.1.0", pack["policies"], pulumi_policy.EnforcementLevel.ADVISORY)


# ---- requests as the engine sends them ------------------------------------------------


def wire(value: Any) -> Any:
    """Graph values as engine properties: "[unknown]" is the SDK's unknown sentinel."""
    if value == UNKNOWN:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


def secret(value: Any) -> dict[str, Any]:
    """A property the engine marks secret (it sends the plaintext inside the secret signature)."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def struct(inputs: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(wire(inputs))
    return message


def options(resource: Resource) -> Any:
    return proto.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent or "")


def analyze(service: _PolicyAnalyzerServicer, resource: Resource) -> Any:
    request = proto.AnalyzeRequest(type=resource.type, properties=struct(resource.inputs), urn=resource.urn, name=resource.name, options=options(resource))
    return service.Analyze(request, None)


def analyze_stack(service: _PolicyAnalyzerServicer, graph: ResourceGraph) -> Any:
    resources = [
        proto.AnalyzerResource(
            type=r.type, properties=struct(r.inputs), urn=r.urn, name=r.name, options=options(r), parent=r.parent or "", dependencies=list(r.dependencies)
        )
        for r in graph
    ]
    return service.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None)


def diagnostics(response: Any) -> list[tuple[str, int, str, str]]:
    return [(d.policyName, d.enforcementLevel, d.urn, d.message) for d in response.diagnostics]


# ---- the generated files ---------------------------------------------------------------


def test_new_writes_a_python_policy_pack_with_the_projects_pins(project):
    policy = project.directory / "policy"
    assert sorted(p.name for p in policy.iterdir()) == ["PulumiPolicy.yaml", "__main__.py", "requirements.txt"]
    manifest = YAML(typ="safe").load((policy / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python" and manifest["runtime"]["options"]["virtualenv"] == "../venv"
    # The project's pins; the vendored wheel's path is relative to where pip runs, the pack's directory.
    assert (policy / "requirements.txt").read_text() == (project.directory / "requirements.txt").read_text().replace("file:vendor/", "file:../vendor/")
    assert "pulumi-policy==" in (policy / "requirements.txt").read_text()


def test_the_packs_code_is_static(project, tmp_path):
    source = (project.directory / "policy" / "__main__.py").read_text()
    literals = [n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    for user_string in ("zeta", "quasar", "grp-quasar", "pulsar", "strict"):
        assert all(user_string not in literal for literal in literals)
    other = tmp_path / "other"
    assert CliRunner().invoke(app, ["new", str(other), "--stance", "open", "--org", "omega", "--admin-cidr", "203.0.113.0/24"]).exit_code == 0
    assert (other / "policy" / "__main__.py").read_text() == source


# ---- the pack, built by its own __main__.py ---------------------------------------------


def test_main_builds_one_policy_per_rule_with_floor_rules_mandatory(project, monkeypatch):
    pack = load_pack(project.directory, monkeypatch)
    assert pack["name"] == PACK_NAME
    policies = {p.name: p for p in pack["policies"]}
    packed = [r for r in RULES if in_pack(r)]
    assert set(policies) == {r.id for r in packed} | {r.id + WARNINGS_SUFFIX for r in packed if r.warns}
    assert {r.id for r in RULES if not in_pack(r)} == {r.id for r in RULES if r.needs_render} >= {"works.hub.connect-url"}  # need helm: `blueprint check` only
    for rule in packed:
        policy = policies[rule.id]
        kind = pulumi_policy.ResourceValidationPolicy if rule.scope == "resource" else pulumi_policy.StackValidationPolicy
        assert isinstance(policy, kind) and policy.description == rule.description
        assert policy.enforcement_level.value == enforcement(rule, project.spec)
        assert policy.severity.value == rule.severity.value and rule.concern.value in policy.tags and rule.family in policy.tags
    assert policies["network.no-internet-gateways"].enforcement_level is pulumi_policy.EnforcementLevel.MANDATORY  # network.egress: floor
    assert policies["stability.kubernetes-version"].enforcement_level is pulumi_policy.EnforcementLevel.ADVISORY  # not a floor control


def test_the_floor_in_blueprint_yaml_decides_what_is_mandatory(project, monkeypatch, tmp_path):
    copy = tmp_path / "copy"
    (copy / "policy").mkdir(parents=True)
    for name in ("__main__.py",):
        (copy / "policy" / name).write_text((project.directory / "policy" / name).read_text())
    data = read_yaml(project.directory / "blueprint.yaml")
    data["floor"] = {"add": ["stability.multi_az_nodes"]}
    (copy / "blueprint.yaml").write_text(dump_yaml(data))
    policies = {p.name: p for p in load_pack(copy, monkeypatch)["policies"]}
    assert policies["stability.multi-az-nodes"].enforcement_level is pulumi_policy.EnforcementLevel.MANDATORY


def test_the_real_graph_passes_every_resource_and_stack_policy(project, monkeypatch):
    service = servicer(load_pack(project.directory, monkeypatch))
    graph = project.graph
    release = find(graph, "kubernetes:helm.sh/v3:Release", "jupyterhub")
    found = [d for r in graph if r is not release for d in diagnostics(analyze(service, r))]
    found += diagnostics(analyze_stack(service, graph))
    assert stance_only(found) == []


def test_a_mandatory_violation_is_reported_through_report_violation(project, monkeypatch):
    service = servicer(load_pack(project.directory, monkeypatch))
    vpc = find(project.graph, "aws:ec2/vpc:Vpc")
    # (strict's NAT gateways are the hub's sign-in path; an egress-only gateway has no such use)
    graph = added(project.graph, vpc, "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "sneaky-eigw")
    gateway = find(graph, "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway")
    ((name, level, urn, message),) = diagnostics(analyze(service, gateway))
    assert (name, level, urn) == ("network.no-internet-gateways", MANDATORY, gateway.urn)
    assert message.startswith(BY_ID[name].description) and "an egress-only internet gateway opens a path to the internet" in message


def test_an_advisory_violation_stays_advisory(project, monkeypatch):
    service = servicer(load_pack(project.directory, monkeypatch))
    cluster = find(project.graph, "aws:eks/cluster:Cluster")
    changed = mutate(project.graph, cluster, lambda i: i.update(version="1.29"))
    found = diagnostics(analyze(service, find(changed, "aws:eks/cluster:Cluster")))
    assert [(n, level) for n, level, _, _ in found] == [("stability.kubernetes-version", ADVISORY)]


def test_stack_policies_name_the_resource_at_fault(project, monkeypatch):
    service = servicer(load_pack(project.directory, monkeypatch))
    graph = without(project.graph, find(project.graph, "aws:ec2/flowLog:FlowLog"), find(project.graph, "aws:s3/bucketPolicy:BucketPolicy", "storage-bucket-tls-only"))
    found = {(n, level, urn.rsplit("::", 1)[-1]) for n, level, urn, _ in stance_only(diagnostics(analyze_stack(service, graph)))}
    assert found == {("network.flow-logs", MANDATORY, "zeta-network-vpc"), ("storage.bucket-tls-only", MANDATORY, "zeta-storage-bucket")}


def test_unknown_values_are_not_guessed_and_do_not_stop_the_policy(project, monkeypatch):
    service = servicer(load_pack(project.directory, monkeypatch))
    cluster = find(project.graph, "aws:eks/cluster:Cluster")
    changed = mutate(project.graph, cluster, lambda i: i.update(version=UNKNOWN, enabledClusterLogTypes=["api"]))
    found = diagnostics(analyze(service, find(changed, "aws:eks/cluster:Cluster")))
    assert [n for n, *_ in found] == ["audit.eks-control-plane-logs"]  # no "can't run policy during preview"


def test_the_pack_reads_secret_chart_values_that_the_offline_graph_cannot(project, monkeypatch):
    """The engine hands packs decrypted values: the hub rules run there even though the values are one secret."""
    service = servicer(load_pack(project.directory, monkeypatch))
    release = find(project.graph, "kubernetes:helm.sh/v3:Release", "jupyterhub")
    values = hub_values(project.spec)
    request = proto.AnalyzeRequest(type=release.type, urn=release.urn, name=release.name, options=options(release))
    json_format.ParseDict({**release.inputs, "values": secret(values)}, request.properties)
    assert diagnostics(service.Analyze(request, None)) == []

    values["singleuser"]["uid"] = 0
    request.properties.Clear()
    json_format.ParseDict({**release.inputs, "values": secret(values)}, request.properties)
    ((name, level, _, message),) = diagnostics(service.Analyze(request, None))
    assert (name, level) == ("sessions.no-root", MANDATORY) and "singleuser.uid is 0" in message


def test_rules_that_need_secret_markers_or_another_stance_say_not_applicable(project, monkeypatch):
    service = servicer(load_pack(project.directory, monkeypatch))
    response = analyze_stack(service, project.graph)
    reasons = {n.policy_name: n.reason for n in response.not_applicable}
    assert "checked offline by `blueprint check`" in reasons["identity.client-secret-is-secret"]
    assert "governance.exceptions-current" not in reasons


def test_expiring_exceptions_are_advisory_and_expired_ones_mandatory(project, monkeypatch, tmp_path):
    copy = tmp_path / "copy"
    (copy / "policy").mkdir(parents=True)
    (copy / "policy" / "__main__.py").write_text((project.directory / "policy" / "__main__.py").read_text())
    data = read_yaml(project.directory / "blueprint.yaml")
    today = dt.date(2026, 6, 1)
    common = {"control": "compute.default_quota.cpu", "value": "32", "reason": "assembly sprint in June", "approved_by": "ciso@acme.example"}
    data["exceptions"] = [{"team": "quasar", "expires": "2026-06-05", **common}, {"team": "pulsar", "expires": "2026-05-01", **common}]
    (copy / "blueprint.yaml").write_text(dump_yaml(data))
    monkeypatch.setattr("blueprint.model.spec.today", lambda: today)
    service = servicer(load_pack(copy, monkeypatch))
    found = {(n, level, urn.rsplit("::", 1)[-1]) for n, level, urn, _ in stance_only(diagnostics(analyze_stack(service, project.graph)))}
    assert found == {
        ("governance.exceptions-current", MANDATORY, "zeta-team-pulsar-namespace"),
        ("governance.exceptions-current" + WARNINGS_SUFFIX, ADVISORY, "zeta-team-quasar-namespace"),
    }


def test_validate_callbacks_take_the_sdks_own_argument_objects(project, monkeypatch):
    """The same through the public callback signature, without the analyzer service."""
    policies = {p.name: p for p in load_pack(project.directory, monkeypatch)["policies"]}
    subnet = find(project.graph, "aws:ec2/subnet:Subnet", "private-0")
    reported: list[tuple[str, str | None]] = []
    props = unknown_checking_proxy(wire({**subnet.inputs, "mapPublicIpOnLaunch": True, "availabilityZone": UNKNOWN}))
    opts = pulumi_policy.PolicyResourceOptions(False, [], None, [], pulumi_policy.PolicyCustomTimeouts(0, 0, 0), [], subnet.parent)
    args = pulumi_policy.ResourceValidationArgs(subnet.type, props, subnet.urn, subnet.name, opts, None)
    policies["network.no-public-subnets"].validate(args, lambda message, urn=None: reported.append((message, urn)))
    assert reported == [("subnet sets mapPublicIpOnLaunch: true, so instances in it are reachable from the internet (egress is 'mirror')", subnet.urn)]

    resources = [
        pulumi_policy.PolicyResource(r.type, unknown_checking_proxy(wire(r.inputs)), r.urn, r.name, pulumi_policy.PolicyResourceOptions(r.protect, [], None, [], pulumi_policy.PolicyCustomTimeouts(0, 0, 0), [], r.parent), None, None, [], {})
        for r in project.graph
        if r.type != "aws:backup/selection:Selection"
    ]
    reported.clear()
    policies["storage.backup-plan"].validate(pulumi_policy.StackValidationArgs(resources), lambda message, urn=None: reported.append((message, urn)))
    assert reported == [("no backup selection covers this file system", find(project.graph, "aws:efs/fileSystem:FileSystem").urn)]


# ---- the works family in the pack -----------------------------------------------------------------------


def test_works_rules_judged_from_inputs_pass_the_fixed_graph_and_fire_mandatory_under_strict(project, monkeypatch):
    """Strict says `stability.works_rules: mandatory`; the graph is patched to the shape the cluster and network
    branches build (see test_works_crosscut.py), so at merge this runs on the real graph."""
    from .test_works_crosscut import with_hub_idp_egress_fix, with_vpc_cni_network_policy_fix

    service = servicer(load_pack(project.directory, monkeypatch))
    works = {r.id for r in select("works") if in_pack(r)}
    fixed = with_vpc_cni_network_policy_fix(Real(project.spec, with_hub_idp_egress_fix(project), project.directory))
    assert [d for d in diagnostics(analyze_stack(service, fixed)) if d[0] in works] == []

    addon = find(fixed, "aws:eks/addon:Addon", "vpc-cni")
    broken = mutate(fixed, addon, lambda inputs: inputs.pop("configurationValues"))
    found = [d for d in diagnostics(analyze_stack(service, broken)) if d[0] in works]
    assert [(n, level, urn) for n, level, urn, _ in found] == [("works.policy.netpol-enforced", MANDATORY, addon.urn)]
    assert "does not set enableNetworkPolicy" in found[0][3]


def test_the_stance_decides_whether_works_rules_are_mandatory(real):
    rule = BY_ID["works.policy.netpol-enforced"]
    levels = {stance: enforcement(rule, real(stance).spec) for stance in ("strict", "balanced", "open")}
    assert levels == {"strict": "mandatory", "balanced": "mandatory", "open": "advisory"}
    assert {s: real(s).spec.stance.stability.works_rules for s in levels} == levels
