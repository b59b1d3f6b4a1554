"""Who calls which AWS API from inside the VPC: one table, next to the add-ons and workloads that need it.

Every caller below runs on the workbench's nodes (or in its pods) and calls AWS over HTTPS. Without an
internet path (egress 'mirror') each API needs an interface endpoint in the VPC, with private DNS, or the
call times out; with the firewall allowlist the endpoints keep those calls off the internet as well (the
firewall admits only the stance's allowlist, which names no AWS API host). S3 is a gateway endpoint (ECR
image layers, CodeArtifact package assets and the data bucket are served from S3), so it must be on the
route table of every subnet a caller runs in. The EKS control plane's own controllers (the cloud controller
that makes the hub's load balancer, EKS writing control-plane logs) run in AWS's account and need nothing here;
so do the services that call other services on a caller's behalf (EBS and S3 call KMS for encrypted volumes
and objects, CodeArtifact calls STS for its bearer token), which is why no caller lists `kms`.

Sources: EKS user guide, "Deploy private clusters with limited internet access" (private-clusters.adoc:
the endpoint table; "If you use the EKS Optimized AMI, you should enable the ec2 endpoint ... The optimized
AMI uses EC2 APIs to set the node DNS name"; nodes given the endpoint and CA, as managed node groups are,
"don't require access to the Amazon EKS API"; Pod Identity needs eks-auth, IRSA needs sts; Cluster
Autoscaler needs sts and autoscaling); the EBS CSI driver's and EFS CSI driver's managed policies
(AmazonEBSCSIDriverPolicy: ec2; AmazonEFSCSIDriverPolicy: elasticfilesystem Create/Delete/DescribeAccessPoints,
DescribeFileSystems, DescribeMountTargets, and ec2:DescribeAvailabilityZones); Cluster Autoscaler's AWS cloud
provider README (autoscaling, ec2:DescribeLaunchTemplateVersions/DescribeInstanceTypes, eks:DescribeNodegroup
for managed node groups scaled from zero); CodeArtifact user guide, "Using CodeArtifact with VPC endpoints"
(codeartifact.api for GetAuthorizationToken, codeartifact.repositories for pip traffic, and the S3 gateway
endpoint for package assets); S3 user guide, "Using server-side encryption with AWS KMS keys" (S3 calls KMS
on the caller's behalf; the team roles' KMS rights carry kms:ViaService, so a direct KMS call is denied anyway).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# An interface endpoint's service is `com.amazonaws.<region>.<name>`; "s3" is the gateway endpoint.
GATEWAY_SERVICES = frozenset({"s3"})

# caller -> the AWS APIs it calls. Keys are stable ids: EKS add-on names as `aws eks create-addon` spells them,
# or `workload:<what>` for our own pods and jobs. Every caller that uses IRSA calls sts
# (AssumeRoleWithWebIdentity) first. A caller that calls no AWS API is listed with none, so that the
# works rule `works.network.aws-apis-reachable` can tell "considered" from "forgotten".
API_CALLERS: Mapping[str, frozenset[str]] = {
    # Managed node bootstrap and kubelet: the node's instance role (no STS call), EC2 to set the node's DNS name,
    # image pulls (ECR API for the token, ECR registry, layers on S3). Managed node groups hand nodeadm the cluster's
    # endpoint and CA, so a node never calls the EKS API.
    "node": frozenset({"ec2", "ecr.api", "ecr.dkr", "s3"}),
    # The VPC CNI (aws-node: ipamd) assigns ENIs and addresses to pods; its network policy agent calls no AWS API.
    "vpc-cni": frozenset({"ec2", "sts"}),
    # EBS CSI controller: CreateVolume/AttachVolume (encrypted with the CMK: EBS calls KMS itself).
    "aws-ebs-csi-driver": frozenset({"ec2", "sts"}),
    # EFS CSI controller: CreateAccessPoint/DeleteAccessPoint, DescribeFileSystems, DescribeAvailabilityZones.
    "aws-efs-csi-driver": frozenset({"elasticfilesystem", "ec2", "sts"}),
    # Cluster Autoscaler's AWS provider: scale the node groups' Auto Scaling groups, read instance types and
    # launch templates, DescribeNodegroup for labels and taints of a managed node group at zero nodes.
    "cluster-autoscaler": frozenset({"autoscaling", "ec2", "eks", "sts"}),
    # EKS Pod Identity agent (if installed) calls eks-auth:AssumeRoleForPodIdentity with the node's role; the pods
    # it serves get credentials from it, not from STS.
    "eks-pod-identity-agent": frozenset({"eks-auth"}),
    # Add-ons that talk only to the Kubernetes API.
    "coredns": frozenset(),
    "kube-proxy": frozenset(),
    "metrics-server": frozenset(),
    # Control-plane and flow logs are written by AWS; in-cluster log shippers would call logs.
    "workload:log-shipping": frozenset({"logs", "sts"}),
    # The hub calls no AWS API: it signs users in at the IdP's hosts (spec.idp_hosts, the hub's firewall allowlist)
    # and spawns sessions through the Kubernetes API; its database volume is attached by the EBS CSI driver.
    "workload:hub": frozenset(),
    # Sessions: IRSA, the team's data prefix (S3; SSE-KMS is S3's call), CodeArtifact tokens and pip traffic
    # (package assets come from S3).
    "workload:session": frozenset({"sts", "s3", "codeartifact.api", "codeartifact.repositories"}),
    # The curator jobs fill the package mirror from the allowlist (the seed job also reads the upstream's index).
    "workload:curator": frozenset({"sts", "s3", "codeartifact.api", "codeartifact.repositories"}),
    # The pip token refresher mints CodeArtifact tokens (GetAuthorizationToken is on the api endpoint) as its IRSA
    # role; it writes the Secrets through the in-cluster Kubernetes API, which needs no AWS endpoint.
    "workload:pip-token": frozenset({"sts", "codeartifact.api"}),
    # The CI runner (a CodeBuild project in the private subnets): CodeBuild ships the build's logs to CloudWatch Logs
    # and its artifacts/caches to S3 from inside the VPC (CodeBuild user guide, "Use AWS CodeBuild with Amazon VPC":
    # a VPC build reaches AWS through NAT or VPC endpoints); the jobs assume their OIDC roles (sts) and write a
    # kubeconfig (eks:DescribeCluster). Pulumi's own calls to every other API are the runner's egress, not endpoints.
    "workload:ci-runner": frozenset({"logs", "s3", "sts", "eks"}),
}


# Everything `program.build` installs that calls AWS APIs from inside the VPC, by its API_CALLERS id: the node groups,
# the add-ons ClusterAddons installs, the hub and sessions, the pip token refresher, the package mirror's curator jobs
# and the CI runner in the private subnets. Here, not in the program, so what needs the endpoint list without the
# Pulumi SDK (the generated README's cost estimate) reads the same tuple.
INSTALLED_CALLERS = (
    "node", "vpc-cni", "aws-ebs-csi-driver", "aws-efs-csi-driver", "cluster-autoscaler",
    "workload:hub", "workload:session", "workload:curator", "workload:pip-token", "workload:ci-runner",
)  # fmt: skip


def apis_for(callers: Iterable[str]) -> frozenset[str]:
    """Every API the given callers need; KeyError names a caller the table does not know."""
    needed: set[str] = set()
    for caller in callers:
        if caller not in API_CALLERS:
            raise KeyError(f"{caller!r} is not in facts.aws_apis.API_CALLERS; add the APIs it calls there")
        needed |= API_CALLERS[caller]
    return frozenset(needed)


def interface_services(callers: Iterable[str]) -> tuple[str, ...]:
    """The interface endpoints (sorted) the callers need; S3 and other gateway services excluded."""
    return tuple(sorted(apis_for(callers) - GATEWAY_SERVICES))
