"""A data scientist's session, walked on the real graph and the chart rendered by the real Helm engine (issue 12).

Start a server in the team's namespace (the hub's connect URL resolves there), find the session's files there, get a
home on EFS, reach EFS and S3 through the team's NetworkPolicies, and read/write only the team's data prefix (the
IRSA policies evaluated, not grepped).
"""

from __future__ import annotations

import base64
import fnmatch
import ipaddress
import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from ruamel.yaml import YAML

from blueprint.charts import z2jh
from blueprint.components import jupyterhub_values as jv
from blueprint.components.teamspace import TeamSpace, TeamSpaceArgs
from blueprint.preview import preview_project
from tests.components.hub_routing import offered_profiles
from tests.conftest import blueprint_data, write_blueprint

RELEASE = "kubernetes:helm.sh/v3:Release"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
SUBNET = "aws:ec2/subnet:Subnet"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SESSION_LABELS = {"component": jv.SINGLEUSER_COMPONENT}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """`project(stance)`: (graph, rendered chart) of a two-team project, previewed and rendered once per stance."""
    cache: dict[str, Any] = {}

    def get(stance: str):
        if stance not in cache:
            directory = tmp_path_factory.mktemp(f"journey-{stance}") / "acme-dsw"
            write_blueprint(directory, blueprint_data(stance, teams=2))
            graph = preview_project(directory)
            cache[stance] = (graph, z2jh.render_release(graph))
        return cache[stance]

    return get


def rendered_values(rendered) -> dict[str, Any]:
    """The values the hub reads at run time: the chart's hub Secret, `values.yaml` (what z2jh's get_config reads)."""
    secret = rendered.get("Secret", "hub")
    return YAML(typ="safe", pure=True).load(base64.b64decode(secret["data"]["values.yaml"]))


# ---- 1. start a server in the team's namespace ------------------------------------------------


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_sessions_in_team_namespaces_reach_the_hub_by_its_fqdn(project, stance):
    graph, rendered = project(stance)
    values = rendered_values(rendered)
    url = values["hub"]["config"]["JupyterHub"]["hub_connect_url"]
    service = rendered.get("Service", "hub")
    port = next(p["port"] for p in service["spec"]["ports"] if p["name"] == "hub")
    assert url == f"http://{service['metadata']['name']}.{service['metadata']['namespace']}.svc.cluster.local:{port}"
    # The chart's own default (`http://hub:8081`) comes first; hub.config is loaded after it, so ours is what runs.
    code = rendered.get("ConfigMap", "hub")["data"]["jupyterhub_config.py"]
    assert code.index("c.JupyterHub.hub_connect_url =") < code.index('get_config("hub.config", {})')
    # The hub accepts the sessions' API calls from the team namespaces.
    ingress = rendered.get("NetworkPolicy", "hub")["spec"]["ingress"]
    teams = sorted(team["namespace"] for team in values["custom"]["workbench"]["teams"])
    assert any(
        rule.get("from", [{}])[0].get("namespaceSelector", {}).get("matchExpressions", [{}])[0].get("values") == teams and rule["ports"] == [{"port": 8081, "protocol": "TCP"}]
        for rule in ingress
    ), ingress


# ---- 2. the session's files exist where it runs -----------------------------------------------


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_session_files_come_from_the_team_namespace(project, stance):
    graph, rendered = project(stance)
    values = rendered_values(rendered)
    assert rendered.of_kind("Secret") and not any(m["metadata"]["name"] == "singleuser" for m in rendered.of_kind("Secret")), "no extraFiles"
    config_maps = {(c.inputs["metadata"]["namespace"], c.inputs["metadata"]["name"]): c.inputs for c in graph.of_type(CONFIG_MAP)}
    offered = offered_profiles(values)  # as the hub's routing code hands them to KubeSpawner
    assert len(offered) == sum(len(team["profiles"]) for team in values["custom"]["workbench"]["teams"])
    for profile in offered:
        override = profile["kubespawner_override"]
        namespace = override["namespace"]
        files = config_maps[(namespace, jv.SESSION_CONFIG_MAP)]
        assert files["data"][jv.RPROFILE_KEY] == jv.RPROFILE_CODE
        env = override["environment"]
        assert "PIP_INDEX_URL" not in json.dumps(values), "an index URL in the environment would override pip.conf"
        mounts = override["volume_mounts"]
        pip_dir = mounts[jv.PIP_CONF_SECRET]["mountPath"]
        assert env["PIP_CONFIG_FILE"] == f"{pip_dir}/{jv.PIP_CONF_KEY}" and "subPath" not in mounts[jv.PIP_CONF_SECRET]
        assert override["volumes"][jv.PIP_CONF_SECRET]["secret"]["secretName"] == jv.PIP_CONF_SECRET
        if "R_PROFILE" in env:
            assert env["R_PROFILE"] == f"{mounts[jv.SESSION_CONFIG_MAP]['mountPath']}/{jv.RPROFILE_KEY}"


