"""Everything a database administrator could do behind the application is detected."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from qorgau.cases import services
from qorgau.cases.models import Event, LedgerEntry
from qorgau.cases.verification import verify_all
from qorgau.conftest import make_event


@pytest.fixture
def story(case, alice, survivor, respondent):
    order = make_event(case, alice, "order_issued", "2024-01-10", narrative="order granted")
    data = services.EventInput(
        kind="order_breached", span=services.parse_span("2024-01-20"), source="survivor",
        reliability="probable", narrative="he came back",
        parties=[(respondent, "perpetrator"), (survivor, "victim")],
        links=[(order, "breach_of")],
    )
    breach = services.record_event(case, alice, data)
    make_event(case, alice, "police_report", "2024-01-21", narrative="reported the breach")
    services.record_view(case, alice, "timeline")
    return case, order, breach


def broken(case):
    reports = [r for r in verify_all() if r.case_id == case.pk]
    assert len(reports) == 1
    return reports[0].problem


def assert_command_names(case, entry_seq):
    with pytest.raises(CommandError):
        call_command("verify")
    # the message names the case and the entry
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("verify", stderr=err)
    text = err.getvalue()
    assert case.reference in text
    if entry_seq is not None:
        assert f"entry {entry_seq}" in text


def creation_seq(case, event):
    return LedgerEntry.objects.get(case=case, subject=f"event:{event.pk}").seq


def drop_ledger_triggers():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER cases_ledgerentry_no_change ON cases_ledgerentry")
        else:
            cur.execute("DROP TRIGGER cases_ledgerentry_no_update")
            cur.execute("DROP TRIGGER cases_ledgerentry_no_delete")


def test_intact_case_verifies(story):
    case, _, _ = story
    assert broken(case) is None
    call_command("verify")


def test_database_rejects_update_and_delete_of_ledger(story):
    case, _, _ = story
    for sql in ("UPDATE cases_ledgerentry SET action = 'x'", "DELETE FROM cases_ledgerentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert LedgerEntry.objects.filter(case=case).exclude(action="x").count() > 0


def test_changed_event_field(story):
    case, order, breach = story
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_event SET kind = 'police_visit' WHERE id = %s", [breach.pk])
    problem = broken(case)
    assert problem and problem.seq == creation_seq(case, breach)
    assert "differs" in problem.reason
    assert_command_names(case, problem.seq)


def test_changed_event_date(story):
    case, order, _ = story
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_event SET when_start = '2024-03-10' WHERE id = %s", [order.pk])
    assert broken(case).seq == creation_seq(case, order)


def test_swapped_narrative_ciphertext(story):
    """Copying another record's valid ciphertext is still a change of the record."""
    case, order, breach = story
    with connection.cursor() as cur:
        cur.execute("SELECT narrative FROM cases_event WHERE id = %s", [order.pk])
        token = cur.fetchone()[0]
        cur.execute("UPDATE cases_event SET narrative = %s WHERE id = %s", [token, breach.pk])
    assert broken(case).seq == creation_seq(case, breach)


def test_changed_link(story):
    case, order, breach = story
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_eventlink SET kind = 'related_to' WHERE source_id = %s",
                    [breach.pk])
    assert broken(case).seq == creation_seq(case, breach)


def test_deleted_event(story):
    case, _, _ = story
    report = Event.objects.get(case=case, kind="police_report")
    with connection.cursor() as cur:
        # The derived obligations point at it too; a tamperer has to remove them first.
        cur.execute("DELETE FROM duties_obligation WHERE trigger_id = %s OR satisfied_by_id = %s",
                    [report.pk, report.pk])
        cur.execute("DELETE FROM cases_event WHERE id = %s", [report.pk])
    problem = broken(case)
    assert problem.seq == creation_seq(case, report) and "missing" in problem.reason
    assert_command_names(case, problem.seq)


