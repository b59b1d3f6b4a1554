"""The vendored Zero to JupyterHub chart: origin, defaults, Helm's merge, the schema, and the real Helm engine."""

from __future__ import annotations

import json

import pytest

from blueprint.charts import z2jh


@pytest.fixture(scope="module")
def helm():
    found = z2jh.find_helm()
    assert found is not None, f"helm is missing: {z2jh.HELM_INSTALL_HINT}"
    assert z2jh.helm_version(found) == z2jh.HELM_VERSION
    return found


def test_vendored_whole_chart_and_its_origin():
    base = z2jh.chart_dir()
    names = {p.name for p in base.iterdir()}
    assert {"Chart.yaml", "values.yaml", "values.schema.yaml", "values.schema.json", "LICENSE", "SOURCES.md", "templates", "files"} <= names
    assert (base / "templates" / "hub" / "configmap.yaml").is_file() and (base / "files" / "hub" / "z2jh.py").is_file()
    sources = (base / "SOURCES.md").read_text()
    assert z2jh.CHART_VERSION in sources and "5c5f5df751588a68a7781ead01d0f62e88e2e72f" in sources
    assert z2jh.chart_metadata()["version"] == z2jh.CHART_VERSION, "CHART_VERSION must be the vendored chart's"
    assert "set-by-chartpress" not in (base / "values.yaml").read_text(), "image tags are stamped as released"


def test_merge_like_helm():
    merged = z2jh.merge_like_helm({"a": {"b": 1, "c": [1, 2]}, "d": 1}, {"a": {"c": [3]}, "d": None})
    assert merged == {"a": {"b": 1, "c": [3]}}
    assert z2jh.merge_like_helm({"a": 1}, {"a": {"x": 1}}) == {"a": {"x": 1}}, "a map replaces a scalar default"


def test_schema_errors():
    assert z2jh.schema_errors({}) == []
    assert z2jh.schema_errors({"hub": {"notAHubKey": True}})


def test_image_walk_finds_every_default_image():
    images = {".".join(path): name for path, name in z2jh.chart_images().items()}
    assert {"hub.image", "proxy.chp.image", "singleuser.image", "scheduling.userScheduler.image"} <= set(images)
    assert dict(z2jh.image_references(z2jh.chart_defaults())) == {f"{p}.name": n for p, n in images.items()}


def test_render_with_the_real_helm_engine(helm):
    rendered = z2jh.render({"hub": {"config": {"JupyterHub": {"authenticator_class": "dummy"}}}}, helm=helm)
    hub = rendered.get("Deployment", "hub")
    assert hub["metadata"]["namespace"] == "jupyterhub"
    assert hub["spec"]["template"]["spec"]["containers"][0]["image"] == f"quay.io/jupyterhub/k8s-hub:{z2jh.CHART_VERSION}"
    assert rendered.get("PersistentVolumeClaim", "hub-db-dir")
    assert all("namespace" in m["metadata"] for m in rendered.manifests if m["kind"] not in ("ClusterRole", "ClusterRoleBinding"))


def test_helm_runs_without_garbage_collection_below_a_memory_bound_unless_the_user_says_otherwise(helm, monkeypatch):
    import subprocess

    seen = []
    real = subprocess.run
    monkeypatch.setattr(z2jh.subprocess, "run", lambda command, **kwargs: seen.append(kwargs["env"]) or real(command, **kwargs))
    values = {"hub": {"config": {"JupyterHub": {"authenticator_class": "dummy"}}}}
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    plain = z2jh.render(values, helm=helm)
    monkeypatch.setenv("GOGC", "50")
    monkeypatch.setenv("GOMEMLIMIT", "2GiB")
    kinds = lambda rendered: [(m["kind"], m["metadata"]["name"]) for m in rendered.manifests]  # noqa: E731 (the hub Secret's generated keys differ per render)
    assert kinds(z2jh.render(values, helm=helm)) == kinds(plain)
    assert [(env["GOGC"], env["GOMEMLIMIT"]) for env in seen] == [("off", z2jh.HELM_MEMORY_LIMIT), ("50", "2GiB")]


def test_helm_rejects_values_the_schema_rejects(helm):
    with pytest.raises(z2jh.RenderFailed, match="notAHubKey"):
        z2jh.render({"hub": {"notAHubKey": True}}, helm=helm)


def test_without_helm_the_error_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv(z2jh.HELM_ENV, str(tmp_path / "nothing"))
    monkeypatch.setattr(z2jh, "find_helm", lambda: None)
    with pytest.raises(z2jh.HelmUnavailable, match="make tools"):
        z2jh.render({})


def test_renderable_stands_in_only_for_the_secret_object():
    values = {"hub": {"config": "[secret]", "extraEnv": {"A": "[unknown]"}}, "proxy": {"secretToken": "[secret]"}}
    out = z2jh.renderable(values)
    assert out["hub"]["config"] == z2jh.HUB_CONFIG_STAND_IN
    assert out["hub"]["extraEnv"] == {"A": "[unknown]"} and out["proxy"]["secretToken"] == "[secret]"
    assert values["hub"]["config"] == "[secret]", "the input is not changed"


@pytest.mark.parametrize("size", [4096, 8192])
def test_values_of_a_size_helm_would_drop_still_apply(helm, size):
    # helm v4.1.4 ignores a values file of exactly k * 4096 bytes; render pads it, so the values still count.
    base = {"hub": {"image": {"name": "example.org/hub"}}, "custom": {"pad": ""}}
    base["custom"]["pad"] = "x" * (size - len(json.dumps(base) + "\n"))
    assert len(json.dumps(base) + "\n") == size
    rendered = z2jh.render(base)
    assert rendered.get("Deployment", "hub")["spec"]["template"]["spec"]["containers"][0]["image"].startswith("example.org/hub:")
