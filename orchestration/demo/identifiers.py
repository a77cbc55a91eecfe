"""How record ids look: Salesforce-style ids in the CRM, document numbers in the ERP.

Ids of things created in a month carry the month (``SO202304000123``), so they never depend
on what was generated before the run's first month or after its last.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

#: Salesforce key prefixes (three characters, as in the real object ids).
ACCOUNT = "001"
USER = "005"
OPPORTUNITY = "006"
OPPORTUNITY_HISTORY = "008"
LINE_ITEM = "00k"
QUOTA = "0J9"
TERRITORY = "0MI"


def salesforce_id(prefix: str, number: int) -> str:
    """A 15-character id: key prefix plus a zero-padded number."""
    return f"{prefix}{number:012d}"


def salesforce_ids(prefix: str, numbers: Iterable[int]) -> np.ndarray:
    return np.array([f"{prefix}{int(n):012d}" for n in numbers], dtype=object)


def document_numbers(prefix: str, month_compact: str, sequence: Iterable[int], width: int) -> np.ndarray:
    """ERP document numbers like ``SO202304000123``: prefix, month, running number."""
    head = f"{prefix}{month_compact}"
    return np.array([f"{head}{int(n):0{width}d}" for n in sequence], dtype=object)


def customer_number(sequence: int) -> str:
    """ERP customer numbers: ``C100001``, ``C100002``, ..."""
    return f"C{100000 + sequence:06d}"
