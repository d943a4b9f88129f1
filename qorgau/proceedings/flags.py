"""Custody periods, fair-trial flags and the context of a prosecuted survivor. Pure: no Django.

Thresholds come from the jurisdiction profile's `proceedings` section (each with its source
and confirmed mark); the functions here only apply them, so each boundary is table-tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qorgau.cases.dates import DateSpan


def gettext_noop(message: str) -> str:
    return message


# ODIHR's fair-trial standards, as a monitor records them at a hearing (any subset).
INDICATORS: dict[str, str] = {
    "detention_review": gettext_noop("Pre-trial detention: basis, reasons, periodic review, "
                                     "alternatives"),
    "presumption_of_innocence": gettext_noop("Presumption of innocence"),
    "equality_of_arms": gettext_noop("Equality of arms (access to the file, experts)"),
    "impartial_tribunal": gettext_noop("Impartial tribunal (recusal, substitutions)"),
    "right_to_present_evidence": gettext_noop(
        "Right to present evidence (abuse history, defence witnesses and experts)"),
    "public_hearing": gettext_noop("Public hearing"),
    "undue_delay": gettext_noop("No undue delay (adjournments and their causes)"),
    "reasoned_judgment": gettext_noop("Reasoned judgment"),
    "right_to_appeal": gettext_noop("Right to appeal"),
    "non_discrimination": gettext_noop(
        "Non-discrimination (no gender stereotypes such as “she provoked him” or "
        "“she would have left”)"),
}
OBSERVED, NOT_OBSERVED, NOT_APPLICABLE = "observed", "not_observed", "not_applicable"

FLAGS: dict[str, str] = {
    "lengthy_detention": gettext_noop("Lengthy pre-trial detention: %(months)s months "
                                      "(threshold %(threshold)s)"),
    "unreasonable_length": gettext_noop(
        "Proceedings have lasted %(months)s months from the first charge (threshold "
        "%(threshold)s)"),
    "retrial_after_mistrial": gettext_noop("Mistrial followed by a retrial instead of "
                                           "dismissal"),
    "substitutions": gettext_noop("Substitution of judge, prosecutor or jury: %(count)s"),
    "repeated_adjournments": gettext_noop("Repeated adjournments: %(count)s "
                                          "(threshold %(threshold)s)"),
    "abuse_evidence_excluded": gettext_noop("Evidence of the abuse history excluded"),
    "indicator_not_observed": gettext_noop("Not observed at the hearing of %(date)s: "
                                           "%(indicator)s"),
    "stereotyping": gettext_noop("Gender stereotyping in a decision or hearing of %(date)s"),
    "survivor_prosecuted": gettext_noop(
        "The survivor is prosecuted for an act against her abuser: the court must weigh "
        "%(grounds)s"),
}

# What a court must weigh when the survivor is accused of an act against her abuser.
GROUNDS: dict[str, str] = {
    "authority_failures": gettext_noop(
        "the breached duties of the police or the prosecutor on her earlier reports"),
    "law_gap": gettext_noop("the protection the law of the time did not offer"),
    "documented_abuse": gettext_noop(
        "the abuse documented on the timeline (medical, psychological, witnesses)"),
    "requests_for_protection": gettext_noop("her own earlier requests for protection"),
}
REQUEST_KINDS = frozenset({"police_report", "report_prosecutor", "court_application",
                           "order_requested", "complaint_official"})
DOCUMENT_KINDS = frozenset({"medical_exam", "psych_assessment"})

PRETRIAL, MEASURE, SENTENCE = "pretrial", "measure", "sentence"
DECISIONS = frozenset({"verdict", "appeal", "court_decision", "sentence"})
CHARGES = frozenset({"indictment", "charges_respondent", "case_opened", "official_tried"})
NON_CUSTODIAL = frozenset({"suspended", "fine", "community", "warning", "none", "amnesty"})


@dataclass(frozen=True)
class Thresholds:
    lengthy_detention_months: int
    repeated_adjournments: int
    reasonable_time_months: int = 36


@dataclass(frozen=True)
class ProceedingEvent:
    number: int
    kind: str
    span: DateSpan
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Period:
    """One stretch of custody or restriction: its state, start and what ended it."""

    state: str  # pretrial | measure | sentence
    start: date
    start_event: int
    end: date | None = None  # None: still running
    end_event: int | None = None
    end_kind: str = ""
    measure: str = ""  # for a measure: taxonomy.MEASURES id

    def days(self, today: date) -> int:
        return ((self.end or today) - self.start).days

    def months(self, today: date) -> int:
        return whole_months(self.start, self.end or today)

    @property
    def running(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class Clock:
    """Pre-trial detention only: from its first start to its last end (or today)."""

    start: date
    end: date | None  # None: still detained before trial
    days: int
    months: int  # whole months served before trial, over every pre-trial period
    ended_by: int | None = None  # the event that ended the last pre-trial period
    ended_kind: str = ""

    @property
    def running(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class Flag:
    id: str
    params: Mapping[str, Any]
    events: tuple[int, ...] = ()
    note: str = ""  # the observer's note, or the words recorded

    def text(self, gettext: Any = lambda s: s) -> str:
        params = dict(self.params)
        if "indicator" in params:
            params["indicator"] = gettext(INDICATORS[params["indicator"]])
        if "grounds" in params:
            params["grounds"] = "; ".join(gettext(GROUNDS[g]) for g in params["grounds"])
        return str(gettext(FLAGS[self.id]) % params)


def whole_months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day:
        months -= 1
    return max(0, months)


def _day(event: ProceedingEvent) -> date | None:
    return event.span.earliest() or event.span.latest()


def _ordered(events: Iterable[ProceedingEvent]) -> list[tuple[date, ProceedingEvent]]:
    dated = [(d, e) for e in events if (d := _day(e)) is not None]
    return sorted(dated, key=lambda pair: (pair[0], pair[1].number))


def _concerns(event: ProceedingEvent, subject: str) -> bool:
    who = event.attributes.get("subject")
    return not subject or not who or who == subject


def custody_periods(events: Sequence[ProceedingEvent], subject: str = "") -> list[Period]:
    """The accused's custody and restrictions, in order. Pre-trial detention ends at a
    conviction at first instance (verdict or sentence), an acquittal, a release, or a change to
    a non-custodial measure (its own period); a custodial sentence is its own period; a
    quashed conviction with a retrial ordered returns a detained person to pre-trial."""
    periods: list[Period] = []
    current: Period | None = None

    def close(day: date, event: ProceedingEvent) -> None:
        nonlocal current
        if current is not None:
            periods.append(Period(current.state, current.start, current.start_event, day,
                                  event.number, event.kind, current.measure))
            current = None

    def open_(state: str, day: date, event: ProceedingEvent, measure: str = "") -> None:
        nonlocal current
        close(day, event)
        current = Period(state, day, event.number, measure=measure)

    for day, e in _ordered(events):
        if not _concerns(e, subject):
            continue
        state = current.state if current else None
        a = e.attributes
        if e.kind in ("arrest", "detention_ordered", "detention_extended"):
            if state in (None, MEASURE):
                open_(PRETRIAL, day, e)
        elif e.kind == "restriction_ordered":
            if state != SENTENCE:
                open_(MEASURE, day, e, str(a.get("measure") or "other"))
        elif e.kind in ("release", "release_pending_appeal"):
            close(day, e)
        elif e.kind == "verdict":
            if a.get("outcome") == "acquitted":
                close(day, e)
            elif a.get("outcome") in (None, "", "convicted") and state == PRETRIAL:
                open_(SENTENCE, day, e)
            elif a.get("outcome") in (None, "", "convicted") and state == MEASURE:
                close(day, e)
        elif e.kind == "sentence":
            penalty = a.get("penalty")
            if penalty == "custodial" and state != SENTENCE:
                open_(SENTENCE, day, e)
            elif penalty in NON_CUSTODIAL:
                close(day, e)
        elif e.kind == "appeal" and a.get("outcome") == "retrial" and state == SENTENCE:
            open_(PRETRIAL, day, e)
    if current is not None:
        periods.append(current)
    return periods


def detention_clock(events: Sequence[ProceedingEvent], today: date,
                    subject: str = "") -> Clock | None:
    """Pre-trial detention over every pre-trial period; None if never detained before trial."""
    pretrial = [p for p in custody_periods(events, subject) if p.state == PRETRIAL]
    if not pretrial:
        return None
    last = pretrial[-1]
    return Clock(pretrial[0].start, last.end, sum(p.days(today) for p in pretrial),
                 sum(p.months(today) for p in pretrial), last.end_event, last.end_kind)


@dataclass(frozen=True)
class Length:
    """From the first charge to the final decision (or today). A final decision reopened later
    (an appeal out of time, cassation, supervisory review) adds the reopened stretch only: the
    years between are not the court's delay."""

    start: date
    start_event: int
    end: date | None  # None: no final decision yet
    end_event: int | None
    months: int
    stretches: tuple[tuple[date, date | None], ...] = ()


