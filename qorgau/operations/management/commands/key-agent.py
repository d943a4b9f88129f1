"""The key agent (trustee custody): holds the unwrapped keys in memory for every process."""

from __future__ import annotations

import errno
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qorgau.operations import custody, keyagent


class Command(BaseCommand):
    help = ("Run the key agent of this data folder (QORGAU_KEY_CUSTODY=trustees): it takes "
            "the trustees' shares entered at /unlock/ or with `qorgau unlock`, holds the "
            "keys they open in its memory only, and hands them to every web and task "
            "worker process of the same user. A panic lock makes it drop them too. "
            "See docs/security.md, section 6.")
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def handle(self, *args: Any, **options: Any) -> None:
        if not custody.trustee_custody():
            raise CommandError("The key agent needs QORGAU_KEY_CUSTODY=trustees.")
        custody.serving_agent = True
        keyagent.no_core_dumps()
        try:
            server = keyagent.AgentServer(settings.DATA_DIR)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError("A key agent already runs for this data folder.") from exc
            raise
        self.stdout.write("Key agent ready: the instance is locked until enough trustees "
                          "enter their shares.")
        self.stdout.flush()
        with server:
            server.serve_forever(poll_interval=0.5)