# ---- 3. the home PVC binds through the EFS CSI driver ------------------------------------------


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_home_volume_binds_through_efs(project, stance):
    graph, rendered = project(stance)
    values = rendered_values(rendered)
    storage = values["singleuser"]["storage"]
    assert storage["type"] == "dynamic" and "ReadWriteMany" in storage["dynamic"]["storageAccessModes"]
    [efs_class] = [s.inputs for s in graph.of_type(STORAGE_CLASS) if s.inputs["metadata"]["name"] == storage["dynamic"]["storageClass"]]
    assert efs_class["provisioner"] == "efs.csi.aws.com" and efs_class["parameters"]["provisioningMode"] == "efs-ap"
    [file_system] = graph.of_type(FILE_SYSTEM)
    assert efs_class["parameters"]["fileSystemId"] == f"{file_system.name}-id", "the class provisions on the program's EFS"
    # The hub's own database binds to the encrypted gp3 class the cluster creates.
    assert rendered.get("PersistentVolumeClaim", "hub-db-dir")["spec"]["storageClassName"] == "gp3-encrypted"


# ---- 4. the session's NetworkPolicies admit EFS and S3 -----------------------------------------


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        present = labels.get(expression["key"])
        if expression["operator"] == "In" and present not in expression["values"]:
            return False
        if expression["operator"] == "NotIn" and present in expression["values"]:
            return False
    return True


def egress_allowed(policies: list[Mapping[str, Any]], labels: Mapping[str, str], ip: str, port: int) -> bool:
    """Kubernetes NetworkPolicy egress semantics for a destination IP: isolated once any Egress policy selects the
    pod, then allowed if any rule of any selecting policy admits the IP (ipBlock minus except) and the port."""
    selecting = [p for p in policies if "Egress" in p.get("policyTypes", []) and _selects(p["podSelector"], labels)]
    if not selecting:
        return True
    address = ipaddress.ip_address(ip)
    for policy in selecting:
        for rule in policy.get("egress") or []:
            ports = rule.get("ports")
            if ports and not any(int(p["port"]) == port and p.get("protocol", "TCP") == "TCP" for p in ports):
                continue
            if not rule.get("to"):
                return True  # a rule without peers admits every destination
            for peer in rule["to"]:
                block = peer.get("ipBlock")
                if block and address in ipaddress.ip_network(block["cidr"]) and not any(address in ipaddress.ip_network(e) for e in block.get("except", [])):
                    return True
    return False


