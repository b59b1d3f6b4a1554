"""The one strict base every model uses: unknown keys are errors, values are frozen."""

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Typos in a key are errors, not silent defaults; validated data never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)
