"""Pulumi AWS type token -> Terraform resource type, from the vendored table in `data/` (no pulumi import)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from importlib import resources

from .errors import ExportError

TABLE_FILE = "pulumi-aws-tf-types.json"
RENAMES_FILE = "tf-property-renames.json"


@functools.cache
def terraform_types() -> Mapping[str, str]:
    """The whole vendored table: every Pulumi AWS resource token the exporter knows, with its Terraform type."""
    data = json.loads(resources.files(__package__).joinpath("data", TABLE_FILE).read_text(encoding="utf-8"))
    return {token: tf_type for token, tf_type in data["resources"].items()}


@functools.cache
def property_renames() -> Mapping[str, Mapping[str, str]]:
    """Pulumi property name -> Terraform attribute name where the bridge renamed more than the case, per object type token."""
    data = json.loads(resources.files(__package__).joinpath("data", RENAMES_FILE).read_text(encoding="utf-8"))
    return {owner: dict(renames) for owner, renames in data["renames"].items()}


def terraform_type(token: str) -> str:
    """The Terraform resource type of one Pulumi AWS token; ExportError when the table lacks it."""
    return terraform_types_of([token])[token]


def terraform_types_of(tokens: Iterable[str]) -> dict[str, str]:
    """Terraform types for all `tokens`; one ExportError naming every token the table lacks."""
    table = terraform_types()
    wanted = sorted(set(tokens))
    missing = [token for token in wanted if token not in table]
    if missing:
        raise ExportError(
            export_format="terraform-plan",
            problems=[f"no Terraform type known for Pulumi type {token}" for token in missing],
            fix=f"add the token and its Terraform type to src/blueprint/export/data/{TABLE_FILE} (see data/SOURCES.md)",
        )
    return {token: table[token] for token in wanted}
