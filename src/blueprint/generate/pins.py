"""Versions a generated project pins in requirements.txt: the ones this release is tested with (constraints.txt)."""

from .. import __version__

PINS = {
    "workbench-blueprint": __version__,
    "pulumi": "3.272.0",
    "pulumi-aws": "7.51.1",
    "pulumi-kubernetes": "4.34.2",
    "pulumi-policy": "1.21.0",
}
