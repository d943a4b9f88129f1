from typing import Any

from django.core.management.base import BaseCommand

from qorgau.cases.keyrotation import rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field under the newest key of QORGAU_DATA_KEYS and "
        "rebuild the name index. Afterwards older keys can be removed from the list."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = rotate_all()
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS("OK: all encrypted fields use the newest key"))
