"""Honest dates: partial dates, spans, qualifiers and recurrence. Pure: no Django.

A date is known to the day (optionally with a time), the month or the year. A span has a
start and optionally an end, a qualifier (approximately, before, after) and a recurrence
("repeatedly from 2003 to 2024"). Both ends may be unknown ("date unknown").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time

PRECISIONS = ("exact", "day", "month", "year")
QUALIFIERS = ("none", "approximate", "before", "after", "years_before")
RECURRENCES = ("once", "repeated", "several")

_PATTERN = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})(?:[T ](?P<hh>\d{2}):(?P<mm>\d{2}))?)?)?$"
)


def gettext_noop(message: str) -> str:
    return message


class DateError(ValueError):
    """A date that cannot be understood. `message % params` says why (English msgid)."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


@dataclass(frozen=True, order=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None
    time: time | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise DateError(gettext_noop("year must be between 1 and 9999"))
        if self.month is None and (self.day is not None or self.time is not None):
            raise DateError(gettext_noop("a day needs a month"))
        if self.month is not None and not 1 <= self.month <= 12:
            raise DateError(gettext_noop("month must be between 01 and 12"))
        if self.day is None and self.time is not None:
            raise DateError(gettext_noop("a time needs a day"))
        if self.day is not None:
            assert self.month is not None
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise DateError(
                    gettext_noop("day must be between 01 and %(last)s for that month"),
                    last=f"{last:02d}",
                )

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = _PATTERN.match(text.strip())
        if not match:
            raise DateError(gettext_noop(
                "write the date as 26.02.2024, 02.2024 or 2024 (or YYYY-MM-DD)"))
        y, m, d, hh, mm = match.group("y", "m", "d", "hh", "mm")
        at = None
        if hh is not None:
            if int(hh) > 23 or int(mm) > 59:
                raise DateError(gettext_noop("time must be between 00:00 and 23:59"))
            at = time(int(hh), int(mm))
        return cls(int(y), int(m) if m else None, int(d) if d else None, at)

    @property
    def precision(self) -> str:
        if self.time is not None:
            return "exact"
        if self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"

    def iso(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        if self.time is not None:
            text += f"T{self.time.hour:02d}:{self.time.minute:02d}"
        return text

    def lower(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    def upper(self) -> date:
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return date(self.year, month, day)

    def format(self, months: Sequence[str]) -> str:
        if self.month is None:
            return str(self.year)
        name = months[self.month - 1]
        if self.day is None:
            return f"{name} {self.year}"
        text = f"{self.day} {name} {self.year}"
        if self.time is not None:
            text += f", {self.time.hour:02d}:{self.time.minute:02d}"
        return text


def _identity(message: str) -> str:
    return message


ENGLISH_MONTHS = tuple(calendar.month_abbr[i] for i in range(1, 13))


@dataclass(frozen=True)
class DateSpan:
    start: PartialDate | None = None
    end: PartialDate | None = None
    qualifier: str = "none"
    recurrence: str = "once"

    def __post_init__(self) -> None:
        if self.qualifier not in QUALIFIERS:
            raise DateError(gettext_noop("unknown qualifier"))
        if self.recurrence not in RECURRENCES:
            raise DateError(gettext_noop("unknown recurrence"))
        if self.end is not None and self.start is None:
            raise DateError(gettext_noop("a span with an end needs a start"))
        if self.start is not None and self.end is not None:
            if self.end.upper() < self.start.lower():
                raise DateError(gettext_noop("the end is earlier than the start"))
            if self.qualifier in ("before", "after", "years_before"):
                raise DateError(
                    gettext_noop("'before' and 'after' take a single date, not a range")
                )
        if self.start is None and self.qualifier != "none":
            raise DateError(gettext_noop("an unknown date cannot be qualified"))

    @classmethod
    def parse(
        cls, start: str = "", end: str = "", qualifier: str = "none", recurrence: str = "once"
    ) -> DateSpan:
        return cls(
            PartialDate.parse(start) if start.strip() else None,
            PartialDate.parse(end) if end.strip() else None,
            qualifier or "none",
            recurrence or "once",
        )

    @property
    def known(self) -> bool:
        return self.start is not None

    @property
    def precision(self) -> str:
        if self.start is None:
            return "unknown"
        return "range" if self.end is not None else self.start.precision

    def earliest(self) -> date | None:
        """Earliest day the fact may have happened (None when unbounded)."""
        if self.start is None or self.qualifier in ("before", "years_before"):
            return None
        return self.start.lower()

    def latest(self) -> date | None:
        """Latest day the fact may have happened (None when unbounded)."""
        if self.start is None or self.qualifier == "after":
            return None
        if self.qualifier == "years_before":  # "some years before X": at least a year before
            return _years_back(self.start.lower(), 1)
        return (self.end or self.start).upper()

    def sort_key(self) -> tuple[date, date]:
        """Where the span sits in a chronology; unknown dates last.

        A range sits at its start; "before X" at the start of X and "after X" at its end; a
        single month or year at its middle, so "2024" does not jump ahead of "26 Feb 2024".
        """
        if self.start is None:
            return (date.max, date.max)
        lower, upper = self.start.lower(), (self.end or self.start).upper()
        if self.qualifier == "years_before":
            latest = _years_back(lower, 1)
            return (latest, latest)
        if self.end is not None or self.qualifier == "before":
            return (lower, upper)
        if self.qualifier == "after":
            return (upper, upper)
        return (lower + (upper - lower) / 2, upper)

    def format(
        self,
        gettext: Callable[[str], str] = _identity,
        months: Sequence[str] = ENGLISH_MONTHS,
    ) -> str:
        if self.start is None:
            text = gettext("date unknown")
        else:
            text = self.start.format(months)
            if self.end is not None:
                text = f"{text} – {self.end.format(months)}"
            if self.qualifier == "approximate":
                text = gettext("c. %(date)s") % {"date": text}
            elif self.qualifier == "before":
                text = gettext("before %(date)s") % {"date": text}
            elif self.qualifier == "after":
                text = gettext("after %(date)s") % {"date": text}
            elif self.qualifier == "years_before":
                text = gettext("some years before %(date)s") % {"date": text}
        if self.recurrence == "repeated":
            text = gettext("%(span)s, repeatedly") % {"span": text}
        elif self.recurrence == "several":
            text = gettext("%(span)s, several times") % {"span": text}
        return text


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# Date words people use, in English, Russian and Kazakh: the part of a month, the season.
_PARTS = {
    "early": (1, 10), "beginning": (1, 10), "начало": (1, 10), "начале": (1, 10),
    "басы": (1, 10), "басында": (1, 10),
    "mid": (11, 20), "middle": (11, 20), "середина": (11, 20), "середине": (11, 20),
    "ортасы": (11, 20), "ортасында": (11, 20),
    "late": (21, 31), "end": (21, 31), "конец": (21, 31), "конце": (21, 31),
    "аяғы": (21, 31), "аяғында": (21, 31),
}
_SEASONS = {  # first and last month; winter runs from December into the next year
    "spring": (3, 5), "весна": (3, 5), "весной": (3, 5), "көктем": (3, 5),
    "summer": (6, 8), "лето": (6, 8), "летом": (6, 8), "жаз": (6, 8),
    "autumn": (9, 11), "fall": (9, 11), "осень": (9, 11), "осенью": (9, 11), "күз": (9, 11),
    "winter": (12, 14), "зима": (12, 14), "зимой": (12, 14), "қыс": (12, 14),
}
_WORDS = re.compile(r"^\s*(?P<word>[^\d\s]+)\s+(?P<date>\d{4}(?:-\d{2})?)\s*$")


def words_span(text: str) -> tuple[str, str] | None:
    """A date said in words as an honest (start, end): "late 2023-09" -> 2023-09-21 to
    2023-09-30; "summer 2021" -> 2021-06 to 2021-08; "winter 2021" -> 2021-12 to 2022-02.
    None when `text` is not such an expression (then it is an ordinary date)."""
    match = _WORDS.match(text.lower())
    if not match:
        return None
    word, when = match.group("word"), match.group("date")
    if word in _PARTS and len(when) == 7:
        year, month = int(when[:4]), int(when[5:])
        if not 1 <= month <= 12:
            raise DateError(gettext_noop("month must be between 01 and 12"))
        first, last = _PARTS[word]
        last = min(last, calendar.monthrange(year, month)[1])
        return f"{when}-{first:02d}", f"{when}-{last:02d}"
    if word in _SEASONS and len(when) == 4:
        year = int(when)
        first, last = _SEASONS[word]
        end_year, end_month = (year + 1, last - 12) if last > 12 else (year, last)
        return f"{year}-{first:02d}", f"{end_year}-{end_month:02d}"
    raise DateError(gettext_noop(
        "say the part of a month as early, mid or late YYYY-MM, or a season as spring, "
        "summer, autumn or winter YYYY"))


# Dates as people type them: 12.03.2024, 03.2024, 2024 (also with / or -), a range of
# them ("2015–2024", "03.2023 - 05.2024"), "c."/"about"/"около"/"шамамен" before it.
_DAY_FIRST = re.compile(r"^(?P<d>\d{1,2})[./-](?P<m>\d{1,2})[./-](?P<y>\d{4})$")
_MONTH_FIRST = re.compile(r"^(?P<m>\d{1,2})[./-](?P<y>\d{4})$")
_APPROXIMATE = re.compile(r"^(?:c\.|ca\.|circa|about|around|approx\.?|около|примерно|"
                          r"приблизительно|шамамен|шамасы)\s*", re.IGNORECASE)
_RANGE = re.compile(r"^(?P<a>[\d./-]+?)\s*(?:[–—]|\s-\s|-(?=\d{4}$)|\.\.|\bto\b|\bпо\b|"
                    r"\bдо\b)\s*(?P<b>[\d./-]+)$")


def _iso(text: str) -> str:
    """One typed date as partial ISO: 12.03.2024 -> 2024-03-12, 3.2024 -> 2024-03; ISO and
    anything else unchanged (DateSpan.parse then says what is wrong with it)."""
    text = text.strip()
    if match := _DAY_FIRST.match(text):
        return f"{match['y']}-{int(match['m']):02d}-{int(match['d']):02d}"
    if match := _MONTH_FIRST.match(text):
        return f"{match['y']}-{int(match['m']):02d}"
    return text


def typed_span(text: str) -> tuple[str, str, bool]:
    """(start, end, approximate) of a date as typed: "c. 2015–2024" -> ("2015", "2024",
    True); "12.03.2024" -> ("2024-03-12", "", False). ISO input passes through."""
    text = " ".join(text.split())
    approximate = False
    if match := _APPROXIMATE.match(text):
        approximate, text = True, text[match.end():]
    if match := _RANGE.match(text):
        return _iso(match["a"]), _iso(match["b"]), approximate
    return _iso(text), "", approximate
