"""works.sessions.refs-exist on real graphs (the real program under the mocks, the chart rendered by the real Helm)."""

from __future__ import annotations

import datetime as dt

import pytest

from blueprint.policy.base import Context
from blueprint.policy.rules import BY_ID
from blueprint.policy.rules.works_sessions import WRITES_ANNOTATION
from tests.policy.conftest import added, find, mutate, without

RULE = BY_ID["works.sessions.refs-exist"]
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
RELEASE = "kubernetes:helm.sh/v3:Release"
CRON_JOB = "kubernetes:batch/v1:CronJob"


def findings(real, graph):
    ctx = Context(spec=real.spec, stance=real.spec.stance, teams=real.spec.teams, today=dt.date(2026, 12, 1))
    found = list(RULE.findings(graph, ctx))
    return [f.message for f in found if not f.warning], [f.message for f in found if f.warning]


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_every_reference_exists_on_the_real_graph(real, stance):
    project = real(stance)
    violations, _ = findings(project, project.graph)
    assert violations == []
    assert RULE.family == "works"


def test_a_missing_team_config_map_fires(real):
    project = real("strict")
    graph = without(project.graph, find(project.graph, CONFIG_MAP, "genomics-session-files"))
    violations, _ = findings(project, graph)
    assert violations and all("ConfigMap genomics/workbench-session" in v for v in violations), violations
    assert any("genomics-small" in v for v in violations)


def test_a_missing_session_service_account_fires(real):
    project = real("balanced")
    graph = without(project.graph, find(project.graph, SERVICE_ACCOUNT, "team-1-sa"))
    violations, _ = findings(project, graph)
    assert any("ServiceAccount team-1/team-1-workbench" in v for v in violations), violations


def test_a_rendered_chart_pod_naming_a_missing_service_account_fires(real):
    project = real("open")
    release = find(project.graph, RELEASE, "jupyterhub")
    graph = mutate(project.graph, release, lambda i: i["values"]["hub"].update({"serviceAccount": {"create": False, "name": "nobody"}}))
    violations, _ = findings(project, graph)
    assert any("rendered Deployment/hub: ServiceAccount jupyterhub/nobody" in v for v in violations), violations


def test_a_secret_a_job_writes_counts_as_existing(real):
    # The mirror's refresher writes the pip config Secret at run time. Sessions mount it optionally (they may start
    # before its first run); made mandatory, it must be declared or written by a Job that says so.
    project = real("strict")
    release = find(project.graph, RELEASE, "jupyterhub")

    def mandatory(inputs):
        inputs["values"]["custom"]["workbench"]["session"]["kubespawner_override"]["volumes"]["workbench-pip"]["secret"]["optional"] = False

    graph = mutate(project.graph, release, mandatory)
    violations, _ = findings(project, graph)
    assert violations and all("workbench-pip" in v and "never starts" in v for v in violations), violations
    assert {v.split("Secret ", 1)[1].split(" ", 1)[0] for v in violations} == {f"{t.name}/workbench-pip" for t in project.spec.teams}
    like = find(project.graph, CONFIG_MAP, "genomics-session-files")
    writes = ",".join(f"Secret/{team.name}/workbench-pip" for team in project.spec.teams)
    produced = added(graph, like, CRON_JOB, "pip-refresher", {"metadata": {"name": "pip-refresher", "namespace": "mirror", "annotations": {WRITES_ANNOTATION: writes}}})
    assert findings(project, produced) == ([], [])
    only_one = added(graph, like, CRON_JOB, "pip-refresher", {"metadata": {"name": "pip-refresher", "namespace": "mirror", "annotations": {WRITES_ANNOTATION: "Secret/genomics/workbench-pip"}}})
    violations, _ = findings(project, only_one)
    assert violations and all("team-1/workbench-pip" in v for v in violations), "a Secret written elsewhere does not count"


def test_a_profile_volume_naming_a_missing_secret_fires(real):
    project = real("balanced")
    release = find(project.graph, RELEASE, "jupyterhub")

    def own_volume(inputs):
        profile = inputs["values"]["custom"]["workbench"]["teams"][1]["profiles"][0]
        profile["kubespawner_override"]["volumes"] = {"extra": {"name": "extra", "secret": {"secretName": "team-keys"}}}

    violations, _ = findings(project, mutate(project.graph, release, own_volume))
    assert violations == [f"session pod of custom.workbench.teams[1].profiles[0] (team-1-small): Secret team-1/team-keys (volumes[2]) does not exist in namespace 'team-1' (not in the graph, not in the rendered chart, no Job writes it), so the pod never starts"], violations
