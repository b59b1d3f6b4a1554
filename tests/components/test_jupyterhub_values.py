"""The pure Zero to JupyterHub values builder: schema validity, team routing, no user strings in code."""

from __future__ import annotations

import json
import types
from typing import Any

import pytest

from blueprint.components import jupyterhub_values as jv
from blueprint.charts import z2jh
from tests.components.conftest import STACK, image_references
from tests.components.hub_routing import HTTPError, load_routing, offered_profiles, spawner

HUB_CONFIG = {
    "JupyterHub": {"authenticator_class": "generic-oauth"},
    "GenericOAuthenticator": {
        "client_id": "jupyterhub",
        "client_secret": "sample-secret",
        "oauth_callback_url": "https://jupyter.acme.example/hub/oauth_callback",
        "manage_groups": False,
    },
}
SAMPLE = {
    "hub_config": HUB_CONFIG,
    "r_repos_url": "https://packagemanager.posit.co/cran/2026-10-01",
    "certificate_arn": "arn:aws:acm:eu-west-1:123456789012:certificate/sample",
}
# Quotes and Python are allowed in descriptions; none of it may reach hub code.
HOSTILE_TEAMS = [
    {"name": "genomics", "idp_group": "dsw-genomics", "description": "x\" + __import__('os').getcwd() + \"", "quota": {"gpu": 1}},
    {"name": "vision", "idp_group": "Vision/Team.Leads", "description": "''' + c.JupyterHub.admin_users.add('mallory') + '''"},
]


def registries_for(spec) -> dict[str, str]:
    """What ImageMirror hands the Workbench: a cache per upstream unless egress is open."""
    from blueprint.components.images import UPSTREAMS, cache_namespace, cache_prefix
    from blueprint.components.naming import ecr_registry_host

    if spec.stance.network.egress == "open":
        return {}
    host, namespace = ecr_registry_host("123456789012", spec.region), cache_namespace(spec.org, STACK)
    return {u.registry: f"{host}/{cache_prefix(namespace, u)}" for u in UPSTREAMS}


def values_for(spec, **overrides: Any) -> dict[str, Any]:
    return jv.render_values(jv.HubSettings.from_spec(spec), **{**SAMPLE, "image_registries": registries_for(spec), **overrides})


