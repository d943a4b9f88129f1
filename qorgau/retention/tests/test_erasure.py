"""Closing, legal hold and erasure against the real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from qorgau.cases import checkpoints, erasure, services
from qorgau.cases.models import Case, LedgerEntry, Party
from qorgau.cases.verification import verify_case
from qorgau.evidence import services as evidence_services
from qorgau.evidence import storage
from qorgau.retention import policy
from qorgau.retention import services as retention
from qorgau.retention.models import LegalHold, RetentionClock
from qorgau.retention.tests.conftest import SURVIVOR_NAME, png

# Tables that outlive erasure: the tombstone, the ledger, checkpoints, what belongs to the
# organisation rather than to a case, and the statistics' releases (suppressed aggregate
# cells, no case rows; the background worker computes the next one without the case).
KEPT = {"cases.Case", "cases.LedgerEntry", "cases.Checkpoint", "risk.LicensedText",
        "retention.RetentionPolicy", "referrals.Provider", "insights.Release"}


def case_tables() -> list[str]:
    """Every table of the project's apps that holds case data (through tables included)."""
    tables = []
    for model in apps.get_models(include_auto_created=True):
        # api: a user's tokens and own trail (methods and paths), no case data;
        # operations: background workers' heartbeats.
        if not model.__module__.startswith("qorgau.") or model._meta.app_label in (
                "accounts", "demo", "api", "operations"):
            continue
        if model._meta.label not in KEPT:
            tables.append(model._meta.db_table)
    return sorted(tables)


