"""Who calls which AWS API from inside the VPC: one table, next to the add-ons and workloads that need it.

Every caller below runs on the workbench's nodes (or in its pods) and calls AWS over HTTPS. Without an
internet path (egress 'mirror') each API needs an interface endpoint in the VPC, with private DNS, or the
call times out; with the firewall allowlist the endpoints keep those calls off the internet as well.
S3 is a gateway endpoint (ECR image layers and the data bucket are served from S3). The EKS control plane's
own controllers (the in-tree service controller that makes the hub's load balancer) run in AWS's account
and need nothing here.

Sources: EKS user guide, "Deploy private clusters with limited internet access" (the endpoints a private
cluster needs: ec2, ecr.api, ecr.dkr, s3, sts, logs, elasticloadbalancing, autoscaling, eks, eks-auth);
the EBS CSI driver's and EFS CSI driver's IAM policies (AmazonEBSCSIDriverPolicy: ec2; AmazonEFSCSIDriverPolicy:
elasticfilesystem, ec2:DescribeAvailabilityZones); Cluster Autoscaler's AWS cloud provider README
(autoscaling, ec2, eks:DescribeNodegroup); CodeArtifact user guide, "Using CodeArtifact with VPC endpoints"
(codeartifact.api for tokens, codeartifact.repositories for pip/npm traffic, plus sts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# An interface endpoint's service is `com.amazonaws.<region>.<name>`; "s3" is the gateway endpoint.
GATEWAY_SERVICES = frozenset({"s3"})

# caller -> the AWS APIs it calls. Keys are stable ids: EKS add-on names as `aws eks create-addon` spells them,
# or `workload:<what>` for our own pods and jobs. Every caller that uses IRSA calls sts
# (AssumeRoleWithWebIdentity) first.
API_CALLERS: Mapping[str, frozenset[str]] = {
    # Node bootstrap and kubelet: join the cluster, pull images (ECR API + layers on S3), the node role's calls.
    "node": frozenset({"eks", "ec2", "ecr.api", "ecr.dkr", "s3", "sts"}),
    # The VPC CNI (aws-node) assigns ENIs and addresses to pods.
    "vpc-cni": frozenset({"ec2", "sts"}),
    # EBS CSI controller: CreateVolume/AttachVolume (encrypted with the CMK: EBS calls KMS itself).
    "aws-ebs-csi-driver": frozenset({"ec2", "sts"}),
    # EFS CSI controller: CreateAccessPoint/DeleteAccessPoint, DescribeFileSystems, DescribeAvailabilityZones.
    "aws-efs-csi-driver": frozenset({"elasticfilesystem", "ec2", "sts"}),
    # Cluster Autoscaler's AWS provider: scale the node groups' Auto Scaling groups, read instance types.
    "cluster-autoscaler": frozenset({"autoscaling", "ec2", "eks", "sts"}),
    # EKS Pod Identity agent (if installed) exchanges tokens through eks-auth.
    "eks-pod-identity-agent": frozenset({"eks-auth", "sts"}),
    # Control-plane and flow logs are written by AWS; in-cluster log shippers would call logs.
    "workload:log-shipping": frozenset({"logs", "sts"}),
    # Sessions: IRSA, the team's data prefix (S3 + KMS), CodeArtifact tokens and pip traffic.
    "workload:session": frozenset({"sts", "s3", "kms", "codeartifact.api", "codeartifact.repositories"}),
    # The curator jobs fill the package mirror from the allowlist (the seed job also reads the upstream's index).
    "workload:curator": frozenset({"sts", "s3", "codeartifact.api", "codeartifact.repositories"}),
    # The pip token refresher mints CodeArtifact tokens (GetAuthorizationToken is on the api endpoint) as its IRSA
    # role; it writes the Secrets through the in-cluster Kubernetes API, which needs no AWS endpoint.
    "workload:pip-token": frozenset({"sts", "codeartifact.api"}),
}


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
