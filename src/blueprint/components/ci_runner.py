"""CiRunner: where the generated workflow's cluster jobs run, and their way to the EKS API endpoint.

A private endpoint (strict, balanced) answers only inside the VPC: its ENIs carry the cluster security group, so
a runner reaches it only from the VPC (or a network routed to it) with 443 admitted on that group
(https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html,
https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html).

- `codebuild`: a CodeBuild-hosted GitHub Actions runner (https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html):
  a project with a VPC configuration in the runner's subnets, its own security group, and a webhook on
  WORKFLOW_JOB_QUEUED for `ci.repository`. A job with `runs-on: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`
  starts a build that registers as the job's runner. The project's service role may only write its logs, make
  the VPC network interfaces CodeBuild needs, and use the named GitHub connection; the jobs take their AWS
  rights from the OIDC roles the workflow assumes, and their Kubernetes rights from ClusterAccess.
- `self-hosted`: your runners in `ci.runner_cidrs`; this component admits those networks to the API on 443.
- `github-hosted`: nothing here (only a public endpoint whose admin_cidrs admit the runners can work).

The runner also needs HTTPS to GitHub, the package index, Pulumi and the AWS APIs the provider manages the program's
resources with (`facts.ci_runner.runner_domains`). Under open egress it runs in the private subnets (NAT); under a
restricted stance in the network's CI tier (`spec.ci_egress == "firewall"`), whose only way out is the egress
firewall admitting exactly those hosts, so the sessions' egress stays what the stance says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from blueprint.model import BlueprintSpec

from .naming import POLICY_VERSION, child, log_retention_days, service_trust_policy, tags, type_token

HTTPS = 443
ANYWHERE = "0.0.0.0/0"
# Ubuntu 22.04 with Python 3.12: actions/setup-python finds its builds for this OS (the Amazon Linux images it does not).
RUNNER_IMAGE = "aws/codebuild/standard:7.0"
RUNNER_COMPUTE = "BUILD_GENERAL1_MEDIUM"  # 4 GiB, 2 vCPU: pulumi with the AWS and Kubernetes providers needs more than small's 3 GiB
WORKFLOW_JOB_EVENT = "WORKFLOW_JOB_QUEUED"
# CodeBuild in a VPC makes and deletes ENIs in the given subnets with the project's service role; the actions are
# AWS's for a VPC-configured project
# (https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-iam-identity-based-access-control.html#customer-managed-policies-example-create-vpc-network-interface).
# Describe* take no resource-level scope (service authorization reference); the writes are scoped to the runner's
# subnets and security group here, where AWS's example uses "*".
VPC_DESCRIBE_ACTIONS = ("ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs")
CONNECTION_ACTIONS = ("codeconnections:GetConnectionToken", "codeconnections:GetConnection", "codeconnections:UseConnection")


@dataclass(frozen=True)
class CiRunnerArgs:
    runner: str
    project_name: str
    repository: str | None
    connection_arn: str | None
    runner_cidrs: tuple[str, ...]
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Where the runner's network interfaces go: the network's CI tier, or the private subnets under open egress."""
    cluster_security_group_id: pulumi.Input[str]
    log_retention_days: int
    kms_key_arn: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_spec(
        cls,
        spec: BlueprintSpec,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: Sequence[pulumi.Input[str]],
        cluster_security_group_id: pulumi.Input[str],
        kms_key_arn: pulumi.Input[str] | None = None,
    ) -> CiRunnerArgs:
        return cls(
            runner=spec.ci.runner,
            project_name=spec.ci_runner_project,
            repository=spec.ci.repository,
            connection_arn=spec.ci.connection_arn,
            runner_cidrs=spec.ci.runner_cidrs,
            vpc_id=vpc_id,
            subnet_ids=tuple(subnet_ids),
            cluster_security_group_id=cluster_security_group_id,
            log_retention_days=spec.stance.audit.log_retention_days,
            kms_key_arn=kms_key_arn,
            tags=tags(spec.org, spec.stack),
        )


