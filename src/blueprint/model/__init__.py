"""The stance model: pure pydantic data and its loading rules (no pulumi, no typer)."""

from .builtin import BUILTIN_STANCES
from .controls import Concern, ControlMeta, Direction, compare, is_weaker
from .loading import BLUEPRINT_FILE, blueprint_path, builtin_stance, load_blueprint, load_file, resolve
from .spec import BlueprintFile, BlueprintSpec, IdentityProvider, TeamEntry, TeamSpec
from .stance import CONTROL_IDS, Stance, control_value, stance_controls

__all__ = [
    "BLUEPRINT_FILE",
    "BUILTIN_STANCES",
    "CONTROL_IDS",
    "BlueprintFile",
    "BlueprintSpec",
    "Concern",
    "ControlMeta",
    "Direction",
    "IdentityProvider",
    "Stance",
    "TeamEntry",
    "TeamSpec",
    "blueprint_path",
    "builtin_stance",
    "compare",
    "control_value",
    "is_weaker",
    "load_blueprint",
    "load_file",
    "resolve",
    "stance_controls",
]
