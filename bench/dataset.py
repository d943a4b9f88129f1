"""A synthetic national dataset: cases, parties, events and their ledger, from a seed.

    .venv/bin/python bench/dataset.py --cases 100000 [--seed 11] [--jobs 2]
        [--database postgres://postgres@127.0.0.1:5432/qorgau_bench | sqlite:///path.sqlite3]
        [--reuse] [--no-derived]

Shapes (pure, from the seed): 100 organisations spread over the regions of Kazakhstan; each
case a survivor, a respondent, children, witnesses and officials, and a timeline over ten
years (2016-2026) told as episodes: abuse, reports to police answered on time, late or not
at all, protection orders and their breaches, services, proceedings, wellbeing, now and then
a correction. Events per case have a long tail: most 5-30 (lognormal around 13), 1% in the
hundreds, 0.01% over a thousand; about 20 on average, so 1,000,000 cases are 20,000,000
events.

Rows: every record is built as the services build it (model instances prepared by their own
fields, so encrypted fields are encrypted with the instance keys; record digests by
qorgau.cases.records and qorgau.cases.ledger), its ledger entry chained, and written with COPY
(PostgreSQL) or executemany (SQLite). Nothing random but the seed: the ledger is the same
for the same seed and the same starting ids (`digest`). Then the derived tables are brought
up to date by the existing commands (recompute-obligations, refresh-insights --all) unless
--no-derived; `verify` passes on the result.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import math
import os
import random
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qorgau.cases.dates import DateSpan  # noqa: E402
from qorgau.cases.regions import KZ_NAMES  # noqa: E402

ORGANISATIONS = 100
REGIONS = list(KZ_NAMES)
FIRST_DAY = date(2016, 1, 1)
LAST_DAY = date(2026, 11, 20)
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # as qorgau.cases.services
CHUNK = 1000  # cases per batch of rows

ABUSE = {"physical_assault": 30, "psychological_abuse": 20, "threat_to_kill": 8,
         "coercive_control": 8, "strangulation": 5, "economic_abuse": 5, "stalking": 5,
         "property_damage": 4, "threat_children": 3, "sexual_violence": 3, "expulsion": 3,
         "weapon": 2, "burn_scald": 1, "abuse_in_pregnancy": 1}
SERVICES = {"medical_exam": 5, "referral_made": 4, "psych_assessment": 3,
            "shelter_admission": 2, "legal_aid": 3, "safety_plan": 3, "risk_assessment": 3}
WELLBEING = {"separation": 3, "moving_house": 3, "children_arrangements": 2, "self_harm": 1}
PROCEEDINGS = ["arrest", "detention_ordered", "indictment", "hearing", "hearing", "verdict",
               "sentence"]
# How the police answer a report: on time (within the day), late, or not at all.
POLICE_ANSWER = {"on_time": 50, "late": 20, "missing": 30}
BREACH_ANSWER = {"detention": 25, "protocol": 35, "none": 20, "missing": 20}

FIRST_NAMES = ["Aigerim", "Saule", "Dana", "Gulnara", "Aliya", "Madina", "Zhanna", "Elena",
               "Olga", "Asel", "Dinara", "Kamila", "Aruzhan", "Bakhyt", "Nurlan", "Yerlan",
               "Serik", "Daniyar", "Arman", "Sergei", "Askar", "Timur", "Marat", "Ruslan"]
SURNAMES = ["Akhmetova", "Suleimenova", "Nurpeisova", "Ivanova", "Kassymova", "Ermekova",
            "Omarova", "Bekova", "Abenova", "Petrova", "Zhakupova", "Tulegenova"]
PLACES = ["Uralsk", "Aktobe", "Astana", "Almaty", "Shymkent", "Karaganda", "Pavlodar",
          "Kostanay", "Atyrau", "Aktau", "Taraz", "Semey", "Kyzylorda", "Petropavl"]
NARRATIVES = ["She described what happened in her own words.",
              "Recorded from the survivor's account at the centre.",
              "Он ударил её на кухне; соседи слышали крики.",
              "Ол оны үйден қуып шықты, балалар көрді.",
              "Copy of the official document kept on file.",
              "Told by phone; details to be confirmed at the next visit."]


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def events_per_case(rng: random.Random) -> int:
    """The long tail: 0.01% over a thousand, 1% in the hundreds, the rest mostly 5-30."""
    roll = rng.random()
    if roll < 0.0001:
        return rng.randrange(1000, 2500)
    if roll < 0.0101:
        return int(math.exp(rng.uniform(math.log(100), math.log(1000))))
    return min(99, max(3, round(rng.lognormvariate(math.log(13), 0.55))))


@dataclass
class EventShape:
    number: int
    kind: str
    day: date
    precision: str  # day, month, year or time
    qualifier: str = "none"
    attributes: dict[str, Any] = field(default_factory=dict)
    institution: str = ""
    links: list[tuple[int, str]] = field(default_factory=list)  # (earlier number, kind)
    parties: list[tuple[int, str]] = field(default_factory=list)  # (party index, role)
    supersedes: int | None = None  # number of the event this one corrects

    def span(self) -> DateSpan:
        text = {"year": self.day.isoformat()[:4], "month": self.day.isoformat()[:7],
                "day": self.day.isoformat(),
                "time": f"{self.day.isoformat()}T{10 + self.number % 10:02d}:30"}
        return DateSpan.parse(text[self.precision], "", self.qualifier, "once")


@dataclass
class PartyShape:
    role: str
    relationship: str
    co_resident: bool | None
    institution: str
    full_name: str


@dataclass
class CaseShape:
    index: int
    organisation: int
    region: str
    reference: str
    closed: bool
    parties: list[PartyShape]
    events: list[EventShape]


def reference(seed: int, index: int) -> str:
    """Unique per index within a dataset: a bijection of 32**8 scrambled by the seed."""
    value = (index * 0x9E3779B1 + seed * 7919) % (32 ** 8)
    chars = ""
    for _ in range(8):
        value, digit = divmod(value, 32)
        chars += REFERENCE_ALPHABET[digit]
    return f"{chars[:4]}-{chars[4:]}"


def _parties(rng: random.Random) -> list[PartyShape]:
    name = f"{rng.choice(FIRST_NAMES[:14])} {rng.choice(SURNAMES)}"
    found = [PartyShape("survivor", "self", None, "", name),
             PartyShape("respondent", rng.choice(["spouse", "spouse", "ex_spouse", "partner",
                                                  "ex_partner", "in_law", "parent"]),
                        rng.random() < 0.6, "",
                        f"{rng.choice(FIRST_NAMES[14:])} {rng.choice(SURNAMES)[:-1]}")]
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        found.append(PartyShape("child", "child", True, "", f"{rng.choice(FIRST_NAMES)} "
                                f"{name.split()[1]}"))
    if rng.random() < 0.3:
        found.append(PartyShape("witness", "none", False, "",
                                f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"))
    for _ in range(rng.choice([0, 1, 1, 2])):
        found.append(PartyShape("official", "none", None, "police",
                                f"Officer {rng.choice(SURNAMES)}"))
    return found


def _story(rng: random.Random, n: int, parties: Sequence[PartyShape]) -> list[EventShape]:
    """n events told as episodes, numbered in order, dated over up to ten years."""
    officials = [i for i, p in enumerate(parties) if p.role == "official"]
    kinds: list[tuple[str, int, dict[str, Any], str, list[tuple[int, str]]]] = []
    # (kind, days after the previous event, attributes, institution, links by list index)

    def add(kind: str, gap: int, attributes: dict[str, Any] | None = None,
            institution: str = "", links: Sequence[tuple[int, str]] = ()) -> int:
        kinds.append((kind, gap, attributes or {}, institution, list(links)))
        return len(kinds) - 1

    order: int | None = None
    while len(kinds) < n:
        roll = rng.random()
        if roll < 0.55 or not kinds:
            incident = add(weighted(rng, ABUSE), rng.randrange(1, 60))
            if rng.random() < 0.45:
                report = add("police_report", rng.randrange(0, 3), institution="police",
                             links=[(incident, "related_to")])
                answer = weighted(rng, POLICE_ANSWER)
                if answer != "missing":
                    add(rng.choice(["admin_protocol", "case_opened", "admin_protocol"]),
                        0 if answer == "on_time" else rng.randrange(3, 30),
                        institution="police", links=[(report, "responds_to")])
                elif rng.random() < 0.3:
                    add("police_refusal", rng.randrange(0, 5), institution="police",
                        links=[(report, "responds_to")])
        elif roll < 0.70:
            if order is None or rng.random() < 0.3:
                add("order_requested", rng.randrange(1, 20), institution="police")
                if rng.random() < 0.8:
                    order = add("order_issued", rng.randrange(0, 3),
                                {"order_type": "kz.protective_order"}, "police")
                else:
                    add("order_refused", rng.randrange(0, 3), institution="police")
            else:
                breach = add("order_breached", rng.randrange(1, 45),
                             links=[(order, "breach_of")])
                report = add("police_report", rng.randrange(0, 2), institution="police",
                             links=[(breach, "related_to")])
                answer = weighted(rng, BREACH_ANSWER)
                if answer != "missing":
                    add("breach_response", rng.randrange(0, 4), {"response": answer},
                        "police", [(report, "responds_to")])
        elif roll < 0.85:
            kind = weighted(rng, SERVICES)
            add(kind, rng.randrange(1, 30),
                institution="police" if kind in ("referral_made", "risk_assessment") else "")
        elif roll < 0.93:
            add(weighted(rng, WELLBEING), rng.randrange(1, 60))
        elif roll < 0.97:
            complaint = add("complaint_official", rng.randrange(1, 30),
                            institution="prosecutor")
            if rng.random() < 0.6:
                add("prosecutor_response", rng.randrange(5, 45), institution="prosecutor",
                    links=[(complaint, "responds_to")])
        else:
            add(rng.choice(PROCEEDINGS), rng.randrange(1, 40), institution="court")
    kinds = kinds[:n]
    # Dates: the story's gaps, squeezed into ten years when a long case needs it.
    total = sum(gap for _k, gap, *_rest in kinds) or 1
    scale = min(1.0, ((LAST_DAY - FIRST_DAY).days - 1) / total)
    latest_start = (LAST_DAY - FIRST_DAY).days - int(total * scale)
    day = FIRST_DAY + timedelta(days=rng.randrange(max(1, latest_start)))
    events: list[EventShape] = []
    for number, (kind, gap, attributes, institution, links) in enumerate(kinds, start=1):
        day += timedelta(days=int(gap * scale))
        precision = rng.choices(["day", "month", "year", "time"], [80, 12, 5, 3])[0]
        qualifier = "approximate" if rng.random() < 0.1 else "none"
        involved = [(0, "victim")]
        if kind in ABUSE or kind == "order_breached":
            involved.append((1, "perpetrator"))
        elif institution == "police" and officials:
            involved.append((rng.choice(officials), "actor"))
        events.append(EventShape(number, kind, day, precision, qualifier, attributes,
                                 institution, [(target + 1, k) for target, k in links
                                               if target < len(kinds)], involved))
    return events


def _corrections(rng: random.Random, events: list[EventShape]) -> list[EventShape]:
    """One event in a hundred corrected: a new event (the next number) supersedes it."""
    out: list[EventShape] = []
    renumber: dict[int, int] = {}
    for event in events:
        renumber[event.number] = len(out) + 1
        event.number = len(out) + 1
        event.links = [(renumber[t], k) for t, k in event.links]
        out.append(event)
        if rng.random() < 0.01:
            fixed = EventShape(len(out) + 1, event.kind, event.day + timedelta(days=1),
                               "day", "none", dict(event.attributes), event.institution,
                               list(event.links), list(event.parties), event.number)
            out.append(fixed)
    return out


def shapes(cases: int, seed: int, start: int = 0,
           length: int | None = None) -> Iterator[CaseShape]:
    """Cases start..cases-1 of the dataset of `seed`, each from its own stream; `length`:
    that many events in each (corrections included) instead of the long tail."""
    for index in range(start, cases):
        rng = random.Random(f"{seed}:{index}")
        organisation = rng.randrange(ORGANISATIONS)
        parties = _parties(rng)
        n = events_per_case(rng)
        events = _corrections(rng, _story(rng, length or n, parties))[:length or None]
        closed = events[-1].day < LAST_DAY - timedelta(days=365) and rng.random() < 0.7
        yield CaseShape(index, organisation, REGIONS[organisation % len(REGIONS)],
                        reference(seed, index), closed, parties, events)


def engine_facts(shape: CaseShape) -> list[Any]:
    """The case's current events as duties-engine facts (what the services would derive)."""
    from qorgau.duties import engine

    successor = {e.supersedes: e.number for e in shape.events if e.supersedes}
    return [engine.Fact(e.number, e.kind, e.span(), e.attributes, e.institution,
                        tuple(sorted({t for t, _k in e.links} - {e.number})))
            for e in shape.events if e.number not in successor]


