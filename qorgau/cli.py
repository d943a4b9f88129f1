"""`qorgau` command: Django's management commands under the project's name."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["qorgau", *sys.argv[1:]])
    except Exception as exc:
        from qorgau.fields import KeysLocked

        if not isinstance(exc, KeysLocked):
            raise
        # Keys held by trustees and none open in this process: say so, not a traceback.
        sys.stderr.write(f"{exc} Run the command under `qorgau unlock` (docs/operations.md, "
                         "\"Keys held by trustees\").\n")
        sys.exit(1)
