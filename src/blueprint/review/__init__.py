"""Reviewing a change to a blueprint: controls diff, resource diff, risk findings and pull-request markdown."""

from .check import CheckOutcome, run_check
from .controls import Change, ControlChange, control_changes
from .diff import ProjectDiff, diff_projects, diff_specs
from .git import uncommitted
from .markdown import GITHUB_COMMENT_LIMIT, render_review
from .resources import ResourceDiff, diff_graphs

__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "Change",
    "CheckOutcome",
    "ControlChange",
    "ProjectDiff",
    "ResourceDiff",
    "control_changes",
    "diff_graphs",
    "diff_projects",
    "diff_specs",
    "render_review",
    "run_check",
    "uncommitted",
]
