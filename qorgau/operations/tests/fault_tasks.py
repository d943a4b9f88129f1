"""A task for the fault tests: it notes which process ran it."""

from __future__ import annotations

import os
from pathlib import Path

from django_tasks import task


@task()
def note_pid(path: str) -> int:
    partial = Path(f"{path}.partial")
    partial.write_text(str(os.getpid()))
    partial.rename(path)  # whole, for the test that waits for it
    return os.getpid()
