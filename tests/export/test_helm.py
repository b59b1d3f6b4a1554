"""Helm values export: the Workbench release's values, validated against the vendored z2jh chart schema as Helm merges them."""

from __future__ import annotations

import io
from importlib import resources

import jsonschema
import pytest
from ruamel.yaml import YAML

from blueprint.charts import z2jh
from blueprint.export import ExportError
from blueprint.export.checkov import STANCES
from blueprint.export.helm import helm_values, without_hidden
from blueprint.charts.z2jh import merge_like_helm
from blueprint.preview.graph import SECRET

from .conftest import graph, resource

RELEASE = "kubernetes:helm.sh/v3:Release"


def chart_file(name: str):
    # Read the vendored chart directly (not through the code under test).
    return YAML(typ="safe", pure=True).load(resources.files("blueprint").joinpath("charts", "jupyterhub", name).read_text(encoding="utf-8"))


def schema_errors(values) -> list[str]:
    merged = merge_like_helm(chart_file("values.yaml"), values)
    return sorted(f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in jsonschema.Draft7Validator(chart_file("values.schema.yaml")).iter_errors(merged))


# ---- hand-made graphs --------------------------------------------------------------------------------


def test_helm_merge_maps_merge_lists_replace_null_deletes():
    defaults = {"hub": {"image": {"name": "hub", "tag": "1"}, "extraEnv": {"A": "1"}}, "proxy": {"ports": [80, 443]}, "debug": {"enabled": False}}
    merged = merge_like_helm(defaults, {"hub": {"image": {"tag": "2"}, "extraEnv": None}, "proxy": {"ports": [443]}})
    assert merged == {"hub": {"image": {"name": "hub", "tag": "2"}}, "proxy": {"ports": [443]}, "debug": {"enabled": False}}


def test_the_schema_check_catches_a_wrong_value():
    assert schema_errors({}) == []  # the chart defaults alone are valid
    assert schema_errors({"hub": {"notAHubKey": True}}), "z2jh forbids unknown keys under hub"
    assert schema_errors({"singleuser": {"cpu": {"limit": "two"}}})


def test_values_of_the_jupyterhub_release_with_secrets_listed():
    release = resource(
        RELEASE,
        "acme-workbench-jupyterhub",
        {"name": "jupyterhub", "chart": "jupyterhub", "version": "4.4.0", "namespace": "jupyterhub", "values": {"hub": {"config": SECRET}, "cull": {"timeout": 3600}}},
    )
    other = resource(RELEASE, "lb-controller", {"chart": "aws-load-balancer-controller", "values": {}})
    values = helm_values(graph(release, other))
    assert (values.release, values.version, values.namespace) == ("jupyterhub", "4.4.0", "jupyterhub")
    assert values.hidden == ("hub.config",)
    assert without_hidden(values.values) == {"hub": {}, "cull": {"timeout": 3600}}
    text = values.to_yaml()
    assert "hub.config" in text.splitlines()[2]
    written = YAML(typ="safe", pure=True).load(io.StringIO(text))
    assert written == {**values.values, "hub": {"config": z2jh.HUB_CONFIG_STAND_IN}}, "the secret is a stand-in of its shape"
    assert "stand-in" in text.splitlines()[3]


@pytest.mark.parametrize("stance", STANCES)
def test_the_exported_values_are_accepted_by_the_real_helm_template(stance, stance_graphs, tmp_path):
    """`helm template -f` on the exported file: the real engine, its schema check included, renders the chart."""
    import subprocess

    helm = z2jh.find_helm()
    assert helm is not None, z2jh.HELM_INSTALL_HINT
    path = tmp_path / "values.yaml"
    path.write_text(helm_values(stance_graphs[stance]).to_yaml(), encoding="utf-8")
    done = subprocess.run(
        [str(helm), "template", "jupyterhub", str(z2jh.chart_dir()), "--namespace", "jupyterhub", "-f", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "kind: Deployment" in done.stdout


def test_no_jupyterhub_release_is_an_error_naming_what_there_is():
    with pytest.raises(ExportError, match=r"found 0; releases in the program: lb \(chart aws-load-balancer-controller\)"):
        helm_values(graph(resource(RELEASE, "lb", {"chart": "aws-load-balancer-controller"})))


# ---- the real stances ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stance", STANCES)
def test_the_workbench_values_pass_the_chart_schema(stance, stance_graphs):
    values = helm_values(stance_graphs[stance])
    known = without_hidden(values.values)
    assert known, "the offline preview shows the values (only secret parts are hidden)"
    assert schema_errors(known) == []
    # Only secrets are hidden, and each is listed in the YAML header.
    header = values.to_yaml().splitlines()[:3]
    for path in values.hidden:
        assert any(path in line for line in header)


@pytest.mark.parametrize("stance", STANCES)
def test_the_values_export_round_trips(stance, stance_graphs):
    values = helm_values(stance_graphs[stance])
    assert YAML(typ="safe", pure=True).load(io.StringIO(values.to_yaml())) == z2jh.renderable(values.values)
