"""Image rules: with egress 'mirror', where every container image comes from (data-theft-outsider)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ...charts.z2jh import chart_images, image_references
from ...model import Concern
from ...preview.graph import Resource
from .. import tokens as T
from ..base import Context, RuleSet, Severity, known
from .workbench import UNREADABLE, is_jupyterhub

rules = RuleSet()

# `<account>.dkr.ecr.<region>.amazonaws.com/...` (and the FIPS and China forms): a private ECR registry, reached
# through the VPC's ecr.api/ecr.dkr endpoints. ECR Public, Docker Hub, quay.io... need a route to the internet.
PRIVATE_ECR = re.compile(r"^(?P<account>[0-9]{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/")


def _problem(image: str, region: str | None) -> str | None:
    match = PRIVATE_ECR.match(image)
    if match is None:
        return "is not in a private ECR registry"
    if region is not None and match["region"] != region:
        return f"is in ECR of {match['region']}, but the VPC endpoints reach only {region}"
    return None


@rules.resource(
    "network.images-from-private-registry",
    concern=Concern.DATA_THEFT_OUTSIDER,
    severity=Severity.HIGH,
    controls=("network.egress",),
    types={T.HELM_RELEASE, *T.WORKLOADS},
    applies=lambda ctx: ctx.stance.network.egress == "mirror",
    description="With egress 'mirror', every container image in Helm values and Kubernetes workloads comes from the account's ECR in the blueprint's region.",
)
def images_from_private_registry(resource: Resource, ctx: Context) -> Iterator[str]:
    region = ctx.spec.region if ctx.spec else None
    if resource.type == T.HELM_RELEASE:
        values = resource.inputs.get("values")
        if not isinstance(values, Mapping):
            yield UNREADABLE.format(what="image sources")
            return
        images = dict(image_references(values))
        if is_jupyterhub(resource):
            for block, default in chart_images().items():
                path = ".".join(block)
                if images.get(f"{path}.name") is None:
                    problem = _problem(default, region)
                    if problem:
                        yield f"{path}.name is not set, so the chart pulls its default {default}, which {problem}; with egress 'mirror' no node can pull it"
    else:
        images = dict(image_references(resource.inputs.get("spec")))
    for where, image in sorted(images.items()):
        if not isinstance(image, str) or not known(image):
            continue  # not known before deployment: nothing to judge
        problem = _problem(image, region)
        if problem:
            yield f"{where} is {image}, which {problem}; with egress 'mirror' no node can pull it (use the ECR pull-through cache)"


RULES = tuple(rules.rules)