# --- rows ----------------------------------------------------------------------------------


@dataclass
class Ids:
    """The next free id of every table written (read from the database before loading)."""

    case: int = 1
    assignment: int = 1
    party: int = 1
    event: int = 1
    eventparty: int = 1
    eventlink: int = 1
    ledger: int = 1


@dataclass
class Context:
    """What rows need besides the shapes: who the organisations and their caseworkers are."""

    organisations: list[int]
    caseworkers: list[int]
    vendor: str  # postgresql or sqlite


def _at(day: date, second: int) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(seconds=second)


def case_rows(shape: CaseShape, ids: Ids, ctx: Context,
              tables: dict[str, list[tuple[Any, ...]]]) -> str:
    """Append the case's rows to `tables`; returns its ledger head hash."""
    from qorgau.cases import ledger, records
    from qorgau.cases.models import (
        Case,
        CaseAssignment,
        Event,
        EventLink,
        EventParty,
        LedgerEntry,
        Party,
    )
    from qorgau.cases.services import ledger_entry

    rng = random.Random(f"rows:{shape.reference}")
    worker = ctx.caseworkers[shape.organisation]
    opened = _at(shape.events[0].day + timedelta(days=rng.randrange(0, 30)), 0)
    entries: list[LedgerEntry] = []

    def append(at: datetime, action: str, subject: str, record: Any) -> None:
        prev = entries[-1].hash if entries else ledger.GENESIS
        at = max(at, entries[-1].at + timedelta(seconds=1)) if entries else at
        entry = _new(LedgerEntry, id=ids.ledger, case_id=ids.case, seq=len(entries) + 1, at=at,
                            actor_id=worker, action=action, subject=subject, detail={},
                            payload_digest=ledger.payload_digest({}, record), prev_hash=prev)
        entry.hash = ledger_entry(entry).computed_hash()
        ids.ledger += 1
        entries.append(entry)

    case = _new(Case, id=ids.case, organisation_id=ctx.organisations[shape.organisation],
                reference=shape.reference, profile="kz", region=shape.region,
                status="open", created_by_id=worker, created_at=opened)
    append(opened, "case.create", records.subject(case), records.case_record(case))
    assignment = _new(CaseAssignment, id=ids.assignment, case_id=case.pk, user_id=worker,
                                access="write", created_at=opened)
    ids.assignment += 1
    append(opened, "assignment.set", records.subject(assignment),
           records.assignment_record(assignment))
    party_ids: list[int] = []
    for p in shape.parties:
        party = _new(Party, id=ids.party, case_id=case.pk, role=p.role, relationship=p.relationship,
                      co_resident=p.co_resident, institution=p.institution,
                      full_name=p.full_name, other_names="",
                      birth_date=(f"{rng.randrange(1960, 2004)}" if p.role == "survivor"
                                  else ""),
                      address=f"{rng.choice(PLACES)}, {rng.randrange(1, 200)}"
                      if p.role in ("survivor", "respondent") else "",
                      phone=f"+7 70{rng.randrange(10_000_000, 99_999_999)}"
                      if p.role == "survivor" else "",
                      documents="", notes="", salt=f"{rng.getrandbits(128):032x}",
                      created_at=opened)
        party.name_index = _keyring().blind_index(party.full_name)
        ids.party += 1
        party_ids.append(party.pk)
        append(opened, "party.create", records.subject(party), records.party_record(party))
        tables["party"].append(_row(party, ctx))
    by_number: dict[int, Event] = {}
    for e in shape.events:
        span = e.span()
        recorded = max(opened, _at(e.day + timedelta(days=rng.randrange(0, 4)), 3600))
        event = _new(
            Event,            id=ids.event, case_id=case.pk, number=e.number, kind=e.kind,
            when_start=span.start.iso() if span.start else "", when_end="",
            qualifier=span.qualifier, recurrence=span.recurrence,
            sort_start=span.sort_key()[0] if span.known else None,
            sort_end=span.latest() or span.earliest(), source=rng.choice(
                ["survivor", "survivor", "document", "official_record", "witness", "staff"]),
            reliability=rng.choice(["confirmed", "probable", "probable", "possible"]),
            institution=e.institution, institution_unit="", attributes=e.attributes,
            place=rng.choice(PLACES), narrative=rng.choice(NARRATIVES),
            supersedes_id=by_number[e.supersedes].pk if e.supersedes else None,
            correction_reason="The date was checked against the document."
            if e.supersedes else "",
            salt=f"{rng.getrandbits(128):032x}", recorded_by_id=worker, recorded_at=recorded)
        ids.event += 1
        by_number[e.number] = event
        tables["event"].append(_row(event, ctx))
        involved = [(party_ids[i], role) for i, role in e.parties]
        for party_id, role in involved:
            tables["eventparty"].append(_row(_new(EventParty, id=ids.eventparty, event_id=event.pk,
                                                        party_id=party_id, role=role), ctx))
            ids.eventparty += 1
        for target, kind in e.links:
            tables["eventlink"].append(_row(_new(EventLink, id=ids.eventlink, source_id=event.pk,
                                                      target_id=by_number[target].pk,
                                                      kind=kind), ctx))
            ids.eventlink += 1
        append(recorded, "event.correct" if e.supersedes else "event.create",
               records.subject(event),
               records.event_record(event, involved, e.links, e.supersedes))
    if shape.closed:
        case.status = "closed"
        append(entries[-1].at + timedelta(days=30), "case.status", records.subject(case),
               records.case_record(case))
    tables["case"].append(_row(case, ctx))
    tables["assignment"].append(_row(assignment, ctx))
    tables["ledger"].extend(_row(entry, ctx) for entry in entries)
    ids.case += 1
    return entries[-1].hash


