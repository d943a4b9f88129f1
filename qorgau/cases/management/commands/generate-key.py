from typing import Any

from django.core.management.base import BaseCommand

from qorgau.crypto import generate_key


class Command(BaseCommand):
    help = "Print a new field-encryption key to put first in QORGAU_DATA_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(generate_key())
