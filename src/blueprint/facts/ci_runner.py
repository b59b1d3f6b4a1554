"""What a CI runner for the generated workflow calls over the internet (besides AWS, reached through VPC endpoints or NAT).

Shared data: `components/ci_runner.py` documents the runner with it and the generated README lists it, so the
platform team can give the runner's subnets exactly this egress (or put it on the firewall's allowlist).
"""

RUNNER_HOSTS: tuple[str, ...] = (
    "github.com",  # the runner registers for the job; checkout
    "*.github.com",  # api.github.com, codeload.github.com: the actions' own code
    "*.githubusercontent.com",  # job logs and artifacts (*.actions.githubusercontent.com), setup-python's builds
    "pypi.org",  # pip install -r requirements.txt (or the project's --index-url)
    "files.pythonhosted.org",
    "get.pulumi.com",  # pulumi/actions installs the Pulumi CLI
    "api.pulumi.com",  # the Pulumi Cloud state backend (or your own backend)
)
