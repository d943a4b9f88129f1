"""International law as it binds each state: `profiles/treaties.yaml`. Pure: no Django.

The file lists treaties (CEDAW, ICCPR, the ECHR, the Istanbul Convention, ...), their
interpretations (general recommendations, general comments, case law: never binding in
themselves) and, per state, the day each treaty entered into force for it and the day it
stopped binding. `basis_for` splits a rule's list of instruments into those that bound the
state on the day a duty arose and those that can only be cited as good practice.

A file is checked against `treaties.schema.json` beside it, then for what a schema cannot
say: every instrument it names exists, dates are real and in order, each entry-into-force
date follows from the deposit date by the treaty's own rule, and a party to a protocol is
bound by the treaty it belongs to. Every failure is a TreatiesError naming the file, the
path inside it and the reason.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from qorgau.duties.profiles import read_checked

FILE_NAME = "treaties.yaml"
SCHEMA_NAME = "treaties.schema.json"
LANGUAGES = ("en", "ru", "kk")


class TreatiesError(ValueError):
    def __init__(self, file: str, path: str, reason: str) -> None:
        super().__init__(f"{file}: {path or '(top)'}: {reason}")
        self.file, self.path, self.reason = file, path, reason


class UnknownInstrument(KeyError):
    """An id that is neither a treaty nor an interpretation in treaties.yaml."""

    def __str__(self) -> str:
        return f"no instrument or interpretation {self.args[0]!r} in {FILE_NAME}"


def _text_in(text: Mapping[str, str], language: str) -> str:
    """The text in `language` ("ru-kz" -> "ru"), English if that is missing."""
    return text.get((language or "en").split("-")[0]) or text["en"]


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class EntryRule:
    """When a treaty enters into force for a state depositing after it is in force."""

    kind: str  # days | months | first-of-month | on-deposit
    n: int
    article: str

    def in_force(self, deposited: date, general: date) -> date:
        """The day the treaty binds a state that deposited on `deposited`."""
        if self.kind == "days":
            day = deposited + timedelta(days=self.n)
        elif self.kind == "months":
            day = _add_months(deposited, self.n)
        elif self.kind == "first-of-month":
            end = _add_months(deposited, self.n)
            day = _add_months(end.replace(day=1), 1)
        else:
            day = deposited
        return max(day, general)


@dataclass(frozen=True)
class Instrument:
    id: str
    short: str
    titles: Mapping[str, str]
    adopted: date
    in_force: date
    depositary: str
    url: str
    status_url: str
    entry_rule: EntryRule | None = None
    supplements: str | None = None
    note: str = ""
    kind: str = "treaty"

    def title(self, language: str = "en") -> str:
        return _text_in(self.titles, language)


@dataclass(frozen=True)
class Interpretation:
    """A general recommendation, general comment or decision: explains, never binds."""

    id: str
    body: str
    titles: Mapping[str, str]
    interprets: tuple[str, ...]
    date: str  # YYYY-MM-DD, or YYYY where only the year is known
    citation: str
    url: str
    state: str = ""
    note: str = ""
    kind: str = "interpretation"

    def title(self, language: str = "en") -> str:
        return _text_in(self.titles, language)


@dataclass(frozen=True)
class Entry:
    """One treaty for one state: from `in_force` (inclusive) to `withdrawn` (exclusive)."""

    state: str
    instrument: str
    how: str
    in_force: date
    source: str
    confirmed: bool
    deposited: date | None = None
    withdrawn: date | None = None
    note: str = ""

    def binds(self, day: date) -> bool:
        return self.in_force <= day and (self.withdrawn is None or day < self.withdrawn)


@dataclass(frozen=True)
class NotParty:
    state: str
    instrument: str
    note: str
    source: str = ""


@dataclass(frozen=True)
class Basis:
    """A rule's instruments for one state on one day, in the order the rule gave them.

    binding: treaties in force for the state that day (an obligation).
    interpretations: interpretations of those binding treaties.
    good_practice: everything else (treaties that did not bind it that day, and
    interpretations of them); never to be presented as an obligation.
    state_known: False when the state is unknown or has no entry in treaties.yaml.
    """

    state: str
    day: date
    binding: tuple[str, ...] = ()
    interpretations: tuple[str, ...] = ()
    good_practice: tuple[str, ...] = ()
    state_known: bool = False


@dataclass(frozen=True)
class Treaties:
    instruments: Mapping[str, Instrument]
    interpretations: Mapping[str, Interpretation]
    entries: Mapping[str, tuple[Entry, ...]]  # state -> its treaties
    not_parties: Mapping[str, tuple[NotParty, ...]] = field(default_factory=dict)
    state_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    version: int = 1

    # -- look-ups ---------------------------------------------------------------------------

    def instrument(self, instrument_id: str) -> Instrument:
        try:
            return self.instruments[instrument_id]
        except KeyError:
            raise UnknownInstrument(instrument_id) from None

    def interpretation(self, interpretation_id: str) -> Interpretation:
        try:
            return self.interpretations[interpretation_id]
        except KeyError:
            raise UnknownInstrument(interpretation_id) from None

    def knows(self, instrument_id: str) -> bool:
        return instrument_id in self.instruments or instrument_id in self.interpretations

    def title(self, instrument_id: str, language: str = "en") -> str:
        """The title of a treaty or an interpretation."""
        if instrument_id in self.interpretations:
            return self.interpretations[instrument_id].title(language)
        return self.instrument(instrument_id).title(language)

    def interpretations_of(self, instrument_id: str) -> tuple[Interpretation, ...]:
        """The interpretations of one treaty, oldest first."""
        self.instrument(instrument_id)
        found = (i for i in self.interpretations.values() if instrument_id in i.interprets)
        return tuple(sorted(found, key=lambda i: (i.date, i.id)))

    def states(self) -> tuple[str, ...]:
        return tuple(sorted(self.entries))

    def state_name(self, state: str | None, language: str = "en") -> str:
        code = _code(state)
        names = self.state_names.get(code)
        return _text_in(names, language) if names else code

    def entry(self, state: str | None, instrument_id: str) -> Entry | None:
        """The record of `instrument_id` for `state` (source, confirmed), None if not a party."""
        self.instrument(instrument_id)
        for entry in self.entries.get(_code(state), ()):
            if entry.instrument == instrument_id:
                return entry
        return None

    def not_party(self, state: str | None, instrument_id: str) -> NotParty | None:
        """The note recording that `state` is not a party to `instrument_id`, if any."""
        for record in self.not_parties.get(_code(state), ()):
            if record.instrument == instrument_id:
                return record
        return None

    # -- what binds -------------------------------------------------------------------------

    def binds(self, state: str | None, instrument_id: str, day: date) -> bool:
        entry = self.entry(state, instrument_id)
        return entry is not None and entry.binds(day)

    def binding(self, state: str | None, day: date) -> frozenset[str]:
        """Every treaty in force for `state` on `day`; empty for an unknown state."""
        return frozenset(e.instrument for e in self.entries.get(_code(state), ()) if e.binds(day))

    def basis_for(self, state: str | None, day: date, instruments: Sequence[str]) -> Basis:
        """Split a rule's instruments into binding, interpretations and good practice."""
        code = _code(state)
        in_force = self.binding(code, day)
        binding: list[str] = []
        interpretations: list[str] = []
        good_practice: list[str] = []
        for instrument_id in dict.fromkeys(instruments):
            if instrument_id in self.interpretations:
                interpreted = self.interpretations[instrument_id].interprets
                if in_force.intersection(interpreted):
                    interpretations.append(instrument_id)
                else:
                    good_practice.append(instrument_id)
            elif instrument_id in self.instruments:
                (binding if instrument_id in in_force else good_practice).append(instrument_id)
            else:
                raise UnknownInstrument(instrument_id)
        return Basis(state=code, day=day, binding=tuple(binding),
                     interpretations=tuple(interpretations),
                     good_practice=tuple(good_practice), state_known=code in self.entries)

    def counts(self) -> tuple[int, int]:
        """(entries whose dates were read in a primary or official source, all entries)."""
        every = [e for entries in self.entries.values() for e in entries]
        return sum(1 for e in every if e.confirmed), len(every)

    def unconfirmed(self) -> tuple[Entry, ...]:
        return tuple(e for state in self.states() for e in self.entries[state] if not e.confirmed)


