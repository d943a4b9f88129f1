"""A task that does nothing but finish: `scripts/fault_drill.sh` queues it to see that a
worker takes tasks (after a PostgreSQL restart, after a worker was killed)."""

from __future__ import annotations

import os
import socket

from django_tasks import task


@task()
def probe() -> str:
    """Where it ran: the worker's host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"
