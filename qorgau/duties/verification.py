"""`verify --duties`: every case's duties derived again from its timeline and compared with
the stored obligations, which are what the cross-case lists (Needs action, reminders,
insights) read. An obligation edited in the database (a breach turned into "met", a row
deleted or added) shows as a difference.

A case's stored obligations are derived as of the day they were last computed (their
newest `computed_at`), so the comparison uses that day: a duty that fell due since is not a
difference. Cases are read in blocks, as the bulk recompute reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from qorgau.cases import checks
from qorgau.cases.models import Case, EventLink
from qorgau.duties import bulk, engine, profiles, services
from qorgau.duties.models import Obligation

SHOWN = 3  # differences named per case


def _key(content: tuple[Any, ...]) -> tuple[str, int]:
    rule_at, trigger_at = bulk.CONTENT.index("rule_id"), bulk.CONTENT.index("trigger_id")
    return content[rule_at], content[trigger_at]


def _status(content: tuple[Any, ...]) -> str:
    return str(content[bulk.CONTENT.index("status")])


def _differences(stored: list[tuple[Any, ...]], derived: set[tuple[Any, ...]],
                 numbers: dict[int, int]) -> list[str]:
    old = {_key(c): c for c in stored}
    new = {_key(c): c for c in derived}
    found = []
    for key in sorted(set(old) | set(new), key=lambda k: (k[1], k[0])):
        rule, trigger = key
        where = f"{rule} on event #{numbers.get(trigger, '?')}"
        if key not in new:
            found.append(f"{where}: stored ({_status(old[key])}) but not derived")
        elif key not in old:
            found.append(f"{where}: derived ({_status(new[key])}) but not stored")
        elif old[key] != new[key]:
            if _status(old[key]) != _status(new[key]):
                found.append(f"{where}: stored {_status(old[key])}, derived "
                             f"{_status(new[key])}")
            else:
                differ = [name for name, a, b in zip(bulk.CONTENT, old[key], new[key],
                                                     strict=True) if a != b]
                found.append(f"{where}: stored {', '.join(differ)} differ from the derived")
    if not found and len(stored) != len(derived):
        found.append("a stored obligation is there twice")
    return found


def check_block(first: int, last: int) -> Iterator[tuple[str, list[str]]]:
    """(case reference, differences) of each case with ids first..last whose stored
    obligations differ from those derived again."""
    directory = str(services.profiles_dir())
    cases = list(Case.objects.filter(pk__gte=first, pk__lte=last)
                 .exclude(status=Case.Status.ERASED).order_by("pk")
                 .values_list("pk", "reference", "organisation_id", "profile", "region", "mode"))
    if not cases:
        return
    read = bulk._events(first, last)
    events = bulk._by_case(read)
    case_of = {row[1]: row[0] for row in read}
    numbers = {row[1]: row[2] for row in read}
    links = bulk._by_case((case_of[source], source, target) for source, target in
                          EventLink.rows_from(list(case_of), "source_id", "target_id"))
    stored = bulk._by_case(Obligation.objects.filter(case_id__gte=first, case_id__lte=last)
                           .values_list("case_id", "computed_at", *bulk.CONTENT))
    for case_id, reference, organisation_id, profile_id, region, mode in cases:
        rows = stored.get(case_id, [])
        today = (max(timezone.localdate(row[1]) for row in rows) if rows
                 else timezone.localdate())
        try:
            law = profiles.cached(profile_id, directory)
            facts = services.facts_from((row[1:] for row in events.get(case_id, [])),
                                        (row[1:] for row in links.get(case_id, [])))
            derived = {bulk._content(o, organisation_id, law, facts.event_ids)
                       for o in engine.derive(law, facts.facts, today, services.case_context(
                           region, mode, facts.facts))}
        except Exception as exc:  # noqa: BLE001 -- a case that cannot be derived is a finding
            yield reference, [f"its duties cannot be derived ({type(exc).__name__})"]
            continue
        contents = [tuple(row[2:]) for row in rows]
        if len(contents) == len(derived) and set(contents) == derived:
            continue
        yield reference, _differences(contents, derived, numbers)


def verify_duties(block: int = bulk.BLOCK) -> Iterator[tuple[str, list[str]]]:
    ids = list(Case.objects.exclude(status=Case.Status.ERASED).order_by("pk")
               .values_list("pk", flat=True))
    for start in range(0, len(ids), block):
        chunk = ids[start:start + block]
        yield from check_block(chunk[0], chunk[-1])


def _add_arguments(parser: CommandParser) -> None:
    parser.add_argument("--duties", action="store_true",
                        help="derive every case's duties again and compare them with the "
                             "stored obligations")


def _run(options: dict[str, Any], say: Callable[[str], None]) -> list[str]:
    if not options.get("duties"):
        return []
    problems = []
    for reference, found in verify_duties():
        more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
        problems.append(f"case {reference}: STORED DUTIES DIFFER from the timeline: "
                        f"{'; '.join(found[:SHOWN])}{more}")
    say(f"duties: every case's obligations derived again, {len(problems)} cases differ "
        "from the stored ones")
    return problems


VERIFY_CHECK = checks.Check("duties", _add_arguments, _run)
