"""Worker processes that end with the command that forked them.

`recompute-obligations --jobs N` and `verify --jobs N` fork a pool of processes. Killed with
SIGKILL (an operator's `kill -9`, the out-of-memory killer, a systemd stop that timed out),
the parent cannot stop them, and a forked child does not end when its parent does: it goes
on to its next block of cases, writing (issue 33). Inside `ending_with_parent()`, every
process forked from this one asks the kernel (Linux: `prctl(PR_SET_PDEATHSIG, SIGKILL)`) to
be killed when its parent ends, and ends at once if the parent is already gone; PostgreSQL
then rolls back the transaction it had open (a block is one transaction), so nothing half
done is stored. Elsewhere a thread in the child watches for the parent instead.

The kernel's signal follows the *thread* that forked: fork from the thread that keeps
running (the command's main thread does).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Iterator

PR_SET_PDEATHSIG = 1  # linux/prctl.h
_active = 0
_parent = 0  # the forking process, as this process saw it just before a fork
_registered = False


def _before_fork() -> None:
    global _parent
    _parent = os.getpid()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(0.5)
    os._exit(1)


def end_with_parent(parent: int | None = None) -> None:
    """In a child process: be killed when the parent (`parent`, by default the process
    that forked this one) ends; end now if it has ended already."""
    parent = parent or os.getppid()
    done = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            done = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    if os.getppid() != parent:  # the parent died between the fork and now
        os._exit(1)
    if not done:
        threading.Thread(target=_watch, args=(parent,), name="qorgau-parent-watch",
                         daemon=True).start()


def _after_fork_in_child() -> None:
    if _active:
        end_with_parent(_parent)


@contextlib.contextmanager
def ending_with_parent() -> Iterator[None]:
    """Processes forked (os.fork, multiprocessing's "fork") within this block end when this
    process ends, however it ends."""
    global _active, _registered
    if not _registered:
        os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)
        _registered = True
    _active += 1
    try:
        yield
    finally:
        _active -= 1
