"""Reads of read-heavy pages from a PostgreSQL streaming replica (DATABASE_REPLICA_URL).

A view marked with `replica_reads` runs with its reads routed to the `replica` alias; every
write, every read inside a transaction on the primary, every other view, migrations and
commands use `default`. The session and the signed-in user are read from the primary before
the view starts, so a login is never lost to replication lag. Without a replica configured,
everything uses `default`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction

REPLICA = "replica"
_replica_reads: ContextVar[bool] = ContextVar("qorgau_replica_reads", default=False)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reads_from_replica() -> Iterator[None]:
    """Within this block, reads outside a transaction may be served by the replica."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_reads(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a read-only, read-heavy view: its queries may be served by the replica."""
    @wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        user = getattr(request, "user", None)
        if user is not None:
            bool(user.is_authenticated)  # session and user from the primary, first
        with reads_from_replica():
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Routes reads to the replica only inside `reads_from_replica`; writes never."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        if (_replica_reads.get() and configured()
                and not transaction.get_connection(DEFAULT_DB_ALIAS).in_atomic_block):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None,
                      **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
