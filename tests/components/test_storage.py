"""DataStore under the mock engine: a private TLS-only bucket with access logs, team-scoped IRSA, encrypted EFS with backups."""

from __future__ import annotations

import pulumi
import pytest

from blueprint.components.storage import DataStore, StorageArgs
from tests.components.conftest import ACCOUNT, OIDC_ISSUER, REGION

KMS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/test"
ISSUER = OIDC_ISSUER.removeprefix("https://")
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
SUBNETS = ("subnet-a", "subnet-b", "subnet-c")
BUCKET = "aws:s3/bucket:Bucket"
EFS = "aws:efs/fileSystem:FileSystem"
VAULT = "aws:backup/vault:Vault"
ROLE = "aws:iam/role:Role"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
ACCESS_LOGS = "workbench:audit:AccessLogBucket"
STATEFUL = (BUCKET, EFS, VAULT)
DATA_BUCKET = "acme-storage-bucket"


def args_for(spec, kms: str | None = KMS) -> StorageArgs:
    return StorageArgs.from_spec(
        spec, vpc_id="vpc-1", vpc_cidr="10.40.0.0/16", private_subnet_ids=SUBNETS, oidc_provider_arn=OIDC_ARN, oidc_issuer=ISSUER, kms_key_arn=kms
    )


def storage_run(run_program, args: StorageArgs):
    return run_program(lambda: DataStore("acme-storage", args))


def team_roles(run) -> dict[str, object]:
    return {r.inputs["tags"]["workbench:team"]: r for r in run.of_type(ROLE) if "workbench:team" in r.inputs["tags"]}


