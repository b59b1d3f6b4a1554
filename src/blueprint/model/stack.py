"""The Pulumi stack a program runs as: it names every physical resource, so it is checked once, here.

blueprint.yaml holds no stack name: the stack is the one Pulumi runs the program in (`pulumi.get_stack()`),
or the one the offline preview is told. Two stacks of one project are two distinct workbenches.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import SpecError, UsageError, shown
from .types import StackName

# Physical names are `<org>-<stack>-...` (S3 buckets, CodeBuild projects, Cognito domains): types.StackName says
# what fits them all (lowercase letters, digits and '-', starting with a letter).
STACK_PATTERN = re.compile(StackName.__metadata__[0].pattern)
DEFAULT_STACK = "dev"


def check_stack(name: str, *, source: str | Path, option: str | None = None) -> str:
    """`name` if it can name physical resources; otherwise a SpecError about `source`, or a UsageError about the
    command-line `option` it came from."""
    if STACK_PATTERN.match(name):
        return name
    message = f"the Pulumi stack {shown(name)} cannot name AWS resources (bucket and project names are built from it)"
    if option is not None:
        raise UsageError(option=option, message=message, fix="name a stack of 1 to 30 lowercase letters, digits and '-', starting with a letter, e.g. prod")
    raise SpecError.single(
        source=source,
        field="stack",
        message=message,
        fix="use 1 to 30 lowercase letters, digits and '-', starting with a letter (`pulumi stack rename prod`)",
    )