def _keyring() -> Any:
    from qorgau.fields import keyring

    return keyring()


_PLANS: dict[tuple[type, str], list[tuple[str, str, Any]]] = {}
_DEFAULTS: dict[type, list[tuple[str, Any]]] = {}
_TOKENS: dict[str, str] = {}


def _new(model: Any, **values: Any) -> Any:
    """A model instance without Model.__init__ (no signals, no descriptors: a third of the
    build time); the fields not given take their defaults, as __init__ would give them."""
    from django.db.models.base import ModelState

    if model not in _DEFAULTS:
        _DEFAULTS[model] = [(f.attname, f) for f in model._meta.concrete_fields]
    obj = model.__new__(model)
    for attname, f in _DEFAULTS[model]:
        if attname not in values:
            values[attname] = f.get_default()
    obj.__dict__.update(values)
    obj._state = ModelState()
    return obj


def _plan_of(model: type, vendor: str) -> list[tuple[str, str, Any]]:
    """(attribute, how, field) per column: as is, JSON text, or prepared by the field."""
    from django.db.models import BooleanField, CharField, ForeignKey, IntegerField, JSONField

    from qorgau.fields import EncryptedTextField

    key = (model, vendor)
    if key not in _PLANS:
        plan = []
        for f in model._meta.concrete_fields:  # type: ignore[attr-defined]
            if isinstance(f, EncryptedTextField):
                how = "encrypt"
            elif isinstance(f, JSONField):
                how = "json"
            elif isinstance(f, CharField | IntegerField | ForeignKey | BooleanField) or (
                    vendor == "postgresql"):
                how = "plain"
            else:
                how = "prep"
            plan.append((f.attname, how, f))
        _PLANS[key] = plan
    return _PLANS[key]


