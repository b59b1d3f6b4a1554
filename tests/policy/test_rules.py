"""Every rule catches a mutation of a real generated graph, and passes the unmutated graph.

Each case takes the real program's graph for a built-in stance, changes one thing a
careless edit (or a weaker stance) would change, and names the message the rule must give.
Cases with `expect=""` are changes the rule must accept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from blueprint.policy import BY_ID, evaluate, select
from blueprint.preview import SECRET, ResourceGraph

from .conftest import Real, added, find, mutate, setpath, without

SUBNET = "aws:ec2/subnet:Subnet"
SG = "aws:ec2/securityGroup:SecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TRAIL = "aws:cloudtrail/trail:Trail"
NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
BUDGET = "aws:budgets/budget:Budget"
BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
EFS = "aws:efs/fileSystem:FileSystem"
KMS = "aws:kms/key:Key"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
REPOSITORY = "aws:codeartifact/repository:Repository"
CRONJOB = "kubernetes:batch/v1:CronJob"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
USER_POOL = "aws:cognito/userPool:UserPool"
USER_POOL_CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
ECR = "123456789012.dkr.ecr.{region}.amazonaws.com/acme-dev"

EIGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"

Mutation = Callable[[Real, ResourceGraph], ResourceGraph]


@dataclass(frozen=True)
class Case:
    rule: str
    stance: str
    change: Mutation
    expect: str  # a fragment of the violation message; "" = the rule must still pass
    at: str = ""  # a fragment of the violating resource's name


def edit(token: str, name: str, change: Callable[[dict[str, Any]], object]) -> Mutation:
    return lambda real, graph: mutate(graph, find(graph, token, name), change)


def put(token: str, name: str, dotted: str, value: Any) -> Mutation:
    return edit(token, name, lambda inputs: setpath(inputs, dotted, value))


def drop(token: str, name: str) -> Mutation:
    return lambda real, graph: without(graph, find(graph, token, name))


def flag(token: str, name: str, **fields: Any) -> Mutation:
    return lambda real, graph: mutate(graph, find(graph, token, name), **fields)


def add(token: str, name: str, like: tuple[str, str], inputs: dict[str, Any] | None = None) -> Mutation:
    return lambda real, graph: added(graph, find(graph, *like), token, name, inputs)


def edit_policy(token: str, name: str, change: Callable[[dict[str, Any]], object]) -> Mutation:
    """Change a JSON policy document input (IAM or bucket policy)."""

    def apply(inputs: dict[str, Any]) -> None:
        document = json.loads(inputs["policy"])
        change(document)
        inputs["policy"] = json.dumps(document)

    return edit(token, name, apply)


def wildcard(statement: dict[str, Any]) -> Callable[[dict[str, Any]], object]:
    return lambda document: document["Statement"].append(statement)


def default_route(table: str, **target: str) -> Mutation:
    """One more route to 0.0.0.0/0 in route table `table`, depending on it as a real one would."""

    def change(real: Real, graph: ResourceGraph) -> ResourceGraph:
        rt = find(graph, ROUTE_TABLE, table)
        inputs = {"destinationCidrBlock": "0.0.0.0/0", "routeTableId": f"{rt.name}-id", **target}
        return added(graph, rt, ROUTE, f"{rt.name}-sneaky", inputs, dependencies=(rt.urn,))

    return change


def targets(inputs: dict[str, Any]) -> list[str]:
    return inputs["ruleGroup"]["rulesSource"]["rulesSourceList"]["targets"]


def values(dotted: str, value: Any) -> Mutation:
    return put(RELEASE, "jupyterhub", f"values.{dotted}", value)


def env(inputs: dict[str, Any], name: str, value: str) -> None:
    """Set one environment variable of a CronJob's container."""
    container = inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    next(e for e in container["env"] if e["name"] == name)["value"] = value


def snapshot_env(inputs: dict[str, Any], date: str) -> None:
    variable = next(v for v in inputs["environment"]["environmentVariables"] if v["name"] == "SNAPSHOT_URL")
    variable["value"] = f"https://packagemanager.posit.co/cran/{date}"


