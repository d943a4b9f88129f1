"""Dates typed as people write them: dd.mm.yyyy, mm.yyyy, ranges, "about"."""

from __future__ import annotations

import pytest

from qorgau.cases.dates import DateError, DateSpan, typed_span


@pytest.mark.parametrize(("typed", "expected"), [
    ("12.03.2024", ("2024-03-12", "", False)),
    ("2.3.2024", ("2024-03-02", "", False)),
    ("12/03/2024", ("2024-03-12", "", False)),
    ("03.2024", ("2024-03", "", False)),
    ("2024", ("2024", "", False)),
    ("2024-03-12", ("2024-03-12", "", False)),
    ("2024-03", ("2024-03", "", False)),
    ("2015–2024", ("2015", "2024", False)),
    ("2015-2024", ("2015", "2024", False)),
    ("2015 - 2024", ("2015", "2024", False)),
    ("c. 2015–2024", ("2015", "2024", True)),
    ("около 2015—2024", ("2015", "2024", True)),
    ("шамамен 2019", ("2019", "", True)),
    ("03.2023 - 05.2024", ("2023-03", "2024-05", False)),
    ("12.03.2024–15.03.2024", ("2024-03-12", "2024-03-15", False)),
    ("2015 по 2024", ("2015", "2024", False)),
])
def test_dates_as_people_type_them(typed, expected):
    assert typed_span(typed) == expected


@pytest.mark.parametrize("typed", ["31.02.2024", "13.2024", "12.03.24"])
def test_typed_dates_that_do_not_exist_are_refused(typed):
    start, end, _approx = typed_span(typed)
    with pytest.raises(DateError):
        DateSpan.parse(start, end)


def test_the_event_form_takes_a_typed_date(db):
    from django.core.exceptions import ValidationError

    from qorgau.cases.services import parse_span

    span = parse_span("c. 2015–2024", recurrence="repeated")
    assert (span.start.iso(), span.end.iso(), span.qualifier) == ("2015", "2024", "approximate")
    assert parse_span("12.03.2024").start.iso() == "2024-03-12"
    with pytest.raises(ValidationError):
        parse_span("2015–2024", "2025")