@functools.cache
def _connection() -> Any:
    from django.db import connections

    return connections["default"]


def _row(obj: Any, ctx: Context) -> tuple[Any, ...]:
    """The row as Django writes it: encrypted fields encrypted with the instance keys, dates
    as the backend stores them. A bench shortcut: each distinct text is encrypted once per
    process, so equal texts share a token (the services never do this; reading and
    decrypting cost the same)."""
    connection = _connection()
    values = []
    for attname, how, f in _plan_of(type(obj), ctx.vendor):
        value = obj.__dict__[attname]
        if how == "plain":
            values.append(value)
        elif how == "json":
            values.append(json.dumps(value))
        elif how == "encrypt":
            token = _TOKENS.get(value)
            if token is None:
                if len(_TOKENS) > 100_000:
                    _TOKENS.clear()
                token = _TOKENS[value] = f.get_db_prep_save(value, connection)
            values.append(token)
        else:
            values.append(f.get_db_prep_save(value, connection))
    return tuple(values)


TABLES = {"case": "cases.Case", "assignment": "cases.CaseAssignment", "party": "cases.Party",
          "event": "cases.Event", "eventparty": "cases.EventParty",
          "eventlink": "cases.EventLink", "ledger": "cases.LedgerEntry"}
# Written in this order (foreign keys).
ORDER = ("case", "assignment", "party", "event", "eventparty", "eventlink", "ledger")


