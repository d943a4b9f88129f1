"""What other apps add to each row of the case list (risk level, overdue duties): each
provider decorates a page of cases with one query, as `records.register` lets apps add
records. Cases itself imports none of them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qorgau.cases.models import Case

Decorator = Callable[[Sequence[Case]], None]
DECORATORS: list[Decorator] = []


def register(decorator: Decorator) -> None:
    if decorator not in DECORATORS:
        DECORATORS.append(decorator)


def decorate(cases: Sequence[Case]) -> None:
    for decorator in DECORATORS:
        decorator(cases)
