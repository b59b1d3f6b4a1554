"""Type tokens the rules read, in one place (pulumi-aws 7, pulumi-kubernetes 4)."""

SUBNET = "aws:ec2/subnet:Subnet"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
EGRESS_ONLY_GATEWAY = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
VPC = "aws:ec2/vpc:Vpc"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE_TABLE_ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
FIREWALL = "aws:networkfirewall/firewall:Firewall"
FIREWALL_RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
FIREWALL_LOGGING = "aws:networkfirewall/loggingConfiguration:LoggingConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
EKS_ADDON = "aws:eks/addon:Addon"

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKETS = frozenset({BUCKET, BUCKET_V2})
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = frozenset({"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"})
SSE = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
EFS = "aws:efs/fileSystem:FileSystem"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"
KMS_KEY = "aws:kms/key:Key"
BUDGET = "aws:budgets/budget:Budget"
TRAIL = "aws:cloudtrail/trail:Trail"

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
POLICY = "aws:iam/policy:Policy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
IAM_POLICIES = frozenset({ROLE, ROLE_POLICY, POLICY, USER_POLICY, GROUP_POLICY})

CODEARTIFACT_REPOSITORY = "aws:codeartifact/repository:Repository"
CODEBUILD_PROJECT = "aws:codebuild/project:Project"

NAMESPACE = "kubernetes:core/v1:Namespace"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_SECRET = "kubernetes:core/v1:Secret"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
POD = "kubernetes:core/v1:Pod"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
REPLICA_SET = "kubernetes:apps/v1:ReplicaSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
WORKLOADS = frozenset({POD, DEPLOYMENT, STATEFUL_SET, DAEMON_SET, REPLICA_SET, JOB, CRON_JOB})

# The tag PrivateNetwork puts on every subnet: its tier (private, hub, public, nat, firewall; components.subnets).
TIER_TAG = "tier"

# The label TeamSpace puts on a team's namespace (value: the team name).
TEAM_LABEL = "workbench.io/team"

# The node label that pins a pool, and the hub's pool (= components.naming.POOL_LABEL / HUB_POOL; policy may not
# import components, tests/policy/test_works_crosscut.py checks they agree).
POOL_LABEL = "workbench/pool"
HUB_POOL = "hub"
ACM_CERTIFICATE = "aws:acm/certificate:Certificate"
ACM_CERTIFICATE_VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
ROUTE53_RECORD = "aws:route53/record:Record"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
# What configures a bucket and names it in its `bucket` input: how graph rules tell which bucket a policy is for.
BUCKET_CONFIGURATIONS = frozenset(
    {
        PUBLIC_ACCESS_BLOCK, *VERSIONING, *SSE, BUCKET_POLICY,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    }
)  # fmt: skip
