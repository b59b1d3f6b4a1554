"""workbench-blueprint: stance-driven Pulumi programs for a data-science workbench on AWS."""

__version__ = "0.1.0"

# Where users report a bug; the CLI prints it on an internal error (exit 3).
ISSUE_TRACKER = "https://github.com/workbench-blueprint/workbench-blueprint/issues"
