"""Accountability metrics: what one case contributes to each count (pure).

A case contributes *facts*: (metric, key, period) -> count, where period is a calendar
quarter ("2024-Q3") of the date the fact belongs to. The facts of every case are kept and
summed per organisation, region and profile (qorgau.insights.models); nothing here reads
the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from qorgau.cases.taxonomy import GBVIMS_TYPES
from qorgau.insights.suppression import ALL, Dimension, Relation


def gettext_noop(message: str) -> str:
    return message


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    keys: tuple[str, ...]  # the breakdown; ("all",) when there is none
    note: str = ""


ALL_KEY = "all"
RESPONSE = ("on_time", "late", "none", "pending")
BEARERS = ("police", "prosecutor", "court", "organisation")
STATUSES = ("met", "late", "breached", "pending")
# Days from a report (or a reported breach) to the authority's response.
DAY_BUCKETS = ("0", "1", "2", "3", "4-7", "8-14", "15-30", "31+")
GBVIMS = ("rape", "sexual_assault", "physical_assault", "forced_marriage",
          "denial_of_resources", "psychological_abuse")
LEVELS = ("standard", "elevated", "medium", "high", "very_high", "unknown")
CAUSES = ("killed", "suicide", "natural", "unknown")

METRICS: dict[str, Metric] = {m.id: m for m in (
    Metric("orders_issued", gettext_noop("Protection orders issued"), (ALL_KEY,)),
    Metric("breaches_reported", gettext_noop("Breaches of orders reported"), (ALL_KEY,)),
    Metric("cases_breach_unanswered",
           gettext_noop("Cases with an order breached and no police response"), (ALL_KEY,),
           gettext_noop("Each case once, in the quarter of its first unanswered breach.")),
    Metric("cases_report_no_referral",
           gettext_noop("Cases with a report to police and no referral"), (ALL_KEY,),
           gettext_noop("Each case once, in the quarter of its first report left without "
                        "a referral.")),
    Metric("breach_response", gettext_noop("Police response to reported breaches"), RESPONSE,
           gettext_noop("Within the profile's deadline, late, none recorded, or not yet due.")),
    Metric("report_referral", gettext_noop("Reports to police followed by a referral"),
           RESPONSE, gettext_noop("The police's duty to refer her to a crisis centre or "
                                  "shelter, per report.")),
    Metric("response_days", gettext_noop("Days from report to police response"), DAY_BUCKETS,
           gettext_noop("Per report to police (a reported breach included), the days until "
                        "the police acted; the median and 90th percentile are read from "
                        "these counts.")),
    Metric("obligations_by_bearer", gettext_noop("Obligations by duty bearer and outcome"),
           tuple(f"{b}.{s}" for b in BEARERS for s in STATUSES)),
    Metric("breaches_by_rule", gettext_noop("Obligations breached, by rule"), ()),
    Metric("prosecuted_after_unenforced",
           gettext_noop("Survivors prosecuted after an unenforced protection order"),
           (ALL_KEY,), gettext_noop("A criminal case against the survivor opened after a "
                                    "breach the police did not act on.")),
    Metric("risk_at_intake", gettext_noop("Risk level at the first assessment"), LEVELS),
    Metric("gbvims", gettext_noop("Incidents by GBVIMS core type"), GBVIMS),
    Metric("survivor_deaths", gettext_noop("Survivors who died, by cause"), CAUSES,
           gettext_noop("Each survivor once, in the quarter of her death.")),
)}


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def day_bucket(days: int) -> str:
    for bucket in DAY_BUCKETS:
        low, _, high = bucket.partition("-")
        if bucket.endswith("+"):
            return bucket
        if int(low) <= days <= int(high or low):
            return bucket
    raise AssertionError(days)


@dataclass(frozen=True)
class EventFact:
    id: int
    kind: str
    day: date | None
    gbvims: str | None = None
    restricted: bool = False
    attributes: Mapping[str, object] = field(default_factory=dict)  # only what a metric reads


@dataclass(frozen=True)
class ObligationFact:
    rule_id: str
    duty_bearer: str
    measures: str | None  # what the rule measures (the profile says), or None
    status: str  # met / breached / pending / not_applicable ...
    late: bool
    trigger_day: date | None
    due_latest: date | None
    satisfied_day: date | None


@dataclass(frozen=True)
class AssessmentFact:
    level: str
    day: date


@dataclass(frozen=True)
class ProceedingFact:
    against_survivor: bool
    day: date | None  # its first event (arrest, indictment ...), or when it was recorded


@dataclass(frozen=True)
class CaseInput:
    events: Sequence[EventFact]
    obligations: Sequence[ObligationFact]
    assessments: Sequence[AssessmentFact]
    proceedings: Sequence[ProceedingFact]


Facts = Counter[tuple[str, str, str]]


def _response(ob: ObligationFact, today: date) -> str:
    if ob.status == "met":
        return "late" if ob.late else "on_time"
    if ob.status == "breached" or (ob.due_latest is not None and ob.due_latest < today):
        return "none"
    return "pending"


def case_facts(case: CaseInput, today: date) -> Facts:
    facts: Facts = Counter()

    def add(metric: str, key: str, day: date | None) -> None:
        if day is not None:
            facts[(metric, key, quarter(day))] += 1

    for event in case.events:
        if event.restricted:
            continue
        if event.kind == "order_issued":
            add("orders_issued", ALL_KEY, event.day)
        elif event.kind == "order_breached":
            add("breaches_reported", ALL_KEY, event.day)
        if event.gbvims:
            add("gbvims", event.gbvims, event.day)

    unenforced: list[date] = []
    unanswered: list[date] = []
    unreferred: list[date] = []
    for ob in case.obligations:
        if ob.status not in ("met", "breached", "pending"):
            continue  # not applicable, superseded ...
        outcome = _response(ob, today)
        if ob.measures == "breach_response":
            add("breach_response", outcome, ob.trigger_day)
            if outcome == "none" and ob.due_latest is not None:
                unenforced.append(ob.due_latest)
            if outcome == "none" and ob.trigger_day is not None:
                unanswered.append(ob.trigger_day)
        elif ob.measures == "referral":
            add("report_referral", outcome, ob.trigger_day)
            if outcome == "none" and ob.trigger_day is not None:
                unreferred.append(ob.trigger_day)
        if (ob.measures == "report_response" and ob.status == "met"
                and ob.trigger_day and ob.satisfied_day):
            days = max(0, (ob.satisfied_day - ob.trigger_day).days)
            add("response_days", day_bucket(days), ob.trigger_day)
        status = {"on_time": "met", "late": "late", "none": "breached"}.get(outcome, outcome)
        add("obligations_by_bearer", f"{ob.duty_bearer}.{status}", ob.trigger_day)
        if status == "breached":
            add("breaches_by_rule", ob.rule_id, ob.trigger_day)

    if unanswered:
        add("cases_breach_unanswered", ALL_KEY, min(unanswered))
    if unreferred:
        add("cases_report_no_referral", ALL_KEY, min(unreferred))

    deaths = [e for e in case.events if e.kind == "death" and e.day is not None
              and e.attributes.get("subject", "survivor") == "survivor"]
    if deaths:  # each survivor once, however many times her death is recorded
        death = min(deaths, key=lambda e: e.day or date.max)
        cause = str(death.attributes.get("cause") or "unknown")
        add("survivor_deaths", cause if cause in CAUSES else "unknown", death.day)

    first = min(case.assessments, key=lambda a: a.day, default=None)
    if first is not None:
        add("risk_at_intake", first.level if first.level in LEVELS else "unknown", first.day)

    if unenforced:
        earliest = min(unenforced)
        prosecuted = [p.day for p in case.proceedings
                      if p.against_survivor and p.day is not None and p.day > earliest]
        if prosecuted:
            add("prosecuted_after_unenforced", ALL_KEY, min(prosecuted))
    return facts


def percentile(histogram: Mapping[str, int], share: float) -> str | None:
    """The bucket holding the `share` quantile (0.5: median) of a day histogram."""
    total = sum(histogram.get(b, 0) for b in DAY_BUCKETS)
    if total == 0:
        return None
    seen = 0
    for bucket in DAY_BUCKETS:
        seen += histogram.get(bucket, 0)
        if seen >= share * total:
            return bucket
    return DAY_BUCKETS[-1]


def diff(old: Iterable[tuple[tuple[str, str, str], int]],
         new: Iterable[tuple[tuple[str, str, str], int]]) -> dict[tuple[str, str, str], int]:
    """What to add to the running totals when a case's facts change from `old` to `new`."""
    delta: Counter[tuple[str, str, str]] = Counter()
    for key, count in new:
        delta[key] += count
    for key, count in old:
        delta[key] -= count
    return {key: count for key, count in delta.items() if count}


