import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qorgau.accounts.allauth_bridge import totp_code
from qorgau.demo import loader


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo accounts (never in production)."

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "MODE", "production") == "production":
            raise CommandError("The demo accounts exist only outside production.")
        now = time.time()
        code = totp_code(loader.TOTP_SECRET, now)
        self.stdout.write(f"{code}  (valid for {30 - int(now) % 30} more seconds)")
