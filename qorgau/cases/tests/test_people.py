"""A case's people: add a colleague, change access, remove, hand over — each on the case's
ledger; who may do it follows the roles."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qorgau.cases import services
from qorgau.cases.models import Case, CaseAssignment
from qorgau.cases.verification import verify_case


@pytest.fixture
def people(db, org, alice, bob, carol) -> Case:
    """A case only its caseworker works on."""
    return services.create_case(org, alice, region="KZ-27")


def post(client, case, **data):
    return client.post(reverse("cases:people", args=[case.reference]), data)


def test_the_caseworker_adds_a_lawyer_who_then_sees_the_case(client, people, alice, bob):
    case = people
    client.force_login(bob)
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 404
    client.force_login(alice)
    page = client.get(reverse("cases:people", args=[case.reference])).content.decode()
    assert "Change who works on the case" in page
    assert post(client, case, action="add", person=bob.pk, access="read").status_code == 302
    assert CaseAssignment.objects.get(case=case, user=bob).access == "read"
    client.force_login(bob)
    assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 200
    # A lawyer reads the page but may not change it.
    assert "Change who works on the case" not in client.get(
        reverse("cases:people", args=[case.reference])).content.decode()
    assert verify_case(case.pk, case.reference).problem is None


def test_hand_over_moves_the_case_in_one_step(client, people, alice, bob):
    case = people
    client.force_login(alice)
    response = post(client, case, action="handover", person=alice.pk, to=bob.pk)
    assert response.status_code == 302 and response["Location"] == reverse("cases:list")
    assert list(CaseAssignment.objects.filter(case=case).values_list("user_id", "access")) == [
        (bob.pk, "write")]
    assert case.ledger.filter(action="assignment.remove").count() == 1
    assert verify_case(case.pk, case.reference).problem is None


def test_the_last_person_who_can_record_cannot_leave(client, people, alice, bob):
    case = people
    client.force_login(alice)
    refused = post(client, case, action="remove", person=alice.pk)
    assert refused.status_code == 200
    assert "Someone must still be able to record" in refused.content.decode()
    readonly = post(client, case, action="add", person=alice.pk, access="read")
    assert readonly.status_code == 200
    missing = post(client, case, action="handover", person=alice.pk)
    assert "Choose who takes the case over." in missing.content.decode()
    assert CaseAssignment.objects.filter(case=case).count() == 1


def test_a_read_only_member_may_not_change_people(client, people, alice, bob, carol):
    case = people
    services.assign(case, bob, alice, access="read")
    client.force_login(bob)
    assert post(client, case, action="add", person=carol.pk).status_code in (403, 404)
    assert not CaseAssignment.objects.filter(case=case, user=carol).exists()


def test_a_supervisor_sees_the_team_and_assigns_a_case_nobody_works_on(client, people, alice,
                                                                       bob, carol):
    case = people
    services.hand_over(case, alice, alice, bob)
    # Bob leaves the organisation's casework: the case waits for someone.
    bob.memberships.update(role="monitor")
    client.force_login(carol)
    page = client.get(reverse("duties:team")).content.decode()
    assert case.reference in page and "Open cases nobody works on" in page
    assert client.post(reverse("duties:team"), {"case": case.reference,
                                                "person": alice.pk}).status_code == 302
    assert CaseAssignment.objects.filter(case=case, user=alice, access="write").exists()
    after = client.get(reverse("duties:team")).content.decode()
    assert f'value="{case.reference}"' not in after  # no longer waiting
    client.force_login(alice)  # a caseworker has no team page
    assert client.get(reverse("duties:team")).status_code == 404
    assert verify_case(case.pk, case.reference).problem is None