REOPENING = frozenset({"retrial", "quashed", "granted", "partly_granted"})


def proceedings_length(events: Sequence[ProceedingEvent], today: date, subject: str = "",
                       closed: bool = False) -> Length | None:
    ordered = [(d, e) for d, e in _ordered(events) if _concerns(e, subject)]
    first = next(((d, e) for d, e in ordered if e.kind in CHARGES
                  or e.kind in ("arrest", "detention_ordered")), None)
    if first is None:
        return None
    start, start_event = first
    decisions = [(d, e) for d, e in ordered if e.kind in DECISIONS and d >= start]
    stretches: list[tuple[date, date | None]] = []
    opened: date | None = start
    end: tuple[date, ProceedingEvent] | None = None
    for day, e in decisions:
        if opened is None:
            if e.attributes.get("outcome") not in REOPENING:
                continue
            opened, end = day, None
        if e.attributes.get("final"):
            stretches.append((opened, day))
            opened, end = None, (day, e)
    if opened is not None:
        if closed and decisions and decisions[-1][0] >= opened:
            end = decisions[-1]
            stretches.append((opened, end[0]))
        else:
            stretches.append((opened, None))
            end = None
    months = sum(whole_months(a, b or today) for a, b in stretches)
    return Length(start, start_event.number, end[0] if end else None,
                  end[1].number if end else None, months, tuple(stretches))


