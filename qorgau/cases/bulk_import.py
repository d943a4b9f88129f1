"""Many case files imported at once: `import-case FILE [FILE ...]`, the API's case-file
route, and the migration of a national deployment's cases.

Each file is checked exactly as `casefile.import_case` checks it, with the same refusals
(Refused, AlreadyImported by the file's digest, CaseFileError with every problem and the JSON
path of each), and each is imported all of it or nothing. A file that fails is reported with
its name and problems and leaves nothing behind; the other files are imported. Running the
same batch again imports only the files that failed before (the others are refused as
already imported), which is what an operator migrating thousands of files wants.

The files are written a block at a time, one transaction per block. A file's case, its
parties and events are built as the services build them (`services.CaseBatch` checks every
party and event as `add_party` and `record_event` do), the block's ids are reserved at once,
each case's ledger is chained in memory from its genesis (case.create, assignment.set, the
parties and events, case.import), and every table is written in one statement (COPY on
PostgreSQL, executemany on SQLite). What other apps keep follows through the same services
and signals as the per-file import: the duties and counts (`events_changed`, once per case),
a closed case's status (`set_status`, so its retention clock). A file with sections
(consent, proceedings, risk, referrals) goes through `casefile.import_case` itself, inside
the block. If writing a block fails unexpectedly, it is rolled back whole and its files are
imported again one by one, so the one that fails is reported alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Max, Model
from django.utils.translation import gettext as _

from qorgau.accounts.models import Organisation, User
from qorgau.cases import casefile, ledger, records, services, signals
from qorgau.cases.dates import DateSpan
from qorgau.cases.models import (
    Case,
    CaseAssignment,
    Event,
    EventLink,
    EventParty,
    LedgerEntry,
    Party,
)
from qorgau.cases.regions import PROFILES

BLOCK_EVENTS = 20_000  # events per transaction (and per statement of each table)
# Tables in the order they are written (foreign keys).
MODELS: tuple[type[Model], ...] = (Case, CaseAssignment, Party, Event, EventParty, EventLink,
                                   LedgerEntry)


@dataclass
class FileResult:
    """What became of one file: its case, or why it was not imported (`error`)."""

    name: str
    case: Case | None = None
    parties: int = 0
    events: int = 0
    error: casefile.Refused | casefile.CaseFileError | None = None

    @property
    def problems(self) -> list[str]:
        """Why the file was not imported, in plain words (empty if it was)."""
        if isinstance(self.error, casefile.CaseFileError):
            return [str(problem) for problem in self.error.problems]
        return [str(self.error)] if self.error is not None else []


@dataclass
class BatchResult:
    files: list[FileResult]

    @property
    def imported(self) -> list[FileResult]:
        return [f for f in self.files if f.case is not None]

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.case is None]


@dataclass
class _Built:
    """A checked file, built in memory and not written yet."""

    result: FileResult
    document: Any
    digest: str
    case: Case | None = None  # None: a file with sections, imported by import_case
    batch: services.CaseBatch | None = None
    rows: dict[type[Model], list[Model]] = field(default_factory=dict)


def import_files(files: Iterable[tuple[str, Any]], organisation: Organisation, by: User,
                 *, block_events: int = BLOCK_EVENTS) -> BatchResult:
    """Import each (name, case file) of `files`; a file is its text (str or bytes) or its
    parsed JSON. Raises Refused if `by` cannot open cases in `organisation` (nothing is
    imported); every other failure is the file's own, in its FileResult."""
    if not services.can_open_cases(by, organisation):
        raise casefile.Refused(_("%(email)s cannot open cases in %(organisation)s.")
                               % {"email": by.email, "organisation": organisation.slug})
    results: list[FileResult] = []
    checked: list[tuple[FileResult, Any, dict[int, DateSpan], str]] = []
    for name, source in files:
        result = FileResult(name)
        results.append(result)
        try:
            document = (casefile.loads(source) if isinstance(source, str | bytes)
                        else source)
            spans = casefile.validate(document)
        except casefile.CaseFileError as exc:
            result.error = exc
            continue
        checked.append((result, document, spans, ledger.digest(document)))
    before = _imported_before([digest for _r, _d, _s, digest in checked], organisation)
    pending: list[_Built] = []
    events = 0
    seen: dict[str, FileResult] = {}  # digest -> the file of this batch that carries it
    twice: list[tuple[FileResult, FileResult, Any]] = []  # (file, its first, document)
    for result, document, spans, digest in checked:
        if digest in before:
            result.error = casefile.AlreadyImported(before[digest])
            continue
        if digest in seen:
            twice.append((result, seen[digest], document))
            continue
        try:
            built = _build(result, document, spans, digest, organisation, by)
        except casefile.CaseFileError as exc:
            result.error = exc
            continue
        seen[digest] = result
        pending.append(built)
        events += len(document["events"])
        if events >= block_events:
            _write_block(pending, organisation, by)
            pending, events = [], 0
    if pending:
        _write_block(pending, organisation, by)
    # A file given twice: refused as the first was imported; if that one failed, tried.
    again = [(result, document) for result, first, document in twice if first.case is None]
    for result, first, _document in twice:
        if first.case is not None:
            result.error = casefile.AlreadyImported(first.case.reference)
    if again:
        retried = import_files([(r.name, d) for r, d in again], organisation, by,
                               block_events=block_events)
        for (result, _document), outcome in zip(again, retried.files, strict=True):
            vars(result).update(vars(outcome))
    return BatchResult(results)


