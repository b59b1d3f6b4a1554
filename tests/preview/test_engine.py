"""The engine runs real programs under Pulumi's mock engine and records what the real engine would receive."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
import time

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import config as pulumi_config
from pulumi.runtime import settings
from pulumi.runtime.stack import wait_for_rpcs

from blueprint.preview import SECRET, ResourceGraph, run_program
from blueprint.preview.mocks import autoname
from tests.preview.conftest import STACK_URN, small_program

CONFIG = {"aws:region": "eu-west-1", "acme-dsw:idpClientSecret": "hunter2"}
SECRET_KEYS = ("acme-dsw:idpClientSecret",)


def preview(program=small_program, **kwargs) -> ResourceGraph:
    options = {"project": "acme-dsw", "stack": "dev", "config": CONFIG, "secret_keys": SECRET_KEYS, **kwargs}
    return run_program(program, **options)


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return preview()


def only(graph: ResourceGraph, token: str):
    (resource,) = graph.of_type(token)
    return resource


def test_every_resource_is_recorded_with_the_stack_at_the_root(graph):
    types = sorted(r.type for r in graph)
    assert types == sorted(
        [
            "pulumi:pulumi:Stack",
            "workbench:storage:Storage",
            "aws:kms/key:Key",
            "aws:s3/bucket:Bucket",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:eks/cluster:Cluster",
            "aws:secretsmanager/secretVersion:SecretVersion",
            "pulumi:providers:kubernetes",
            "kubernetes:helm.sh/v3:Release",
        ]
    )
    assert [r.urn for r in graph.roots()] == [STACK_URN]
    assert graph.summary() == {"create": 9}


def test_component_children_carry_the_components_urn_as_parent(graph):
    component = only(graph, "workbench:storage:Storage")
    assert component.custom is False
    assert component.parent == STACK_URN
    assert component.urn == "urn:pulumi:dev::acme-dsw::workbench:storage:Storage::storage"
    children = graph.children(component.urn)
    assert {c.name for c in children} == {"storage-key", "storage-data", "storage-encryption"}
    # Real engine URNs: the parent's type chain, never the root stack's type.
    assert only(graph, "aws:s3/bucket:Bucket").urn == "urn:pulumi:dev::acme-dsw::workbench:storage:Storage$aws:s3/bucket:Bucket::storage-data"


def test_resource_options_are_recorded(graph):
    bucket = only(graph, "aws:s3/bucket:Bucket")
    key = only(graph, "aws:kms/key:Key")
    assert (bucket.protect, bucket.retain_on_delete) == (True, True)
    assert (key.protect, key.retain_on_delete) == (False, False)


def test_explicit_provider_and_dependencies_are_recorded(graph):
    provider = only(graph, "pulumi:providers:kubernetes")
    release = only(graph, "kubernetes:helm.sh/v3:Release")
    assert release.provider == f"{provider.urn}::cluster-k8s-id"
    assert release.dependencies == (only(graph, "aws:s3/bucket:Bucket").urn,)
    assert provider.dependencies == (only(graph, "aws:eks/cluster:Cluster").urn,)
    assert only(graph, "aws:kms/key:Key").provider is None  # the default provider


def test_inputs_use_engine_property_names_with_nested_objects(graph):
    cluster = only(graph, "aws:eks/cluster:Cluster")
    assert cluster.inputs["vpcConfig"] == {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["subnet-a", "subnet-b"]}
    encryption = only(graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"


def test_dependents_see_computed_outputs_of_their_dependencies(graph):
    encryption = only(graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption.inputs["bucket"] == autoname("storage-data")
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == "arn:aws:kms:eu-west-1:123456789012:key/storage-key-key-id"
    provider = only(graph, "pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"].startswith("server: https://") and ".eu-west-1.eks.amazonaws.com" in provider.inputs["kubeconfig"]


def test_secret_config_shows_as_a_marker_never_the_value(graph):
    assert only(graph, "aws:secretsmanager/secretVersion:SecretVersion").inputs["secretString"] == SECRET
    assert "hunter2" not in json.dumps(graph.to_json())


def test_integral_numbers_are_ints_and_fractions_stay_floats(graph):
    values = only(graph, "kubernetes:helm.sh/v3:Release").inputs["values"]
    assert values["cull"] == {"every": 600, "ratio": 0.5, "timeout": 3600}
    assert type(values["cull"]["timeout"]) is int and type(values["cull"]["every"]) is int
    assert only(graph, "aws:kms/key:Key").inputs["deletionWindowInDays"] == 30


def test_two_runs_in_one_process_give_identical_graphs_and_do_not_leak(graph):
    other = run_program(lambda: aws.s3.Bucket("other"), project="other", stack="prod", config={"aws:region": "us-west-2"})
    assert [r.urn for r in other] == ["urn:pulumi:prod::other::aws:s3/bucket:Bucket::other", "urn:pulumi:prod::other::pulumi:pulumi:Stack::other-prod"]
    assert preview() == graph
    assert json.dumps(preview().to_json()) == json.dumps(graph.to_json())


def test_config_of_one_run_is_not_seen_by_the_next():
    seen: list[object] = []
    preview(lambda: None)
    run_program(lambda: seen.append(pulumi.Config("acme-dsw").get("idpClientSecret")), project="acme-dsw", stack="dev")
    assert seen == [None]


def test_no_runtime_state_leaks_into_the_process_after_a_run(graph):
    def state() -> tuple[object, ...]:
        return settings.get_root_resource(), settings.SETTINGS.monitor, settings.is_dry_run(), pulumi_config.get_config("aws:region")

    # A fresh context sees only process-wide defaults, whatever other tests left in this one.
    assert contextvars.Context().run(state) == (None, None, False, None)


def test_an_error_in_the_program_surfaces_with_its_message():
    def program() -> None:
        aws.s3.Bucket("before-the-error")
        raise ValueError("team 'genomics' has no profile")

    with pytest.raises(ValueError, match="team 'genomics' has no profile"):
        preview(program)
    assert len(preview(lambda: aws.s3.Bucket("after"))) == 2


def test_an_error_inside_an_apply_surfaces_with_its_message():
    def program() -> None:
        bucket = aws.s3.Bucket("bucket")
        bucket.arn.apply(lambda arn: (_ for _ in ()).throw(RuntimeError(f"cannot use {arn}")))

    with pytest.raises(RuntimeError, match=f"cannot use arn:aws:s3:::{autoname('bucket')}"):
        preview(program)


def test_a_duplicate_urn_is_an_error_as_in_the_real_engine():
    with pytest.raises(ValueError, match="Duplicate resource URN 'urn:pulumi:dev::acme-dsw::aws:s3/bucket:Bucket::data'"):
        preview(lambda: [aws.s3.Bucket("data"), aws.s3.Bucket("data")])


def test_a_program_that_never_finishes_times_out():
    release = threading.Event()
    try:
        with pytest.raises(TimeoutError, match="did not finish within 0.5 seconds"):
            preview(release.wait, timeout=0.5)
    finally:
        release.set()


@pytest.mark.usefixtures("main_event_loop_restored")
def test_runs_from_inside_a_running_event_loop(graph):
    async def caller() -> ResourceGraph:
        return preview()

    assert asyncio.run(caller()) == graph


@pytest.mark.usefixtures("main_event_loop_restored")
def test_a_pulumi_unit_test_context_in_the_caller_is_left_alone(graph):
    class CallerMocks(pulumi.runtime.Mocks):
        def new_resource(self, args):
            return "caller-id", args.inputs

        def call(self, args):
            return {}

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    monitor = pulumi.runtime.mocks.MockMonitor(CallerMocks())
    pulumi.runtime.set_mocks(CallerMocks(), project="caller", stack="test", preview=False, monitor=monitor)
    try:
        preview()
        assert (settings.get_project(), settings.get_stack(), settings.is_dry_run()) == ("caller", "test", False)
        assert settings.get_monitor() is monitor
    finally:
        loop.run_until_complete(wait_for_rpcs())
        settings.reset_options()
        settings.ROOT.set(None)
        loop.close()


@pytest.mark.slow
def test_a_thousand_resources_are_all_recorded_in_reasonable_time():
    def program() -> None:
        for team in range(50):
            component = pulumi.ComponentResource("workbench:teamspace:Teamspace", f"team-{team}")
            for index in range(19):
                aws.s3.BucketObjectv2(f"team-{team}-object-{index}", bucket="data", key=f"{team}/{index}", opts=pulumi.ResourceOptions(parent=component))

    started = time.perf_counter()
    graph = preview(program)
    elapsed = time.perf_counter() - started
    assert len(graph) == 1 + 50 * 20
    assert all(len(graph.children(c.urn)) == 19 for c in graph.of_type("workbench:teamspace:Teamspace"))
    assert elapsed < 60, f"{elapsed:.1f}s for 1000 resources"