def chunk_rows(shapes_: Sequence[CaseShape], ids: Ids,
               ctx: Context) -> tuple[dict[str, list[tuple[Any, ...]]], list[str], int]:
    """(rows by table, ledger heads, events) of a run of cases."""
    tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
    heads = [case_rows(shape, ids, ctx, tables) for shape in shapes_]
    return tables, heads, len(tables["event"])


def _work(job: tuple[int, int, int, Ids, Context]) -> tuple[
        dict[str, list[tuple[Any, ...]]], list[str], int]:
    seed, start, stop, ids, ctx = job
    return chunk_rows(list(shapes(stop, seed, start)), ids, ctx)


def _plan(cases: int, seed: int, ids: Ids, first_case: int = 0) -> Iterator[
        tuple[int, int, Ids]]:
    """(start, stop, first ids) of each chunk: counting is cheap, the rows are not."""
    for start in range(first_case, cases, CHUNK):
        stop = min(cases, start + CHUNK)
        first = Ids(**vars(ids))
        for shape in shapes(stop, seed, start):
            ids.case += 1
            ids.assignment += 1
            ids.party += len(shape.parties)
            ids.event += len(shape.events)
            ids.eventparty += sum(len(e.parties) for e in shape.events)
            ids.eventlink += sum(len(e.links) for e in shape.events)
            ids.ledger += 2 + len(shape.parties) + len(shape.events) + shape.closed
        yield start, stop, first


