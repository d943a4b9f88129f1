"""Today: our own tasks first, the authorities' failures per case with one next step, a list
that shrinks as complaints are sent or decisions recorded."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from qorgau.accounts.models import Membership, Role, User
from qorgau.cases.models import Case, LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.demo import reference_case
from qorgau.demo.loader import email_for, load_demo
from qorgau.duties import services
from qorgau.duties import today as today_service
from qorgau.duties.models import EscalationDecision


@pytest.fixture
def demo(db: None) -> Case:
    load_demo()
    return Case.objects.get(reference=reference_case.REFERENCE)


@pytest.fixture
def caseworker(demo: Case) -> User:
    return User.objects.get(email=email_for("caseworker"))


def section(html: str, title_id: str) -> str:
    start = html.index(f'id="{title_id}"')
    end = html.find("<section", start)
    return html[start:end if end > 0 else len(html)]


def test_home_is_today_with_own_tasks_apart_from_authority_failures(client, demo, caseworker):
    client.force_login(caseworker)
    assert client.get("/")["Location"] == reverse("duties:today")
    html = client.get(reverse("duties:today")).content.decode()
    failures = section(html, "failures-title")
    # The reference case's breached police and prosecutor duties: one row, one next step.
    assert failures.count(f'id="failures-{demo.reference}"') == 1
    assert "Draft the complaint" in failures and "Decide not to escalate" in failures
    assert "Police" in failures
    # Our own tasks are not in the authorities' list.
    picture = today_service.picture(caseworker, timezone.localdate())
    assert all(o.duty_bearer in today_service.OWN_BEARERS for o in picture.own)
    group = next(g for g in picture.groups if g.reference == demo.reference)
    assert "organisation" not in group.bearers and group.count >= 11


def test_a_sent_complaint_moves_the_case_to_waiting_with_its_answer_due(client, demo,
                                                                        caseworker):
    client.force_login(caseworker)
    url = reverse("duties:today")
    response = client.post(reverse("duties:letter_new", args=[demo.reference]),
                           {"template": "police_inaction", "language": "ru"})
    assert response.status_code == 302
    letter = demo.letters.get()
    services.approve_letter(letter, User.objects.get(email=email_for("lawyer")))
    services.send_letter(letter, caseworker, timezone.localdate())
    picture = today_service.picture(caseworker, timezone.localdate())
    police = next((g for g in picture.groups if g.reference == demo.reference), None)
    # The police failures left the list; what is left of the case is not the police's.
    assert police is None or "police" not in police.bearers
    waiting = next(w for w in picture.waiting if w.reference == demo.reference)
    assert waiting.escalated_on == timezone.localdate() and waiting.answer_due is not None
    html = client.get(url).content.decode()
    assert "Escalated, waiting for an answer" in html and "answer due" in html


def test_deciding_not_to_escalate_needs_a_reason_and_is_on_the_ledger(client, demo,
                                                                     caseworker):
    client.force_login(caseworker)
    url = reverse("duties:decline", args=[demo.reference])
    refused = client.post(url, {"next": "today", "reason": "  "}, follow=True)
    assert "Say why these failures are not escalated." in refused.content.decode()
    assert not EscalationDecision.objects.exists()
    before = today_service.picture(caseworker, timezone.localdate())
    assert any(g.reference == demo.reference for g in before.groups)
    done = client.post(url, {"next": "today",
                             "reason": "She asked us not to complain while she is in court."})
    assert done["Location"] == reverse("duties:today")
    after = today_service.picture(caseworker, timezone.localdate())
    assert all(g.reference != demo.reference for g in after.groups)  # the list shrank
    assert after.declined > 0
    decisions = EscalationDecision.objects.filter(case=demo)
    assert decisions.count() == LedgerEntry.objects.filter(
        case=demo, action="escalation.decline").count() > 0
    assert verify_case(demo.pk, demo.reference).problem is None
    # Nothing left to decide: a second decision is refused in plain words.
    again = client.post(url, {"reason": "again"}, follow=True)
    assert "No failure of this case waits for a decision." in again.content.decode()


def test_a_supervisor_filters_today_by_caseworker(client, demo, caseworker):
    supervisor = User.objects.get(email=email_for("supervisor"))
    assert Membership.objects.filter(user=supervisor, role=Role.SUPERVISOR).exists()
    client.force_login(supervisor)
    html = client.get(reverse("duties:today")).content.decode()
    assert 'name="caseworker"' in html
    everyone = today_service.picture(supervisor, timezone.localdate())
    mine = today_service.picture(supervisor, timezone.localdate(), caseworker.pk)
    nobody = User.objects.create(email="new@example.invalid", username="new-person")
    none = today_service.picture(supervisor, timezone.localdate(), nobody.pk)
    assert none.groups == [] and none.own == []
    assert {g.reference for g in mine.groups} <= {g.reference for g in everyone.groups}
    # A caseworker gets no filter.
    client.force_login(caseworker)
    assert 'name="caseworker"' not in client.get(reverse("duties:today")).content.decode()


def test_today_in_russian_and_kazakh(client, demo, caseworker):
    client.force_login(caseworker)
    ru = client.get(reverse("duties:today"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    kk = client.get(reverse("duties:today"), HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "Сегодня" in ru and "Составить жалобу" in ru
    assert "Бүгін" in kk and "Шағым дайындау" in kk


def test_the_case_page_starts_with_its_summary(client, demo, caseworker):
    client.force_login(caseworker)
    html = client.get(reverse("cases:detail", args=[demo.reference])).content.decode()
    summary = html[html.index('class="case-summary"'):html.index('class="case-head"')]
    assert "Risk:" in summary and "assessed" in summary
    assert "The authorities failed" in summary and "Police" in summary
    assert "Next step" in summary
    # The summary comes before everything else of the case.
    assert html.index('class="case-summary"') < html.index('class="risk-panel"')
    duties = client.get(reverse("duties:case", args=[demo.reference])).content.decode()
    assert reverse("duties:decline", args=[demo.reference]) in duties


def test_the_case_list_shows_risk_and_overdue(client, demo, caseworker):
    client.force_login(caseworker)
    html = client.get(reverse("cases:list")).content.decode()
    row = html[html.index(f">{demo.reference}</a>"):]
    row = row[:row.index("</tr>")]
    overdue = services.visible_obligations(demo)
    breached = sum(1 for o in overdue if o.status == "breached")
    assert f">{breached}</a>" in row  # the overdue count links to the duties page
    assert "not assessed" not in row  # the reference case has an assessment


def test_the_case_lists_overdue_count_is_a_plain_reading(demo):
    """decorate_overdue (the case list's column) against the obligations read one by one:
    breached ones, and pending ones past their date on a casework case only; none that a
    restricted event triggered. A pending duty fallen due is made on purpose."""
    from qorgau.cases import policy
    from qorgau.duties.models import Obligation

    today = timezone.localdate()
    pending = Obligation.objects.filter(case=demo, status="pending").first()
    assert pending is not None
    Obligation.objects.filter(pk=pending.pk).update(due_latest=today.replace(year=today.year - 1))
    hidden = policy.hidden_kinds(False)

    def plain(case: Case) -> int:
        return sum(1 for o in Obligation.objects.filter(case=case).select_related("trigger")
                   if o.trigger.kind not in hidden and (o.status == "breached" or (
                       o.status == "pending" and o.due_latest and o.due_latest < today
                       and case.mode == Case.Mode.CASEWORK)))

    counted = {}
    for mode in (Case.Mode.CASEWORK, Case.Mode.MONITORING):
        Case.objects.filter(pk=demo.pk).update(mode=mode)
        case = Case.objects.get(pk=demo.pk)
        services.decorate_overdue([case])
        assert case.overdue == plain(case) > 0
        counted[mode] = case.overdue
    assert counted[Case.Mode.CASEWORK] > counted[Case.Mode.MONITORING]  # the pending one


def test_old_overdue_tasks_of_ours_do_not_crowd_what_is_due_today(client, demo, caseworker):
    client.force_login(caseworker)
    html = client.get(reverse("duties:today")).content.decode()
    today_part = section(html, "due-title")
    late = html[html.index('id="late-title"'):html.index('id="failures-title"')]
    picture = today_service.picture(caseworker, timezone.localdate())
    overdue = [o for o in picture.own if o.due_latest and o.due_latest < timezone.localdate()]
    assert overdue and late.count('class="queue__row') == len(overdue)
    assert today_part.count('class="queue__row') == sum(
        1 for o in picture.own if o.due_latest == timezone.localdate())
