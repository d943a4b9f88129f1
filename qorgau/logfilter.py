"""Names stay out of logs: a logging filter that masks the values of sensitive query
parameters (a search, a name, a phone number ...) in whatever a log record carries —
gunicorn's access log, Django's development server and request logs.

The case search is sent by POST, so its text is in no URL; this is the second line, for a
bookmark, an old client or a hand-typed address that still puts one in a query string.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

# Query parameters whose values can name or locate a person.
SENSITIVE = ("q", "query", "search", "name", "full_name", "survivor_name", "other_names",
             "phone", "address", "birth_date", "email")
MASK = "[masked]"
_PARAM = re.compile(
    r"(?P<key>(?:^|(?<=[?&;]))(?:" + "|".join(SENSITIVE) + r")=)(?P<value>[^&;\s\"]*)",
    re.IGNORECASE)
# The loggers that write request lines (a filter on a logger sees the records it makes).
LOGGERS = ("gunicorn.access", "gunicorn.error", "django.server", "django.request",
           "django.security")


def mask(text: str) -> str:
    """`text` with the value of every sensitive query parameter replaced."""
    if "=" not in text:
        return text
    return _PARAM.sub(lambda m: m.group("key") + (MASK if m.group("value") else ""), text)


def _masked(value: Any) -> Any:
    return mask(value) if isinstance(value, str) else value


class SensitiveQueryFilter(logging.Filter):
    """Rewrites a record's message and arguments (tuple or mapping, as gunicorn's access
    log passes its atoms) with sensitive query values masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(value) for value in record.args)
        return True


def install(names: tuple[str, ...] = LOGGERS) -> None:
    """Put the filter on the loggers that write request lines (once each)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SensitiveQueryFilter) for f in logger.filters):
            logger.addFilter(SensitiveQueryFilter())