def _imported_before(digests: Sequence[str], organisation: Organisation) -> dict[str, str]:
    """digest -> reference of the organisation's cases built from these documents (as
    `casefile.already_imported`, for many at once)."""
    found: dict[str, str] = {}
    for start in range(0, len(digests), 500):
        rows = (LedgerEntry.objects
                .filter(action="case.import", detail__sha256__in=digests[start:start + 500],
                        case__organisation=organisation)
                .exclude(case__status=Case.Status.ERASED)
                .values_list("detail__sha256", "case__reference"))
        for digest, reference in rows:
            found.setdefault(digest, reference)
    return found


def _has_sections(document: Any) -> bool:
    return any(section.name in document and document[section.name] != section.empty()
               for section in casefile.sections())


def _build(result: FileResult, document: Any, spans: dict[int, DateSpan], digest: str,
           organisation: Organisation, by: User) -> _Built:
    """The file's case, parties and events, checked by the services' own checks and not
    written; CaseFileError (with the place in the file) if a check refuses."""
    result.parties, result.events = len(document["parties"]), len(document["events"])
    built = _Built(result, document, digest)
    if _has_sections(document):
        return built
    path = "$.case"
    try:
        meta = document["case"]
        profile = meta.get("profile", "kz")
        mode = meta.get("mode", Case.Mode.CASEWORK)
        if profile not in PROFILES:  # as services.create_case checks them
            raise ValidationError({"profile": _("Choose a jurisdiction profile from the list.")})
        if mode not in Case.Mode.values:
            raise ValidationError({"mode": _("Choose casework or monitoring.")})
        case = Case(organisation=organisation, reference=services.new_reference(),
                    region=services.check_region(meta["region"], profile), profile=profile,
                    created_by=by, mode=mode)
        services._clean(case, exclude=["reference"])
        batch = services.CaseBatch(case, by, new=True)
        parties: dict[str, Party] = {}
        for i, party in enumerate(document["parties"]):
            path = f"$.parties[{i}]"
            parties[party["key"]] = batch.add_party(**casefile.party_values(party))
        events: dict[int, Event] = {}
        for i, item in enumerate(document["events"]):
            path = f"$.events[{i}]"
            data = casefile.event_input(item, spans[i], parties, events)
            supersedes = item.get("supersedes")
            events[item["number"]] = batch.add_event(
                data, supersedes=None if supersedes is None else events[supersedes],
                correction_reason=item.get("correction_reason", ""))
    except ValidationError as exc:
        raise casefile.CaseFileError(casefile.service_problems(exc, path)) from exc
    built.case, built.batch = case, batch
    return built


def _write_block(block: list[_Built], organisation: Organisation, by: User) -> None:
    """Write the block's files in one transaction; if that fails, each file on its own."""
    try:
        with transaction.atomic():
            _write(block, organisation, by)
        return
    except (DatabaseError, casefile.CaseFileError) as exc:
        failure = exc
    for built in block:
        built.result.case = None
    if len(block) == 1:
        block[0].result.error = (failure if isinstance(failure, casefile.CaseFileError)
                                 else casefile.CaseFileError([casefile.Problem("", _(
                                     "The case could not be written (%(reason)s); nothing "
                                     "of this file was imported.") % {"reason": failure})]))
        return
    for built in block:
        try:
            fresh = _fresh(built, organisation, by)
        except casefile.CaseFileError as exc:
            built.result.error = exc
            continue
        _write_block([fresh], organisation, by)


def _fresh(built: _Built, organisation: Organisation, by: User) -> _Built:
    """The file built again (ids and timestamps from a rolled-back write discarded)."""
    if built.case is None:
        return built
    return _build(built.result, built.document, casefile.validate(built.document),
                  built.digest, organisation, by)