# What the keys of the breakdowns are called (translated where shown).
KEY_LABELS: dict[str, str] = {
    "all": gettext_noop("Total"), "on_time": gettext_noop("Within the deadline"),
    "late": gettext_noop("Late"), "none": gettext_noop("No response"),
    "pending": gettext_noop("Not yet due"), "met": gettext_noop("Met"),
    "breached": gettext_noop("Breached"), "police": gettext_noop("Police"),
    "prosecutor": gettext_noop("Prosecutor"), "court": gettext_noop("Court"),
    "organisation": gettext_noop("Our organisation"), "standard": gettext_noop("Standard"),
    "killed": gettext_noop("Killed"), "suicide": gettext_noop("Suicide"),
    "natural": gettext_noop("Natural causes"),
    "elevated": gettext_noop("Elevated"), "medium": gettext_noop("Medium"),
    "high": gettext_noop("High"), "very_high": gettext_noop("Very high"),
    "unknown": gettext_noop("Unknown"),
    **GBVIMS_TYPES,
}


# --- What the tables share ------------------------------------------------------------

@dataclass(frozen=True)
class RuleInfo:
    """What a profile says of a rule that the counts depend on."""

    id: str
    bearer: str | None  # None: the trigger's institution decides (any bearer)
    measures: str | None


