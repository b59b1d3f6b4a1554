"""The region table the model validates `region` against is exactly what the pinned pulumi-aws knows.

When pulumi-aws is bumped and its `Region` enum changes, this fails; regenerate the table with
`python -m tests.facts.test_aws_regions` (from the repository root) and review the diff.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from blueprint.facts import aws_regions

TABLE = Path(aws_regions.__file__)


def table_text() -> str:
    """The whole module, as generated from the installed pulumi_aws."""
    import pulumi_aws

    regions = [region.value for region in pulumi_aws.Region]
    version = importlib.metadata.version("pulumi_aws")
    rows = "\n".join(f'    "{region}",' for region in regions)
    return f'''"""AWS regions the pinned pulumi-aws knows (its `Region` enum), so the model refuses a region no provider can target.

Generated from pulumi_aws {version} by `python -m tests.facts.test_aws_regions`; tests/facts/test_aws_regions.py fails
when the installed pulumi_aws knows other regions. Plain data: the model reads it without importing Pulumi.
"""

PULUMI_AWS_VERSION = "{version}"

AWS_REGIONS: tuple[str, ...] = (
{rows}
)
'''


def test_table_is_what_the_installed_pulumi_aws_knows():
    import pulumi_aws

    assert aws_regions.AWS_REGIONS == tuple(region.value for region in pulumi_aws.Region), "run `python -m tests.facts.test_aws_regions`"
    assert aws_regions.PULUMI_AWS_VERSION == importlib.metadata.version("pulumi_aws")
    assert TABLE.read_text() == table_text()


def test_the_pin_is_the_table_version():
    constraints = (Path(__file__).parents[2] / "constraints.txt").read_text().splitlines()
    assert f"pulumi_aws=={aws_regions.PULUMI_AWS_VERSION}" in constraints


def test_every_known_region_passes_the_workflow_check():
    """The generated workflow checks the region again before writing it; no region the model accepts may fail there."""
    from blueprint.generate.workflow import _REGION

    assert [region for region in aws_regions.AWS_REGIONS if not _REGION.match(region)] == []


if __name__ == "__main__":
    TABLE.write_text(table_text())
    print(f"wrote {TABLE}")
