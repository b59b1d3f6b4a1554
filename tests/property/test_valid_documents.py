"""Any valid blueprint loads, round-trips, previews with unique names, and can be judged by its stance."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprint.model import load_blueprint
from blueprint.model.yamlio import dump_yaml, parse_yaml_text
from blueprint.policy import evaluate
from blueprint.preview import UNKNOWN, preview_project
from tests.conftest import write_blueprint
from tests.property.counting import EXAMPLES
from tests.property.strategies import description_text, valid_documents

SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
LOAD_EXAMPLES = 150
PREVIEW_EXAMPLES = 12

# AWS names that must be unique in an account (or in the one user pool / cluster of a stack).
GLOBAL_NAMES = {
    "aws:iam/role:Role": "name",
    "aws:budgets/budget:Budget": "name",
    "aws:cognito/userGroup:UserGroup": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
}


def test_every_valid_document_loads_and_round_trips_through_yaml():
    ran = Counter()

    @settings(max_examples=LOAD_EXAMPLES, deadline=None, suppress_health_check=SLOW)
    @given(valid_documents())
    def check(document):
        ran["examples"] += 1
        with tempfile.TemporaryDirectory() as scratch:
            path = write_blueprint(Path(scratch) / "acme-dsw", document)
            spec = load_blueprint(path)
        # What the generator writes (dump_yaml) reads back as the same data: `fork` re-dumps blueprint.yaml.
        assert parse_yaml_text(dump_yaml(document), "round-trip") == document
        assert [t.name for t in spec.teams] == [t["name"] for t in document["teams"]]
        assert [t.description for t in spec.teams] == [t.get("description", "") for t in document["teams"]]
        assert spec.description == document.get("description", "")
        assert spec.stance.name == document["stance"]

    check()
    EXAMPLES["valid documents load"] += ran["examples"]
    assert ran["examples"] >= LOAD_EXAMPLES * 0.9


def _kubernetes_identity(resource):
    metadata = resource.inputs.get("metadata") or {}
    return resource.type, metadata.get("namespace"), metadata.get("name")


def test_every_valid_document_previews_with_unique_names_and_can_be_judged():
    ran = Counter()

    @settings(max_examples=PREVIEW_EXAMPLES, deadline=None, suppress_health_check=SLOW)
    @given(valid_documents())
    def check(document):
        ran["examples"] += 1
        with tempfile.TemporaryDirectory() as scratch:
            project = Path(scratch) / f"{document['org']}-dsw"
            write_blueprint(project, document)
            spec = load_blueprint(project)
            graph = preview_project(project)
        urns = [r.urn for r in graph]
        assert len(set(urns)) == len(urns)

        objects = [
            _kubernetes_identity(r)
            for r in graph
            if r.type.startswith("kubernetes:") and not r.type.startswith(("kubernetes:helm.sh", "pulumi:providers")) and r.custom
        ]
        named = [o for o in objects if isinstance(o[2], str) and o[2] != UNKNOWN]
        repeated = [o for o, n in Counter(named).items() if n > 1]
        assert not repeated, f"Kubernetes objects with the same kind, namespace and name: {repeated}"

        for token, field in GLOBAL_NAMES.items():
            names = [r.inputs.get(field) for r in graph.of_type(token)]
            names = [n for n in names if isinstance(n, str) and n != UNKNOWN]
            assert len(set(names)) == len(names), f"{token}: repeated {field}: {sorted(n for n in names if names.count(n) > 1)}"

        namespaces = {r.inputs["metadata"]["name"] for r in graph.of_type("kubernetes:core/v1:Namespace")}
        assert {t.name for t in spec.teams} <= namespaces

        result = evaluate(spec, graph)
        assert result.stance == spec.stance.name
        assert result.resources_checked == len(graph)
        assert set(result.passed).isdisjoint(v.rule for v in result.violations)

    check()
    EXAMPLES["valid documents preview + evaluate"] += ran["examples"]
    assert ran["examples"] >= PREVIEW_EXAMPLES * 0.9


def test_every_description_the_model_accepts_round_trips_through_the_generators_yaml():
    """Fork re-dumps blueprint.yaml and writes descriptions into overlays: every accepted description must read back unchanged."""
    from blueprint.model.spec import TeamEntry

    ran = Counter()

    @settings(max_examples=300, deadline=None)
    @given(st.one_of(description_text, st.text(max_size=40)))
    def check(description):
        ran["examples"] += 1
        try:
            TeamEntry(name="ab", idp_group="g", description=description)
        except ValueError:
            return
        document = {"description": description, "teams": [{"description": description}]}
        assert parse_yaml_text(dump_yaml(document), "round-trip") == document

    check()
    EXAMPLES["accepted descriptions round-trip"] += ran["examples"]


def test_forking_any_team_of_any_valid_document_changes_nothing_it_resolves_to():
    """`fork` starts a team's overlay from its current values: the project must resolve exactly as before."""
    from typer.testing import CliRunner

    from blueprint.cli import app

    ran = Counter()

    @settings(max_examples=60, deadline=None, suppress_health_check=SLOW)
    @given(valid_documents(), st.data())
    def check(document, data):
        ran["examples"] += 1
        team = data.draw(st.sampled_from([t["name"] for t in document["teams"]]))
        with tempfile.TemporaryDirectory() as scratch:
            project = write_blueprint(Path(scratch) / "acme-dsw", document).parent
            before = load_blueprint(project)
            result = CliRunner().invoke(app, ["fork", str(project), "--team", team])
            assert result.exit_code == 0, result.output
            assert (project / "teams" / f"{team}.yaml").is_file()
            assert load_blueprint(project) == before

    check()
    EXAMPLES["valid documents fork"] += ran["examples"]
    assert ran["examples"] >= 54
