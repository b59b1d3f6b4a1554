"""Run a Pulumi program under the SDK's mock engine and record every resource it registers."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from google.protobuf import struct_pb2
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as sdk_resource
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import Stack, massage, run_pulumi_func

from .graph import SECRET, UNKNOWN, Resource, ResourceGraph
from .mocks import ACCOUNT_ID, DEFAULT_REGION, HUB_INVOKES, INVOKES, READS, Call, New, created

_log = logging.getLogger(__name__)
_STACK_TYPE = "pulumi:pulumi:Stack"


class PreviewMocks(pulumi.runtime.Mocks):
    """Answers invokes and resource creation with placeholder values for one region of a fake account (the tables of
    `preview.mocks`, which import no pulumi)."""

    def __init__(self, region: str = DEFAULT_REGION, account: str = ACCOUNT_ID) -> None:
        self.region = region
        self.account = account

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        answer = INVOKES.get(args.token) or HUB_INVOKES.get(args.token)
        return (answer(Call(args.args, self.region, self.account)) if answer else {}), []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.custom is None and args.resource_id and args.typ in READS:  # `Resource.get`: an existing object
            read = New(args.name, args.inputs, args.resource_id, self.region, self.account)
            return args.resource_id, READS[args.typ](read)
        if not args.custom:
            return "", {}
        return created(args.typ, args.name, args.inputs, self.region, self.account)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also records each registration with what `MockResourceArgs` drops: parent, options, provider, dependencies.

    Reads of existing resources (`Resource.get`) create nothing and are not recorded. With `owner`, each
    registration is also labelled with what `owner()` returns in the context that declared the resource (the SDK
    runs the call in a copy of that context), e.g. the team it belongs to.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks, owner: Callable[[], str | None] | None = None) -> None:
        super().__init__(mocks)
        self._lock = threading.Lock()  # RegisterResource runs on the event loop's worker threads
        self._recorded: dict[str, Resource] = {}
        self._owner = owner
        self._owners: dict[str, str] = {}
        self._stack_outputs: dict[str, Any] = {}
        self._thread = threading.local()
        self._thread_loops: list[asyncio.AbstractEventLoop] = []

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """The URN the real engine would give: the parent's whole type chain, without the root stack's type."""
        qualified_type = type_
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != _STACK_TYPE:
                qualified_type = f"{parent_type}${type_}"
        return f"urn:pulumi:{settings.get_stack()}::{settings.get_project()}::{qualified_type}::{name}"

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method name)
        urn = self.make_urn(request.parent, request.type, request.name)
        resource = Resource(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            inputs=plain_struct(request.object),
            custom=request.custom,
            protect=request.protect,
            retain_on_delete=request.retainOnDelete,
            provider=request.provider or None,
            dependencies=tuple(sorted(set(request.dependencies))),
        )
        with self._lock:
            if urn in self._recorded:
                # The real engine refuses this too; the mock monitor would silently overwrite.
                raise ValueError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
            self._recorded[urn] = resource
            owner = self._owner() if self._owner is not None else None
            if owner is not None:
                self._owners[urn] = owner
        self._ensure_thread_loop()
        return super().RegisterResource(request)

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (the gRPC method name)
        # The stack's outputs are the program's `pulumi.export`s (components' outputs stay on their resources).
        if request.urn.split("::")[2:3] == [_STACK_TYPE]:
            with self._lock:
                self._stack_outputs = plain_struct(request.outputs)
        return super().RegisterResourceOutputs(request)

    def Invoke(self, request: Any) -> Any:  # noqa: N802 (the gRPC method name)
        self._ensure_thread_loop()
        return super().Invoke(request)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method name)
        self._ensure_thread_loop()
        return super().ReadResource(request)

    def _ensure_thread_loop(self) -> None:
        # The base monitor gives each worker thread an event loop and never closes it; own
        # them here so they are closed with the run instead of at interpreter exit.
        if getattr(self._thread, "loop", None) is None and not _loop_running():
            self._thread.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._thread.loop)
            with self._lock:
                self._thread_loops.append(self._thread.loop)

    def close_thread_loops(self) -> None:
        with self._lock:
            loops, self._thread_loops = self._thread_loops, []
        for loop in loops:
            loop.close()

    def graph(self) -> ResourceGraph:
        with self._lock:
            return ResourceGraph(tuple(self._recorded.values()), outputs=self._stack_outputs)

    def owners(self) -> dict[str, str]:
        """URN -> owner label, for the resources `owner()` labelled."""
        with self._lock:
            return dict(self._owners)


@dataclass(frozen=True)
class Recording:
    """A program run's graph and, when asked for, who declared each resource (`run_program(owner=...)`)."""

    graph: ResourceGraph
    owners: Mapping[str, str]


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def plain_struct(struct: struct_pb2.Struct) -> Any:
    """Engine-side inputs as plain data: secrets and unknowns as markers, integral numbers as ints, keys sorted."""
    fields = struct.fields
    signature = fields.get(rpc._special_sig_key)
    if signature is not None:
        return _special(signature.string_value, fields)
    # Like the SDK, treat a null property as absent.
    return {key: _plain(fields[key]) for key in sorted(fields) if fields[key].WhichOneof("kind") != "null_value"}