def rows(cases: int, seed: int, ids: Ids, ctx: Context, jobs: int = 1,
         first_case: int = 0) -> Iterator[tuple[dict[str, list[tuple[Any, ...]]], list[str], int]]:
    """Every chunk's rows in order; built by `jobs` processes."""
    plan = ((seed, start, stop, first, ctx)
            for start, stop, first in _plan(cases, seed, ids, first_case))
    if jobs <= 1:
        yield from map(_work, plan)
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(_work, plan)


def digest(heads: Iterable[str]) -> str:
    """The dataset's fingerprint: SHA-256 over every case's ledger head, in order."""
    h = hashlib.sha256()
    for head in heads:
        h.update(head.encode("ascii"))
    return h.hexdigest()


# --- loading -------------------------------------------------------------------------------


def prepare(organisations: int = ORGANISATIONS) -> Context:
    """The organisations (sharing aggregates) and one caseworker each, made if missing."""
    from django.db import connection

    from qorgau.accounts.models import Organisation, User
    from qorgau.accounts.services import add_member, create_user

    orgs, workers = [], []
    for i in range(organisations):
        org, _ = Organisation.objects.get_or_create(
            slug=f"dataset-{i}", defaults={"name": f"Dataset centre {i}",
                                           "shares_aggregates": True})
        email = f"caseworker{i}@dataset.test"
        user = User.objects.filter(email=email).first() or create_user(email, None)
        add_member(user, org, "caseworker")
        orgs.append(org.pk)
        workers.append(user.pk)
    return Context(orgs, workers, connection.vendor)


def next_ids() -> Ids:
    from django.apps import apps
    from django.db.models import Max

    found = {}
    for name, label in TABLES.items():
        model = apps.get_model(label)
        found[name] = (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    return Ids(**found)


def write(tables: dict[str, list[tuple[Any, ...]]]) -> None:
    """One chunk's rows, in one transaction."""
    from django.apps import apps
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.connection
        for name in ORDER:
            model = apps.get_model(TABLES[name])
            table = model._meta.db_table
            columns = [f.column for f in model._meta.concrete_fields]
            data = tables[name]
            if not data:
                continue
            if connection.vendor == "postgresql":
                with raw.cursor() as cur, cur.copy(
                        f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                    for row in data:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                insert = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})'  # noqa: S608  # nosec B608
                raw.executemany(insert, data)


# Statements that remake the indexes and constraints a bare load dropped (PostgreSQL); a
# table, so that an interrupted load's database still knows them.
REMAKE_TABLE = "bench_remake_indexes"


def _bulk_tables() -> list[str]:
    from django.apps import apps

    return [apps.get_model(label)._meta.db_table for label in TABLES.values()]


