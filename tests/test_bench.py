"""bench/run.py's honest SDK floor: derived from the graph's resource types through the SDKs' own tables."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).parents[1] / "bench" / "run.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module
    spec.loader.exec_module(module)
    return module


def test_the_floor_touches_one_class_per_sdk_module_of_the_graph():
    bench = _bench()
    types = [
        "pulumi:pulumi:Stack",
        "workbench:network:Network",
        "pulumi:providers:aws",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:iam/role:Role",
        "kubernetes:core/v1:Namespace",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:helm.sh/v3:Release",
    ]
    script, unmapped = bench.sdk_floor_script(types)
    assert unmapped == []
    touched = dict(eval(script.split("for module, name in ", 1)[1].split(":\n", 1)[0]))  # the list literal it loops over
    assert touched == {
        "pulumi_aws": "Provider",
        "pulumi_aws.ec2": "Vpc",  # one class per service: Subnet adds nothing
        "pulumi_aws.iam": "Role",
        "pulumi_kubernetes.core.v1": "Namespace",
        "pulumi_kubernetes.rbac.v1": "Role",
        "pulumi_kubernetes.helm.v3": "Release",
    }


def test_a_type_no_sdk_table_names_is_reported_not_guessed():
    _, unmapped = _bench().sdk_floor_script(["aws:nosuch/thing:Thing", "workbench:hub:Hub"])
    assert unmapped == ["aws:nosuch/thing:Thing"]