class CiRunner(pulumi.ComponentResource):
    """The CI runner path into the VPC and the 443 rule from it to the cluster API (see the module doc)."""

    project_name: pulumi.Output[str] | None
    """The CodeBuild project (runner: codebuild with a repository), None otherwise."""
    security_group_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: CiRunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token("ci", "CiRunner"), name, None, opts)
        self._name, self._args = name, args
        self.project_name = None
        self.security_group_id = None
        if args.runner == "codebuild":
            group = self._security_group()
            self.security_group_id = group.id
            self._to_api(child(name, "api"), referenced_security_group_id=group.id, description="Kubernetes API from the CodeBuild CI runner")
            if args.repository is not None:
                self.project_name = self._project(group).name
        elif args.runner == "self-hosted":
            for i, cidr in enumerate(args.runner_cidrs):
                self._to_api(child(name, "api", str(i)), cidr_ipv4=cidr, description=f"Kubernetes API from self-hosted CI runners in {cidr}")
        self.register_outputs({"project_name": self.project_name, "security_group_id": self.security_group_id})

    def _opts(self, **kwargs: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _security_group(self) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            child(self._name, "runner"),
            vpc_id=self._args.vpc_id,
            description="CodeBuild-hosted CI runner: HTTPS out only (GitHub, package index, state backend, AWS APIs)",
            egress=[{"protocol": "tcp", "from_port": HTTPS, "to_port": HTTPS, "cidr_blocks": [ANYWHERE], "description": "HTTPS"}],
            tags={**self._args.tags, "Name": child(self._name, "runner")},
            opts=self._opts(),
        )

    def _to_api(self, label: str, *, description: str, **source: pulumi.Input[str]) -> aws.vpc.SecurityGroupIngressRule:
        # The cluster security group is on the endpoint's ENIs; 443 from the runner is all `kubectl`/Helm/Pulumi need.
        return aws.vpc.SecurityGroupIngressRule(
            label,
            security_group_id=self._args.cluster_security_group_id,
            ip_protocol="tcp",
            from_port=HTTPS,
            to_port=HTTPS,
            description=description,
            tags=self._args.tags,
            opts=self._opts(),
            **source,
        )

    def _project(self, group: aws.ec2.SecurityGroup) -> aws.codebuild.Project:
        args, name = self._args, self._name
        logs = aws.cloudwatch.LogGroup(
            child(name, "logs"),
            name=f"/aws/codebuild/{args.project_name}",
            retention_in_days=log_retention_days(args.log_retention_days),
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=self._opts(),
        )
        role = aws.iam.Role(
            child(name, "role"), assume_role_policy=pulumi.Output.json_dumps(service_trust_policy("codebuild.amazonaws.com")), tags=args.tags, opts=self._opts()
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        subnets = list(args.subnet_ids)

        def policy(values: list[object]) -> str:
            part, account, where, log_arn, group_id, *subnet_ids = values
            arn = f"arn:{part}:ec2:{where}:{account}"
            in_subnets = {"ArnEquals": {"ec2:Subnet": [f"{arn}:subnet/{s}" for s in subnet_ids]}}
            statements: list[dict[str, object]] = [
                {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": [f"{log_arn}:*"]},
                {"Sid": "VpcDescribe", "Effect": "Allow", "Action": list(VPC_DESCRIBE_ACTIONS), "Resource": "*"},
                {
                    "Sid": "VpcNetworkInterfaceCreate",
                    "Effect": "Allow",
                    "Action": "ec2:CreateNetworkInterface",
                    "Resource": [*(f"{arn}:subnet/{s}" for s in subnet_ids), f"{arn}:security-group/{group_id}", f"{arn}:network-interface/*"],
                },
                {"Sid": "VpcNetworkInterfaceDelete", "Effect": "Allow", "Action": "ec2:DeleteNetworkInterface", "Resource": f"{arn}:network-interface/*", "Condition": in_subnets},
                {
                    "Sid": "VpcNetworkInterfacePermission",
                    "Effect": "Allow",
                    "Action": "ec2:CreateNetworkInterfacePermission",
                    "Resource": f"{arn}:network-interface/*",
                    "Condition": {"StringEquals": {"ec2:AuthorizedService": "codebuild.amazonaws.com"}, **in_subnets},
                },
            ]
            if args.connection_arn is not None:
                statements.append({"Sid": "GitHubConnection", "Effect": "Allow", "Action": list(CONNECTION_ACTIONS), "Resource": args.connection_arn})
            return pulumi.Output.json_dumps({"Version": POLICY_VERSION, "Statement": statements})  # type: ignore[return-value]

        role_policy = aws.iam.RolePolicy(
            child(name, "role", "policy"),
            role=role.id,
            policy=pulumi.Output.all(partition, identity.account_id, region, logs.arn, group.id, *subnets).apply(policy),
            opts=self._opts(),
        )
        source: dict[str, object] = {"type": "GITHUB", "location": f"https://github.com/{args.repository}.git", "git_clone_depth": 1}
        if args.connection_arn is not None:
            source["auth"] = {"type": "CODECONNECTIONS", "resource": args.connection_arn}
        project = aws.codebuild.Project(
            child(name, "project"),
            name=args.project_name,
            description="GitHub Actions runner for the workbench's pulumi preview/up jobs, inside the VPC",
            service_role=role.arn,
            artifacts={"type": "NO_ARTIFACTS"},
            environment={"compute_type": RUNNER_COMPUTE, "image": RUNNER_IMAGE, "type": "LINUX_CONTAINER", "image_pull_credentials_type": "CODEBUILD"},
            source=source,
            vpc_config={"vpc_id": args.vpc_id, "subnets": subnets, "security_group_ids": [group.id]},
            logs_config={"cloudwatch_logs": {"group_name": logs.name, "status": "ENABLED"}, "s3_logs": {"status": "DISABLED"}},
            encryption_key=args.kms_key_arn,
            build_timeout=60,
            tags=args.tags,
            # The role's rights first: CodeBuild checks it can make ENIs in the subnets when the project is created.
            opts=self._opts(depends_on=[role_policy]),
        )
        aws.codebuild.Webhook(
            child(name, "webhook"),
            project_name=project.name,
            build_type="BUILD",
            filter_groups=[{"filters": [{"type": "EVENT", "pattern": WORKFLOW_JOB_EVENT}]}],
            opts=self._opts(),
        )
        return project