def swap_r_url(inputs: dict[str, Any], url: str) -> None:
    """Point the sessions' R repository (WORKBENCH_CRAN_URL in the hub's values) at `url`."""

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "WORKBENCH_CRAN_URL":
                    value[key] = url
                elif isinstance(item, dict) and item.get("name") == "WORKBENCH_CRAN_URL":
                    item["value"] = url
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(inputs["values"])


CASES = [
    # ---- network --------------------------------------------------------------------
    Case("network.no-public-subnets", "strict", put(SUBNET, "private-0", "mapPublicIpOnLaunch", True), "mapPublicIpOnLaunch", "private-0"),
    Case("network.no-public-subnets", "balanced", put(SUBNET, "private-1", "assignIpv6AddressOnCreation", True), "assignIpv6AddressOnCreation"),
    Case("network.no-world-ingress", "strict", put(SG, "endpoints", "ingress.0.cidrBlocks", ["0.0.0.0/0"]), "0.0.0.0/0 on tcp 443-443", "endpoints"),
    Case("network.no-world-ingress", "strict", put(SG, "homes-nfs", "ingress.0.ipv6CidrBlocks", ["::/0"]), "::/0"),
    Case(
        "network.no-world-ingress",
        "strict",
        add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ssh-anywhere", (SG, "endpoints"), {"cidrIpv4": "0.0.0.0/0", "fromPort": 22, "toPort": 22, "ipProtocol": "tcp"}),
        "tcp 22-22",
        "ssh-anywhere",
    ),
    # internet-sso: HTTPS to the SSO door may face the world; nothing else may.
    Case("network.no-world-ingress", "balanced", put(SG, "endpoints", "ingress.0.cidrBlocks", ["0.0.0.0/0"]), ""),
    Case("network.no-world-ingress", "balanced", edit(SG, "homes-nfs", lambda i: setpath(i, "ingress.0.cidrBlocks", ["0.0.0.0/0"])), "tcp 2049-2049"),
    # The hub signs in at an IdP on the internet, so strict has NAT and an internet gateway on that path (the
    # routes are network.sessions-no-route-out's); with an on-premises IdP, tests/policy/test_sign_in_path.py.
    Case("network.no-internet-gateways", "strict", add("aws:ec2/natGateway:NatGateway", "sneaky-nat", (VPC, "vpc")), ""),
    Case("network.no-internet-gateways", "strict", add(EIGW, "sneaky-eigw", (VPC, "vpc")), "an egress-only internet gateway", "sneaky-eigw"),
    Case("network.sessions-no-route-out", "strict", default_route("private-0-rt", natGatewayId="acme-network-natgw-0-id"), "acme-network-private-0 (private) has a default route", "sneaky"),
    Case("network.sessions-no-route-out", "strict", edit(ROUTE, "hub-1-egress", lambda i: i.update(natGatewayId=i.pop("vpcEndpointId"))), "the hub tier's default route goes to natGatewayId", "hub-1-egress"),
    Case("network.sessions-no-route-out", "strict", edit(ROUTE_TABLE, "private-2-rt", lambda i: i.update(routes=[{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw"}])), "acme-network-private-2 (private)"),
    Case("network.firewall-allowlist", "balanced", edit(RULE_GROUP, "firewall-sessions", lambda i: targets(i).append("pastebin.com")), "admits pastebin.com from the session subnets", "sessions"),
    Case("network.firewall-allowlist", "balanced", edit(RULE_GROUP, "firewall-sessions", lambda i: targets(i).remove("github.com")), "names github.com, but no firewall rule admits it"),
    Case("network.firewall-allowlist", "balanced", edit(RULE_GROUP, "firewall-sessions", lambda i: i["ruleGroup"].pop("ruleVariables")), "from the hub tier, which only signs users in at login.acme.example"),
    Case("network.firewall-allowlist", "balanced", edit(ROUTE, "private-0-egress", lambda i: i.update(natGatewayId=i.pop("vpcEndpointId"))), "bypasses the egress firewall", "private-0-egress"),
    Case("network.firewall-allowlist", "strict", edit(RULE_GROUP, "firewall-hub", lambda i: targets(i).append(".amazonaws.com")), "admits *.amazonaws.com from the hub tier", "firewall-hub"),
    Case("network.firewall-allowlist", "strict", edit(RULE_GROUP, "firewall-hub", lambda i: targets(i).clear()), "cannot reach the IdP host(s) login.acme.example"),
    Case("network.firewall-allowlist", "strict", drop(RULE_GROUP, "firewall-hub"), "nobody can sign in"),
    Case("network.vpc-endpoints", "strict", drop(ENDPOINT, "network-sts"), "no VPC endpoint for sts", "vpc"),
    Case("network.vpc-endpoints", "strict", put(ENDPOINT, "ecr-api", "privateDnsEnabled", False), "privateDnsEnabled off", "ecr-api"),
    Case("network.flow-logs", "strict", put(FLOW_LOG, "flow-logs", "trafficType", "REJECT"), "records 'REJECT' traffic; the stance wants 'ALL'"),
    Case("network.flow-logs", "balanced", put(FLOW_LOG, "flow-logs", "trafficType", "ALL"), ""),  # more than asked
    Case("network.flow-logs", "strict", drop(FLOW_LOG, "flow-logs"), "no flow log records this VPC", "vpc"),
    Case("network.flow-logs", "strict", put(LOG_GROUP, "flow-logs", "retentionInDays", 30), "keeps logs 30 days; the stance wants at least 365"),
    Case("network.flow-logs", "strict", put(FLOW_LOG, "flow-logs", "logDestinationType", "s3"), "goes to 's3'"),
    # ---- images (egress 'mirror': nothing but the account's ECR is reachable) ---------------
    Case("network.images-from-private-registry", "strict", values("hub.image.name", "quay.io/jupyterhub/k8s-hub"), "hub.image.name is quay.io/jupyterhub/k8s-hub, which is not in a private ECR registry", "jupyterhub"),
    Case("network.images-from-private-registry", "strict", edit(RELEASE, "jupyterhub", lambda i: i["values"]["scheduling"].pop("userScheduler")), "scheduling.userScheduler.image.name is not set, so the chart pulls its default registry.k8s.io/kube-scheduler"),
    Case("network.images-from-private-registry", "strict", values("prePuller.pause.image.name", f"{ECR.format(region='us-east-1')}/k8s/pause"), "is in ECR of us-east-1, but the VPC endpoints reach only eu-west-1"),
    Case("network.images-from-private-registry", "strict", values("custom.workbench.teams.0.profiles.0.kubespawner_override.image", "jupyter/datascience-notebook:2024-01-01"), "kubespawner_override.image is jupyter/datascience-notebook"),
    Case("network.images-from-private-registry", "strict", put(CRONJOB, "promote", "spec.jobTemplate.spec.template.spec.containers.0.image", "public.ecr.aws/aws-cli/aws-cli:2.22.0"), "containers[0].image is public.ecr.aws/aws-cli/aws-cli:2.22.0", "promote"),
    Case("network.images-from-private-registry", "strict", values("singleuser.image.name", f"{ECR.format(region='eu-west-1')}/images/acme-notebook"), ""),  # the org's own ECR repository
    # ---- cluster ----------------------------------------------------------------------
    Case("cluster.api-endpoint-private", "strict", put(CLUSTER, "eks", "vpcConfig.endpointPublicAccess", True), "faces the internet", "eks"),
    Case("cluster.api-endpoint-private", "strict", edit(CLUSTER, "eks", lambda i: i["vpcConfig"].pop("endpointPublicAccess")), "faces the internet"),
    Case("cluster.api-endpoint-private", "balanced", put(CLUSTER, "eks", "vpcConfig.endpointPrivateAccess", False), "endpointPrivateAccess is not true"),
    Case("cluster.api-cidrs-not-world", "open", put(CLUSTER, "eks", "vpcConfig.publicAccessCidrs", ["0.0.0.0/0"]), "includes 0.0.0.0/0"),
    Case("cluster.api-cidrs-not-world", "open", put(CLUSTER, "eks", "vpcConfig.publicAccessCidrs", []), "EKS treats as 0.0.0.0/0"),
    Case("cluster.api-cidrs-not-world", "open", put(CLUSTER, "eks", "vpcConfig.publicAccessCidrs", ["198.51.100.0/24"]), "not within the blueprint's network.admin_cidrs"),
    Case("cluster.api-cidrs-not-world", "open", put(CLUSTER, "eks", "vpcConfig.publicAccessCidrs", ["203.0.113.128/25"]), ""),  # inside admin_cidrs
    Case("audit.eks-control-plane-logs", "strict", put(CLUSTER, "eks", "enabledClusterLogTypes", ["api", "authenticator"]), "lacks audit, controllerManager, scheduler"),
    Case("audit.eks-control-plane-logs", "balanced", put(CLUSTER, "eks", "enabledClusterLogTypes", ["audit", "authenticator", "api"]), ""),
    Case("stability.kubernetes-version", "strict", put(CLUSTER, "eks", "version", "1.30"), "version 1.30 is not the stance's 1.33"),
    Case("compute.instance-types-allowed", "strict", put(NODE_GROUP, "cpu-m6i-xlarge", "instanceTypes", ["m6i.xlarge", "p4d.24xlarge"]), "p4d.24xlarge not in the allowlist", "cpu"),
    Case("compute.instance-types-allowed", "balanced", put(NODE_GROUP, "cpu-r6i-2xlarge", "instanceTypes", ["r6i.8xlarge"]), ""),  # within r6i.*
    Case("compute.instance-types-allowed", "strict", edit(NODE_GROUP, "cpu-m6i-xlarge", lambda i: i.pop("instanceTypes")), "t3.medium"),
    Case("compute.node-group-max-size", "strict", put(NODE_GROUP, "cpu-m6i-xlarge", "scalingConfig.maxSize", 11), "at most 10 nodes"),
    Case("compute.node-group-max-size", "strict", put(NODE_GROUP, "gpu", "scalingConfig.maxSize", 3), "at most 2 GPU nodes", "gpu"),
    Case("stability.multi-az-nodes", "strict", edit(NODE_GROUP, "cpu-m6i-xlarge", lambda i: i.update(subnetIds=i["subnetIds"][:1])), "in 1 subnet(s)"),
    # ---- identity -----------------------------------------------------------------------
    Case(
        "identity.no-wildcard-iam",
        "strict",
        edit_policy(ROLE_POLICY, "team-genomics-data", wildcard({"Effect": "Allow", "Action": "*", "Resource": "*"})),
        '"Action": "*"',
        "team-genomics-data",
    ),
    Case(
        "identity.no-wildcard-iam",
        "strict",
        edit_policy(ROLE_POLICY, "flow-logs-write", wildcard({"Sid": "Oops", "Effect": "Allow", "Action": ["s3:*"], "Resource": "*"})),
        'Oops: allows "s3:*" on "Resource": "*"',
    ),
    Case(
        "identity.no-wildcard-iam",
        "strict",
        edit_policy(ROLE_POLICY, "flow-logs-write", wildcard({"Effect": "Deny", "Action": "*", "Resource": "*"})),
        "",  # a Deny grants nothing
    ),
    # The component passes hub.config (the authenticator settings) as one secret; were it plain, the secret would show.
    Case("identity.client-secret-is-secret", "strict", values("hub.config", {"GenericOAuthenticator": {"client_secret": "s3cr3t-in-plain-text"}}), "GenericOAuthenticator.client_secret holds a plain-text value"),
    Case("identity.client-secret-is-secret", "strict", values("hub.config", {"GenericOAuthenticator": {"client_secret": SECRET}}), ""),
    Case("identity.client-secret-is-secret", "strict", values("singleuser.extraEnv", [{"name": "x"}, {"CLIENT-SECRET": "plain"}]), "singleuser.extraEnv[1].CLIENT-SECRET holds a plain-text value"),
    # ---- audit --------------------------------------------------------------------------
    Case("audit.cloudtrail", "strict", put(TRAIL, "trail", "isMultiRegionTrail", False), "isMultiRegionTrail is not true"),
    Case("audit.cloudtrail", "strict", put(TRAIL, "trail", "enableLogFileValidation", False), "enableLogFileValidation is not true"),
    Case("audit.cloudtrail", "balanced", put(TRAIL, "trail", "isMultiRegionTrail", False), ""),  # single-region is what balanced asks
    Case("audit.cloudtrail", "strict", drop(TRAIL, "trail"), "no CloudTrail trail"),
    Case("audit.log-retention", "strict", put(LOG_GROUP, "cluster-logs", "retentionInDays", 30), "retentionInDays is 30; audit.log_retention_days wants at least 365"),
    Case("audit.log-retention", "strict", put(LOG_GROUP, "cluster-logs", "retentionInDays", 0), ""),  # never expires
    Case("audit.log-retention", "strict", put(LOG_GROUP, "trail-events", "retentionInDays", 90), "retentionInDays is 90; audit.log_retention_days wants at least 365"),
    Case("audit.log-retention", "balanced", put(LOG_GROUP, "firewall-alert", "retentionInDays", 30), "network.flow_logs.retention_days wants at least 90"),
    # ---- teams ---------------------------------------------------------------------------
    Case("teams.quota-and-limits", "strict", drop(LIMITS, "genomics"), "namespace 'genomics' has no LimitRange", "genomics-namespace"),
    Case("teams.quota-and-limits", "strict", drop(QUOTA, "team-1"), "has no ResourceQuota"),
    Case("teams.quota-and-limits", "strict", drop(NAMESPACE, "team-genomics"), "team genomics has no namespace"),
    Case("teams.quota-matches-spec", "strict", put(QUOTA, "genomics", "spec.hard.requests\\.cpu", "64"), "requests.cpu is 64, above team genomics's 16"),
    Case("teams.quota-matches-spec", "strict", put(QUOTA, "genomics", "spec.hard.requests\\.nvidia\\.com/gpu", "0"), "is 0, not team genomics's 1"),
    Case("teams.quota-matches-spec", "strict", edit(QUOTA, "team-1", lambda i: i["spec"]["hard"].pop("pods")), "hard has no pods"),
    Case("teams.default-deny-network", "strict", put(NETPOL, "genomics-default-deny", "spec.policyTypes", ["Ingress"]), "no default-deny NetworkPolicy", "genomics-namespace"),
    Case("teams.default-deny-network", "open", put(NETPOL, "genomics-default-deny", "spec.policyTypes", ["Ingress"]), ""),  # open egress
    Case("teams.default-deny-network", "strict", put(NETPOL, "team-1-default-deny", "spec.podSelector", {"matchLabels": {"app": "x"}}), "no default-deny"),
    Case("teams.default-deny-network", "strict", put(NETPOL, "team-1-default-deny", "spec.ingress", [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]), "no default-deny"),
    Case("teams.pod-security-restricted", "strict", put(NAMESPACE, "team-genomics", "metadata.labels.pod-security\\.kubernetes\\.io/enforce", "baseline"), "is 'baseline', not 'restricted'"),
    Case("budgets.team-budgets", "strict", drop(BUDGET, "team-genomics"), "team genomics has no budget"),
    Case("budgets.team-budgets", "strict", put(BUDGET, "team-team-1", "limitAmount", "9000"), "limitAmount is 9000 USD"),
    Case("budgets.team-budgets", "strict", put(BUDGET, "team-team-1", "notifications.0.threshold", 95), "no notification at or below 80 %"),
    # ---- the hub --------------------------------------------------------------------------
    Case("sessions.no-root", "strict", values("singleuser.uid", 0), "singleuser.uid is 0"),
    Case("sessions.no-root", "strict", values("singleuser.extraEnv", {"GRANT_SUDO": "yes"}), "GRANT_SUDO grants sudo"),
    Case("sessions.no-root", "strict", values("custom.workbench.teams.1.profiles.0.kubespawner_override.uid", 0), "teams[1].profiles[0].kubespawner_override.uid is 0"),
    Case("sessions.no-root", "strict", values("hub.config", {"KubeSpawner": {"allow_privilege_escalation": True}}), "KubeSpawner.allow_privilege_escalation is true"),
    # Values that arrive as one opaque secret cannot be checked: fail closed.
    Case("sessions.no-root", "strict", put(RELEASE, "jupyterhub", "values", SECRET), "one opaque value"),
    Case("sessions.idle-culling", "balanced", put(RELEASE, "jupyterhub", "values", SECRET), "one opaque value"),
    Case("network.hub-ingress-internal", "strict", put(RELEASE, "jupyterhub", "values", SECRET), "one opaque value"),
    Case("sessions.idle-culling", "strict", values("cull.timeout", 7200), "cull.timeout is 7200 s; team genomics's idle timeout is 3600 s"),
    Case("sessions.idle-culling", "strict", values("cull.enabled", False), "cull.enabled is false"),
    Case("network.hub-ingress-internal", "strict", values("proxy.service.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-internal", "false"), "not 'true'"),
    Case("network.hub-ingress-internal", "strict", values("proxy.service.loadBalancerSourceRanges", ["0.0.0.0/0"]), "includes 0.0.0.0/0"),
    # ---- storage -------------------------------------------------------------------------
    Case("storage.bucket-public-access-block", "strict", drop(PAB, "storage-bucket-public-access"), "no public access block", "storage-bucket"),
    Case("storage.bucket-public-access-block", "balanced", put(PAB, "trail-logs", "blockPublicPolicy", False), "leaves blockPublicPolicy off", "trail-logs-public-access"),
    Case("storage.bucket-versioning", "strict", put(VERSIONING, "storage-bucket", "versioningConfiguration.status", "Suspended"), "versioning is not enabled (status Suspended)"),
    Case("storage.bucket-versioning", "open", drop(VERSIONING, "storage-bucket"), "versioning is not enabled"),
    Case("storage.bucket-encryption", "strict", put(SSE, "storage-bucket", "rules.0.applyServerSideEncryptionByDefault", {"sseAlgorithm": "AES256"}), "SSE algorithm is 'AES256'"),
    Case("storage.bucket-encryption", "balanced", put(SSE, "trail-logs", "rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId", "alias/aws/s3"), "AWS-managed key"),
    Case("storage.bucket-encryption", "strict", drop(SSE, "storage-bucket"), "no server-side encryption"),
    Case("storage.bucket-encryption", "open", put(SSE, "storage-bucket", "rules.0.applyServerSideEncryptionByDefault", {"sseAlgorithm": "AES256"}), ""),
    # A server access log bucket is SSE-S3 (S3 log delivery cannot write to SSE-KMS), but only while its policy admits log delivery.
    Case(
        "storage.bucket-encryption",
        "strict",
        edit_policy(BUCKET_POLICY, "storage-access-logs", lambda d: d.update(Statement=[s for s in d["Statement"] if s["Sid"] != "S3ServerAccessLogDelivery"])),
        "SSE algorithm is 'AES256'",
        "storage-access-logs",
    ),
    Case("storage.bucket-tls-only", "strict", edit_policy(BUCKET_POLICY, "storage-bucket", lambda d: d.update(Statement=[])), "no bucket policy denies plain-HTTP"),
    Case("storage.bucket-tls-only", "strict", drop(BUCKET_POLICY, "trail-logs"), "no bucket policy denies plain-HTTP", "trail-logs"),
    # The access-log bucket's policy depends on the data bucket too (it names it), yet does not make the data bucket TLS-only.
    Case("storage.bucket-tls-only", "strict", drop(BUCKET_POLICY, "storage-bucket-tls-only"), "no bucket policy denies plain-HTTP", "storage-bucket"),
    Case("storage.bucket-tls-only", "balanced", drop(BUCKET_POLICY, "guardrails-access-logs"), "no bucket policy denies plain-HTTP", "guardrails-access-logs"),
    Case("storage.efs-encryption", "strict", put(EFS, "homes", "encrypted", False), "encrypted is not true"),
    Case("storage.efs-encryption", "strict", edit(EFS, "homes", lambda i: i.pop("kmsKeyId")), "no kmsKeyId"),
    Case("storage.kms-key-rotation", "strict", put(KMS, "cmk", "enableKeyRotation", False), "enableKeyRotation is not true"),
    Case("storage.protect-stateful", "strict", flag(BUCKET, "storage-bucket", protect=False), "not protected", "storage-bucket"),
    Case("storage.protect-stateful", "strict", flag(KMS, "cmk", protect=False), "not protected", "cmk"),
    Case("storage.backup-plan", "strict", put(PLAN, "backup", "rules.0.schedule", "cron(0 3 ? * SUN *)"), "is not daily"),
    Case("storage.backup-plan", "strict", put(PLAN, "backup", "rules.0.lifecycle.deleteAfter", 7), "deleted after 7 days, not 35"),
    Case("storage.backup-plan", "open", put(PLAN, "backup", "rules.0.schedule", "cron(0 3 * * ? *)"), ""),  # daily beats weekly
    Case("storage.backup-plan", "strict", drop(SELECTION, "backup-homes"), "no backup selection covers this file system", "homes"),
    # ---- packages ------------------------------------------------------------------------
    Case(
        "packages.no-public-upstream",
        "strict",
        put(REPOSITORY, "mirror-workbench", "upstreams", [{"repositoryName": "pypi-upstream"}]),
        "reaches public:pypi through upstream 'pypi-upstream'",
        "mirror-workbench",
    ),
    Case("packages.no-public-upstream", "strict", put(REPOSITORY, "mirror-workbench", "externalConnections", {"externalConnectionName": "public:pypi"}), "reaches public:pypi"),
    # ---- identity: MFA and session length (tests/policy/test_rule_types.py: what else they read) ----------------
    Case("identity.mfa-enforced", "strict-cognito", put(USER_POOL, "users", "mfaConfiguration", "OPTIONAL"), "mfaConfiguration is 'OPTIONAL', not 'ON'", "users"),
    Case("identity.mfa-enforced", "strict-cognito", put(USER_POOL, "users", "softwareTokenMfaConfiguration.enabled", False), "no second factor to enrol"),
    Case("identity.session-length", "strict", values("hub.config.JupyterHub.cookie_max_age_days", 14), "cookie_max_age_days is 14: the hub's cookie outlasts the stance's 8-hour session"),
    Case("identity.session-length", "strict", edit(RELEASE, "jupyterhub", lambda i: i["values"]["hub"]["config"]["JupyterHub"].pop("cookie_max_age_days")), "cookie_max_age_days is 14"),
    Case("identity.session-length", "balanced", values("hub.config.JupyterHub.cookie_max_age_days", 0.25), ""),  # 6 h within 12 h
    Case("identity.session-length", "strict-cognito", put(USER_POOL_CLIENT, "jupyterhub", "refreshTokenValidity", 720), "refreshTokenValidity lets a login last 720 h", "jupyterhub"),
    Case("identity.session-length", "strict-cognito", edit(USER_POOL_CLIENT, "jupyterhub", lambda i: i.pop("tokenValidityUnits")), "refreshTokenValidity lets a login last 192 h"),  # 8 days
    # ---- package curation ------------------------------------------------------------------
    Case("packages.curation-cooldown", "strict", edit(CRONJOB, "promote", lambda i: env(i, "COOLDOWN_DAYS", "1")), "COOLDOWN_DAYS is 1: releases younger than the stance's 14 days", "promote"),
    Case("packages.curation-cooldown", "strict", drop(CRONJOB, "promote"), "no curator CronJob runs promote.sh"),
    Case("packages.curation-cooldown", "strict", edit(CRONJOB, "promote", lambda i: env(i, "COOLDOWN_DAYS", "30")), ""),  # longer is stricter
    Case("packages.curation-mode", "strict", edit(CRONJOB, "promote", lambda i: env(i, "CURATION_MODE", "report")), "CURATION_MODE is 'report'", "promote"),
    Case("packages.internal-names-blocked", "strict-cognito", put(CONFIG_MAP, "curator-config", "data.internal-prefixes\\.txt", ""), "does not block acme-", "origin-controls"),
    Case("packages.internal-names-blocked", "strict-cognito", drop(CRONJOB, "origin-controls"), "no origin-controls job"),
    Case("packages.r-snapshot", "strict", edit("aws:codebuild/project:Project", "r-curator", lambda i: snapshot_env(i, "2025-01-01")), "a snapshot of 2025-01-01; the stance pins CRAN at 2026-10-01"),
    Case("packages.r-snapshot", "strict", edit(RELEASE, "jupyterhub", lambda i: swap_r_url(i, "https://packagemanager.posit.co/cran/2026-10-01")), "serves every CRAN package of the snapshot"),
    Case("packages.r-snapshot", "balanced", edit(RELEASE, "jupyterhub", lambda i: swap_r_url(i, "https://cloud.r-project.org")), "not a dated snapshot"),
    Case("packages.r-snapshot", "balanced", edit(RELEASE, "jupyterhub", lambda i: swap_r_url(i, "https://packagemanager.posit.co/cran/2024-01-02")), "a snapshot of 2024-01-02"),
    # ---- works: TLS and reaching the hub (more cases in test_works_tls.py, test_works_ingress.py) -------------------
    Case("works.tls.certificate-validates", "open", values("proxy.service.annotations", {}), "has no certificate", "jupyterhub"),
    Case("works.ingress.hub-reachable", "balanced", drop("aws:route53/record:Record", "hub-alias"), "no DNS record points", "jupyterhub"),
]


def _id(case: Case) -> str:
    return f"{case.rule}[{case.stance}]{'-ok' if not case.expect else ''}-{CASES.index(case)}"


def test_every_rule_has_a_case_that_it_catches():
    """Stance rules here; works rules in tests/policy/test_works_*.py (see test_works_registry.py)."""
    caught = {c.rule for c in CASES if c.expect}
    assert caught - {r.id for r in select("works")} == {rule.id for rule in select("stance")} - {"governance.exceptions-current"}  # see test_expiry.py


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_rule_passes_the_real_graph_and_catches_the_mutation(case: Case, real):
    project = real(case.stance)
    rule = BY_ID[case.rule]
    graph = project.graph
    before = evaluate(project.spec, graph, rules=[rule])
    assert case.rule in before.passed, [v.message for v in before.violations]

    after = evaluate(project.spec, case.change(project, graph), rules=[rule])
    messages = [f"{v.urn}: {v.message}" for v in after.violations]
    if not case.expect:
        assert not after.violations and case.rule in after.passed, messages
        return
    hits = [v for v in after.violations if case.expect in v.message]
    assert hits, messages
    assert all(v.rule == case.rule and v.concern == rule.concern and v.severity == rule.severity for v in after.violations)
    if case.at:
        assert any(case.at in v.urn.rsplit("::", 1)[-1] for v in hits), messages


def test_root_is_accepted_only_in_the_profiles_of_the_team_allowed_it(real_root_team):
    """Strict, but genomics may use root (overlay + recorded exception): its profiles grant root, team-1's must not."""
    project = real_root_team
    assert [t.root_allowed for t in project.spec.teams] == [True, False]
    graph = project.graph
    rules = [BY_ID["sessions.no-root"], BY_ID["teams.pod-security-restricted"]]
    result = evaluate(project.spec, graph, rules=rules)
    assert result.ok, [v.message for v in result.violations]
    release = next(r for r in graph.of_type(RELEASE))
    genomics = release.inputs["values"]["custom"]["workbench"]["teams"][0]
    assert genomics["name"] == "genomics" and genomics["profiles"][0]["kubespawner_override"]["uid"] == 0

    broken = values("custom.workbench.teams.1.profiles.0.kubespawner_override.environment", {"GRANT_SUDO": "yes"})(project, graph)
    (violation,) = evaluate(project.spec, broken, rules=rules).violations
    assert "GRANT_SUDO grants sudo; team team-1 may not run as root" in violation.message
