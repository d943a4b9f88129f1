"""Background workers' heartbeats, to tell a task whose worker died from one still running."""

from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """One `db_worker` process: where it runs and when it last said it was alive."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.worker_id} ({self.host}:{self.pid})"
