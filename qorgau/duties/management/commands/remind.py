from typing import Any

from django.core.management.base import BaseCommand

from qorgau.duties.reminders import send_reminders


class Command(BaseCommand):
    help = "E-mail each case worker a digest of their due and overdue duties (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = send_reminders.enqueue()
        sent = result.return_value if result.is_finished else "queued"
        self.stdout.write(self.style.SUCCESS(f"OK: reminders {sent}"))