def team_policies(graph, namespace: str) -> list[Mapping[str, Any]]:
    return [p.inputs["spec"] for p in graph.of_type(NETPOL) if p.inputs["metadata"]["namespace"] == namespace]


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_session_reaches_every_efs_mount_target_and_nothing_else_on_nfs(project, stance):
    graph, _ = project(stance)
    subnets = {f"{s.name}-id": s.inputs["cidrBlock"] for s in graph.of_type(SUBNET)}
    targets = [subnets[m.inputs["subnetId"]] for m in graph.of_type(MOUNT_TARGET)]
    assert targets, "EFS has mount targets"
    policies = team_policies(graph, "genomics")
    for cidr in targets:
        mount_target_ip = str(next(ipaddress.ip_network(cidr).hosts()) + 10)
        assert egress_allowed(policies, SESSION_LABELS, mount_target_ip, 2049), cidr
    [vpc] = graph.of_type("aws:ec2/vpc:Vpc")
    outside = [str(next(ipaddress.ip_network(s).hosts()) + 10) for s in subnets.values() if s not in targets]
    outside.append(str(ipaddress.ip_network(vpc.inputs["cidrBlock"]).broadcast_address - 1))  # in the VPC, past the private subnets
    assert not any(ipaddress.ip_address(ip) in ipaddress.ip_network(t) for ip in outside for t in targets)
    assert not any(egress_allowed(policies, SESSION_LABELS, ip, 2049) for ip in outside), "NFS only to the mount targets"
    assert not egress_allowed(policies, SESSION_LABELS, "169.254.169.254", 443), "never the instance metadata service"
    assert not egress_allowed(policies, SESSION_LABELS, targets[0].split("/")[0], 22), "nothing but the admitted ports"


def test_session_reaches_the_s3_gateway_cidrs(spec_for, run_program):
    """With the S3 gateway endpoint's prefix-list CIDRs (PrivateNetwork.s3_cidrs), strict sessions reach S3 on 443."""
    spec = spec_for("strict", teams=1)
    s3 = ["52.218.0.0/17", "3.5.64.0/21"]

    def program():
        provider = k8s.Provider("k8s", kubeconfig="{}")
        team = spec.teams[0].name
        TeamSpace(f"acme-team-{team}", TeamSpaceArgs.from_spec(spec, team, provider=provider, irsa_role_arn="arn:aws:iam::123456789012:role/x", s3_cidrs=pulumi.Output.from_input(s3)))

    run = run_program(program)
    policies = [p.inputs["spec"] for p in run.of_type(NETPOL)]
    assert egress_allowed(policies, SESSION_LABELS, "52.218.1.20", 443) and egress_allowed(policies, SESSION_LABELS, "3.5.65.1", 443)
    assert not egress_allowed(policies, SESSION_LABELS, "52.219.1.20", 443), "strict: S3 yes, the rest of the internet no"
    without = run_program(lambda: TeamSpace("acme-team-x", TeamSpaceArgs.from_spec(spec, spec.teams[0].name, provider=k8s.Provider("k8s", kubeconfig="{}"), irsa_role_arn="arn:x")))
    assert not egress_allowed([p.inputs["spec"] for p in without.of_type(NETPOL)], SESSION_LABELS, "52.218.1.20", 443), "the rule comes from s3_cidrs"


# ---- 5. the team's role reads and writes its prefix, not another team's ----------------------


def _matches(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in ([patterns] if isinstance(patterns, str) else patterns))


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            if key not in context:
                return False  # an absent key fails every operator but the ...IfExists ones, which we do not use
            wanted = [expected] if isinstance(expected, str) else expected
            if operator == "StringEquals" and context[key] not in wanted:
                return False
            if operator == "StringLike" and not _matches(wanted, context[key]):
                return False
            if operator not in ("StringEquals", "StringLike"):
                raise NotImplementedError(operator)
    return True


def allowed(documents: list[Mapping[str, Any]], action: str, resource: str, context: Mapping[str, str] | None = None) -> bool:
    """IAM evaluation within one account for identity policies: an explicit Deny wins, else any Allow whose Action,
    Resource and Condition match; else the implicit deny."""
    verdict = False
    for document in documents:
        statements = document["Statement"]
        for statement in [statements] if isinstance(statements, Mapping) else statements:
            if not (_matches(statement.get("Action", []), action) and _matches(statement.get("Resource", []), resource)):
                continue
            if not _conditions_hold(statement.get("Condition", {}), context or {}):
                continue
            if statement["Effect"] == "Deny":
                return False
            verdict = True
    return verdict


