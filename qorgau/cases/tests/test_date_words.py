"""Dates as people say them: part of a month, a season, "some years before"."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from qorgau.cases.dates import DateError, DateSpan, words_span
from qorgau.cases.services import parse_span


@pytest.mark.parametrize(("said", "start", "end"), [
    ("early 2023-09", "2023-09-01", "2023-09-10"),
    ("mid 2023-09", "2023-09-11", "2023-09-20"),
    ("late 2023-09", "2023-09-21", "2023-09-30"),
    ("late 2024-02", "2024-02-21", "2024-02-29"),
    ("конец 2023-09", "2023-09-21", "2023-09-30"),
    ("басы 2023-09", "2023-09-01", "2023-09-10"),
    ("summer 2021", "2021-06", "2021-08"),
    ("осенью 2021", "2021-09", "2021-11"),
    ("қыс 2021", "2021-12", "2022-02"),
])
def test_words_become_honest_ranges(said, start, end):
    assert words_span(said) == (start, end)
    span = parse_span(said)
    assert span.earliest() == DateSpan.parse(start).earliest()
    assert span.latest() == DateSpan.parse(end).latest()


def test_ordinary_dates_are_not_words():
    assert words_span("2023-09") is None
    assert parse_span("2023-09").latest() == date(2023, 9, 30)


def test_words_that_do_not_fit_are_refused_in_plain_words():
    with pytest.raises(DateError):
        words_span("late 2023")  # a part of a month needs the month
    with pytest.raises(ValidationError):
        parse_span("someday 2023")
    with pytest.raises(ValidationError):
        parse_span("late 2023-09", end="2023-10")


def test_some_years_before_is_at_least_a_year_before_with_no_lower_bound():
    span = DateSpan.parse("2015-06", qualifier="years_before")
    assert span.earliest() is None
    assert span.latest() == date(2014, 6, 1)
    assert span.format() == "some years before Jun 2015"
    with pytest.raises(DateError):
        DateSpan.parse("2010", "2012", "years_before")
