"""Offline answers for AWS invokes and plausible computed outputs for new resources, table-driven by type token.

Imports no pulumi: `preview.engine.PreviewMocks` answers the mock engine with these tables, and an export of a
cached graph asks `created` for what a resource computed without the SDK.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from importlib import resources
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
POLICY_VERSION = "2012-10-17"
_CA_DATA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nOFFLINE-PREVIEW-PLACEHOLDER\n-----END CERTIFICATE-----\n").decode()


@dataclass(frozen=True)
class Call:
    """An invoke as the table functions see it."""

    args: Mapping[str, Any]
    region: str
    account: str


@dataclass(frozen=True)
class New:
    """A resource being created, as the table functions see it."""

    name: str
    inputs: Mapping[str, Any]
    id: str
    region: str
    account: str

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}:{self.account}:{resource}"


# ---- invokes ----------------------------------------------------------------

_DIRECTIONS = {"northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw"}


def _availability_zones(call: Call) -> dict[str, Any]:
    region = call.args.get("region") or call.region
    parts = region.split("-")
    zone_prefix = parts[0] + "".join(_DIRECTIONS.get(part, part[0]) for part in parts[1:-1]) + parts[-1]  # eu-west-1 -> euw1
    return {
        "id": region,
        "region": region,
        "names": [f"{region}{letter}" for letter in "abc"],
        "zoneIds": [f"{zone_prefix}-az{i}" for i in (1, 2, 3)],
        "groupNames": [region] * 3,
        "state": call.args.get("state"),
    }


def _region(call: Call) -> dict[str, Any]:
    region = call.args.get("region") or call.args.get("name") or call.region
    return {"id": region, "name": region, "region": region, "endpoint": f"ec2.{region}.amazonaws.com", "description": region}


def _caller_identity(call: Call) -> dict[str, Any]:
    return {"id": call.account, "accountId": call.account, "arn": f"arn:aws:iam::{call.account}:user/offline-preview", "userId": "AIDAOFFLINEPREVIEW"}


def _partition(call: Call) -> dict[str, Any]:
    return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}


def _one_or_many(values: list[Any]) -> Any:
    # The AWS provider writes a single-element list as a bare value, as IAM itself does.
    return values[0] if len(values) == 1 else sorted(values)


def _principals(principals: list[Mapping[str, Any]]) -> Any:
    if any(p.get("type") == "*" for p in principals):
        return "*"
    merged: dict[str, list[str]] = {}
    for principal in principals:
        merged.setdefault(principal["type"], []).extend(principal.get("identifiers") or [])
    return {kind: _one_or_many(ids) for kind, ids in sorted(merged.items())}


def _statement(statement: Mapping[str, Any]) -> dict[str, Any]:
    rendered: dict[str, Any] = {}
    if statement.get("sid"):
        rendered["Sid"] = statement["sid"]
    rendered["Effect"] = statement.get("effect") or "Allow"
    for key, field in (("Action", "actions"), ("NotAction", "notActions"), ("Resource", "resources"), ("NotResource", "notResources")):
        if statement.get(field):
            rendered[key] = _one_or_many(list(statement[field]))
    for key, field in (("Principal", "principals"), ("NotPrincipal", "notPrincipals")):
        if statement.get(field):
            rendered[key] = _principals(statement[field])
    conditions: dict[str, dict[str, Any]] = {}
    for condition in statement.get("conditions") or ():
        conditions.setdefault(condition["test"], {})[condition["variable"]] = _one_or_many(list(condition.get("values") or []))
    if conditions:
        rendered["Condition"] = conditions
    return rendered


def _policy_document(call: Call) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for source in call.args.get("sourcePolicyDocuments") or ():
        statements.extend(json.loads(source).get("Statement", []))
    statements.extend(_statement(s) for s in call.args.get("statements") or ())
    for override in call.args.get("overridePolicyDocuments") or ():
        for replacement in json.loads(override).get("Statement", []):
            same_sid = [i for i, s in enumerate(statements) if replacement.get("Sid") and s.get("Sid") == replacement["Sid"]]
            if same_sid:
                statements[same_sid[0]] = replacement
            else:
                statements.append(replacement)
    document: dict[str, Any] = {"Version": call.args.get("version") or POLICY_VERSION}
    if call.args.get("policyId"):
        document["Id"] = call.args["policyId"]
    document["Statement"] = statements
    minified = json.dumps(document, separators=(",", ":"))
    return {"id": hashlib.sha256(minified.encode()).hexdigest()[:10], "json": json.dumps(document, indent=2), "minifiedJson": minified}


def _codeartifact_endpoint(call: Call) -> dict[str, Any]:
    domain, owner = call.args.get("domain", "domain"), call.args.get("domainOwner") or call.account
    fmt, repository = call.args.get("format", "pypi"), call.args.get("repository", "repository")
    endpoint = f"https://{domain}-{owner}.d.codeartifact.{call.region}.amazonaws.com/{fmt}/{repository}/"
    return {"id": endpoint, "repositoryEndpoint": endpoint, "domain": domain, "domainOwner": owner, "format": fmt, "repository": repository}


@functools.cache
def s3_ranges() -> dict[str, tuple[str, ...]]:
    """The S3 IPv4 ranges of each region, from AWS's ip-ranges.json (service "S3"; see s3_ranges.json for the
    syncToken and date): what the S3 gateway endpoint's managed prefix list holds in that region."""
    data = json.loads(resources.files(__package__).joinpath("s3_ranges.json").read_text(encoding="utf-8"))
    return {region: tuple(cidrs) for region, cidrs in data["regions"].items()}