def test_inserted_event(story):
    case, order, _ = story
    columns = [f.column for f in Event._meta.concrete_fields if f.column != "id"]
    cols = ", ".join(columns)
    select = ", ".join("100" if c == "number" else c for c in columns)
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO cases_event ({cols}) SELECT {select} FROM cases_event "  # noqa: S608
                    "WHERE id = %s", [order.pk])
    problem = broken(case)
    assert problem and problem.seq is None and "without a ledger entry" in problem.reason
    assert_command_names(case, None)


def test_reordered_events(story):
    """Swapping two events' numbers (their order on the record) is detected."""
    case, order, breach = story
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_event SET number = 999 WHERE id = %s", [order.pk])
        cur.execute("UPDATE cases_event SET number = %s WHERE id = %s",
                    [order.number, breach.pk])
        cur.execute("UPDATE cases_event SET number = %s WHERE id = %s",
                    [breach.number, order.pk])
    assert broken(case).seq == creation_seq(case, order)


def test_reordered_ledger_entries(story):
    case, _, _ = story
    drop_ledger_triggers()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_ledgerentry SET seq = 1000 WHERE case_id = %s AND seq = 2",
                    [case.pk])
        cur.execute("UPDATE cases_ledgerentry SET seq = 2 WHERE case_id = %s AND seq = 3",
                    [case.pk])
        cur.execute("UPDATE cases_ledgerentry SET seq = 3 WHERE case_id = %s AND seq = 1000",
                    [case.pk])
    problem = broken(case)
    assert problem.seq == 2
    assert_command_names(case, 2)


def test_edited_ledger_row_after_dropping_trigger(story):
    case, order, _ = story
    seq = creation_seq(case, order)
    drop_ledger_triggers()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_ledgerentry SET actor_id = NULL WHERE case_id = %s "
                    "AND seq = %s", [case.pk, seq])
    problem = broken(case)
    assert problem.seq == seq and "hash" in problem.reason
    assert_command_names(case, seq)


def test_ledger_row_rehashed_after_dropping_trigger(story):
    """Recomputing the edited row's own hash still breaks the link from the next row."""
    from qorgau.cases.services import ledger_entry

    case, order, _ = story
    seq = creation_seq(case, order)
    drop_ledger_triggers()
    entry = LedgerEntry.objects.get(case=case, seq=seq)
    entry.action = "event.correct"
    new_hash = ledger_entry(entry).computed_hash()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_ledgerentry SET action = 'event.correct', hash = %s "
                    "WHERE id = %s", [new_hash, entry.pk])
    assert broken(case).seq == seq + 1


def test_deleted_ledger_row_after_dropping_trigger(story):
    case, _, _ = story
    drop_ledger_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM cases_ledgerentry WHERE case_id = %s AND seq = 3", [case.pk])
    assert broken(case).seq == 4


def test_deleted_last_ledger_row_after_dropping_trigger(story):
    """Cutting off the newest write leaves its record without a ledger entry."""
    case, _, _ = story
    report = Event.objects.get(case=case, kind="police_report")
    seq = creation_seq(case, report)
    drop_ledger_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM cases_ledgerentry WHERE case_id = %s AND seq >= %s",
                    [case.pk, seq])
    assert "without a ledger entry" in broken(case).reason


def test_changed_party_name(story, survivor):
    case, _, _ = story
    from qorgau.fields import keyring

    token = keyring().encrypt("Someone Else")
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_party SET full_name = %s WHERE id = %s", [token, survivor.pk])
    problem = broken(case)
    assert problem and "party" in problem.reason


def test_garbage_ciphertext_is_reported_not_crashed(story):
    case, order, _ = story
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_event SET narrative = 'garbage' WHERE id = %s", [order.pk])
    assert "cannot be read" in broken(case).reason


def test_other_cases_unaffected(story, org, alice):
    case, order, _ = story
    other = services.create_case(org, alice, region="kz-west")
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_event SET kind = 'hearing' WHERE id = %s", [order.pk])
    results = {r.case_id: r.problem for r in verify_all()}
    assert results[case.pk] is not None and results[other.pk] is None
