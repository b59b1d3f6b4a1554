"""The vendored chart's own YAML files mean the same under YAML 1.1 (how Helm and the hub read YAML, and how
`charts.z2jh` reads them, with libyaml) and YAML 1.2 (ruamel): a chart bump that writes `yes`, `on` or `0777` where
the two readings part would be caught here, not in a cluster."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from blueprint.charts import z2jh

FILES = ("values.yaml", "values.schema.yaml", "Chart.yaml")


@pytest.mark.parametrize("name", FILES)
def test_the_chart_file_reads_the_same_under_yaml_1_1_and_1_2(name):
    text = (z2jh.chart_dir() / name).read_text(encoding="utf-8")
    assert z2jh._load(name) == YAML(typ="safe", pure=True).load(text)


def test_the_two_readings_part_where_yaml_1_1_and_1_2_differ():
    """The comparison above can fail: a YAML 1.1 boolean word is a string under 1.2."""
    assert z2jh.load_yaml_documents("enabled: on\n") != [YAML(typ="safe", pure=True).load("enabled: on\n")]


def test_the_defaults_are_the_values_file():
    assert z2jh.chart_defaults()["singleuser"]["storage"]["dynamic"]["volumeNameTemplate"]
    assert z2jh.chart_metadata()["name"] == z2jh.CHART_NAME and z2jh.chart_schema()["type"] == "object"