def managed_prefix_list(call: Call) -> dict[str, Any]:
    """`aws.ec2.getmanaged_prefix_list(name="com.amazonaws.<region>.<service>")`: AWS-managed lists by name. Only S3's
    entries are known offline (a region missing from the table answers none)."""
    name = str(call.args.get("name") or f"com.amazonaws.{call.region}.s3")
    region, _, service = name.removeprefix("com.amazonaws.").partition(".")
    cidrs = s3_ranges().get(region, ()) if service == "s3" else ()
    list_id = f"pl-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return {
        "id": list_id,
        "name": name,
        "arn": f"arn:aws:ec2:{region}:aws:prefix-list/{list_id}",
        "addressFamily": "IPv4",
        "ownerId": "AWS",
        "maxEntries": len(cidrs),
        "version": 1,
        "entries": [{"cidr": cidr, "description": ""} for cidr in cidrs],
        "tags": {},
    }


INVOKES: dict[str, Callable[[Call], dict[str, Any]]] = {
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": managed_prefix_list,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:codeartifact/getRepositoryEndpoint:getRepositoryEndpoint": _codeartifact_endpoint,
    "aws:codeartifact/getAuthorizationToken:getAuthorizationToken": lambda c: {"authorizationToken": "offline-preview-token", "expiration": "2099-01-01T00:00:00Z"},
    "aws:eks/getClusterAuth:getClusterAuth": lambda c: {"id": c.args.get("name", "cluster"), "name": c.args.get("name", "cluster"), "token": "k8s-aws-v1.offline-preview"},
    "aws:eks/getAddonVersion:getAddonVersion": lambda c: {"id": c.args.get("addonName", "addon"), "addonName": c.args.get("addonName"), "version": "v1.0.0-eksbuild.1"},
}

# ---- new resources ----------------------------------------------------------


def autoname(logical_name: str) -> str:
    """What Pulumi autonaming makes of a logical name (a stable suffix here instead of a random one)."""
    return f"{logical_name}-{hashlib.sha256(logical_name.encode()).hexdigest()[:7]}"


def _named(new: New, field: str = "name") -> str:
    return new.inputs.get(field) or autoname(new.name)


