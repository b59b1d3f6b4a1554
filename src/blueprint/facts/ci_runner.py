"""What a CI runner for the generated workflow calls over HTTPS, besides the VPC's own endpoints.

Shared data: `components/network.py` gives the CodeBuild runner's tier exactly these hosts through the egress
firewall (`runner_domains`), `policy` proves it, and the generated README lists them for a runner you host.

Two kinds of host:
- `RUNNER_HOSTS`, on the internet: GitHub (the job, checkout, the actions' code and logs), the package index for
  `pip install -r requirements.txt`, and Pulumi (the CLI, its plugins, the Pulumi Cloud backend).
- `AWS_ENDPOINTS`, the AWS APIs the Pulumi AWS provider calls to manage what the program creates, by
  pulumi-aws module (the `aws:<module>/...` of a resource type). Hosts follow the AWS General Reference,
  "Service endpoints" (https://docs.aws.amazon.com/general/latest/gr/aws-service-information.html): regional
  `<service>.<region>.amazonaws.com`, and the global services' single endpoints (IAM, Route 53 and Budgets;
  Cost Explorer answers in us-east-1 only). Where the VPC has an interface endpoint with private DNS (STS, EC2,
  ECR, EKS, ... for the workbench's own callers) the same name resolves inside the VPC and never reaches the
  firewall; S3 goes through the gateway endpoint on the runner's route tables. `tests/facts` checks that every
  module in every stance's graph is in this table, so a new kind of resource cannot leave `pulumi up` without
  its API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

RUNNER_HOSTS: tuple[str, ...] = (
    "github.com",  # the runner registers for the job; checkout
    "*.github.com",  # api.github.com, codeload.github.com: the actions' own code
    "*.githubusercontent.com",  # job logs and artifacts (*.actions.githubusercontent.com), setup-python's builds
    "pypi.org",  # pip install -r requirements.txt (or the project's --index-url)
    "files.pythonhosted.org",
    "get.pulumi.com",  # pulumi/actions installs the Pulumi CLI; the CLI fetches provider plugins from here
    "api.pulumi.com",  # the Pulumi Cloud state backend (or your own backend)
)

# pulumi-aws module -> the endpoint hosts its resources' CRUD calls go to ("{region}" is the stack's region).
AWS_ENDPOINTS: Mapping[str, tuple[str, ...]] = {
    "acm": ("acm.{region}.amazonaws.com",),
    "backup": ("backup.{region}.amazonaws.com",),
    "budgets": ("budgets.amazonaws.com",),
    "cloudtrail": ("cloudtrail.{region}.amazonaws.com",),
    # aws.cloudwatch holds CloudWatch Logs groups, metric alarms and EventBridge rules.
    "cloudwatch": ("logs.{region}.amazonaws.com", "monitoring.{region}.amazonaws.com", "events.{region}.amazonaws.com"),
    "codeartifact": ("codeartifact.{region}.amazonaws.com",),
    "codebuild": ("codebuild.{region}.amazonaws.com",),
    "cognito": ("cognito-idp.{region}.amazonaws.com",),
    "costexplorer": ("ce.us-east-1.amazonaws.com",),
    "ec2": ("ec2.{region}.amazonaws.com",),
    "ecr": ("api.ecr.{region}.amazonaws.com",),
    "efs": ("elasticfilesystem.{region}.amazonaws.com",),
    "eks": ("eks.{region}.amazonaws.com",),
    "iam": ("iam.amazonaws.com",),
    "kms": ("kms.{region}.amazonaws.com",),
    "lb": ("elasticloadbalancing.{region}.amazonaws.com",),
    "networkfirewall": ("network-firewall.{region}.amazonaws.com",),
    "route53": ("route53.amazonaws.com",),
    # Bucket calls go to the bucket's virtual host; account-level public access blocks to S3 Control.
    "s3": ("s3.{region}.amazonaws.com", "*.s3.{region}.amazonaws.com", "*.s3-control.{region}.amazonaws.com"),
    "vpc": ("ec2.{region}.amazonaws.com",),  # aws.vpc security group rules are EC2 API calls
}
# Every AWS session the workflow opens starts here: aws-actions/configure-aws-credentials calls
# AssumeRoleWithWebIdentity, and the provider GetCallerIdentity, on the regional STS endpoint.
STS_ENDPOINT = "sts.{region}.amazonaws.com"


def aws_hosts(region: str, modules: Iterable[str] | None = None) -> tuple[str, ...]:
    """The AWS endpoint hosts (sorted) for `modules` (default: every module the table knows), STS always."""
    chosen = AWS_ENDPOINTS if modules is None else {m: AWS_ENDPOINTS[m] for m in modules}
    hosts = {STS_ENDPOINT, *(host for templates in chosen.values() for host in templates)}
    return tuple(sorted(host.format(region=region) for host in hosts))


def runner_domains(region: str) -> tuple[str, ...]:
    """Everything the CodeBuild runner's tier may reach through the firewall, in the stance's domain syntax."""
    return tuple(sorted({*RUNNER_HOSTS, *aws_hosts(region)}))