def test_bucket_is_private_encrypted_versioned_and_tls_only(spec_for, run_program):
    run = storage_run(run_program, args_for(spec_for("strict")))
    block = run.named(f"{DATA_BUCKET}-public-access").inputs
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    assert run.named(f"{DATA_BUCKET}-ownership").inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    assert run.named(f"{DATA_BUCKET}-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    rule = run.named(f"{DATA_BUCKET}-encryption").inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS}
    deny = run.named(f"{DATA_BUCKET}-tls-only").json_input("policy")["Statement"][0]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert run.named(DATA_BUCKET, BUCKET).inputs["forceDestroy"] is False


@pytest.mark.parametrize("stance", ["strict", "balanced", "open"])
def test_old_versions_expire_after_the_backup_retention_and_failed_uploads_are_aborted(spec_for, run_program, stance):
    spec = spec_for(stance)
    run = storage_run(run_program, args_for(spec))
    lifecycle = run.named(f"{DATA_BUCKET}-lifecycle", LIFECYCLE).inputs
    assert lifecycle["bucket"] == run.named(DATA_BUCKET, BUCKET).id
    [rule] = lifecycle["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}, "every object, every team"
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": spec.stance.storage.backup.retention_days}
    assert rule["expiration"] == {"expiredObjectDeleteMarker": True}, "current objects never expire; only bare delete markers go"
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}


@pytest.mark.parametrize("stance", ["strict", "balanced"])
def test_with_audit_on_every_request_to_the_bucket_is_access_logged(spec_for, run_program, stance):
    spec = spec_for(stance)
    run = storage_run(run_program, args_for(spec))
    data_bucket, log_bucket = run.named(DATA_BUCKET, BUCKET), run.named("acme-storage-access-logs", BUCKET)
    logging = run.one("aws:s3/bucketLogging:BucketLogging").inputs
    assert (logging["bucket"], logging["targetBucket"]) == (data_bucket.id, log_bucket.id)
    [rule] = run.named("acme-storage-access-logs-retention", LIFECYCLE).inputs["rules"]
    assert rule["expiration"] == {"days": spec.stance.audit.log_retention_days}, "access logs follow the audit retention"
    delivery = run.named("acme-storage-access-logs-policy").json_input("policy")["Statement"][0]
    assert delivery["Condition"]["ArnLike"] == {"aws:SourceArn": data_bucket.outputs["arn"]}, "only the data bucket's logs"


def test_with_audit_off_there_are_no_access_logs(spec_for, run_program):
    spec = spec_for("open")
    assert spec.stance.audit.cloudtrail == "off"
    run = storage_run(run_program, args_for(spec, kms=None))
    assert run.of_type(ACCESS_LOGS) == [] and run.of_type("aws:s3/bucketLogging:BucketLogging") == []
    assert [b.name for b in run.of_type(BUCKET)] == [DATA_BUCKET]


def test_without_a_cmk_the_bucket_uses_aes256(spec_for, run_program):
    run = storage_run(run_program, args_for(spec_for("open"), kms=None))
    rule = run.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert run.one(EFS).inputs["encrypted"] is True and "kmsKeyId" not in run.one(EFS).inputs


def test_team_roles_trust_only_the_team_service_account(spec_for, run_program):
    spec = spec_for("strict", teams=3)
    roles = team_roles(storage_run(run_program, args_for(spec)))
    assert set(roles) == {team.name for team in spec.teams}
    for team, role in roles.items():
        statement = role.json_input("assumeRolePolicy")["Statement"]
        assert len(statement) == 1 and statement[0]["Principal"] == {"Federated": OIDC_ARN}, role
        assert statement[0]["Condition"]["StringEquals"] == {f"{ISSUER}:sub": f"system:serviceaccount:{team}:{team}-workbench", f"{ISSUER}:aud": "sts.amazonaws.com"}


def test_team_policies_reach_only_the_team_prefix(spec_for, run_program):
    run = storage_run(run_program, args_for(spec_for("strict", teams=3)))
    bucket_arn = run.named(DATA_BUCKET, BUCKET).outputs["arn"]
    policies = {p.name: p.json_input("policy")["Statement"] for p in run.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert len(policies) == 3
    for name, statements in policies.items():
        team = name.removeprefix("acme-storage-team-").removesuffix("-data")
        by_sid = {s["Sid"]: s for s in statements}
        assert by_sid["TeamObjects"]["Action"] == ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        assert by_sid["TeamObjects"]["Resource"] == f"{bucket_arn}/teams/{team}/*", name
        assert by_sid["ListTeamPrefix"]["Action"] == "s3:ListBucket" and by_sid["ListTeamPrefix"]["Resource"] == bucket_arn
        assert by_sid["ListTeamPrefix"]["Condition"] == {"StringLike": {"s3:prefix": [f"teams/{team}/*"]}}
        assert by_sid["DataKey"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"] and by_sid["DataKey"]["Resource"] == KMS
        assert all(s["Resource"] != "*" for s in statements), name


def test_no_kms_statement_without_a_cmk(spec_for, run_program):
    run = storage_run(run_program, args_for(spec_for("open"), kms=None))
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        assert {s["Sid"] for s in policy.json_input("policy")["Statement"]} == {"TeamObjects", "ListTeamPrefix"}, policy


def test_efs_is_encrypted_and_reachable_over_nfs_from_the_vpc_only(spec_for, run_program):
    run = storage_run(run_program, args_for(spec_for("strict")))
    assert run.one(EFS).inputs["encrypted"] is True and run.one(EFS).inputs["kmsKeyId"] == KMS
    targets = run.of_type("aws:efs/mountTarget:MountTarget")
    assert sorted(t.inputs["subnetId"] for t in targets) == list(SUBNETS)
    group = run.one("aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs["ingress"] == [{"protocol": "tcp", "fromPort": 2049, "toPort": 2049, "cidrBlocks": ["10.40.0.0/16"], "description": "NFS from the VPC"}]
    assert all(t.inputs["securityGroups"] == [group.id] for t in targets)


@pytest.mark.parametrize(("stance", "schedule"), [("strict", "cron(0 3 * * ? *)"), ("open", "cron(0 3 ? * SUN *)")])
def test_backup_plan_follows_the_stance(spec_for, run_program, stance, schedule):
    spec = spec_for(stance)
    run = storage_run(run_program, args_for(spec, kms=KMS if stance == "strict" else None))
    rule = run.one("aws:backup/plan:Plan").inputs["rules"][0]
    assert rule["schedule"] == schedule and rule["lifecycle"] == {"deleteAfter": spec.stance.storage.backup.retention_days}
    assert rule["targetVaultName"] == run.one(VAULT).outputs["name"]
    selection = run.one("aws:backup/selection:Selection").inputs
    assert selection["resources"] == [run.one(EFS).outputs["arn"]]
    role = run.named("acme-storage-backup-role", ROLE)
    assert selection["iamRoleArn"] == role.outputs["arn"]
    assert role.json_input("assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "backup.amazonaws.com"}
    attachment = run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs
    assert attachment["policyArn"] == "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
    assert run.one(VAULT).inputs.get("kmsKeyArn") == (KMS if stance == "strict" else None)


def test_stateful_resources_are_protected_in_strict_only(stance_name, spec_for, run_program):
    spec = spec_for(stance_name)
    run = storage_run(run_program, args_for(spec))
    expected = spec.stance.storage.protect_stateful
    assert expected == (stance_name == "strict")
    for token in STATEFUL:
        for resource in run.of_type(token):
            assert resource.protect == expected and resource.retain_on_delete == expected, f"{resource}: protect={resource.protect}"
    others = [r for r in run.resources if r.custom and r.type not in STATEFUL]
    assert not any(r.protect for r in others), "only stateful resources are protected"


def test_outputs(spec_for, run_program):
    spec = spec_for("strict", teams=3)

    def program():
        store = DataStore("acme-storage", args_for(spec))

        def check(values):
            urn, name, arn, file_system, roles = values
            assert arn == f"arn:aws:s3:::{name}", urn
            assert file_system == "acme-storage-homes-id", urn
            assert set(roles) == {t.name for t in spec.teams} and all(":role/" in r for r in roles.values()), urn

        return pulumi.Output.all(store.urn, store.bucket_name, store.bucket_arn, store.file_system_id, store.team_role_arns).apply(check)

    run = run_program(program)
    component = run.one("workbench:storage:DataStore")
    access_logs = run.one(ACCESS_LOGS)
    assert access_logs.parent == component.urn
    assert all(r.parent in (component.urn, access_logs.urn) for r in run.resources if r.custom)
