"""Profiles fit nodes (model.fit): refused at the model boundary with the field and the fix; the vendored table and
the EKS AMI's reservation formula it rests on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from blueprint.errors import SpecError
from blueprint.facts.instances import INSTANCES, MIB
from blueprint.model import builtin_stance, load_blueprint
from blueprint.model.fit import fits, room
from tests.conftest import blueprint_data, write_blueprint

GPU_TEAM = [{"name": "vision", "idp_group": "dsw-vision", "quota": {"gpu": 1}}]


def load(tmp_path, overrides, teams=GPU_TEAM, extends="strict"):
    data = blueprint_data(teams=teams, stance="custom", stances={"custom": {"extends": extends, "overrides": overrides}})
    return load_blueprint(write_blueprint(tmp_path, data))


def test_reservations_follow_the_eks_ami():
    # amazon-eks-ami nodeadm: 6 % of the first core, 1 % of the second, 0.5 % of cores 3-4, 0.25 % above.
    assert INSTANCES["m6i.xlarge"].kube_reserved_cpu_millicores == 60 + 10 + 10  # 4 vCPUs: 3920m allocatable, as EKS shows
    assert INSTANCES["m6i.4xlarge"].kube_reserved_cpu_millicores == 80 + 12 * 1000 * 25 // 10000
    assert INSTANCES["m6i.xlarge"].kube_reserved_memory_mib == 255 + 11 * 58
    assert INSTANCES["m6i.xlarge"].max_pods == 58 and INSTANCES["m6i.large"].max_pods == 29  # 3 ENIs x (10 - 1) + 2
    cpu, memory = room(INSTANCES["m6i.xlarge"])
    assert Decimal("3.7") < cpu < Decimal("3.92") and memory < 16 * 1024 * MIB - 893 * MIB


def test_every_type_a_builtin_stance_can_run_is_in_the_table():
    for name in ("strict", "balanced", "open"):
        nodes = builtin_stance(name).compute.nodes
        assert set(nodes.instance_types) | set(nodes.gpu_instance_types) <= set(INSTANCES), name
    for family in ("m6i", "r6i", "c6i", "g5"):  # balanced allows these families whole
        assert {t.split(".")[0] for t in INSTANCES} >= {family}
    assert all(t.gpus and t.accelerator for t in INSTANCES.values() if t.name.startswith(("g5.", "g6.", "g4dn.")))


def test_builtin_profiles_fit_their_pools(stance_name):
    stance = builtin_stance(stance_name)
    nodes = stance.compute.nodes
    for profile in stance.compute.profiles:
        pool = nodes.gpu_instance_types if profile.gpu else nodes.instance_types
        assert any(fits(profile, INSTANCES[t]) for t in pool), f"{stance_name}: {profile.name}"


def test_a_gpu_profile_the_size_of_the_whole_instance_is_refused(tmp_path):
    # The old strict GPU profile: 4 CPU / 16 GiB on g5.xlarge, whose allocatable room is less.
    profiles = [{"name": "small", "display_name": "Small", "cpu": "2", "memory": "8Gi"}, {"name": "gpu", "display_name": "GPU", "cpu": "4", "memory": "16Gi", "gpu": 1}]
    with pytest.raises(SpecError) as caught:
        load(tmp_path, {"compute": {"profiles": profiles}})
    (problem,) = caught.value.problems
    assert problem.field == "stances.custom.overrides.compute.profiles[1]"
    assert "g5.xlarge" in problem.message and "lower cpu/memory to at most 3.71 CPU" in problem.fix


def test_a_gpu_profile_asking_more_gpus_than_any_gpu_type_has(tmp_path):
    profiles = [{"name": "small", "display_name": "Small", "cpu": "2", "memory": "8Gi"}, {"name": "quad", "display_name": "Quad", "cpu": "2", "memory": "8Gi", "gpu": 4}]
    with pytest.raises(SpecError, match=r"compute.profiles\[1\].*4 GPU"):
        load(tmp_path, {"compute": {"profiles": profiles}}, teams=[{"name": "vision", "idp_group": "dsw-vision", "quota": {"gpu": 4}}])


def test_a_profile_no_team_is_offered_is_not_judged(tmp_path):
    # Without GPU quota no team is offered the GPU profile and no GPU pool exists: nothing to fit.
    profiles = [{"name": "small", "display_name": "Small", "cpu": "2", "memory": "8Gi"}, {"name": "gpu", "display_name": "GPU", "cpu": "4", "memory": "16Gi", "gpu": 1}]
    spec = load(tmp_path, {"compute": {"profiles": profiles}}, teams=[{"name": "stats", "idp_group": "dsw-stats"}])
    assert [p.name for p in spec.teams[0].profiles] == ["small"]


def test_an_instance_type_missing_from_the_table_is_refused(tmp_path):
    with pytest.raises(SpecError) as caught:
        load(tmp_path, {"compute": {"nodes": {"allowed_instance_types": ["*"], "instance_types": ["x2iedn.xlarge"]}}}, extends="open", teams=2)
    problem = next(p for p in caught.value.problems if p.field.endswith("compute.nodes.instance_types"))
    assert "x2iedn.xlarge not in the instance table" in problem.message and "blueprint/facts/instances.py" in problem.fix


def test_one_group_per_type_needs_a_cap_of_at_least_the_type_count(tmp_path):
    with pytest.raises(SpecError, match=r"compute.nodes.max_nodes.*one node group per type"):
        load(tmp_path, {"compute": {"nodes": {"max_nodes": 1}}})


def test_a_kubernetes_minor_without_an_autoscaler_release_is_refused(tmp_path):
    with pytest.raises(SpecError, match=r"stability.kubernetes_version.*no known Cluster Autoscaler release"):
        load(tmp_path, {"stability": {"kubernetes_version": "1.19"}})