def as_mock_numbers(value: Any) -> Any:
    """Numbers as Pulumi's mock engine hands them back: floats."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: as_mock_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_mock_numbers(v) for v in value]
    return value


def test_values_validate_against_the_chart_schema(spec_for, stance_name):
    values = values_for(spec_for(stance_name, teams=3))
    assert z2jh.schema_errors(values) == [], f"{stance_name}: values rejected by the z2jh 4.4.0 schema"
    assert z2jh.schema_errors(as_mock_numbers(values)) == [], f"{stance_name}: integral floats must pass as integers"


def test_values_alone_miss_required_keys_merge_is_needed(spec_for):
    import jsonschema

    values = values_for(spec_for("strict"))
    errors = list(jsonschema.Draft7Validator(z2jh.chart_schema()).iter_errors(values))
    assert errors, "the schema describes merged values; unmerged they must fail (or the test proves nothing)"


def test_schema_check_catches_a_bad_value(spec_for):
    values = values_for(spec_for("strict"))
    values["cull"]["timeout"] = "one hour"
    values["proxy"]["service"]["type"] = "Ingress"
    errors = z2jh.schema_errors(values)
    assert any(e.startswith("cull.timeout") for e in errors), errors
    assert any(e.startswith("proxy.service.type") for e in errors), errors


def test_chart_version_per_policy():
    assert jv.chart_version("exact") == "4.4.0"
    assert jv.chart_version("minor") == "~4.4.0"
    assert jv.chart_version("latest") == "^4.4.0"


def test_strict_sessions_never_run_as_root(spec_for):
    values = values_for(spec_for("strict", teams=3))
    singleuser = values["singleuser"]
    assert (singleuser["uid"], singleuser["fsGid"], singleuser["allowPrivilegeEscalation"]) == (1000, 100, False)
    assert "extraEnv" not in singleuser and "extraFiles" not in singleuser, "session env and files come per profile"
    assert singleuser["cloudMetadata"]["blockWithIptables"] is False, "a privileged init container breaks 'restricted'"
    container = values["hub"]["config"]["KubeSpawner"]["container_security_context"]
    assert container["runAsNonRoot"] is True and container["capabilities"] == {"drop": ["ALL"]}
    for team in values["custom"]["workbench"]["teams"]:
        assert team["root_allowed"] is False
        for profile in team["profiles"]:
            override = profile["kubespawner_override"]
            assert "uid" not in override and "GRANT_SUDO" not in json.dumps(override), f"{profile['slug']} grants root"


def test_open_flags_root_per_team(spec_for):
    values = values_for(spec_for("open", teams=2))
    for team in values["custom"]["workbench"]["teams"]:
        assert team["root_allowed"] is True
        for profile in team["profiles"]:
            override = profile["kubespawner_override"]
            assert override["uid"] == 0 and override["environment"] == {"GRANT_SUDO": "yes"}, profile["slug"]
    for profile in offered_profiles(values):
        environment = profile["kubespawner_override"]["environment"]
        assert environment["GRANT_SUDO"] == "yes" and environment["PIP_CONFIG_FILE"] == jv.PIP_CONF_PATH, "root keeps the pip config"


def test_profiles_route_to_the_team_namespace(spec_for):
    spec = spec_for("balanced", teams=3)
    values = values_for(spec)
    teams = {t["name"]: t for t in values["custom"]["workbench"]["teams"]}
    for team in spec.teams:
        data = teams[team.name]
        assert data["namespace"] == team.name and data["idp_group"] == team.idp_group
        assert [p["slug"] for p in data["profiles"]] == [f"{team.name}-{p.name}" for p in team.profiles]
        for profile in data["profiles"]:
            override = profile["kubespawner_override"]
            assert override["namespace"] == team.name and override["service_account"] == f"{team.name}-workbench"
    gpu = next(p for p in teams["genomics"]["profiles"] if p["slug"] == "genomics-gpu")["kubespawner_override"]
    assert gpu["extra_resource_limits"] == {"nvidia.com/gpu": "1"}
    assert gpu["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert values["singleuser"]["profileList"] == []


def test_no_team_or_org_string_in_hub_code(spec_for):
    spec = spec_for("strict", teams=HOSTILE_TEAMS)
    values = values_for(spec)
    code = "\n".join(values["hub"]["extraConfig"].values())
    assert code == jv.TEAM_ROUTING_CODE, "extraConfig is exactly the static snippet"
    words = {spec.org, spec.hub_hostname}
    for team in spec.teams:
        words |= {team.name, team.idp_group, team.description}
        words |= {p.display_name for p in team.profiles}
    for word in words:
        assert word not in code, f"{word!r} appears in hub Python code"
    compile(code, "extraConfig", "exec")
    assert values["custom"]["workbench"]["teams"][0]["profiles"][0]["description"] == HOSTILE_TEAMS[0]["description"]


def _load_routing(values: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    return load_routing(values)


_spawner = spawner
_HTTPError = HTTPError


def test_routing_offers_only_the_users_teams(spec_for, monkeypatch):
    spec = spec_for("balanced", teams=3)
    kube = _load_routing(values_for(spec), monkeypatch)
    genomics, second = spec.teams[0], spec.teams[1]
    offered = kube.profile_list(_spawner(genomics.idp_group, "unrelated"))
    assert {p["kubespawner_override"]["namespace"] for p in offered} == {genomics.name}
    both = kube.profile_list(_spawner(genomics.idp_group, second.idp_group))
    assert {p["kubespawner_override"]["namespace"] for p in both} == {genomics.name, second.name}
    kube.pre_spawn_hook(_spawner(second.idp_group))
    with pytest.raises(_HTTPError) as refused:
        kube.pre_spawn_hook(_spawner("someone-else"))
    assert refused.value.status == 403
    pod = object()
    assert kube.modify_pod_hook(_spawner(second.idp_group, namespace=second.name), pod) is pod
    with pytest.raises(_HTTPError):
        kube.modify_pod_hook(_spawner(second.idp_group, namespace=genomics.name), pod)
    with pytest.raises(_HTTPError):
        kube.modify_pod_hook(_spawner(second.idp_group, namespace="jupyterhub"), pod)


def test_load_balancer_per_ingress(spec_for):
    key = "service.beta.kubernetes.io/aws-load-balancer-internal"
    strict = values_for(spec_for("strict"))["proxy"]
    assert strict["service"]["annotations"][key] == "true"
    assert strict["service"]["loadBalancerSourceRanges"] == ["10.40.0.0/16"]
    opened = values_for(spec_for("open"))["proxy"]
    assert key not in opened["service"]["annotations"]
    assert "loadBalancerSourceRanges" not in opened["service"]
    for proxy in (strict, opened):
        assert proxy["service"]["type"] == "LoadBalancer" and proxy["service"]["disableHttpPort"] is True
        assert proxy["https"] == {"enabled": True, "type": "offload", "hosts": ["jupyter.acme.example"]}
        assert proxy["service"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-ssl-cert"] == SAMPLE["certificate_arn"]
        assert proxy["service"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb", "no extra controller needed"


def test_cull_uses_the_stance_idle_timeout(spec_for, stance_name):
    spec = spec_for(stance_name)
    cull = values_for(spec)["cull"]
    assert cull["enabled"] is True
    assert cull["timeout"] == spec.stance.compute.sessions.idle_timeout_minutes * 60


def test_cull_takes_the_shortest_team_timeout(spec_for):
    """One culler for the hub: a team's shorter timeout applies to everyone, so no team's is exceeded."""
    teams = [{"name": "genomics", "idp_group": "dsw-genomics", "idle_timeout_minutes": 20}, {"name": "vision", "idp_group": "dsw-vision"}]
    assert values_for(spec_for("strict", teams=teams))["cull"]["timeout"] == 20 * 60


def test_network_policies_on_for_every_pod(spec_for):
    values = values_for(spec_for("strict", teams=2))
    for path in (("hub",), ("proxy", "chp"), ("singleuser",)):
        node = values
        for part in path:
            node = node[part]
        assert node["networkPolicy"]["enabled"] is True, ".".join(path)
    ingress = values["hub"]["networkPolicy"]["ingress"][0]
    selector = ingress["from"][0]["namespaceSelector"]["matchExpressions"][0]
    assert selector["values"] == ["genomics", "team-1"] and ingress["ports"] == [{"port": 8081, "protocol": "TCP"}]


def test_storage_and_package_mirror(spec_for):
    values = values_for(spec_for("strict"))
    assert values["singleuser"]["storage"]["dynamic"]["storageClass"] == "efs-homes"
    assert "extraFiles" not in values["singleuser"], "extraFiles is a Secret in the hub's namespace only"
    profiles = offered_profiles(values)
    assert len(profiles) == sum(len(t.profiles) for t in spec_for("strict").teams)
    for profile in profiles:
        if True:
            override = profile["kubespawner_override"]
            env = override["environment"]
            assert "PIP_INDEX_URL" not in env, "an index URL in the environment overrides pip's config file"
            assert env["PIP_CONFIG_FILE"] == f"{jv.PIP_CONF_DIR}/{jv.PIP_CONF_KEY}"
            assert env["WORKBENCH_CRAN_URL"] == SAMPLE["r_repos_url"] and env["R_PROFILE"] == jv.RPROFILE_PATH
            pip = override["volumes"][jv.PIP_CONF_SECRET]["secret"]
            assert pip["secretName"] == jv.PIP_CONF_SECRET and "items" not in pip
            mount = override["volume_mounts"][jv.PIP_CONF_SECRET]
            assert mount["mountPath"] == jv.PIP_CONF_DIR and "subPath" not in mount, "a subPath mount never sees a refresh"
            assert override["volumes"][jv.SESSION_CONFIG_MAP]["configMap"]["name"] == jv.SESSION_CONFIG_MAP
    assert SAMPLE["r_repos_url"] not in jv.RPROFILE_CODE, "R code reads the URL from env"
    no_r = offered_profiles(values_for(spec_for("strict"), r_repos_url=None))[0]
    assert not {"WORKBENCH_CRAN_URL", "R_PROFILE"} & set(no_r["kubespawner_override"]["environment"])


def test_groups_are_synced_and_dummy_auth_refused(spec_for):
    values = values_for(spec_for("strict"))
    assert values["hub"]["config"]["GenericOAuthenticator"]["manage_groups"] is True
    assert values["hub"]["config"]["GenericOAuthenticator"]["client_id"] == "jupyterhub"
    with pytest.raises(ValueError, match="authenticator_class"):
        values_for(spec_for("strict"), hub_config={"JupyterHub": {"authenticator_class": "dummy"}})


# ---- images through the ECR pull-through cache (egress 'mirror') -------------------------------

CACHE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-dev"
REGISTRIES = {"quay.io": f"{CACHE}/quay", "registry.k8s.io": f"{CACHE}/k8s", "public.ecr.aws": f"{CACHE}/ecr-public"}
# Every image block of the chart the brief for this feature named; the list itself comes from values.yaml.
NAMED_IMAGES = {
    "hub.image",
    "singleuser.image",
    "singleuser.networkTools.image",
    "proxy.chp.image",
    "proxy.secretSync.image",
    "proxy.traefik.image",
    "scheduling.userScheduler.image",
    "scheduling.userPlaceholder.image",
    "prePuller.hook.image",
    "prePuller.pause.image",
}


def test_chart_images_come_from_the_vendored_defaults():
    images = {".".join(path): name for path, name in z2jh.chart_images().items()}
    assert NAMED_IMAGES <= set(images), sorted(NAMED_IMAGES - set(images))
    assert dict(image_references(z2jh.chart_defaults())) == {f"{p}.name": n for p, n in images.items()}, "a default image is missed"


def test_strict_merged_values_pull_every_image_from_the_ecr_cache(spec_for):
    """Helm's view: our values merged over the chart defaults; every image the chart can run comes from the cache."""
    values = values_for(spec_for("strict", teams=3), image_registries=REGISTRIES)
    merged = z2jh.merge_like_helm(z2jh.chart_defaults(), values)
    images = dict(image_references(merged))
    assert len(images) >= len(NAMED_IMAGES)
    outside = {path: image for path, image in images.items() if not image.startswith(f"{CACHE}/")}
    assert not outside, f"images the nodes could not pull with egress 'mirror': {outside}"
    assert images["hub.image.name"] == f"{CACHE}/quay/jupyterhub/k8s-hub"
    assert images["scheduling.userPlaceholder.image.name"] == f"{CACHE}/k8s/pause"
    assert images["proxy.traefik.image.name"] == f"{CACHE}/ecr-public/docker/library/traefik", "Docker Hub official image via ECR Public"
    assert merged["hub"]["image"]["tag"] == z2jh.chart_defaults()["hub"]["image"]["tag"], "only the name changes; tags stay the chart's"
    assert z2jh.schema_errors(values) == [] and z2jh.schema_errors(as_mock_numbers(values)) == []