@dataclass(frozen=True)
class Ground:
    id: str
    events: tuple[int, ...]


def survivor_grounds(events: Sequence[ProceedingEvent], before: date | None, *,
                     authority_failures: Iterable[int] = (), law_gaps: Iterable[int] = (),
                     abuse_witnessed: Iterable[int] = ()) -> list[Ground]:
    """The grounds on the case's whole timeline (`events`) a court must weigh when the survivor
    is accused of an act against her abuser. `before`: the proceeding's first event, after
    which a request for protection is no longer "earlier"; `authority_failures`: triggers of
    breached duties of the police or prosecutor; `law_gaps`: law_gap events and triggers of the
    legislature's standing duties; `abuse_witnessed`: abuse events with a witness or exhibit."""

    def earlier(e: ProceedingEvent) -> bool:
        day = _day(e)
        return before is None or day is None or day < before

    dated = {e.number: e for e in events}
    found = []
    failures = sorted(n for n in set(authority_failures)
                      if n not in dated or earlier(dated[n]))
    if failures:
        found.append(Ground("authority_failures", tuple(failures)))
    gaps = sorted(set(law_gaps) | {e.number for e in events if e.kind == "law_gap"})
    if gaps:
        found.append(Ground("law_gap", tuple(gaps)))
    documented = sorted({e.number for e in events if e.kind in DOCUMENT_KINDS}
                        | set(abuse_witnessed))
    if documented:
        found.append(Ground("documented_abuse", tuple(documented)))
    requests = sorted(e.number for e in events if e.kind in REQUEST_KINDS and earlier(e)
                      and e.attributes.get("subject") in (None, "", "survivor"))
    if requests:
        found.append(Ground("requests_for_protection", tuple(requests)))
    return found


