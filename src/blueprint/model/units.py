"""Kubernetes resource quantities ("500m", "16Gi") parsed into comparable numbers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ..errors import shown

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
_QUANTITY = re.compile(r"^(?P<number>[0-9]+(\.[0-9]+)?)(?P<suffix>m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$")


def parse_quantity(text: str) -> Decimal:
    """Return the quantity's value in base units (cores or bytes); raise ValueError if malformed."""
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{shown(text)} is not a Kubernetes quantity such as '500m', '4', '16Gi'")
    try:
        number = Decimal(match["number"])
    except InvalidOperation as exc:  # pragma: no cover - the regex already guarantees digits
        raise ValueError(f"{shown(text)} is not a number") from exc
    return number * _SUFFIX[match["suffix"] or ""]


GIB = Decimal(2) ** 30
