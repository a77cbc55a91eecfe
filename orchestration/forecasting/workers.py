"""Worker processes of a parallel forecast start with Python's own signal handling.

statsforecast fans series out to a ``multiprocessing`` pool forked from the calling process,
and closes the pool by sending its workers SIGTERM. Inside a Dagster step the calling process
has Dagster's interrupt handlers installed; forked workers inherit them, so each one dies with
a ``DagsterExecutionInterruptedError`` traceback instead of quietly, and a worker that turns the
signal into an exception can keep the pool from closing. While the pool is forked, the
parent therefore puts the default handlers back, and restores its own afterwards.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def default_signal_handlers() -> Iterator[None]:
    """SIGTERM and SIGINT behave as in a plain Python process for the duration of the block.

    Signal handlers can only be changed from the main thread; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
