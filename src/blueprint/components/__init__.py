"""Pulumi ComponentResources, one per module; `blueprint.program` composes them."""
