"""Kubernetes resource quantities ("500m", "16Gi") parsed into comparable numbers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_SUFFIX = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
}
# The one definition of a quantity's text: a decimal number and one of the suffixes above. Plain groups, no
# named ones, so the same pattern reads the same in Python and in JSON Schema (ECMA-262), where editors use it.
QUANTITY_PATTERN = r"^([0-9]+(?:\.[0-9]+)?)(" + "|".join(suffix for suffix in _SUFFIX if suffix) + r")?$"
_QUANTITY = re.compile(QUANTITY_PATTERN)
QUANTITY_LOOKS_LIKE = "a Kubernetes quantity such as '500m', '4', '16Gi'"


def parse_quantity(text: str) -> Decimal:
    """Return the quantity's value in base units (cores or bytes); raise ValueError if malformed."""
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not {QUANTITY_LOOKS_LIKE}")
    number, suffix = match.groups()
    try:
        amount = Decimal(number)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees digits
        raise ValueError(f"{text!r} is not a number") from exc
    return amount * _SUFFIX[suffix or ""]


GIB = Decimal(2) ** 30