@dataclass(frozen=True)
class HearingObservation:
    event: int
    day: date | None
    indicators: Mapping[str, Mapping[str, str]]
    abuse_evidence_excluded: bool = False


def _date_text(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else "?"


def derive_flags(events: Sequence[ProceedingEvent], thresholds: Thresholds, today: date,
                 *, subject: str = "", closed: bool = False,
                 hearings: Iterable[HearingObservation] = (),
                 grounds: Sequence[Ground] = ()) -> list[Flag]:
    """Every flag the proceeding's record raises, as of `today`. `grounds`: the survivor's
    context (survivor_grounds), given only for a prosecution of the survivor for an act
    against her abuser."""
    found: list[Flag] = []
    clock = detention_clock(events, today, subject)
    if clock and clock.months >= thresholds.lengthy_detention_months:
        pretrial = [p for p in custody_periods(events, subject) if p.state == PRETRIAL]
        found.append(Flag("lengthy_detention", {
            "months": clock.months, "threshold": thresholds.lengthy_detention_months},
            tuple(n for p in pretrial for n in (p.start_event, p.end_event) if n)))
    length = proceedings_length(events, today, subject, closed)
    if length and length.months >= thresholds.reasonable_time_months:
        found.append(Flag("unreasonable_length", {
            "months": length.months, "threshold": thresholds.reasonable_time_months},
            tuple(n for n in (length.start_event, length.end_event) if n)))
    ordered = [e for _, e in _ordered(events)]
    mistrials = [e for e in ordered if e.kind == "mistrial"]
    if mistrials:
        first = mistrials[0]
        after = ordered[ordered.index(first) + 1:]
        later = [e for e in after if e.kind in ("jury_selected", "hearing", "verdict")]
        if first.attributes.get("retrial_ordered") or later:
            found.append(Flag("retrial_after_mistrial", {},
                              (first.number, *[e.number for e in later[:1]])))
    substituted = [e for e in events if e.kind == "jury_dismissed"
                   or e.attributes.get("substitution") in ("judge", "prosecutor", "jury")]
    if substituted:
        found.append(Flag("substitutions", {"count": len(substituted)},
                          tuple(e.number for e in substituted)))
    adjourned = [e for e in events if e.kind == "hearing" and e.attributes.get("adjourned")]
    if len(adjourned) >= thresholds.repeated_adjournments:
        found.append(Flag("repeated_adjournments", {
            "count": len(adjourned), "threshold": thresholds.repeated_adjournments},
            tuple(e.number for e in adjourned)))
    hearings = sorted(hearings, key=lambda h: (h.day or date.min, h.event))
    excluded = {h.event for h in hearings if h.abuse_evidence_excluded}
    excluded |= {e.number for e in events if e.attributes.get("abuse_evidence_excluded")}
    if excluded:
        found.append(Flag("abuse_evidence_excluded", {}, tuple(sorted(excluded))))
    for h in hearings:
        for key in INDICATORS:
            answer = h.indicators.get(key) or {}
            if answer.get("value") != NOT_OBSERVED:
                continue
            note = str(answer.get("note") or "")
            if key == "non_discrimination":
                found.append(Flag("stereotyping", {"date": _date_text(h.day)}, (h.event,),
                                  note))
            else:
                found.append(Flag("indicator_not_observed", {
                    "date": _date_text(h.day), "indicator": key}, (h.event,), note))
    for day, e in _ordered(events):
        words = str(e.attributes.get("stereotyping") or "").strip()
        if words:
            found.append(Flag("stereotyping", {"date": _date_text(day)}, (e.number,), words))
    if grounds:
        found.append(Flag("survivor_prosecuted", {"grounds": [g.id for g in grounds]},
                          tuple(sorted({n for g in grounds for n in g.events}))))
    return found


def grade_is_valid(grade: str) -> bool:
    return grade in ("A", "B", "C", "D", "E", "F")
