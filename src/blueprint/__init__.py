"""workbench-blueprint: stance-driven Pulumi programs for a data-science workbench on AWS."""

__version__ = "0.1.0"
