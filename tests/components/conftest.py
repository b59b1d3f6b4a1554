"""Run component programs under Pulumi's mock engine and record every resource they register.

Use the `run_program` fixture:

    def test_no_nat_in_strict(spec_for, run_program):
        spec = spec_for("strict")
        run = run_program(lambda: PrivateNetwork("acme-net", NetworkArgs.from_spec(spec)))
        assert run.of_type(NAT_GATEWAY) == []

`run_program(program, *, project, stack, config, secrets)` resets the runtime, runs `program()` with
`pulumi.runtime.test`-style waiting (every RPC and every Output the program returns is awaited, so an
exception in an `apply` fails the test) and returns a `Run`:

- `run.resources`: every registered resource as a `Recorded` (urn, type, name, parent urn, id, inputs with
  camelCase keys and secrets unwrapped, `secret_inputs`, the mock's `outputs` (inputs plus computed ids,
  ARNs and autonamed names), `protect`, `retain_on_delete`, `provider`);
- `run.of_type(token)`, `run.one(token)`, `run.named(name)`, `run.children(urn)`;
- `run.value`: what `program()` returned, resolved (return `Output.all(res.urn, res.prop).apply(check)`
  to assert on outputs; the check can name the resource through the urn);
- `run.exports`: the stack outputs (`pulumi.export`), resolved;
- `run.invokes`: every data-source call as `(token, args)`.

`WorkbenchMocks` answers the invokes components use (availability zones, caller identity, partition,
region, IAM policy documents) and fills the outputs a provider computes (ids, ARNs, autonamed names, the
EKS cluster's endpoint/CA/OIDC issuer, Network Firewall endpoints, Cognito client secrets). Extend
`COMPUTED` (by type token) when a component reads another computed output.

This is a stand-in until `blueprint.preview.engine.run_program` lands; keep the `Run` API small so tests
can move over.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from blueprint.preview import mocks as preview_mocks
from blueprint.preview.mocks import Call, managed_prefix_list

REGION = "eu-west-1"
ACCOUNT = "123456789012"
PROJECT = "workbench"
STACK = "dev"
OIDC_ISSUER = f"https://oidc.eks.{REGION}.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
CLUSTER_SECURITY_GROUP = "sg-0cluster0000000000"

# ---- invokes ----------------------------------------------------------------


def _policy_document(args: Mapping[str, Any]) -> dict[str, Any]:
    """Render `aws.iam.get_policy_document` statements the way the provider does (enough for assertions)."""

    def one_or_many(values: list[Any]) -> Any:
        return values[0] if len(values) == 1 else values

    statements = []
    for s in args.get("statements") or ():
        out: dict[str, Any] = {"Effect": s.get("effect") or "Allow"}
        if s.get("sid"):
            out["Sid"] = s["sid"]
        for key, name in (("Action", "actions"), ("NotAction", "notActions"), ("Resource", "resources"), ("NotResource", "notResources")):
            if s.get(name):
                out[key] = one_or_many(list(s[name]))
        if s.get("principals"):
            out["Principal"] = {p["type"]: one_or_many(list(p["identifiers"])) for p in s["principals"]}
        for c in s.get("conditions") or ():
            out.setdefault("Condition", {}).setdefault(c["test"], {})[c["variable"]] = one_or_many(list(c["values"]))
        statements.append(out)
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return {"id": "policy", "json": document, "minifiedJson": document}


def _zones(args: Mapping[str, Any]) -> dict[str, Any]:
    region = args.get("region") or REGION
    return {"id": region, "names": [f"{region}{z}" for z in "abcdef"], "zoneIds": [f"euw1-az{i}" for i in range(1, 7)], "groupNames": [region] * 6}


INVOKES: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _zones,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a: {"id": ACCOUNT, "accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/test", "userId": "AIDATEST"},
    "aws:index/getPartition:getPartition": lambda a: {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"},
    "aws:index/getRegion:getRegion": lambda a: {"id": REGION, "name": REGION, "region": REGION, "endpoint": f"ec2.{REGION}.amazonaws.com", "description": REGION},
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    # The S3 gateway endpoint's prefix list: the real region's S3 ranges, as the offline preview answers it.
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": lambda a: managed_prefix_list(Call(a, REGION, ACCOUNT)),
}

# The hub's NLB: the offline preview's answers (its ELB hosted-zone table, the Service the chart's controller fills).
INVOKES.update({token: (lambda answer: lambda a: answer(preview_mocks.Call(a, REGION, ACCOUNT)))(answer) for token, answer in preview_mocks.HUB_INVOKES.items()})

# ---- computed outputs of new resources --------------------------------------

# Properties the provider fills by autonaming when the program leaves them out.
AUTONAME = {"aws:s3/bucket:Bucket": "bucket", "aws:eks/nodeGroup:NodeGroup": "nodeGroupName"}


@dataclass(frozen=True)
class New:
    """A resource being created, as the COMPUTED functions see it."""

    type: str
    name: str
    id: str
    inputs: Mapping[str, Any]
    lookup: Callable[[str], Mapping[str, Any] | None]  # recorded inputs of another resource by its id


def _cluster(new: New) -> dict[str, Any]:
    return {
        "endpoint": f"https://EXAMPLE0123.gr7.{REGION}.eks.amazonaws.com",
        "certificateAuthority": {"data": base64.b64encode(b"mock-ca").decode()},
        "identities": [{"oidcs": [{"issuer": OIDC_ISSUER}]}],
        "vpcConfig": {**(new.inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": CLUSTER_SECURITY_GROUP},
        "status": "ACTIVE",
    }


def _firewall(new: New) -> dict[str, Any]:
    states = []
    for i, mapping in enumerate(new.inputs.get("subnetMappings") or ()):
        subnet = new.lookup(mapping["subnetId"]) or {}
        states.append({"availabilityZone": subnet.get("availabilityZone"), "attachments": [{"endpointId": f"vpce-fw{i}", "subnetId": mapping["subnetId"]}]})
    return {"firewallStatuses": [{"syncStates": states}]}


COMPUTED: dict[str, Callable[[New], dict[str, Any]]] = {
    "aws:eks/cluster:Cluster": _cluster,
    "aws:networkfirewall/firewall:Firewall": _firewall,
    "aws:s3/bucket:Bucket": lambda n: {"arn": f"arn:aws:s3:::{n.id}"},
    "aws:iam/role:Role": lambda n: {"arn": f"arn:aws:iam::{ACCOUNT}:role/{n.inputs['name']}"},
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": lambda n: {"arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{str(n.inputs['url']).removeprefix('https://')}"},
    "aws:cognito/userPool:UserPool": lambda n: {"endpoint": f"cognito-idp.{REGION}.amazonaws.com/{n.id}"},
    "aws:cognito/userPoolClient:UserPoolClient": lambda n: {"clientSecret": "mock-cognito-client-secret"} if n.inputs.get("generateSecret") else {},
    "aws:kms/key:Key": lambda n: {"keyId": n.id},
    "aws:ec2/launchTemplate:LaunchTemplate": lambda n: {"latestVersion": 1},
    "aws:cloudwatch/logGroup:LogGroup": lambda n: {"arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{n.inputs['name']}"},
    **{token: (lambda make: lambda n: make(preview_mocks.New(n.name, n.inputs, n.id, REGION, ACCOUNT)))(make) for token, make in preview_mocks.HUB_RESOURCE_OUTPUTS.items()},
    "kubernetes:helm.sh/v3:Release": lambda n: {"status": {"name": n.inputs.get("name"), "namespace": n.inputs.get("namespace"), "status": "deployed"}},
}


class WorkbenchMocks(pulumi.runtime.Mocks):
    """Answers invokes by token and gives new resources their inputs plus plausible computed outputs."""

    def __init__(self) -> None:
        self.invokes: list[tuple[str, dict[str, Any]]] = []
        self._by_id: dict[str, Mapping[str, Any]] = {}
        self._lock = threading.Lock()

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        with self._lock:
            self.invokes.append((args.token, dict(args.args)))
        answer = INVOKES.get(args.token)
        return (answer(args.args) if answer else {}), []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.custom is None and args.resource_id and args.typ in preview_mocks.READS:  # `Resource.get`
            read = preview_mocks.New(args.name, args.inputs, args.resource_id, REGION, ACCOUNT)
            return args.resource_id, preview_mocks.READS[args.typ](read)
        if not args.custom:
            return "", {}
        inputs = dict(args.inputs)
        autoname = AUTONAME.get(args.typ, "name")
        if args.typ.startswith("aws:") and autoname not in inputs:
            inputs[autoname] = f"{args.name}-0123abc"
        resource_id = inputs[autoname] if args.typ == "aws:s3/bucket:Bucket" else f"{args.name}-id"
        state = {"arn": f"arn:aws:{args.typ.split(':')[1].split('/')[0]}:{REGION}:{ACCOUNT}:{args.name}"} if args.typ.startswith("aws:") else {}
        state.update(inputs)
        computed = COMPUTED.get(args.typ)
        if computed:
            state.update(computed(New(args.typ, args.name, resource_id, inputs, self._by_id.get)))
        with self._lock:
            self._by_id[resource_id] = inputs
        return resource_id, state


# ---- recording ---------------------------------------------------------------


def _unwrap_secrets(value: Any, path: str, secrets: set[str]) -> Any:
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            secrets.add(path)
            return _unwrap_secrets(value.get("value"), path, secrets)
        return {k: _unwrap_secrets(v, f"{path}.{k}" if path else k, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v, f"{path}[{i}]", secrets) for i, v in enumerate(value)]
    return value


@dataclass(frozen=True)
class Recorded:
    """One registered resource as the engine received it."""

    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    id: str | None
    inputs: dict[str, Any] = field(repr=False)
    outputs: dict[str, Any] = field(repr=False, default_factory=dict)
    secret_inputs: frozenset[str] = frozenset()
    protect: bool = False
    retain_on_delete: bool = False
    provider: str | None = None

    def __str__(self) -> str:
        return f"{self.type}::{self.name}"

    def json_input(self, key: str) -> Any:
        """An input holding a JSON document (IAM policies), parsed."""
        return json.loads(self.inputs[key])


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Keeps what `MockResourceArgs` drops: parent, protect, retain-on-delete, provider, secrets."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: dict[str, Recorded] = {}
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        secrets: set[str] = set()
        inputs = _unwrap_secrets(rpc.deserialize_properties(request.object), "", secrets)
        recorded = Recorded(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=request.custom,
            id=response.id or None,
            inputs=inputs,
            outputs=_unwrap_secrets(rpc.deserialize_properties(response.object), "", set()),
            secret_inputs=frozenset(secrets),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            provider=request.provider or None,
        )
        with self._lock:
            if recorded.urn in self.recorded:
                raise ValueError(f"duplicate resource URN {recorded.urn}")
            self.recorded[recorded.urn] = recorded
        return response


@dataclass
class Run:
    """Everything one program run registered, exported and returned."""

    resources: list[Recorded]
    exports: dict[str, Any]
    value: Any
    invokes: list[tuple[str, dict[str, Any]]]

    def of_type(self, token: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str) -> Recorded:
        found = self.of_type(token)
        assert len(found) == 1, f"expected exactly one {token}, found {[str(r) for r in found]}"
        return found[0]

    def named(self, name: str, token: str | None = None) -> Recorded:
        found = [r for r in self.resources if r.name == name and token in (None, r.type)]
        assert len(found) == 1, f"expected one resource named {name!r}, found {[str(r) for r in found]}"
        return found[0]

    def children(self, urn: str) -> list[Recorded]:
        return [r for r in self.resources if r.parent == urn]

    def types(self) -> set[str]:
        return {r.type for r in self.resources}


def run_program(
    program: Callable[[], Any],
    *,
    project: str = PROJECT,
    stack: str = STACK,
    config: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
) -> Run:
    """Run `program` under fresh mocks; `config` keys are `<namespace>:<key>`, `secrets` names the secret ones."""
    _usable_event_loop()
    settings.ROOT.set(None)  # a fresh root Stack per run, as in a new process
    pulumi_config.set_all_config(dict(config or {}), list(secrets))
    mocks = WorkbenchMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()
    holder: dict[str, Any] = {}

    def body() -> Any:
        returned = program()
        stack_resource = settings.get_root_resource()
        exports = dict(getattr(stack_resource, "outputs", {}) or {})
        both = pulumi.Output.all(pulumi.Output.from_input(returned), pulumi.Output.from_input(exports))
        holder["value"], holder["exports"] = _sync_await(both.future())

    _sync_await(run_pulumi_func(body))
    return Run(list(monitor.recorded.values()), holder.get("exports", {}), holder.get("value"), list(mocks.invokes))


def _usable_event_loop() -> None:
    """Other runners (the preview engine) may leave this thread without a loop or with a closed one."""
    try:
        if not asyncio.get_event_loop().is_closed():
            return
    except RuntimeError:
        pass
    asyncio.set_event_loop(asyncio.new_event_loop())


@pytest.fixture(name="run_program")
def run_program_fixture() -> Callable[..., Run]:
    """The `run_program` function (see the module docstring)."""
    return run_program


def image_references(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, image) of every container image named in `value`: z2jh `image: {name: ...}` blocks (the name, without
    the tag the chart adds), and plain `image: <reference>` strings (Kubernetes containers, KubeSpawner overrides)."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "image" and isinstance(item, str):
                yield where, item
            elif key == "image" and isinstance(item, dict) and isinstance(item.get("name"), str):
                yield f"{where}.name", item["name"]
            else:
                yield from image_references(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from image_references(item, f"{path}[{i}]")