def test_without_caches_the_chart_keeps_its_images(spec_for):
    values = values_for(spec_for("open"))
    chart = [(where, image) for where, image in image_references(values) if not where.startswith(("singleuser.", "custom."))]
    assert chart == [], "egress open: the chart's own image names stay"


def test_balanced_pulls_every_image_through_the_cache_too(spec_for):
    merged = z2jh.merge_like_helm(z2jh.chart_defaults(), values_for(spec_for("balanced")))
    images = dict(image_references(merged))
    assert images and all(image.startswith("123456789012.dkr.ecr.eu-west-1.amazonaws.com/") for image in images.values()), images


def _choices(profile):
    return profile.get("profile_options", {}).get("image", {}).get("choices", {})


@pytest.mark.parametrize("stance_name", ["strict", "balanced", "open"])
def test_profiles_offer_real_data_science_images(spec_for, stance_name):
    spec = spec_for(stance_name)
    values = values_for(spec)
    policy = spec.stance.stability.versions
    sources = [p for team in spec.teams for p in team.profiles]
    for profile, source in zip(offered_profiles(values), sources, strict=True):
        if True:
            override = profile["kubespawner_override"]
            if source.gpu:
                assert "profile_options" not in profile
                assert override["image"].endswith(f"jupyter/pytorch-notebook:{jv.GPU_IMAGE.reference(policy).split(':')[1]}")
                assert ":cuda12-" in override["image"]
                continue
            choices = _choices(profile)
            assert {"python", "r"} <= set(choices), profile["slug"]
            assert choices["python"]["default"] is True
            assert "jupyter/scipy-notebook:" in choices["python"]["kubespawner_override"]["image"]
            assert "jupyter/r-notebook:" in choices["r"]["kubespawner_override"]["image"]
            # RStudio comes from ghcr.io, which ECR caches only with a credential: offered where egress is open.
            assert ("rstudio" in choices) == (spec.stance.network.egress == "open")
            if "rstudio" in choices:
                rstudio = choices["rstudio"]["kubespawner_override"]
                assert rstudio["image"].startswith("ghcr.io/rocker-org/binder:") and rstudio["default_url"] == "/rstudio"
                home = z2jh.chart_defaults()["singleuser"]["storage"]["dynamic"]["volumeNameTemplate"]
                assert rstudio["volume_mounts"] == {home: {"mountPath": "/home/rstudio"}}, "the home volume moves to rocker's user"
    moving = spec.stance.stability.versions == "latest"
    named = [image for image in dict(image_references(values)).values() if "/jupyter/" in image and ":" in image.rsplit("/", 1)[-1]]
    tags = {image.rsplit(":", 1)[-1] for image in named} | {values["singleuser"]["image"]["tag"]}
    assert all(("latest" in tag) == moving for tag in tags), tags
    assert all(tag.endswith("2025-07-07") for tag in tags) or moving, "exact and minor pin the dated tag"