def _plain(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        return UNKNOWN if text == rpc.UNKNOWN else text
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return plain_struct(value.struct_value)
    if kind == "list_value":
        return [_plain(item) for item in value.list_value.values]
    return None


def _special(signature: str, fields: Any) -> Any:
    if signature == rpc._special_secret_sig:
        return SECRET
    if signature == rpc._special_resource_sig:
        return fields["urn"].string_value
    if signature == rpc._special_output_value_sig:
        if "secret" in fields and fields["secret"].bool_value:
            return SECRET
        return _plain(fields["value"]) if "value" in fields else UNKNOWN
    # Assets and archives: keep what identifies them (path, text, uri) without the signature.
    return {key: _plain(fields[key]) for key in sorted(fields) if key != rpc._special_sig_key}


def run_program(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
    mocks: pulumi.runtime.Mocks | None = None,
    timeout: float | None = None,
) -> ResourceGraph:
    """Run `program` offline under Pulumi's mock engine (preview mode) and return every resource it registered.

    `config` holds full Pulumi config keys (`aws:region`, `<project>:<key>`); keys in `secret_keys` are
    secrets, so inputs built from them show as "[secret]". Exceptions from the program are re-raised.
    """
    return record_program(program, project=project, stack=stack, config=config, secret_keys=secret_keys, mocks=mocks, timeout=timeout).graph


def record_program(
    program: Callable[[], object],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Iterable[str] = (),
    mocks: pulumi.runtime.Mocks | None = None,
    timeout: float | None = None,
    owner: Callable[[], str | None] | None = None,
) -> Recording:
    """`run_program`, also labelling each resource with `owner()` as seen where the program declared it."""
    config = dict(config or {})
    monitor = RecordingMonitor(mocks or PreviewMocks(region=config.get("aws:region", DEFAULT_REGION)), owner)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            # A fresh context per run: Pulumi keeps its runtime state in context variables.
            contextvars.Context().run(_run_in_fresh_runtime, program, monitor, project, stack, config, tuple(secret_keys))
        except BaseException as exc:  # noqa: BLE001 (handed to the calling thread)
            outcome.append(exc)

    _reset_runtime()
    # Its own thread gives the run its own event loop, even when the caller is inside one.
    worker = threading.Thread(target=run, name=f"blueprint-preview-{project}-{stack}", daemon=True)
    with garbage_collection_paused():
        worker.start()
        worker.join(timeout)
    _reset_runtime()
    if worker.is_alive():
        raise TimeoutError(f"the program for {project}/{stack} did not finish within {timeout} seconds under the mock engine")
    if outcome:
        raise outcome[0]
    return Recording(monitor.graph(), monitor.owners())


@contextlib.contextmanager
def garbage_collection_paused() -> Iterator[None]:
    # The SDK allocates a few hundred futures per resource and keeps them alive until the
    # run ends, so collections during a run free almost nothing but cost about half its time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def _source_positions_skipped() -> Iterator[None]:
    # For each resource the SDK walks and reads the whole Python stack (traceback.extract_stack)
    # so the real engine can point diagnostics at source lines. The mock engine shows none, and
    # at 200 teams that walk was a fifth of the preview's time.
    original = sdk_resource._get_stack_trace
    sdk_resource._get_stack_trace = _no_stack_trace
    try:
        yield
    finally:
        sdk_resource._get_stack_trace = original


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


def _run_in_fresh_runtime(
    program: Callable[[], object],
    monitor: RecordingMonitor,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: tuple[str, ...],
) -> None:
    loop = asyncio.new_event_loop()
    # After a failure the SDK leaves output futures holding the same exception; it is re-raised
    # once to the caller, so their "never retrieved" reports are noise.
    loop.set_exception_handler(lambda _loop, context: _log.debug("mock engine: %s", context.get("message")))
    asyncio.set_event_loop(loop)
    try:
        # `set_mocks` only replaces the engine-facing settings; start from a whole fresh set.
        settings.reset_options(project=project, stack=stack, preview=True)
        pulumi_config.set_all_config(config, list(secret_keys))
        pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=True, monitor=monitor, logger=_log)
        # What `pulumi.runtime.test` does: run, then wait for every outstanding RPC and output.
        with _source_positions_skipped():
            loop.run_until_complete(run_pulumi_func(lambda: _exporting(program)))
    finally:
        _close(loop)
        monitor.close_thread_loops()


def _exporting(program: Callable[[], object]) -> None:
    """Run the program, then register the stack's outputs (its `pulumi.export`s) as the real engine's stack does
    at the end of a run; the stack `set_mocks` makes registered its (empty) outputs before the program ran."""
    program()
    root = settings.get_root_resource()
    if isinstance(root, Stack) and root.outputs:
        root.register_outputs(massage(root.outputs, []))


def _close(loop: asyncio.AbstractEventLoop) -> None:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_default_executor())
    asyncio.set_event_loop(None)
    loop.close()


def _reset_runtime() -> None:
    """Put Pulumi's process-wide runtime state back to how importing the SDK left it."""
    # Pulumi's context properties remember the first value set in a fresh context as their
    # default for every context, so a previous run's monitor would leak into the next one.
    # Setting pristine values from a fresh context overwrites those defaults.
    contextvars.Context().run(_pristine)


def _pristine() -> None:
    settings.reset_options(project="project", stack="stack", root_directory="root_directory", organization="organization")
    pulumi_config.set_all_config({}, [])
