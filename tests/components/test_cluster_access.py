"""ClusterAccess: an EKS access entry and the cluster-admin access policy for every role the blueprint names."""

from __future__ import annotations

from blueprint.components.cluster_access import ClusterAccess, ClusterAccessArgs

ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ADMIN = "arn:aws:iam::123456789012:role/platform-admin"
CI = ("arn:aws:iam::123456789012:role/acme-dsw-preview", "arn:aws:iam::123456789012:role/acme-dsw-apply")


def test_every_named_role_gets_an_entry_and_cluster_admin(spec_for, run_program):
    spec = spec_for("strict")
    assert spec.ci.admin_role_arns == (ADMIN,) and spec.ci.ci_role_arns == CI
    run = run_program(lambda: ClusterAccess("acme-access", ClusterAccessArgs.from_spec(spec, cluster_name="acme-dev")))
    entries = run.of_type(ENTRY)
    assert sorted(e.inputs["principalArn"] for e in entries) == sorted((ADMIN, *CI))
    assert all(e.inputs["type"] == "STANDARD" and e.inputs["clusterName"] == "acme-dev" for e in entries)
    associations = run.of_type(ASSOCIATION)
    assert sorted(a.inputs["principalArn"] for a in associations) == sorted((ADMIN, *CI))
    for association in associations:
        assert association.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        assert association.inputs["accessScope"] == {"type": "cluster"}


def test_names_do_not_move_when_the_list_is_reordered(spec_for, run_program):
    def names(ci_roles):
        spec = spec_for("balanced", ci={"repository": "acme/acme-dsw", "ci_role_arns": list(ci_roles)})
        run = run_program(lambda: ClusterAccess("acme-access", ClusterAccessArgs.from_spec(spec, cluster_name="acme-dev")))
        return {e.inputs["principalArn"]: e.name for e in run.of_type(ENTRY)}

    assert names(CI) == names(reversed(CI))


def test_no_roles_no_entries(spec_for, run_program):
    spec = spec_for("open", ci={"repository": "acme/acme-dsw"})
    run = run_program(lambda: ClusterAccess("acme-access", ClusterAccessArgs.from_spec(spec, cluster_name="acme-dev")))
    assert run.of_type(ENTRY) == [] and run.of_type(ASSOCIATION) == []