def test_hub_reaches_sessions_and_keeps_off_the_metadata_server(spec_for):
    values = values_for(spec_for("strict"))
    assert values["hub"]["config"]["JupyterHub"]["hub_connect_url"] == "http://hub.jupyterhub.svc.cluster.local:8081"
    for rules in (values["hub"]["networkPolicy"]["egressAllowRules"], values["proxy"]["chp"]["networkPolicy"]["egressAllowRules"]):
        assert rules["cloudMetadataServer"] is False and rules["dnsPortsCloudMetadataServer"] is False
    assert values["hub"]["db"]["pvc"]["storageClassName"] == jv.EBS_STORAGE_CLASS
    for resources in (values["hub"]["resources"], values["proxy"]["chp"]["resources"], values["scheduling"]["userScheduler"]["resources"]):
        assert {"cpu", "memory"} <= set(resources["requests"])


@pytest.mark.parametrize("stance_name", ["strict", "balanced", "open"])
def test_hub_on_its_pool_exactly_when_it_egresses_through_the_firewall(spec_for, stance_name):
    spec = spec_for(stance_name)
    hub = values_for(spec)["hub"]
    if spec.hub_egress == "firewall":
        assert hub["nodeSelector"] == {"workbench/pool": "hub"}
        assert hub["tolerations"] == [{"key": "workbench/hub", "operator": "Equal", "value": "true", "effect": "NoSchedule"}]
    else:
        assert "nodeSelector" not in hub and "tolerations" not in hub


def test_an_image_no_cache_serves_is_an_error(spec_for):
    registries = {k: v for k, v in REGISTRIES.items() if k != "registry.k8s.io"}
    with pytest.raises(ValueError, match=r"scheduling\.userScheduler\.image\.name: registry\.k8s\.io/kube-scheduler is on registry\.k8s\.io"):
        values_for(spec_for("strict"), image_registries=registries)


def test_shared_session_settings_are_stored_once(spec_for):
    """200 teams must fit the chart's one values Secret (1 MiB): files and images are stored once, not per profile."""
    values = values_for(spec_for("balanced", teams=200))
    for team in values["custom"]["workbench"]["teams"]:
        for profile in team["profiles"]:
            assert not {"volumes", "volume_mounts", "environment", "image"} & set(profile["kubespawner_override"])
            assert "profile_options" not in profile
    import base64

    from ruamel.yaml import YAML
    import io

    text = io.StringIO()
    YAML(typ="safe", pure=True).dump(values, text)
    assert len(base64.b64encode(text.getvalue().encode())) < 1024 * 1024 * 0.6, "the hub Secret holds every value, base64"
