"""workbench-blueprint: stance-driven Pulumi programs for a data-science workbench on AWS."""

__version__ = "0.1.0"

# Who users report a bug to; the CLI prints it on an internal error (exit 3). The project has no public
# tracker URL yet, so it names the team rather than inventing an address.
ISSUE_TRACKER = "the platform team that maintains workbench-blueprint (include the --debug output)"
