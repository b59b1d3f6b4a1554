"""facts.ci_runner: the CI runner's hosts cover every AWS API the program's resources are managed through."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blueprint.facts.ci_runner import AWS_ENDPOINTS, RUNNER_HOSTS, aws_hosts, runner_domains
from blueprint.model import load_blueprint
from blueprint.preview import preview_project
from tests.conftest import blueprint_data, write_blueprint

COMPONENTS = Path(__file__).parents[2] / "src" / "blueprint" / "components"
# `aws.<module>.<Resource>(`: a resource the provider creates, reads, updates and deletes through that module's API.
RESOURCE_CALL = re.compile(r"\baws\.([a-z0-9]+)\.([A-Z]\w*)\(")


def modules_in_source() -> set[str]:
    return {m.group(1) for path in COMPONENTS.glob("*.py") for m in RESOURCE_CALL.finditer(path.read_text())}


def test_every_module_a_component_creates_resources_in_has_its_endpoints():
    used = modules_in_source()
    assert {"ec2", "eks", "iam", "s3"} <= used, "the scan finds the components' resources"
    assert used <= set(AWS_ENDPOINTS), f"add the endpoints of {sorted(used - set(AWS_ENDPOINTS))} to facts.ci_runner.AWS_ENDPOINTS"


@pytest.mark.parametrize("stance", ["strict", "open"])
def test_every_module_in_a_real_graph_has_its_endpoints(tmp_path, stance):
    write_blueprint(tmp_path, blueprint_data(stance, teams=1))
    graph = preview_project(tmp_path)
    modules = {r.type.split(":")[1].split("/")[0] for r in graph if r.type.startswith("aws:")}
    assert modules <= set(AWS_ENDPOINTS), sorted(modules - set(AWS_ENDPOINTS))
    spec = load_blueprint(tmp_path)
    hosts = aws_hosts(spec.region, modules)
    assert f"sts.{spec.region}.amazonaws.com" in hosts and "iam.amazonaws.com" in hosts


def test_runner_domains_are_the_internet_hosts_and_the_regions_aws_apis():
    domains = runner_domains("eu-west-1")
    assert set(RUNNER_HOSTS) <= set(domains)
    assert "eks.eu-west-1.amazonaws.com" in domains and "ce.us-east-1.amazonaws.com" in domains
    assert not [d for d in domains if "{" in d], "every template is filled in"
    assert all(d.startswith("*.") or "*" not in d for d in domains), "a wildcard only as a leading label, as Network Firewall reads it"
