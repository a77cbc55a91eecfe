"""Argument types shared by the ``sop`` command and its ``sop forecast`` subcommands.

Each turns a command-line word into a value or refuses it with a message that names the word
and the rule, which argparse prints with the usage and exit code 2.
"""

from __future__ import annotations

import argparse
from datetime import date


def month(value: str) -> str:
    """``YYYY-MM``, checked to be a real month."""
    try:
        date.fromisoformat(f"{value}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a month like 2024-03") from None
    return value


def positive_int(value: str) -> int:
    """A whole number of at least 1."""
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return n
