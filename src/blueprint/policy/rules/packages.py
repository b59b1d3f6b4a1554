"""Package mirror rules: what the workbench may install from (incorrect-work)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ...model import Concern
from ...preview.graph import Resource, ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list
from .workbench import is_jupyterhub

rules = RuleSet()


def external_connections(repository: Resource) -> list[str]:
    value = repository.inputs.get("externalConnections")
    items = value if isinstance(value, list) else [value] if value else []
    return [str(c.get("externalConnectionName")) for c in items if isinstance(c, Mapping)]


def _upstream_names(repository: Resource) -> list[str]:
    return [str(u.get("repositoryName")) for u in as_list(repository.inputs.get("upstreams")) if isinstance(u, Mapping)]


def workbench_repositories(graph: ResourceGraph) -> list[Resource]:
    """Repositories sessions install from: those the JupyterHub release depends on (its pip index).

    Without a hub release, every repository that is no other's upstream counts: a conservative guess.
    """
    repositories = graph.of_type(T.CODEARTIFACT_REPOSITORY)
    hubs = [r for r in graph.of_type(T.HELM_RELEASE) if is_jupyterhub(r)]
    used = [r for r in repositories if any(r.urn in hub.dependencies for hub in hubs)]
    if used:
        return used
    upstream_of_another = {name for r in repositories for name in _upstream_names(r)}
    return [r for r in repositories if r.inputs.get("repository") not in upstream_of_another]


def reachable(graph: ResourceGraph, start: Resource) -> list[Resource]:
    """`start` and every repository it reaches through upstreams (same domain)."""
    by_name = {(r.inputs.get("domain"), r.inputs.get("repository")): r for r in graph.of_type(T.CODEARTIFACT_REPOSITORY)}
    seen, todo = {start.urn: start}, [start]
    while todo:
        current = todo.pop()
        for name in _upstream_names(current):
            upstream = by_name.get((current.inputs.get("domain"), name))
            if upstream is not None and upstream.urn not in seen:
                seen[upstream.urn] = upstream
                todo.append(upstream)
    return list(seen.values())


@rules.graph(
    "packages.no-public-upstream",
    concern=Concern.INCORRECT_WORK,
    severity=Severity.HIGH,
    controls=("packages.python",),
    types=(T.CODEARTIFACT_REPOSITORY, T.HELM_RELEASE),
    applies=lambda ctx: ctx.stance.packages.python == "curated",
    description="With curated Python packages, the repository sessions install from reaches no public upstream (PyPI), directly or via upstreams.",
)
def no_public_upstream(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    for repository in workbench_repositories(graph):
        for reached in reachable(graph, repository):
            public = [c for c in external_connections(reached) if c.startswith("public:")]
            if public:
                via = "" if reached is repository else f" through upstream {reached.inputs.get('repository')!r}"
                yield Finding(
                    f"repository {repository.inputs.get('repository')!r} reaches {', '.join(public)}{via}: "
                    "any package on PyPI can be installed, not just the curated allowlist",
                    repository.urn,
                )


RULES = tuple(rules.rules)