def _eks_cluster(new: New) -> dict[str, Any]:
    name = _named(new)
    return {
        "name": name,
        "arn": new.arn("eks", f"cluster/{name}"),
        "endpoint": f"https://EXAMPLE0123456789.gr7.{new.region}.eks.amazonaws.com",
        "certificateAuthority": {"data": _CA_DATA},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{new.region}.amazonaws.com/id/EXAMPLE0123456789"}]}],
        "version": new.inputs.get("version") or "1.31",
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "clusterId": f"{name}-cluster-id",
        # EKS creates the cluster security group (on the endpoint's ENIs and managed nodes); rules to it name it.
        "vpcConfig": {**(new.inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{name}-cluster"},
    }


def _s3_bucket(new: New) -> dict[str, Any]:
    bucket = new.inputs.get("bucket") or autoname(new.inputs.get("bucketPrefix") or new.name)
    return {
        "id": bucket,
        "bucket": bucket,
        "arn": f"arn:aws:s3:::{bucket}",
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{new.region}.amazonaws.com",
        "region": new.region,
    }


def _efs(new: New) -> dict[str, Any]:
    return {"arn": new.arn("elasticfilesystem", f"file-system/{new.id}"), "dnsName": f"{new.id}.efs.{new.region}.amazonaws.com", "ownerId": new.account}


def _codeartifact_domain(new: New) -> dict[str, Any]:
    domain = _named(new, "domain")
    return {"domain": domain, "owner": new.account, "arn": new.arn("codeartifact", f"domain/{domain}"), "repositoryCount": 0}


def _codeartifact_repository(new: New) -> dict[str, Any]:
    domain, repository = new.inputs.get("domain", "domain"), _named(new, "repository")
    return {
        "repository": repository,
        "domainOwner": new.inputs.get("domainOwner") or new.account,
        "administratorAccount": new.account,
        "arn": new.arn("codeartifact", f"repository/{domain}/{repository}"),
    }


def _user_pool(new: New) -> dict[str, Any]:
    pool_id = f"{new.region}_{new.name}"
    return {"id": pool_id, "arn": new.arn("cognito-idp", f"userpool/{pool_id}"), "endpoint": f"cognito-idp.{new.region}.amazonaws.com/{pool_id}", "name": _named(new)}


def _kms_key(new: New) -> dict[str, Any]:
    key_id = f"{new.name}-key-id"
    return {"id": key_id, "keyId": key_id, "arn": new.arn("kms", f"key/{key_id}")}


def _vpc(new: New) -> dict[str, Any]:
    return {
        "cidrBlock": new.inputs.get("cidrBlock", "10.0.0.0/16"),
        "arn": new.arn("ec2", f"vpc/{new.id}"),
        "defaultSecurityGroupId": f"{new.name}-default-sg-id",
        "mainRouteTableId": f"{new.name}-main-rtb-id",
        "ownerId": new.account,
    }


def _iam(kind: str) -> Callable[[New], dict[str, Any]]:
    def outputs(new: New) -> dict[str, Any]:
        name = _named(new)
        return {"id": name, "name": name, "arn": new.arn("iam", f"{kind}/{name}", regional=False), "uniqueId": f"{kind}-{name}-unique-id"}

    return outputs


def _oidc_provider(new: New) -> dict[str, Any]:
    host = str(new.inputs.get("url", "oidc.example")).removeprefix("https://")
    return {"arn": new.arn("iam", f"oidc-provider/{host}", regional=False)}


def _log_group(new: New) -> dict[str, Any]:
    name = _named(new)
    return {"id": name, "name": name, "arn": new.arn("logs", f"log-group:{name}")}


def _helm_release(new: New) -> dict[str, Any]:
    name, namespace = _named(new), new.inputs.get("namespace") or "default"
    chart, version = new.inputs.get("chart", ""), new.inputs.get("version", "")
    return {
        "name": name,
        "namespace": namespace,
        "status": {"name": name, "namespace": namespace, "chart": chart, "version": version, "appVersion": version, "revision": 1, "status": "deployed"},
    }


RESOURCE_OUTPUTS: dict[str, Callable[[New], dict[str, Any]]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": lambda n: {"status": "ACTIVE", "arn": n.arn("eks", f"nodegroup/{n.name}"), "resources": [{"autoscalingGroups": [{"name": f"eks-{n.name}-asg"}]}]},
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:s3/bucketV2:BucketV2": _s3_bucket,
    "aws:efs/fileSystem:FileSystem": _efs,
    "aws:efs/accessPoint:AccessPoint": lambda n: {"arn": n.arn("elasticfilesystem", f"access-point/{n.id}"), "fileSystemArn": n.arn("elasticfilesystem", "file-system/fs")},
    "aws:codeartifact/domain:Domain": _codeartifact_domain,
    "aws:codeartifact/repository:Repository": _codeartifact_repository,
    "aws:cognito/userPool:UserPool": _user_pool,
    "aws:cognito/userPoolClient:UserPoolClient": lambda n: {"clientSecret": "offline-preview-client-secret"},
    "aws:cognito/userPoolDomain:UserPoolDomain": lambda n: {"cloudfrontDistribution": "d111111abcdef8.cloudfront.net", "awsAccountId": n.account},
    "aws:kms/key:Key": _kms_key,
    "aws:codebuild/project:Project": lambda n: {"name": _named(n), "arn": n.arn("codebuild", f"project/{_named(n)}")},
    "aws:kms/alias:Alias": lambda n: {"arn": n.arn("kms", _named(n)), "targetKeyArn": n.arn("kms", f"key/{n.inputs.get('targetKeyId', 'key')}")},
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": lambda n: {"arn": n.arn("ec2", f"subnet/{n.id}"), "ownerId": n.account},
    "aws:ec2/launchTemplate:LaunchTemplate": lambda n: {"arn": n.arn("ec2", f"launch-template/{n.id}"), "latestVersion": 1, "defaultVersion": 1},
    "aws:ec2/securityGroup:SecurityGroup": lambda n: {"arn": n.arn("ec2", f"security-group/{n.id}"), "ownerId": n.account},
    "aws:iam/role:Role": _iam("role"),
    "aws:iam/policy:Policy": _iam("policy"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "kubernetes:helm.sh/v3:Release": _helm_release,
}


def _generic(token: str, new: New) -> dict[str, Any]:
    """Outputs most resources of a provider have, so dependents never see a missing value."""
    package, _, rest = token.partition(":")
    if package == "aws":
        name = _named(new)
        generic: dict[str, Any] = {"name": name, "arn": new.arn(rest.split("/")[0], name)}
        if "tags" in new.inputs:
            generic["tagsAll"] = new.inputs["tags"]
        return generic
    if package == "kubernetes" and not rest.startswith("helm.sh/"):
        metadata = dict(new.inputs.get("metadata") or {})
        metadata.setdefault("name", autoname(new.name))
        return {"metadata": metadata}
    return {}


# ---- the hub's load balancer (HubEndpoint) ------------------------------------

# Route 53 hosted zone ids of Network Load Balancers by region, from the "Route 53 Hosted Zone ID (Network Load
# Balancers)" column of https://docs.aws.amazon.com/general/latest/gr/elb.html (what `aws.lb.get_hosted_zone_id` returns).
NLB_HOSTED_ZONE_IDS = {
    "af-south-1": "Z203XCE67M25HM",
    "ap-east-1": "Z12Y7K3UBGUAD1",
    "ap-northeast-1": "Z31USIVHYNEOWT",
    "ap-northeast-2": "ZIBE1TIR4HY56",
    "ap-northeast-3": "Z1GWIQ4HH19I5X",
    "ap-south-1": "ZVDDRBQ08TROA",
    "ap-southeast-1": "ZKVM4W9LS7TM",
    "ap-southeast-2": "ZCT6FZBF4DROD",
    "ca-central-1": "Z2EPGBW3API2WT",
    "eu-central-1": "Z3F0SRJ5LGBH90",
    "eu-north-1": "Z1UDT6IFJ4EJM",
    "eu-south-1": "Z23146JA1KNAFP",
    "eu-west-1": "Z2IFOLAFXWLO4F",
    "eu-west-2": "ZD4D7Y8KGAS4G",
    "eu-west-3": "Z1CMS0P5QUZ6D5",
    "me-south-1": "Z3QSRYVP46NYYV",
    "sa-east-1": "ZTK26PT1VY4CU",
    "us-east-1": "Z26RNL4JYFTOTI",
    "us-east-2": "ZLMOA37VPKANP",
    "us-west-1": "Z24FKFUX50B4VW",
    "us-west-2": "Z18D5FSROUN65G",
    "us-gov-east-1": "Z1ZSMQQ6Q24QQ8",
    "us-gov-west-1": "ZMG1MZ2THAWF1",
    "cn-north-1": "Z3QFB96KMJ7ED6",
    "cn-northwest-1": "ZQEIKTCZ8352D",
}


def _lb_hosted_zone_id(call: Call) -> dict[str, Any]:
    region = call.args.get("region") or call.region
    if call.args.get("loadBalancerType") != "network":
        raise ValueError("the offline preview knows the hosted zones of Network Load Balancers only")
    # A region newer than this table gets a stand-in of the same shape, marked as such.
    zone = NLB_HOSTED_ZONE_IDS.get(region) or "Z0OFFLINE" + hashlib.sha256(region.encode()).hexdigest()[:11].upper()
    return {"id": zone, "loadBalancerType": "network", "region": region}


def nlb_hostname(service_id: str, region: str) -> str:
    """The DNS name the cloud's service controller gives a Service's NLB: `<a + 32 hex>-<16 hex>.elb.<region>.amazonaws.com`."""
    digest = hashlib.sha256(service_id.encode()).hexdigest()
    return f"a{digest[:32]}-{digest[32:48]}.elb.{region}.amazonaws.com"


def _read_service(read: New) -> dict[str, Any]:
    # A Service read back from the cluster (the chart's LoadBalancer Service): the status the controller writes.
    namespace, _, name = read.id.rpartition("/")
    return {
        "metadata": {"name": name, "namespace": namespace or "default"},
        "spec": {"type": "LoadBalancer"},
        "status": {"loadBalancer": {"ingress": [{"hostname": nlb_hostname(read.id, read.region)}]}},
    }


def _certificate(new: New) -> dict[str, Any]:
    domain = str(new.inputs.get("domainName", "hub.example"))
    outputs: dict[str, Any] = {"arn": new.arn("acm", f"certificate/{hashlib.sha256(new.name.encode()).hexdigest()[:8]}-0000-4000-8000-000000000000")}
    if new.inputs.get("validationMethod") == "DNS":  # ACM's one CNAME per name (ACM user guide, "DNS validation")
        token = hashlib.sha256(domain.encode()).hexdigest()
        outputs["domainValidationOptions"] = [
            {
                "domainName": domain,
                "resourceRecordName": f"_{token[:32]}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{token[32:64]}.offline-preview.acm-validations.aws.",
            }
        ]
    return outputs


def _zone(new: New) -> dict[str, Any]:
    zone_id = "Z0" + hashlib.sha256(new.name.encode()).hexdigest()[:18].upper()
    servers = [] if new.inputs.get("vpcs") else [f"ns-{i}.awsdns-{i:02d}.{tld}" for i, tld in enumerate(("com", "net", "org", "co.uk"))]
    return {"zoneId": zone_id, "nameServers": servers, "arn": f"arn:aws:route53:::hostedzone/{zone_id}"}


HUB_INVOKES: dict[str, Callable[[Call], dict[str, Any]]] = {"aws:lb/getHostedZoneId:getHostedZoneId": _lb_hosted_zone_id}
READS: dict[str, Callable[[New], dict[str, Any]]] = {"kubernetes:core/v1:Service": _read_service}
HUB_RESOURCE_OUTPUTS: dict[str, Callable[[New], dict[str, Any]]] = {
    "aws:acm/certificate:Certificate": _certificate,
    "aws:acm/certificateValidation:CertificateValidation": lambda n: {"certificateArn": n.inputs.get("certificateArn")},
    "aws:route53/zone:Zone": _zone,
    "aws:route53/record:Record": lambda n: {"fqdn": str(n.inputs.get("name", "")).rstrip(".")},
}
RESOURCE_OUTPUTS.update(HUB_RESOURCE_OUTPUTS)


def created(typ: str, name: str, inputs: Mapping[str, Any], region: str = DEFAULT_REGION, account: str = ACCOUNT_ID) -> tuple[str, dict[str, Any]]:
    """What a new custom resource computes offline: its id and its state (the inputs with the outputs the mocks add).
    Pulumi-free, so an export of a cached graph can ask it without the SDK; `PreviewMocks.new_resource` answers with it."""
    new = New(name, inputs, f"{name}-id", region, account)
    specific = RESOURCE_OUTPUTS.get(typ)
    state = {"id": new.id, **_generic(typ, new), **inputs, **(specific(new) if specific else {})}
    return str(state.pop("id")), state
