"""Today's date, from one place, so that it can be pinned.

Every default that depends on the date (the last complete month that ``sop run`` closes, the
``--through`` of ``sop demo``) asks ``today()``. ``$SOP_TODAY`` (``YYYY-MM-DD``) pins it: the
tests run the date-sensitive ones on several pinned dates (``pytest --today``), and an operator
can re-run a past month's defaults exactly. The variable is only read, never set, by the code.
"""

from __future__ import annotations

import os
from datetime import date

TODAY_ENV = "SOP_TODAY"


def today() -> date:
    """``$SOP_TODAY`` when set, else the machine's date."""
    pinned = os.environ.get(TODAY_ENV)
    if not pinned:
        return date.today()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        raise ValueError(f"{TODAY_ENV} must be a date like 2027-01-01, got {pinned!r}") from None


def last_complete_month(on: date | None = None) -> str:
    """``YYYY-MM`` of the month before ``on`` (default: ``today()``): the month a cycle closes."""
    on = on or today()
    year, month = (on.year, on.month - 1) if on.month > 1 else (on.year - 1, 12)
    return f"{year:04d}-{month:02d}"
