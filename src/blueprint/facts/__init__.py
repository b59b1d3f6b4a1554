"""Facts about AWS that several layers reason about (shared data, no Pulumi, no typer).

`aws_apis`: which AWS APIs each installed controller, add-on and workload calls, so the network gives each
one an endpoint or an egress path and a works rule can prove it. `instances`: the EC2 instance types a
stance may allow, with what the kubelet leaves allocatable, so every profile is proven to fit a node.
`ci_runner`: the hosts the generated workflow's CI runner calls: GitHub, the package index, Pulumi, and the AWS APIs
the Pulumi AWS provider manages the program's resources with (the runner tier's firewall allowlist).
"""
