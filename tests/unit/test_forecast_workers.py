"""Forecast worker processes get plain signal handling, and the caller's handlers come back."""

import signal

from orchestration.forecasting.workers import default_signal_handlers


class Interrupted(Exception):
    pass


def _raise(signum, frame):
    raise Interrupted(signum)


def test_handlers_are_default_inside_and_restored_after():
    before_term, before_int = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGTERM, _raise)
    try:
        with default_signal_handlers():
            assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert signal.getsignal(signal.SIGTERM) is _raise
    finally:
        signal.signal(signal.SIGTERM, before_term)
        signal.signal(signal.SIGINT, before_int)