def rows(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return int(cur.fetchone()[0])


def close(case, by):
    services.set_status(case, by, Case.Status.CLOSED)
    case.refresh_from_db()


def due_day(case):
    return RetentionClock.objects.get(case=case).retain_until + timedelta(days=1)


def problem(case):
    return verify_case(case.pk, case.reference).problem


# --- the clock -------------------------------------------------------------------------------


def test_closing_starts_the_clock_and_reopening_stops_it(case, alice, org):
    today = timezone.localdate()
    close(case, alice)
    clock = RetentionClock.objects.get(case=case)
    assert (clock.closed_on, clock.months) == (today, 84)
    assert clock.retain_until == policy.add_months(today, 84)
    assert retention.clock_for(case).retain_until == clock.retain_until

    services.set_status(case, alice, Case.Status.OPEN)
    case.refresh_from_db()
    assert not RetentionClock.objects.filter(case=case).exists()
    assert retention.clock_for(case) is None

    retention.set_policy(org, 12)
    close(case, alice)
    assert RetentionClock.objects.get(case=case).retain_until == policy.add_months(today, 12)
    actions = list(LedgerEntry.objects.filter(case=case).values_list("action", flat=True))
    assert actions.count("retention.start") == 2 and actions.count("retention.remove") == 1
    assert problem(case) is None


def test_the_instance_default_and_the_organisation_override(case, alice, org, settings):
    settings.QORGAU_RETENTION_MONTHS = 24
    assert retention.period_months(org) == 24
    retention.set_policy(org, 6)
    assert retention.period_months(org) == 6
    with pytest.raises(ValidationError):
        retention.set_policy(org, 0)
    retention.set_policy(org, None)
    assert retention.period_months(org) == 24


def test_a_case_closed_before_clocks_were_kept_uses_its_ledger(case, alice):
    close(case, alice)
    RetentionClock.objects.filter(case=case).delete()  # as if closed before this app
    clock = retention.clock_for(case)
    closed_at = LedgerEntry.objects.filter(case=case, action="case.status").latest("seq").at
    assert not clock.stored
    assert clock.closed_on == timezone.localdate(closed_at)
    assert clock.retain_until == policy.add_months(clock.closed_on, 84)
    later = clock.retain_until + timedelta(days=1)
    assert [c for c, _ in retention.due_cases(later)] == [case]
    assert retention.due_cases(clock.retain_until) == []


def test_closing_and_reopening_on_the_retention_page_is_for_managers(case, alice, carol):
    with pytest.raises(ValidationError, match="supervisor or an administrator"):
        retention.close_case(case, alice)
    retention.close_case(case, carol)
    with pytest.raises(ValidationError, match="not open"):
        retention.close_case(case, carol)
    retention.reopen_case(case, carol)
    assert case.status == Case.Status.OPEN


# --- legal hold ------------------------------------------------------------------------------


def test_hold_is_set_and_lifted_by_managers_with_reasons(case, alice, carol, dave):
    for who in (alice, dave):
        with pytest.raises(ValidationError):
            retention.set_hold(case, who, "Court order")
    with pytest.raises(ValidationError):
        retention.set_hold(case, carol, "   ")
    hold = retention.set_hold(case, carol, "Court order 2-345/2026")
    with pytest.raises(ValidationError, match="already under legal hold"):
        retention.set_hold(case, carol, "again")
    with pytest.raises(ValidationError):
        retention.lift_hold(case, carol, "")
    retention.lift_hold(case, carol, "Order expired")
    hold.refresh_from_db()
    assert hold.lifted_by == carol and hold.lift_reason == "Order expired"
    with pytest.raises(ValidationError, match="not under legal hold"):
        retention.lift_hold(case, carol, "again")
    entries = LedgerEntry.objects.filter(case=case, subject=f"hold:{hold.pk}")
    assert [e.action for e in entries] == ["hold.set", "hold.lift"]
    assert all("Court" not in json.dumps(e.detail) for e in entries)
    assert problem(case) is None
    # The reason is encrypted at rest.
    with connection.cursor() as cur:
        cur.execute("SELECT reason FROM retention_legalhold WHERE id = %s", [hold.pk])
        assert "Court" not in cur.fetchone()[0]


def test_hold_blocks_erasure_by_anyone(case, alice, carol, admin):
    close(case, alice)
    retention.set_hold(case, carol, "Criminal case pending")
    day = due_day(case)
    for who, reason in ((carol, policy.RETENTION_ENDED), (admin, policy.SURVIVOR_REQUEST),
                        (None, policy.RETENTION_ENDED)):
        with pytest.raises(ValidationError, match="legal hold"):
            retention.erase_case(case, who, reason, today=day)
    assert retention.due_cases(day) == []
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    retention.lift_hold(case, carol, "Decided")
    assert [c for c, _ in retention.due_cases(day)] == [case]
    retention.erase_case(case, carol, policy.RETENTION_ENDED, today=day)
    assert case.status == Case.Status.ERASED


# --- who may erase when ----------------------------------------------------------------------


def test_an_open_case_is_never_erased(case, admin):
    with pytest.raises(ValidationError, match="Close it"):
        retention.erase_case(case, admin, policy.SURVIVOR_REQUEST)


def test_before_its_date_only_an_admin_erases_and_only_for_a_stated_reason(
        case, alice, carol, admin, survivor):
    close(case, alice)
    with pytest.raises(ValidationError, match="kept until"):
        retention.erase_case(case, carol, policy.RETENTION_ENDED)
    with pytest.raises(ValidationError, match="only an administrator"):
        retention.erase_case(case, carol, policy.SURVIVOR_REQUEST)
    with pytest.raises(ValidationError, match="kept until"):
        retention.erase_case(case, admin, policy.RETENTION_ENDED)
    with pytest.raises(ValidationError, match="kept until"):
        retention.erase_case(case, None, policy.RETENTION_ENDED)
    with pytest.raises(ValidationError, match="supervisor or an administrator"):
        retention.erase_case(case, alice, policy.SURVIVOR_REQUEST, today=due_day(case))
    with pytest.raises(ValidationError, match="reason"):
        retention.erase_case(case, admin, "because")
    assert Party.objects.filter(case=case).exists()

    retention.erase_case(case, admin, policy.SURVIVOR_REQUEST)
    entry = LedgerEntry.objects.filter(case=case).latest("seq")
    assert entry.action == "case.erase" and entry.actor == admin
    assert entry.detail["reason"] == policy.SURVIVOR_REQUEST and entry.detail["early"] is True


# --- what erasure removes --------------------------------------------------------------------


def test_erasure_removes_every_record_in_every_app(full, carol, other_org, alice,
                                                   django_capture_on_commit_callbacks):
    case = full.case
    entries_before = LedgerEntry.objects.filter(case=case).count()
    close(case, carol)
    tables = case_tables()
    empty_before = [t for t in tables if rows(t) == 0]
    assert not empty_before, f"the fixture should fill every case table: {empty_before}"

    with django_capture_on_commit_callbacks(execute=True):
        counts = retention.erase_case(case, carol, policy.RETENTION_ENDED, today=due_day(case))

    left = {t: rows(t) for t in tables if rows(t)}
    assert not left, f"rows left after erasure: {left}"
    assert not any(f.exists() for f in full.files)
    # the two photos and the narrative's text; the narrative with its two proposals
    assert counts["cases.Party"] == 2 and counts["evidence.Exhibit"] == 3
    assert counts["intake.Narrative"] == 1 and counts["intake.Proposal"] == 2
    assert counts["retention.LegalHold"] == 1 and counts["retention.RetentionClock"] == 1

    tomb = Case.objects.get(pk=case.pk)
    assert (tomb.reference, tomb.organisation_id, tomb.status) == (
        case.reference, case.organisation_id, Case.Status.ERASED)
    entries = list(LedgerEntry.objects.filter(case=case).order_by("seq"))
    assert len(entries) == entries_before + 3  # status, clock, erase
    erase = entries[-1]
    assert (erase.action, erase.subject) == ("case.erase", f"case:{case.pk}")
    assert erase.detail["removed"] == dict(sorted(counts.items()))
    assert SURVIVOR_NAME not in json.dumps(erase.detail)
    assert problem(case) is None
    call_command("verify", stdout=io.StringIO())


def test_a_file_of_another_case_with_the_same_bytes_stays(full, carol, org, alice,
                                                          django_capture_on_commit_callbacks):
    other = services.create_case(org, alice, region="kz-west")
    kept = evidence_services.ingest(other, alice, evidence_services.Upload(
        io.BytesIO(png("red")), "same.png"))
    kept_file = Path(storage.evidence_storage().location) / kept.blob.object_name
    close(full.case, carol)
    with django_capture_on_commit_callbacks(execute=True):
        retention.erase_case(full.case, carol, policy.RETENTION_ENDED,
                             today=due_day(full.case))
    assert kept.blob.sha256 == full.exhibits[0].blob.sha256
    assert kept_file.is_file() and not full.files[0].exists()
    handle, _sha = evidence_services.open_original(kept)
    handle.close()
    assert problem(other) is None


def test_a_failing_eraser_undoes_the_whole_erasure(full, carol,
                                                   django_capture_on_commit_callbacks):
    case = full.case
    close(case, carol)

    def broken(case):
        raise RuntimeError("disk full")

    erasure.ERASERS.insert(0, broken)  # runs last of the apps, after the others deleted
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks, \
                pytest.raises(RuntimeError):
            retention.erase_case(case, carol, policy.RETENTION_ENDED, today=due_day(case))
    finally:
        erasure.ERASERS.remove(broken)
    assert callbacks == []
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert all(f.is_file() for f in full.files)
    assert Party.objects.filter(case=case).count() == 2
    assert not LedgerEntry.objects.filter(case=case, action="case.erase").exists()
    assert problem(case) is None


def test_rows_no_eraser_removes_stop_the_erasure(full, carol):
    from qorgau.insights import services as insight_services

    close(full.case, carol)
    erasure.ERASERS.remove(insight_services.erase_case_records)
    try:
        with pytest.raises(erasure.ErasureIncomplete, match="insights.CaseFact"):
            retention.erase_case(full.case, carol, policy.RETENTION_ENDED,
                                 today=due_day(full.case))
    finally:
        erasure.register(insight_services.erase_case_records)
    assert Party.objects.filter(case=full.case).count() == 2


def test_nothing_more_is_recorded_on_an_erased_case(case, alice, carol, survivor):
    close(case, alice)
    day = due_day(case)
    retention.erase_case(case, carol, policy.RETENTION_ENDED, today=day)
    with pytest.raises(ValidationError, match="erased"):
        services.set_status(case, alice, Case.Status.OPEN)
    with pytest.raises(ValidationError, match="erased"):
        services.add_party(case, alice, role="other", full_name="Someone")
    with pytest.raises(ValidationError, match="erased"):
        services.record_view(case, alice, "case")
    with pytest.raises(ValidationError, match="already been erased"):
        retention.erase_case(case, None, policy.RETENTION_ENDED, today=day)
    assert problem(case) is None


# --- the ledger after erasure ----------------------------------------------------------------


@pytest.fixture
def erased(full, carol, django_capture_on_commit_callbacks):
    close(full.case, carol)
    with django_capture_on_commit_callbacks(execute=True):
        retention.erase_case(full.case, carol, policy.RETENTION_ENDED,
                             today=due_day(full.case))
    return full.case


def drop_ledger_triggers():
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("DROP TRIGGER cases_ledgerentry_no_change ON cases_ledgerentry")
        else:
            cur.execute("DROP TRIGGER cases_ledgerentry_no_update")
            cur.execute("DROP TRIGGER cases_ledgerentry_no_delete")


def test_verify_still_detects_a_changed_tombstone(erased):
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_case SET region = 'kz-almaty' WHERE id = %s", [erased.pk])
    assert "differs" in problem(erased).reason


def test_verify_detects_a_record_put_back(erased, alice):
    other = services.create_case(erased.organisation, alice, region="kz-west")
    party = services.add_party(other, alice, role="other", full_name="Put Back")
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_party SET case_id = %s WHERE id = %s",
                    [erased.pk, party.pk])
    found = problem(erased)
    assert found is not None and f"party:{party.pk}" in found.reason


def test_verify_detects_an_edited_erase_entry(erased):
    drop_ledger_triggers()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_ledgerentry SET detail = %s WHERE case_id = %s AND "
                    "action = 'case.erase'", [json.dumps({"reason": "x"}), erased.pk])
    assert problem(erased) is not None


def test_verify_detects_a_removed_erase_entry(erased):
    drop_ledger_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM cases_ledgerentry WHERE case_id = %s AND "
                    "action = 'case.erase'", [erased.pk])
    assert "missing" in problem(erased).reason or "differs" in problem(erased).reason


def test_checkpoints_verify_across_an_erasure(full, carol, django_capture_on_commit_callbacks):
    close(full.case, carol)
    checkpoints.create_checkpoint()
    with django_capture_on_commit_callbacks(execute=True):
        retention.erase_case(full.case, carol, policy.RETENTION_ENDED,
                             today=due_day(full.case))
    checkpoints.create_checkpoint()
    assert checkpoints.verify_checkpoints() == []
    call_command("verify-checkpoints", stdout=io.StringIO())


def test_hold_history_is_not_kept_after_erasure(erased):
    assert not LegalHold.objects.filter(case=erased).exists()
    assert not RetentionClock.objects.filter(case=erased).exists()
