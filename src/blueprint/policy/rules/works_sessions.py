"""Works rules for user sessions: every object a pod refers to exists where the pod runs (day 1, issue 12.3)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ...model import Concern
from ...preview.graph import ResourceGraph
from .. import tokens as T
from ..base import Context, Finding, RuleSet, Severity, as_list, known, rendered
from .workbench import is_jupyterhub

rules = RuleSet()

# The producer contract: a Secret (or ConfigMap) that no program object declares, because a Job writes it at run
# time (the package mirror's pip token refresher writes `workbench-pip` into every team namespace), counts as
# existing when a Job or CronJob in the graph or the rendered chart carries this annotation naming it:
# a comma-separated list of `<kind>/<namespace>/<name>` (kind `Secret` or `ConfigMap`).
WRITES_ANNOTATION = "workbench.io/writes"
# Every namespace has these without anyone declaring them.
IMPLICIT = {("ServiceAccount", "default")}
KUBE_TOKENS = {
    "Secret": T.K8S_SECRET,
    "ConfigMap": "kubernetes:core/v1:ConfigMap",
    "ServiceAccount": "kubernetes:core/v1:ServiceAccount",
    "PersistentVolumeClaim": "kubernetes:core/v1:PersistentVolumeClaim",
}


@dataclass(frozen=True)
class Ref:
    kind: str
    name: str
    optional: bool
    where: str


def pod_refs(spec: Mapping[str, Any], where: str) -> Iterator[Ref]:
    """Every Secret, ConfigMap, ServiceAccount and PVC a pod spec refers to (volumes as a list or KubeSpawner's dict)."""
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if isinstance(account, str):
        yield Ref("ServiceAccount", account, False, f"{where}.serviceAccountName")
    volumes = spec.get("volumes") or []
    for i, volume in enumerate(volumes.values() if isinstance(volumes, Mapping) else volumes):
        yield from _volume_refs(volume, f"{where}.volumes[{i}]")
    for i, secret in enumerate(as_list(spec.get("imagePullSecrets"))):
        if isinstance(secret, Mapping) and isinstance(secret.get("name"), str):
            yield Ref("Secret", secret["name"], False, f"{where}.imagePullSecrets[{i}]")
    for group in ("initContainers", "containers"):
        for c, container in enumerate(as_list(spec.get(group))):
            if not isinstance(container, Mapping):
                continue
            at = f"{where}.{group}[{c}]"
            for e, env in enumerate(as_list(container.get("env"))):
                source = env.get("valueFrom") if isinstance(env, Mapping) else None
                for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                    ref = source.get(key) if isinstance(source, Mapping) else None
                    if isinstance(ref, Mapping) and isinstance(ref.get("name"), str):
                        yield Ref(kind, ref["name"], bool(ref.get("optional")), f"{at}.env[{e}]")
            for e, env in enumerate(as_list(container.get("envFrom"))):
                for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                    ref = env.get(key) if isinstance(env, Mapping) else None
                    if isinstance(ref, Mapping) and isinstance(ref.get("name"), str):
                        yield Ref(kind, ref["name"], bool(ref.get("optional")), f"{at}.envFrom[{e}]")


def _volume_refs(volume: Any, where: str) -> Iterator[Ref]:
    if not isinstance(volume, Mapping):
        return
    secret, config_map, claim = volume.get("secret"), volume.get("configMap"), volume.get("persistentVolumeClaim")
    if isinstance(secret, Mapping) and isinstance(secret.get("secretName"), str):
        yield Ref("Secret", secret["secretName"], bool(secret.get("optional")), where)
    if isinstance(config_map, Mapping) and isinstance(config_map.get("name"), str):
        yield Ref("ConfigMap", config_map["name"], bool(config_map.get("optional")), where)
    if isinstance(claim, Mapping) and isinstance(claim.get("claimName"), str) and "{" not in claim["claimName"]:
        # `{pvc_name}` is KubeSpawner's template: it creates that claim itself before the pod.
        yield Ref("PersistentVolumeClaim", claim["claimName"], False, where)
    projected = volume.get("projected")
    for s, source in enumerate(as_list(projected.get("sources")) if isinstance(projected, Mapping) else []):
        yield from _volume_refs({k: v for k, v in (source or {}).items() if k in ("secret", "configMap")}, f"{where}.sources[{s}]")


def pod_template(manifest: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec of a Pod, a workload's template, or a CronJob's job template."""
    spec = manifest.get("spec")
    if not isinstance(spec, Mapping):
        return None
    kind = manifest.get("kind")
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    template = spec.get("template") if isinstance(spec, Mapping) else None
    inner = template.get("spec") if isinstance(template, Mapping) else None
    return inner if isinstance(inner, Mapping) else None


def _namespace(manifest: Mapping[str, Any]) -> str:
    return str((manifest.get("metadata") or {}).get("namespace") or "default")


def session_pods(values: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    """(namespace, pod-spec-like refs, where) for every pod a profile of the hub's team routing would start.

    As the hub's routing code builds it (components/jupyterhub_values.TEAM_ROUTING_CODE): the profile's own
    kubespawner_override (namespace, service_account, volumes) merged over `custom.workbench.session` (what every
    session shares), and each image option's or the GPU sizes' override on top."""
    workbench = (values.get("custom") or {}).get("workbench") or {}
    session = workbench.get("session") or {}
    shared = session.get("kubespawner_override") or {}
    options = (session.get("cpu_profile_options") or {}).values()
    extras = [c.get("kubespawner_override") or {} for option in options for c in ((option or {}).get("choices") or {}).values()]
    extras.append(session.get("gpu_override") or {})
    for t, team in enumerate(as_list(workbench.get("teams"))):
        for p, profile in enumerate(as_list((team or {}).get("profiles"))):
            own = (profile or {}).get("kubespawner_override") or {}
            where = f"custom.workbench.teams[{t}].profiles[{p}] ({profile.get('slug')})"
            namespace = str(own.get("namespace") or shared.get("namespace") or "jupyterhub")
            for extra in extras:
                volumes = {**_as_dict(shared.get("volumes")), **_as_dict(own.get("volumes")), **_as_dict(extra.get("volumes"))}
                spec: dict[str, Any] = {"volumes": volumes}
                account = extra.get("service_account") or own.get("service_account") or shared.get("service_account")
                if account:
                    spec["serviceAccountName"] = account
                yield namespace, spec, where


def _as_dict(volumes: Any) -> dict[str, Any]:
    if isinstance(volumes, Mapping):
        return dict(volumes)
    return {str(i): v for i, v in enumerate(as_list(volumes))}


def _declared(graph: ResourceGraph, manifests: tuple[dict[str, Any], ...]) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]]]:
    """(kind, namespace, name) of every object the graph or the rendered chart declares, and of those a Job or
    CronJob says it writes (`WRITES_ANNOTATION`)."""
    declared: set[tuple[str, str, str]] = set()
    written: set[tuple[str, str, str]] = set()
    for kind, token in KUBE_TOKENS.items():
        for resource in graph.of_type(token):
            metadata = resource.inputs.get("metadata") or {}
            if isinstance(metadata.get("name"), str):
                declared.add((kind, str(metadata.get("namespace") or "default"), metadata["name"]))
    producers = [r.inputs for r in graph if r.type in (T.JOB, T.CRON_JOB)]
    for manifest in manifests:
        metadata = manifest.get("metadata") or {}
        if manifest.get("kind") in KUBE_TOKENS and isinstance(metadata.get("name"), str):
            declared.add((manifest["kind"], _namespace(manifest), metadata["name"]))
        if manifest.get("kind") in ("Job", "CronJob"):
            producers.append(manifest)
    for producer in producers:
        annotations = (producer.get("metadata") or {}).get("annotations") or {}
        for entry in str(annotations.get(WRITES_ANNOTATION, "")).split(","):
            parts = entry.strip().split("/")
            if len(parts) == 3 and parts[0] in ("Secret", "ConfigMap"):
                written.add((parts[0], parts[1], parts[2]))
    return declared, written


@rules.graph(
    "works.sessions.refs-exist",
    concern=Concern.LOST_TIME,
    severity=Severity.HIGH,
    controls=(),
    types=(T.CONFIG_MAP, T.SERVICE_ACCOUNT, T.CRON_JOB, T.DEPLOYMENT, T.EKS_CLUSTER, T.HELM_RELEASE, T.JOB),
    family="works",
    needs_render=True,
    description=(
        "Every Secret, ConfigMap, ServiceAccount and PVC a pod (workload, chart pod or session profile) refers to exists "
        "in its namespace."
    ),
)
def refs_exist(graph: ResourceGraph, ctx: Context) -> Iterator[Finding]:
    chart = rendered(graph)
    manifests = chart.manifests if chart is not None else ()
    declared, written = _declared(graph, manifests)
    pods: list[tuple[str, Mapping[str, Any], str, str | None]] = []
    for resource in graph:
        if resource.type in T.WORKLOADS:
            manifest = {"kind": resource.type.rsplit(":", 1)[-1], **resource.inputs}
            spec = pod_template(manifest)
            if spec is not None:
                pods.append((_namespace(manifest), spec, resource.name, resource.urn))
        elif resource.type == T.HELM_RELEASE and is_jupyterhub(resource) and isinstance(resource.inputs.get("values"), Mapping):
            for namespace, spec, where in session_pods(resource.inputs["values"]):
                pods.append((namespace, spec, f"session pod of {where}", resource.urn))
    release = next((r for r in graph.of_type(T.HELM_RELEASE) if is_jupyterhub(r)), None)
    for manifest in manifests:
        spec = pod_template(manifest)
        if spec is not None:
            where = f"rendered {manifest['kind']}/{manifest['metadata']['name']}"
            pods.append((_namespace(manifest), spec, where, release.urn if release else None))
    seen: set[tuple[str, tuple[str, str, str]]] = set()
    for namespace, spec, where, urn in pods:
        for ref in pod_refs(spec, ""):
            if not known(ref.name) or (ref.kind, ref.name) in IMPLICIT:
                continue
            key = (ref.kind, namespace, ref.name)
            if key in declared or key in written or (where, key) in seen:
                continue
            seen.add((where, key))
            if ref.optional:
                # Kubernetes starts the pod without an optional reference (a directory mount fills in once the object
                # exists); whether its content is right is the concern of the rule for that content (pip's config).
                continue
            yield Finding(
                f"{where}: {ref.kind} {namespace}/{ref.name} ({ref.where.lstrip('.')}) does not exist in namespace {namespace!r} "
                f"(not in the graph, not in the rendered chart, no Job writes it), so the pod never starts",
                urn,
            )


RULES = tuple(rules.rules)
