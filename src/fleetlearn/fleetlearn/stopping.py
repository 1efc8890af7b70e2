"""How a fleetlearn process is told to stop, and why its node processes never outlive it.

SIGINT (Ctrl-C, launch, the supervisor), SIGTERM (``kill``, ``timeout``, systemd, schedulers,
``docker stop``) and SIGHUP (a closed terminal or SSH session) all take Ctrl-C's path: the first
raises KeyboardInterrupt, so a node finishes (finish row, model saved) and a runner writes its
summary and plots; later ones are ignored so that clean-up is never cut short. A non-interactive
shell starts background commands with SIGINT ignored; inside ``stop_on_signals`` it works again.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
from collections.abc import Callable, Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _interrupt(signum: int, frame: object) -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Inside the block every stop signal interrupts once, as Ctrl-C does; the handlers before it come back
    after. Only the main thread can set handlers: elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _interrupt) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def die_with_parent() -> Callable[[], None]:
    """A ``preexec_fn`` for node processes: each gets SIGTERM, and so stops cleanly, when the process that
    started it dies, even by SIGKILL (Linux's parent-death signal). A parent already gone by the time the
    child arms it (the race this leaves) makes the child exit at once."""
    parent = os.getpid()

    def arm() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            os._exit(1)

    return arm
