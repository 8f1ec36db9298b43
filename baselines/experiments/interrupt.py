"""Stopping a training run or a sweep cleanly on SIGINT or SIGTERM.

`install()` replaces the default handlers by one that only notes the signal; the work checks
`stop_requested()` between chunks of updates and between cells, after its checkpoint or record
is on disk, and raises `Interrupted`. `exit_after(main)` runs a command-line `main` that way and
ends the process with `os._exit(128 + signal)` (130 for SIGINT, 143 for SIGTERM) once the output
is flushed: no interpreter teardown while XLA's threads run, which is what crashed Ctrl-C with
SIGSEGV. A second signal exits at once (what is on disk is whole: records and checkpoints are
written atomically).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_received: list[int] = []


class Interrupted(Exception):
    """Work stopped at a clean point because a signal arrived."""

    def __init__(self, signum: int, hint: str):
        super().__init__(f"stopped by {signal.Signals(signum).name}; what finished is kept, {hint}")
        self.exit_code = 128 + signum


def _note(signum: int, frame) -> None:
    if _received:
        os._exit(128 + signum)
    _received.append(signum)


def install() -> None:
    """Note SIGINT and SIGTERM instead of dying mid-step (main thread only)."""
    for signum in SIGNALS:
        signal.signal(signum, _note)


def stop_requested() -> int | None:
    """The first signal noted since `install`, if any."""
    return _received[0] if _received else None


def check(hint: str) -> None:
    """Raise `Interrupted` (its message ends with `hint`: how to continue) if a signal was noted."""
    if _received:
        raise Interrupted(_received[0], hint)


def exit_after(main: Callable[[], None]) -> None:
    """Run `main` with the handlers installed; on `Interrupted`, say so on stderr, flush, and
    `os._exit` with 128 + the signal's number."""
    install()
    try:
        main()
    except Interrupted as stop:
        print(stop, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(stop.exit_code)
