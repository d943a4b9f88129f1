"""`qorgau` command: Django's management commands under the project's name."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["qorgau", *sys.argv[1:]])
