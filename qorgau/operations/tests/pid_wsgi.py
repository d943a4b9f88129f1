"""For test_lock_gunicorn only: Qorgau's WSGI application, each answer saying which worker
process gave it (X-Worker-Pid), so that a test can tell it reached every worker."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from qorgau.wsgi import application as qorgau


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return start_response(status, [*headers, ("X-Worker-Pid", str(os.getpid()))], exc_info)

    return qorgau(environ, start)