def basis_for(treaties: Treaties, state: str | None, day: date,
              instruments: Sequence[str]) -> Basis:
    """Module-level form of Treaties.basis_for."""
    return treaties.basis_for(state, day, instruments)


def _code(state: str | None) -> str:
    return (state or "").strip().upper()


# -- loading ---------------------------------------------------------------------------------


def _read(path: Path, schema_path: Path) -> dict[str, Any]:
    try:
        schema = json.loads(schema_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise TreatiesError(schema_path.name, "", f"cannot read the schema ({exc})") from exc
    return read_checked(path, schema, TreatiesError)


def _day(name: str, where: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise TreatiesError(name, where, f"{value!r} is not a real date") from None


def _unique_ids(name: str, section: str, raw: Sequence[Mapping[str, Any]]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(raw):
        if item["id"] in seen:
            raise TreatiesError(name, f"{section}[{index}].id", f"{item['id']!r} is used twice")
        seen.add(item["id"])


def _instruments(name: str, raw: Sequence[Mapping[str, Any]]) -> dict[str, Instrument]:
    _unique_ids(name, "instruments", raw)
    built: dict[str, Instrument] = {}
    where_of: dict[str, str] = {}
    for index, item in enumerate(raw):
        key, where = item["id"], f"instruments[{index}]"
        where_of[key] = where
        rule = item.get("entry_rule")
        instrument = Instrument(
            id=key, short=item["short"], titles=dict(item["title"]),
            adopted=_day(name, f"{where}.adopted", item["adopted"]),
            in_force=_day(name, f"{where}.in_force", item["in_force"]),
            depositary=item["depositary"], url=item["url"], status_url=item["status_url"],
            entry_rule=EntryRule(rule["kind"], int(rule.get("n", 0)), rule["article"])
            if rule else None,
            supplements=item.get("supplements"), note=item.get("note", ""))
        if instrument.in_force < instrument.adopted:
            raise TreatiesError(name, f"{where}.in_force", "in force before it was adopted")
        built[key] = instrument
    for key, instrument in built.items():
        if instrument.supplements is not None and instrument.supplements not in built:
            raise TreatiesError(name, f"{where_of[key]}.supplements",
                                f"unknown instrument {instrument.supplements!r}")
        if instrument.supplements == key:
            raise TreatiesError(name, f"{where_of[key]}.supplements", "supplements itself")
    return built


def _interpretations(name: str, raw: Sequence[Mapping[str, Any]],
                     instruments: Mapping[str, Instrument]) -> dict[str, Interpretation]:
    _unique_ids(name, "interpretations", raw)
    built: dict[str, Interpretation] = {}
    for index, item in enumerate(raw):
        key, where = item["id"], f"interpretations[{index}]"
        if key in instruments:
            raise TreatiesError(name, f"{where}.id", f"{key!r} is also an instrument's id")
        for index, target in enumerate(item["interprets"]):
            if target not in instruments:
                raise TreatiesError(name, f"{where}.interprets[{index}]",
                                    f"unknown instrument {target!r}")
        if len(item["date"]) > 4:
            _day(name, f"{where}.date", item["date"])
        built[key] = Interpretation(
            id=key, body=item["body"], titles=dict(item["title"]),
            interprets=tuple(item["interprets"]), date=item["date"],
            citation=item["citation"], url=item["url"], state=item.get("state", ""),
            note=item.get("note", ""))
    return built


def _entry(name: str, where: str, state: str, item: Mapping[str, Any],
           instruments: Mapping[str, Instrument]) -> Entry:
    instrument_id = item["instrument"]
    if instrument_id not in instruments:
        raise TreatiesError(name, f"{where}.instrument", f"unknown instrument {instrument_id!r}")
    instrument = instruments[instrument_id]
    entry = Entry(
        state=state, instrument=instrument_id, how=item["how"],
        in_force=_day(name, f"{where}.in_force", item["in_force"]),
        deposited=_day(name, f"{where}.deposited", item["deposited"])
        if "deposited" in item else None,
        withdrawn=_day(name, f"{where}.withdrawn", item["withdrawn"])
        if "withdrawn" in item else None,
        source=item["source"], confirmed=bool(item["confirmed"]), note=item.get("note", ""))
    if entry.withdrawn is not None and entry.withdrawn <= entry.in_force:
        raise TreatiesError(name, f"{where}.withdrawn",
                            f"withdrawn ({entry.withdrawn}) on or before it entered into force "
                            f"({entry.in_force})")
    if entry.in_force < instrument.in_force:
        raise TreatiesError(name, f"{where}.in_force",
                            f"before the treaty itself entered into force ({instrument.in_force})")
    # A succession is notified after the day it takes effect (Slovakia: 28 May 1993 for
    # 1 Jan 1993); a ratification or accession binds only from its deposit on.
    if entry.how in ("ratification", "accession"):
        if entry.deposited is None:
            raise TreatiesError(name, where, f"a {entry.how} needs its deposit date")
        if instrument.entry_rule is None:
            raise TreatiesError(name, where, f"{instrument_id} has no entry_rule to check "
                                "the date against; add it to the instrument")
        expected = instrument.entry_rule.in_force(entry.deposited, instrument.in_force)
        if entry.in_force != expected:
            raise TreatiesError(name, f"{where}.in_force",
                                f"deposited {entry.deposited}, so in force {expected} by "
                                f"{instrument.entry_rule.article}, not {entry.in_force}")
    return entry


def _states(name: str, raw: Mapping[str, Any], instruments: Mapping[str, Instrument],
            ) -> tuple[dict[str, tuple[Entry, ...]], dict[str, tuple[NotParty, ...]],
                       dict[str, dict[str, str]]]:
    entries: dict[str, tuple[Entry, ...]] = {}
    not_parties: dict[str, tuple[NotParty, ...]] = {}
    names: dict[str, dict[str, str]] = {}
    for state, item in raw.items():
        built: dict[str, Entry] = {}
        for index, party in enumerate(item["parties"]):
            where = f"states.{state}.parties[{index}]"
            entry = _entry(name, where, state, party, instruments)
            if entry.instrument in built:
                raise TreatiesError(name, where, f"{entry.instrument} is listed twice")
            built[entry.instrument] = entry
        for entry in built.values():
            parent = instruments[entry.instrument].supplements
            if parent is None:
                continue
            where = f"states.{state}.parties[{list(built).index(entry.instrument)}]"
            base = built.get(parent)
            if base is None or base.in_force > entry.in_force:
                raise TreatiesError(name, where, f"a party to {entry.instrument} must be bound "
                                    f"by {parent} by {entry.in_force}")
        records: list[NotParty] = []
        for index, record in enumerate(item.get("not_party") or ()):
            where = f"states.{state}.not_party[{index}].instrument"
            if record["instrument"] not in instruments:
                raise TreatiesError(name, where, f"unknown instrument {record['instrument']!r}")
            if record["instrument"] in built:
                raise TreatiesError(name, where,
                                    f"{record['instrument']} is also listed as a party")
            records.append(NotParty(state=state, instrument=record["instrument"],
                                    note=record["note"], source=record.get("source", "")))
        entries[state] = tuple(built.values())
        not_parties[state] = tuple(records)
        names[state] = dict(item["name"])
    return entries, not_parties, names


def load(path: Path | str, schema: Path | str | None = None) -> Treaties:
    """treaties.yaml, validated (schema: `treaties.schema.json` beside it unless given)."""
    path = Path(path)
    data = _read(path, Path(schema) if schema else path.with_name(SCHEMA_NAME))
    name = path.name
    instruments = _instruments(name, data["instruments"])
    interpretations = _interpretations(name, data["interpretations"], instruments)
    entries, not_parties, names = _states(name, data["states"], instruments)
    return Treaties(instruments=instruments, interpretations=interpretations, entries=entries,
                    not_parties=not_parties, state_names=names, version=data["version"])


@cache
def cached(directory: str) -> Treaties:
    """`<directory>/treaties.yaml`, loaded once (the profiles directory is passed in)."""
    return load(Path(directory) / FILE_NAME)
