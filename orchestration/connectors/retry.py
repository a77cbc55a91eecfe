"""How long an HTTP connector waits before trying a throttled or failed request again.

Exponential backoff from the connection's first wait, unless the server says how long in
``Retry-After`` (seconds; an HTTP date is ignored), and never more than 30 s: a source that
asks for longer is better treated as down, and the extract fails naming the request.
"""

from __future__ import annotations

#: longest wait between two tries, whatever ``Retry-After`` or the backoff says
MAX_BACKOFF_SECONDS = 30.0


def retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` in seconds, or ``None`` when absent or not a number."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def retry_delay(attempt: int, backoff_seconds: float, retry_after: str | None = None) -> float:
    """Seconds to wait before try ``attempt + 1`` (``attempt`` counts from 0)."""
    asked = retry_after_seconds(retry_after)
    delay = asked if asked is not None else backoff_seconds * 2**attempt
    return min(max(delay, 0.0), MAX_BACKOFF_SECONDS)
