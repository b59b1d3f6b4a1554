"""works.images.pullable on real graphs: every image the Helm values, the rendered chart and workloads name is pullable."""

from __future__ import annotations

import datetime as dt

import pytest

from blueprint.policy.base import Context
from blueprint.policy.rules import BY_ID
from tests.policy.conftest import find, mutate, without

RULE = BY_ID["works.images.pullable"]
RELEASE = "kubernetes:helm.sh/v3:Release"
CACHE_RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
CRON_JOB = "kubernetes:batch/v1:CronJob"


def violations(real, graph):
    ctx = Context(spec=real.spec, stance=real.spec.stance, teams=real.spec.teams, today=dt.date(2026, 12, 1))
    return [f.message for f in RULE.findings(graph, ctx) if not f.warning]


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_every_image_is_pullable_on_the_real_graph(real, stance):
    project = real(stance)
    assert violations(project, project.graph) == []


def test_balanced_without_its_quay_cache_fires(real):
    project = real("balanced")
    graph = without(project.graph, find(project.graph, CACHE_RULE, "quay"))
    found = violations(project, graph)
    assert found and all("no pull-through cache rule of this program serves" in m for m in found), found
    assert any(m.startswith("rendered Deployment/hub:") for m in found), "the rendered chart's pods are judged too"
    assert any("scipy-notebook" in m for m in found), "session images are judged too"


def test_an_upstream_image_outside_the_allowlist_fires(real):
    project = real("balanced")
    release = find(project.graph, RELEASE, "jupyterhub")
    graph = mutate(project.graph, release, lambda i: i["values"]["hub"].update({"image": {"name": "quay.io/jupyterhub/k8s-hub"}}))
    found = violations(project, graph)
    assert any("quay.io/jupyterhub/k8s-hub" in m and "egress 'allowlist' does not reach" in m for m in found), found


def test_a_workload_image_on_the_internet_fires_under_strict(real):
    project = real("strict")
    job = project.graph.of_type(CRON_JOB)[0]  # any of the mirror's jobs

    def public(inputs):
        inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/acme/curator:1"

    found = violations(project, mutate(project.graph, job, public))
    assert any("ghcr.io/acme/curator:1 is on ghcr.io" in m for m in found), found


def test_open_egress_pulls_anything(real):
    project = real("open")
    release = find(project.graph, RELEASE, "jupyterhub")
    graph = mutate(project.graph, release, lambda i: i["values"]["hub"].update({"image": {"name": "ghcr.io/acme/hub"}}))
    assert violations(project, graph) == []
