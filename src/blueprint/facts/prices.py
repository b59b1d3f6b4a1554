"""AWS on-demand list prices behind the generated README's monthly cost estimate (shared data, no Pulumi).

An order of magnitude, not a quote: hourly charges of what runs all month whatever the users do (the EKS control
plane, the nodes the node groups keep at their minimum, NAT gateways, Network Firewall endpoints, interface VPC
endpoints). Usage-based charges (data processed, storage, logs, nodes the autoscaler adds, CodeBuild minutes)
are left out, and the estimate says so.

Region and date: US East (N. Virginia), on-demand, Linux, recorded on PRICES_AS_OF. Other regions differ.
Sources (the public pricing pages):
- EKS: https://aws.amazon.com/eks/pricing/ ($0.10 per cluster-hour in standard support; $0.60 in extended support)
- EC2: https://aws.amazon.com/ec2/pricing/on-demand/ (m6i, r6i, c6i, g5: the families the built-in stances name)
- NAT gateway: https://aws.amazon.com/vpc/pricing/ ($0.045 per gateway-hour, plus $0.045 per GB processed)
- Network Firewall: https://aws.amazon.com/network-firewall/pricing/ ($0.395 per endpoint-hour, plus $0.065 per GB)
- Interface VPC endpoints (PrivateLink): https://aws.amazon.com/privatelink/pricing/ ($0.01 per endpoint per AZ-hour, plus $0.01 per GB)
"""

from __future__ import annotations

from decimal import Decimal

PRICES_REGION = "us-east-1"
PRICES_AS_OF = "2026-12-02"
HOURS_PER_MONTH = 730  # AWS's own convention in its pricing examples

EKS_CLUSTER_HOUR = Decimal("0.10")
NAT_GATEWAY_HOUR = Decimal("0.045")
FIREWALL_ENDPOINT_HOUR = Decimal("0.395")
INTERFACE_ENDPOINT_AZ_HOUR = Decimal("0.01")

# EC2 on-demand, Linux, per instance-hour.
INSTANCE_HOUR: dict[str, Decimal] = {
    "m6i.large": Decimal("0.096"),
    "m6i.xlarge": Decimal("0.192"),
    "m6i.2xlarge": Decimal("0.384"),
    "m6i.4xlarge": Decimal("0.768"),
    "m6i.8xlarge": Decimal("1.536"),
    "r6i.large": Decimal("0.126"),
    "r6i.xlarge": Decimal("0.252"),
    "r6i.2xlarge": Decimal("0.504"),
    "r6i.4xlarge": Decimal("1.008"),
    "c6i.large": Decimal("0.085"),
    "c6i.xlarge": Decimal("0.17"),
    "c6i.2xlarge": Decimal("0.34"),
    "c6i.4xlarge": Decimal("0.68"),
    "g5.xlarge": Decimal("1.006"),
    "g5.2xlarge": Decimal("1.212"),
    "g5.4xlarge": Decimal("1.624"),
}
