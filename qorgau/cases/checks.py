"""Checks other apps add to `verify` (cases depends on none of them).

An app registers a `Check` in its AppConfig.ready: the options it adds to the command and
a function that runs it and returns a line per problem found (empty when all is well).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandParser


@dataclass(frozen=True)
class Check:
    name: str
    add_arguments: Callable[[CommandParser], None]
    # (options, write a line of progress) -> a line per problem
    run: Callable[[dict[str, Any], Callable[[str], None]], list[str]]


CHECKS: list[Check] = []


def register(check: Check) -> None:
    if all(known.name != check.name for known in CHECKS):
        CHECKS.append(check)


def add_arguments(parser: CommandParser) -> None:
    for check in CHECKS:
        check.add_arguments(parser)


def run_all(options: dict[str, Any], say: Callable[[str], None],
            complain: Callable[[str], None]) -> int:
    """Run every registered check; each problem goes to `complain`. How many problems."""
    problems = 0
    for check in CHECKS:
        for line in check.run(options, say):
            complain(line)
            problems += 1
    return problems
