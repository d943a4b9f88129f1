"""`verify` reads cases in blocks: every case gets the report `verify_case` gives it alone."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from qorgau.cases import services
from qorgau.cases.models import Case, Event, Party
from qorgau.cases.verification import case_ids, verify_all, verify_block, verify_case
from qorgau.conftest import make_event
from qorgau.fields import keyring
from qorgau.retention import policy
from qorgau.retention import services as retention
from qorgau.retention.models import RetentionClock


def story(org, alice, *team):
    """A case with parties, linked and corrected events, assignments and a view."""
    case = services.create_case(org, alice, region="kz-west")
    for member in team:
        services.assign(case, member, alice)
    survivor = services.add_party(case, alice, role="survivor", relationship="self",
                                  full_name="Zhanar Testbayeva")
    respondent = services.add_party(case, alice, role="respondent",
                                    relationship="ex_spouse", full_name="Marat Testbayev")
    order = make_event(case, alice, "order_issued", "2024-01-10", narrative="order granted")
    breach = services.record_event(case, alice, services.EventInput(
        kind="order_breached", span=services.parse_span("2024-01-20"), source="survivor",
        reliability="probable", narrative="he came back",
        parties=[(respondent, "perpetrator"), (survivor, "victim")],
        links=[(order, "breach_of")],
    ))
    data = services.event_input_from(breach)
    data.narrative = "he came back at night"
    services.correct_event(breach, alice, data, "the time was wrong")
    services.record_view(case, alice, "timeline")
    return case


@pytest.fixture
def cases(org, alice, bob, carol):
    return [story(org, alice, bob, carol) for _ in range(5)]


def alone() -> dict[int, object]:
    """Each case verified on its own, the single-case path."""
    references = dict(Case.objects.values_list("pk", "reference"))
    return {i: verify_case(i, references.get(i, f"<missing case {i}>")) for i in case_ids()}


def assert_blocks_agree(expected_broken: set[int]) -> None:
    single = alone()
    assert {i for i, r in single.items() if r.problem} == expected_broken
    for size in (1, 2, 3, 500):
        reports = list(verify_all(block=size))
        assert [r.case_id for r in reports] == sorted(single)
        assert {r.case_id: r for r in reports} == single, size


def test_intact_cases_verify_in_every_block_size(cases):
    assert_blocks_agree(set())


def test_tampering_in_the_middle_case_of_a_block(cases):
    middle = cases[2]
    event = Event.objects.filter(case=middle, kind="order_issued").get()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_event SET when_start = '2024-03-10' WHERE id = %s",
                    [event.pk])
    assert_blocks_agree({middle.pk})
    reports = list(verify_block([c.pk for c in cases]))
    assert [r.problem is not None for r in reports] == [False, False, True, False, False]
    assert "differs" in reports[2].problem.reason


def test_tampering_on_both_sides_of_a_block_boundary(cases):
    """Blocks of 2: cases[1] ends the first block, cases[2] starts the second."""
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_eventparty SET role = 'witness' WHERE event_id IN "
                    "(SELECT id FROM cases_event WHERE case_id = %s)", [cases[1].pk])
        cur.execute("UPDATE cases_eventlink SET kind = 'related_to' WHERE source_id IN "
                    "(SELECT id FROM cases_event WHERE case_id = %s)", [cases[2].pk])
    assert_blocks_agree({cases[1].pk, cases[2].pk})


def test_an_event_row_moved_to_the_next_case_of_the_block(cases):
    """A row read for the whole block is still judged by the case it belongs to now."""
    event = Event.objects.filter(case=cases[1], kind="order_issued").get()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_event SET case_id = %s, number = 900 WHERE id = %s",
                    [cases[2].pk, event.pk])
    assert_blocks_agree({cases[1].pk, cases[2].pk})


def test_a_link_to_an_event_of_another_case(cases):
    # (The record names a link's target by its number in the case: another case's event
    # of the same number would go unseen; this one has another number.)
    other = Event.objects.get(case=cases[4], number=3)
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_eventlink SET target_id = %s WHERE source_id IN "
                    "(SELECT id FROM cases_event WHERE case_id = %s)", [other.pk, cases[0].pk])
    assert_blocks_agree({cases[0].pk})


def test_an_unreadable_row_names_only_its_own_case(cases):
    party = Party.objects.filter(case=cases[3]).first()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_party SET notes = 'garbage' WHERE id = %s", [party.pk])
    assert_blocks_agree({cases[3].pk})
    reports = {r.case_id: r.problem for r in verify_all()}
    assert "cannot be read" in reports[cases[3].pk].reason


def test_a_party_swapped_ciphertext_in_the_first_case(cases):
    token = keyring().encrypt("Someone Else")
    party = Party.objects.filter(case=cases[0]).first()
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_party SET full_name = %s WHERE id = %s", [token, party.pk])
    assert_blocks_agree({cases[0].pk})


def test_a_case_known_only_to_the_ledger(cases):
    """Its row deleted behind the application (foreign keys are checked at commit: the
    deletion is rolled back before): still checked, reported as missing."""
    gone = cases[2]
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("DELETE FROM cases_case WHERE id = %s", [gone.pk])
        assert_blocks_agree({gone.pk})
        report = next(r for r in verify_all() if r.case_id == gone.pk)
        assert report.reference == f"<missing case {gone.pk}>"
        assert report.problem.reason == f"case:{gone.pk} is in the ledger but missing"
        transaction.set_rollback(True)


def test_erased_cases_in_a_block(cases, alice, carol):
    erased = [cases[1], cases[3]]
    for case in erased:
        services.set_status(case, alice, Case.Status.CLOSED)
        day = RetentionClock.objects.get(case=case).retain_until + timedelta(days=1)
        retention.erase_case(case, carol, policy.RETENTION_ENDED, today=day)
    assert Case.objects.filter(status=Case.Status.ERASED).count() == 2
    assert_blocks_agree(set())
    # A record of an erased case put back is caught, in its block as alone.
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_party SET case_id = %s WHERE case_id = %s",
                    [cases[3].pk, cases[4].pk])
    assert_blocks_agree({cases[3].pk, cases[4].pk})


def test_a_block_reads_each_table_once(org, alice, bob):
    """The queries of a block do not grow with its cases."""
    def queries(ids):
        with CaptureQueriesContext(connection) as captured:
            assert all(r.problem is None for r in verify_block(ids))
        return len(captured)

    few = [story(org, alice, bob).pk for _ in range(2)]
    more = few + [story(org, alice, bob).pk for _ in range(4)]
    assert queries(more) == queries(few)
    assert queries(more) < 6 * queries(few[:1])


@pytest.mark.usefixtures("committed_db")
def test_several_jobs_report_as_one(org, alice, bob):
    cases = [story(org, alice, bob) for _ in range(5)]
    orders = [Event.objects.get(case=cases[i], kind="order_issued").pk for i in (1, 4)]
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_event SET kind = 'police_visit' WHERE id IN (%s, %s)",
                    orders)
    outputs = []
    for jobs in (1, 2):
        err = StringIO()
        with pytest.raises(CommandError) as raised:
            call_command("verify", jobs=jobs, block=2, stderr=err)
        outputs.append((err.getvalue(), str(raised.value)))
    assert outputs[0] == outputs[1]
    assert outputs[0][1] == "5 cases, " + outputs[0][1].split(", ", 1)[1]
    assert "2 broken; " in outputs[0][1] and outputs[0][1].endswith("organisation ledger entries")
    lines = outputs[0][0].splitlines()
    assert [line.split(":")[0] for line in lines] == [
        f"case {cases[1].reference}", f"case {cases[4].reference}"]
    with connection.cursor() as cur:
        cur.execute("UPDATE cases_event SET kind = 'order_issued' WHERE id IN (%s, %s)",
                    orders)
    out = StringIO()
    call_command("verify", jobs=2, block=2, stdout=out)
    assert out.getvalue().startswith("OK: 5 cases")
