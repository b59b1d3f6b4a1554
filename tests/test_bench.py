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


def test_the_targets_are_the_issues_ratios_of_cpu_medians():
    bench = _bench()

    def case(*cpu: float, rss: float = 100.0):
        made = bench.Case("x", ["true"], {})
        made.samples = [bench.Sample(cpu=c, wall=c * 2, rss_mib=rss) for c in cpu]
        return made

    cases = {
        "sdk floor": case(3.0, 3.1, 2.9),
        "preview small": case(3.3, 3.6, 3.0),
        "preview large": case(9.0, 8.0, 12.0, rss=400),  # dealt out to workers: the wall figure
        "preview large, one process": case(8.5, 7.0, 11.0),  # the CPU figure
        "preview small, beside large": case(3.4),  # 1-team runs interleaved with the 200-team ones: the denominator there
        "preview small, beside edit": case(3.2),  # and with the one-team edits
        "check cached": case(0.5),
        "export cached": case(0.8),
        "review cached": case(0.6),
        "one edit": case(4.0),
        "typer floor": case(0.2),
        "new": case(0.4),
        "validate large": case(0.25),
    }
    found = {t.figure: t for t in bench.targets(cases, smallest=1, largest=200)}
    assert abs(found["preview 1 team / SDK floor"].measured - 1.1) < 1e-9  # medians: 3.3 / 3.0
    assert abs(found["preview 200 teams cold, one process / 1 team"].measured - 8.5 / 3.4) < 1e-9
    worst = next(t for figure, t in found.items() if figure.startswith("check/export/review"))
    assert abs(worst.measured - 0.8 / 8.5) < 1e-9  # the worst of the three (export), against the one-process preview
    assert abs(found["preview 200 teams cold / 1 team, wall"].measured - 18.0 / 6.8) < 1e-9
    assert abs(found["one-team edit in 200 teams, re-check / 1-team preview"].measured - 4.0 / 3.2) < 1e-9
    not_met = sorted(figure for figure, t in found.items() if t.line()[-1] == "**not met**")
    assert not_met == ["`new` / typer floor", "preview 200 teams cold / 1 team, wall", "validate, 200 teams (wall)"], not_met
