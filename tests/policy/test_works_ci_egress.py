"""The CodeBuild CI runner's way out under a restricted stance, as the rules see it on real graphs.

Strict has no internet egress, yet its CI runner must register with GitHub, install the Pulumi CLI and packages and
call the AWS APIs. The program gives the runner a tier of its own (`ci`) whose only way out is the egress firewall,
admitting exactly `facts.ci_runner.runner_domains`. `works.ci.runner-egress` proves the runner gets out; the stance
rules prove nothing else does: (1) every stance passes on its real graph; (2) mutations of the real graphs (the
allowlist removed or narrowed, the route gone, an extra host, a ci tier without a runner) fire them.
"""

from __future__ import annotations

import pytest

from blueprint.facts.ci_runner import runner_domains
from blueprint.model.spec import CiSpec
from blueprint.policy import BY_ID, evaluate

from .conftest import find, mutate, without

EGRESS = BY_ID["works.ci.runner-egress"]
RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
ROUTE = "aws:ec2/route:Route"
PROJECT = "aws:codebuild/project:Project"
SUBNET = "aws:ec2/subnet:Subnet"


def messages(spec, graph, rule=EGRESS) -> list[str]:
    return [v.message for v in evaluate(spec, graph, rules=[rule]).violations]


def ci_group(graph):
    return find(graph, RULE_GROUP, "-ci")


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_every_stance_gets_its_runner_out_and_nothing_else(real, stance):
    project = real(stance)
    assert project.spec.ci_egress == ("open" if stance == "open" else "firewall")
    network = [BY_ID[r] for r in ("network.sessions-no-route-out", "network.firewall-allowlist", "network.no-internet-gateways")]
    result = evaluate(project.spec, project.graph, rules=[EGRESS, *network])
    assert result.ok, [f"{v.rule}: {v.message}" for v in result.violations]


@pytest.mark.parametrize("stance", ["strict", "balanced"])
def test_the_runner_runs_in_its_own_tier_behind_the_firewall(real, stance):
    project = real(stance)
    runner = find(project.graph, PROJECT, "-ci-")
    tiers = {s.inputs["tags"]["tier"] for s in project.graph.of_type(SUBNET) if s.urn in runner.dependencies}
    assert tiers == {"ci"}
    targets = set(ci_group(project.graph).inputs["ruleGroup"]["rulesSource"]["rulesSourceList"]["targets"])
    region = project.spec.region
    assert {"github.com", ".github.com", "api.pulumi.com", f"sts.{region}.amazonaws.com", "iam.amazonaws.com"} <= targets
    assert len(targets) == len(runner_domains(region))


def test_without_the_ci_allowlist_the_runner_never_takes_a_job(real):
    project = real("strict")
    found = messages(project.spec, without(project.graph, ci_group(project.graph)))
    assert found and all("no TLS_SNI allowlist in use" in m and "github.com" in m for m in found)


def test_a_narrowed_allowlist_names_the_host_it_lost(real):
    project = real("balanced")
    group = ci_group(project.graph)

    def drop_pulumi(inputs):
        source = inputs["ruleGroup"]["rulesSource"]["rulesSourceList"]
        source["targets"] = [t for t in source["targets"] if t != "api.pulumi.com"]

    found = messages(project.spec, mutate(project.graph, group, drop_pulumi))
    assert found and all("admits api.pulumi.com" in m for m in found)


def test_a_runner_subnet_without_a_default_route_is_stranded(real):
    project = real("strict")
    routes = [r for r in project.graph.of_type(ROUTE) if "-ci-" in r.name and r.name.endswith("-egress")]
    assert len(routes) == project.spec.stance.network.availability_zones
    found = messages(project.spec, without(project.graph, *routes))
    assert len(found) == len(routes) and all("has no default route" in m for m in found)


def test_the_ci_tier_may_reach_nothing_beyond_the_runners_hosts(real):
    project = real("strict")

    def widen(inputs):
        inputs["ruleGroup"]["rulesSource"]["rulesSourceList"]["targets"].append(".dropbox.com")

    graph = mutate(project.graph, ci_group(project.graph), widen)
    [message] = messages(project.spec, graph, BY_ID["network.firewall-allowlist"])
    assert "admits *.dropbox.com from the CI runner's tier" in message


def test_a_ci_tier_route_without_a_codebuild_runner_is_a_way_out(real):
    project = real("strict")
    on_site = project.spec.model_copy(update={"ci": CiSpec(runner="self-hosted", runner_label="workbench", runner_cidrs=("10.0.8.0/24",))})
    assert on_site.ci_egress == "none"
    found = messages(on_site, project.graph, BY_ID["network.sessions-no-route-out"])
    assert found and all("no CodeBuild CI runner that needs one" in m for m in found)
    assert messages(on_site, project.graph) == [], "no CodeBuild runner: nothing for works.ci.runner-egress to prove"