# The tables that count the same duties (obligations, their outcomes, the cases they
# concern): published together, and audited together (suppression.release).
JOINT = ("obligations_by_bearer", "breaches_by_rule", "breach_response", "report_referral",
         "response_days", "cases_breach_unanswered", "cases_report_no_referral")
# Tables that count one kind of duty by outcome, and the rules' `measures` they read.
MEASURED = {"breach_response": "breach_response", "report_referral": "referral"}
OUTCOME_STATUS = {"on_time": "met", "late": "late", "pending": "pending"}


def key_dimension(metric: Metric, rules: Sequence[RuleInfo]) -> Dimension:
    if metric.id == "obligations_by_bearer":
        parents = {b: ALL for b in BEARERS}
        parents.update({f"{b}.{s}": b for b in BEARERS for s in STATUSES})
        return Dimension("key", parents)
    if metric.id == "breaches_by_rule":
        return Dimension.flat("key", [r.id for r in rules])
    return Dimension.flat("key", list(metric.keys))


def relations(rules: Sequence[RuleInfo], regions: Sequence[str],
              periods: Sequence[str], totals: bool = False) -> list[Relation]:
    """The identities between the JOINT tables that anyone who reads this module and the
    profile can write down, for every region and period:

    - breaches by rule add up to the bearer's breached obligations (a rule whose bearer is
      fixed); to at least the bearer's, when some rules take the institution's;
    - "no response" of breach_response / report_referral is the breaches of the rules
      they measure;
    - a bearer's met, late and pending obligations include those of the measured tables
      (and the met ones those of response_days);
    - a case counted once (cases_breach_unanswered ...) is at most its duties' count.
    """
    fixed = {r.id: r.bearer for r in rules}
    flexible = [r.id for r in rules if r.bearer is None]

    def bearers(measure: str) -> set[str] | None:
        """The bearers a measured kind of duty can have, or None if one is outside
        obligations_by_bearer (then it is not part of those counts)."""
        found = [r.bearer for r in rules if r.measures == measure]
        named = {b for b in found if b is not None}
        return named if len(named) == len(set(found)) and named <= set(BEARERS) else None

    measured = {table: bearers(measure) for table, measure in MEASURED.items()}
    measured["response_days"] = bearers("report_response")
    result: list[Relation] = []
    # At the leaves only, unless `totals`: a total's relation is the sum of its leaves'
    # (every table adds up the same way), so it tells an attacker nothing more.
    for region in [r for r in regions if totals or r != ALL]:
        for period in [p for p in periods if totals or p != ALL]:
            def cell(table: str, key: str, region: str = region, period: str = period
                     ) -> tuple[str, tuple[str, str, str]]:
                return (table, (region, period, key))

            def add(terms: list[tuple[int, tuple[str, tuple[str, str, str]]]],
                    exact: bool = True) -> None:
                result.append(Relation(tuple(terms), exact))

            for b in BEARERS:
                own = [cell("breaches_by_rule", r) for r, rb in fixed.items() if rb == b]
                add([(1, cell("obligations_by_bearer", f"{b}.breached")),
                     *[(-1, c) for c in own]], exact=not flexible)
            if flexible:
                add([*[(1, cell("breaches_by_rule", r)) for r, rb in fixed.items()
                       if rb is None or rb in BEARERS],
                     *[(-1, cell("obligations_by_bearer", f"{b}.breached")) for b in BEARERS]],
                    exact=False)
            for table, measure in MEASURED.items():
                add([(1, cell(table, "none")),
                     *[(-1, cell("breaches_by_rule", r.id)) for r in rules
                       if r.measures == measure]])
            usable = {t: bs for t, bs in measured.items() if bs}
            names = sorted(usable)
            for mask in range(1, 2 ** len(names)):
                subset = [n for i, n in enumerate(names) if mask >> i & 1]
                owed = set().union(*(usable[n] for n in subset))
                if "response_days" not in subset:
                    for outcome, status in OUTCOME_STATUS.items():
                        add([*[(1, cell("obligations_by_bearer", f"{b}.{status}"))
                               for b in sorted(owed)],
                             *[(-1, cell(n, outcome)) for n in subset]], exact=False)
                else:  # response_days counts the met ones, on time or late
                    add([*[(1, cell("obligations_by_bearer", f"{b}.{s}"))
                           for b in sorted(owed) for s in ("met", "late")],
                         *[(-1, cell(n, o)) for n in subset if n != "response_days"
                           for o in ("on_time", "late")],
                         (-1, cell("response_days", ALL))], exact=False)
            add([(1, cell("breach_response", "none")),
                 (-1, cell("cases_breach_unanswered", ALL_KEY))], exact=False)
            add([(1, cell("report_referral", "none")),
                 (-1, cell("cases_report_no_referral", ALL_KEY))], exact=False)
    return result