def _write(block: list[_Built], organisation: Organisation, by: User) -> None:
    fast = [built for built in block if built.case is not None]
    _unique_references(fast)
    rows: dict[type[Model], list[Model]] = {model: [] for model in MODELS}
    assignments: list[CaseAssignment] = []
    for built in fast:
        assert built.case is not None and built.batch is not None
        case = built.case
        rows[Case].append(case)
        assignment = CaseAssignment(case=case, user=by, access=CaseAssignment.Access.WRITE)
        assignments.append(assignment)
        rows[CaseAssignment].append(assignment)
        for obj, parties, links in built.batch.added():
            rows[type(obj)].append(obj)
            if isinstance(obj, Event):
                rows[EventParty] += [EventParty(event=obj, party=party, role=role)
                                     for party, role in parties]
                rows[EventLink] += [EventLink(source=obj, target=target, kind=kind)
                                    for target, kind in links]
    for model in MODELS[:-1]:
        for row, pk in zip(rows[model], _reserve(model, len(rows[model])), strict=True):
            row.pk = pk
    for model in MODELS[1:-1]:  # the foreign keys, now that their targets have ids
        for row in rows[model]:
            for f in model._meta.concrete_fields:
                if f.is_relation and f.is_cached(row):  # type: ignore[attr-defined]
                    target = getattr(row, f.name)
                    # Past the descriptor, which would forget the related object.
                    row.__dict__[f.attname] = None if target is None else target.pk
    for built, assignment in zip(fast, assignments, strict=True):
        rows[LedgerEntry] += _ledger(built, assignment, by)
    for row, pk in zip(rows[LedgerEntry], _reserve(LedgerEntry, len(rows[LedgerEntry])),
                       strict=True):
        row.pk = pk
    for model in MODELS:
        _insert(model, rows[model])
    for built in block:
        if built.case is None:  # sections: the per-file import, in a savepoint of its own
            try:
                built.result.case = casefile.import_case(built.document, organisation, by)
            except (casefile.Refused, casefile.CaseFileError) as exc:
                built.result.error = exc
            continue
        _after(built, by)
        built.result.case = built.case


def _unique_references(fast: list[_Built]) -> None:
    """New references for the cases whose random one is taken (as rare as it sounds)."""
    while True:
        cases = {built.case.reference: built.case for built in fast if built.case}
        taken = set(Case.objects.filter(reference__in=list(cases))
                    .values_list("reference", flat=True))
        if not taken and len(cases) == len(fast):
            return
        used = set(cases)
        for built in fast:
            assert built.case is not None
            if built.case.reference in taken or cases.get(built.case.reference) is not (
                    built.case):
                while built.case.reference in used | taken:
                    built.case.reference = services.new_reference()
                used.add(built.case.reference)
                cases[built.case.reference] = built.case


def _ledger(built: _Built, assignment: CaseAssignment, by: User) -> list[LedgerEntry]:
    """The new case's chain, as the services append it: case.create, assignment.set, each
    party and event, and (an open case, whose import ends there) case.import."""
    assert built.case is not None and built.batch is not None
    case = built.case
    entries: list[LedgerEntry] = []
    head = (0, ledger.GENESIS)

    def append(action: str, subject: str, record: Any = None,
               detail: dict[str, Any] | None = None) -> None:
        nonlocal head
        entry = services._chained(case, head, by, action, subject, record, detail)
        entry.case_id = case.pk
        head = (entry.seq, entry.hash)
        entries.append(entry)

    append("case.create", records.subject(case), records.case_record(case))
    append("assignment.set", records.subject(assignment), records.assignment_record(assignment))
    for obj, parties, links in built.batch.added():
        if isinstance(obj, Party):
            append("party.create", records.subject(obj), records.party_record(obj))
            continue
        record = records.event_record(
            obj, [(party.pk, role) for party, role in parties],
            [(target.number, kind) for target, kind in links],
            obj.supersedes.number if obj.supersedes else None)
        append("event.correct" if obj.supersedes else "event.create", records.subject(obj),
               record)
    if _status(built) == case.status:
        append("case.import", records.subject(case), detail={"sha256": built.digest})
    return entries


def _status(built: _Built) -> str:
    return str(built.document["case"].get("status", Case.Status.OPEN))


def _reserve(model: type[Model], count: int) -> list[int]:
    """`count` new ids of `model`'s table, taken from its sequence (PostgreSQL) or after its
    highest (SQLite, whose writers the transaction's lock keeps out)."""
    if not count:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                           "FROM generate_series(1, %s)", [f'"{table}"', count])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
    highest = max(found[0] if found else 0,
                  model._default_manager.aggregate(m=Max("pk"))["m"] or 0)
    return list(range(highest + 1, highest + 1 + count))


def _insert(model: type[Model], objs: Sequence[Model]) -> None:
    """The rows as Django writes them (each field's pre_save and database value: encrypted
    fields encrypted, dates as the backend keeps them), in one statement."""
    if not objs:
        return
    fields = model._meta.concrete_fields
    rows = [tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
            for obj in objs]
    table = model._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    for obj in objs:
        obj._state.adding, obj._state.db = False, "default"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(  # type: ignore[union-attr]
                    f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})',  # noqa: S608  # nosec B608
                           rows)


def _after(built: _Built, by: User) -> None:
    """What other apps derive from the new case (its duties and counts, through the signal
    the per-file import sends), then a closed case's status and the import's entry."""
    assert built.case is not None and built.batch is not None
    case = built.case
    events = [obj for obj, _p, _l in built.batch.added() if isinstance(obj, Event)]
    if events:
        kinds = (None if any(event.supersedes_id for event in events)
                 else frozenset(event.kind for event in events))
        signals.events_changed.send(sender=Case, case=case, by=by, kinds=kinds,
                                    events=[event.pk for event in events])
    status = _status(built)
    if status != case.status:
        try:
            services.set_status(case, by, status)
        except ValidationError as exc:
            raise casefile.CaseFileError(casefile.service_problems(exc, "$.case")) from exc
        services.record_import(case, by, built.digest)
