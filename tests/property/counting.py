"""How many Hypothesis examples each property really ran (printed at the end of the session by conftest)."""

from collections import Counter

EXAMPLES: Counter[str] = Counter()
