"""health: database, queue and worker, last checkpoint; exit status 1 when unhealthy."""

import json
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qorgau.operations.health import report


class Command(BaseCommand):
    help = ("Report whether the database answers, whether the background worker takes the "
            "queued tasks (the oldest waiting task's age) and when the ledger was last "
            "checkpointed. Exits 1 when any of these is unhealthy (for a monitor).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue-minutes", type=int, default=15,
                            help="a task ready this long and not taken is unhealthy (15)")
        parser.add_argument("--checkpoint-hours", type=int, default=3,
                            help="writes after a checkpoint this old are unhealthy (3)")
        parser.add_argument("--json", action="store_true", help="one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        checks = report(timedelta(minutes=options["queue_minutes"]),
                        timedelta(hours=options["checkpoint_hours"]))
        healthy = all(c.ok for c in checks)
        if options["json"]:
            self.stdout.write(json.dumps({
                "healthy": healthy,
                "checks": {c.name: {"ok": c.ok, "detail": c.detail,
                                    "age_seconds": c.age_seconds} for c in checks}}))
        else:
            for c in checks:
                line = f"{'OK' if c.ok else 'FAIL'} {c.name}: {c.detail}"
                self.stdout.write(self.style.SUCCESS(line) if c.ok else self.style.ERROR(line))
        if not healthy:
            raise SystemExit(1)