def test_the_evaluator_itself():
    allow = {"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/a/*"}]}
    deny = {"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:x": "1"}}}}
    assert allowed([allow], "s3:GetObject", "arn:aws:s3:::b/a/k") and not allowed([allow], "s3:PutObject", "arn:aws:s3:::b/a/k")
    assert not allowed([allow], "s3:GetObject", "arn:aws:s3:::b/c/k")
    assert not allowed([allow, deny], "s3:GetObject", "arn:aws:s3:::b/a/k", {"aws:x": "1"}) and allowed([allow, deny], "s3:GetObject", "arn:aws:s3:::b/a/k")


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_team_role_reads_and_writes_its_prefix_only(project, stance):
    graph, _ = project(stance)
    by_role: dict[str, list[dict[str, Any]]] = {}
    for policy in graph.of_type(ROLE_POLICY):
        by_role.setdefault(policy.inputs["role"], []).append(json.loads(policy.inputs["policy"]))
    genomics = by_role[next(role for role in by_role if role.endswith("-genomics-data"))]
    bucket = next(
        s["Resource"].split("/", 1)[0] for d in genomics for s in d["Statement"] if s.get("Sid") == "TeamObjects"
    )
    own, other = f"{bucket}/teams/genomics/results.parquet", f"{bucket}/teams/team-1/results.parquet"
    for action in ("s3:GetObject", "s3:PutObject"):
        assert allowed(genomics, action, own), action
        assert not allowed(genomics, action, other), f"{action} on another team's prefix"
    assert allowed(genomics, "s3:ListBucket", bucket, {"s3:prefix": "teams/genomics/2026/"})
    assert not allowed(genomics, "s3:ListBucket", bucket, {"s3:prefix": "teams/team-1/"})
    assert not allowed(genomics, "s3:ListBucket", bucket), "listing the whole bucket names every team's objects"
    # SSE-KMS objects (stances with a CMK): the key only through S3 in the region.
    keys = [s["Resource"] for d in genomics for s in d["Statement"] if s.get("Sid") == "DataKey"]
    assert bool(keys) == bool(graph.of_type("aws:kms/key:Key")), keys
    for key in keys:
        assert allowed(genomics, "kms:Decrypt", key, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"})
        assert not allowed(genomics, "kms:Decrypt", key, {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"})


# ---- 6. the hub's namespace: default deny, no metadata server, requests, the hub's pool --------


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_hub_namespace_on_the_rendered_chart(project, stance):
    graph, rendered = project(stance)
    ours = [p.inputs["spec"] for p in graph.of_type(NETPOL) if p.inputs["metadata"]["namespace"] == "jupyterhub"]
    assert {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} in ours, "default deny"
    chart = [m["spec"] for m in rendered.of_kind("NetworkPolicy")]
    for name in ("hub", "proxy"):
        policy = rendered.get("NetworkPolicy", name)["spec"]
        labels = rendered.get("Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert not egress_allowed(ours + chart, labels, "169.254.169.254", 80), f"{name} reaches the metadata server"
        assert egress_allowed(ours + chart, labels, "52.94.1.1", 443), f"{name} still reaches the internet (the IdP, for the hub)"
        assert policy["egress"], name
    for kind, name in (("Deployment", "user-scheduler"), ("Job", "hook-image-awaiter")):
        labels = rendered.get(kind, name)["spec"]["template"]["metadata"]["labels"]
        assert egress_allowed(ours + chart, labels, "10.40.0.12", 443), f"{name} reaches the Kubernetes API"
        assert not egress_allowed(ours + chart, labels, "8.8.8.8", 443), f"{name} reaches nothing else"
    for name in ("hub", "proxy", "user-scheduler"):
        [container] = [c for c in rendered.get("Deployment", name)["spec"]["template"]["spec"]["containers"] if c["name"] != "autohttps"][:1]
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
    hub_pod = rendered.get("Deployment", "hub")["spec"]["template"]["spec"]
    spec_yaml = graph.of_type(RELEASE)[0].inputs["values"]["hub"]
    if "nodeSelector" in spec_yaml:  # hub_egress firewall
        assert hub_pod["nodeSelector"] == {"workbench/pool": "hub"}
        assert {"key": "workbench/hub", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in hub_pod["tolerations"]
    assert ("nodeSelector" in spec_yaml) == (stance != "open")
