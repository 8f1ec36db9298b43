"""One writer per output file: a second process that would write the same run folder or sweep
records is refused at the start, instead of interleaving its results with the first's."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: str | Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `path` + ".lock" while the block runs; raise a ValueError
    naming `what` and the holder's process id if another process holds it. The lock goes with
    the process, so one killed by any signal leaves nothing to clean up."""
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise ValueError(
                f"another process (pid {holder}) is writing {what}; wait for it to finish or "
                "stop it, then rerun (finished work is kept)"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