def bare_tables() -> None:
    """PostgreSQL: drop the bulk tables' indexes and unique and foreign-key constraints (not
    their primary keys), keeping the statements that remake them. A large load then writes
    into bare tables and `finish` builds each index once, sorted, instead of taking tens of
    millions of random B-tree inserts and foreign-key checks (a bench shortcut: the result is
    the same schema, checked whole when the constraints come back)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [REMAKE_TABLE])
        if cursor.fetchone()[0]:
            return  # an interrupted bare load: already bare
        tables = _bulk_tables()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype"
            " FROM pg_constraint WHERE contype IN ('u', 'f')"
            " AND conrelid::regclass::text = ANY(%s) ORDER BY contype, conname", [tables])
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
            " WHERE indrelid::regclass::text = ANY(%s) AND NOT indisprimary AND indexrelid"
            " NOT IN (SELECT conindid FROM pg_constraint WHERE contype IN ('u', 'p', 'x'))"
            " ORDER BY 1", [tables])
        indexes = cursor.fetchall()
        drop = [f'ALTER TABLE "{t}" DROP CONSTRAINT "{name}"'
                for t, name, _d, kind in sorted(constraints, key=lambda c: c[3] != "f")]
        drop += [f"DROP INDEX {name}" for name, _d in indexes]
        remake = [definition for _n, definition in indexes]
        remake += [f'ALTER TABLE "{t}" ADD CONSTRAINT "{name}" {definition}'
                   for t, name, definition, kind in
                   sorted(constraints, key=lambda c: c[3] == "f")]
        cursor.execute(f"CREATE TABLE {REMAKE_TABLE} (n integer PRIMARY KEY, sql text)")
        for n, sql in enumerate(remake):
            cursor.execute(f"INSERT INTO {REMAKE_TABLE} VALUES (%s, %s)", [n, sql])  # noqa: S608  # nosec B608
        for sql in drop:
            cursor.execute(sql)


def remake_indexes() -> None:
    """What `bare_tables` dropped, built again (nothing if the tables are not bare)."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [REMAKE_TABLE])
        if not cursor.fetchone()[0]:
            return
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute(f"SELECT sql FROM {REMAKE_TABLE} ORDER BY n")  # noqa: S608  # nosec B608
        for (sql,) in cursor.fetchall():
            cursor.execute(sql)
        cursor.execute(f"DROP TABLE {REMAKE_TABLE}")


def finish() -> None:
    """Indexes remade after a bare load, sequences past the ids written (PostgreSQL) and
    fresh planner statistics."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    remake_indexes()
    models = [apps.get_model(label) for label in TABLES.values()]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        cursor.execute("ANALYZE")


def cases_present() -> int:
    """How many of the dataset's cases the database already holds (they come first)."""
    from qorgau.cases.models import Case

    return Case.objects.filter(organisation__slug__startswith="dataset-").count()


BARE_FROM = 10_000  # cases: a PostgreSQL load this large writes into bare tables


def load(cases: int, seed: int, jobs: int = 1, report: Any = None,
         first_case: int = 0, bare: bool | None = None) -> tuple[str, int]:
    """Generate and write the dataset's cases first_case..cases-1 into the configured
    database: (digest of their heads, events). Case i is the same whatever the size, so a
    dataset grows to a larger one by its missing cases (--resume). `bare` (default: a
    PostgreSQL load of BARE_FROM cases or more) writes into bare tables (`bare_tables`)."""
    from django.db import connection

    ctx = prepare()
    ids = next_ids()
    if bare is None:
        bare = connection.vendor == "postgresql" and cases - first_case >= BARE_FROM
    if bare:
        bare_tables()
    if jobs > 1:
        connection.close()  # the workers fork; they never touch the database
    heads: list[str] = []
    events = 0
    try:
        for tables, chunk_heads, chunk_events in rows(cases, seed, ids, ctx, jobs, first_case):
            write(tables)
            heads.extend(chunk_heads)
            events += chunk_events
            if report:
                report(first_case + len(heads), len(heads), events)
    finally:  # also when interrupted: the chunks written are whole, their ids taken
        finish()
    return digest(heads), events


def load_shapes(shapes_: Iterable[CaseShape]) -> list[str]:
    """Write the given cases (e.g. `shapes(..., length=1000)`); their ledger heads."""
    ctx = prepare()
    tables, heads, _events = chunk_rows(list(shapes_), next_ids(), ctx)
    write(tables)
    finish()
    return heads


def refresh_derived() -> None:
    """Obligations from the duties engine and the accountability counts, as after an
    upgrade: through the existing commands."""
    from django.core.management import call_command

    call_command("recompute-obligations", verbosity=0)
    call_command("refresh-insights", "--all", verbosity=0)


def prepare_environment(url: str) -> None:
    """Settings for a bench script on `url`, with data keys kept in data/bench/ so that
    other bench scripts (and later runs) can read what this one encrypted."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("QORGAU_ENV", "test")
    data_dir = Path(os.environ.setdefault("QORGAU_DATA_DIR", str(ROOT / "data" / "bench")))
    data_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("QORGAU_DATA_KEYS"):
        from qorgau.crypto import generate_key

        keys = data_dir / "data_keys"
        if not keys.exists():
            keys.write_text(generate_key())
        os.environ["QORGAU_DATA_KEYS"] = keys.read_text().strip()
    os.environ["DJANGO_SETTINGS_MODULE"] = "qorgau.settings"


def _server(url: str) -> tuple[str, str]:
    """(the server's maintenance database url, the database name) of a PostgreSQL url."""
    server, name = url.rsplit("/", 1)
    return server + "/postgres", name


def recreate(url: str) -> None:
    """Drop and create the database `url` names (PostgreSQL), or remove the SQLite file."""
    if url.startswith("sqlite:"):
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    admin, name = _server(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def exists(url: str) -> bool:
    """Whether the database `url` names is there."""
    if url.startswith("sqlite:"):
        return Path(url.split(":///", 1)[1]).exists()
    import psycopg

    admin, name = _server(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [name]).fetchone() is not None


def bench_arguments(doc: str, cases: int) -> argparse.ArgumentParser:
    """What every bench script on a database takes: size, seed, database, reuse."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--cases", type=int, default=cases)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database",
                        default="postgres://postgres@127.0.0.1:5432/qorgau_bench")
    parser.add_argument("--reuse", action="store_true",
                        help="use the database as an earlier run left it (else re-created)")
    return parser


def open_database(args: argparse.Namespace) -> None:
    """Settings, a fresh database unless --reuse, Django set up, migrations applied."""
    prepare_environment(args.database)
    if not args.reuse or not exists(args.database):
        recreate(args.database)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_unless_reused(args: argparse.Namespace) -> None:
    """For the bench scripts: the dataset loaded here unless --reuse; what the database holds."""
    from django.db import connection

    from qorgau.cases.models import Case, Event

    if not args.reuse:
        started = time.perf_counter()
        _digest, events = load(args.cases, args.seed, args.jobs)
        print(f"dataset: {args.cases:,} cases, {events:,} events loaded in "
              f"{time.perf_counter() - started:.0f} s")
    print(f"database ({connection.vendor}): {Case.objects.count():,} cases, "
          f"{Event.objects.count():,} events")


def main() -> None:
    parser = bench_arguments(__doc__ or "", 10_000)
    parser.add_argument("--jobs", type=int, default=2, help="processes building rows")
    parser.add_argument("--no-derived", action="store_true",
                        help="skip recomputing obligations and the accountability counts")
    parser.add_argument("--verify", action="store_true", help="run `verify` at the end")
    parser.add_argument("--resume", action="store_true",
                        help="keep the cases present (implies --reuse) and add the rest")
    args = parser.parse_args()
    args.reuse = args.reuse or args.resume
    open_database(args)
    from django.core.management import call_command

    started = time.perf_counter()

    first_case = cases_present() if args.resume else 0
    if first_case:
        print(f"resuming after the {first_case:,} cases present")

    def report(done: int, written: int, events: int) -> None:
        if done % (CHUNK * 10) == 0:
            spent = time.perf_counter() - started
            print(f"  {done:,} cases, {events:,} events, {events / spent:,.0f} events/s",
                  flush=True)

    fingerprint, events = load(args.cases, args.seed, args.jobs, report, first_case)
    spent = time.perf_counter() - started
    print(f"{args.cases - first_case:,} cases, {events:,} events loaded in {spent:.1f} s: "
          f"{events / spent:,.0f} events/s ({args.jobs} jobs; digest {fingerprint[:16]})")
    if not args.no_derived:
        started = time.perf_counter()
        refresh_derived()
        spent = time.perf_counter() - started
        print(f"derived tables (recompute-obligations, refresh-insights --all): {spent:.1f} s, "
              f"{events / spent:,.0f} events/s")
    if args.verify:
        started = time.perf_counter()
        call_command("verify")
        print(f"verify: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
