"""Duties on the case page, the Needs action queue, and escalation letters end to end."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date, timedelta

import docx
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from qorgau.accounts.models import User
from qorgau.cases import services as case_services
from qorgau.cases.models import Case, Event, LedgerEntry
from qorgau.cases.verification import verify_case
from qorgau.conftest import make_event
from qorgau.demo import reference_case
from qorgau.demo.loader import email_for, load_demo
from qorgau.duties import services, views
from qorgau.duties.models import Letter, Obligation

KAZAKH_LETTERS = "әғқңөұүһі"


@pytest.fixture
def demo(db: None) -> Case:
    load_demo()
    return Case.objects.get(reference=reference_case.REFERENCE)


@pytest.fixture
def caseworker(demo: Case) -> User:
    return User.objects.get(email=email_for("caseworker"))


def test_case_page_shows_the_duties_panel(client, demo, caseworker):
    client.force_login(caseworker)
    html = client.get(reverse("cases:detail", args=[demo.reference])).content.decode()
    panel = html[html.index('class="duties-panel"'):html.index('class="timeline-section"')]
    assert "18 breached" in panel and "3 met" in panel
    # The most urgent ten, breached first; the rest a link away.
    assert panel.count('class="queue__row duty--') == 10
    assert panel.count('class="queue__row duty--breached"') == 10
    assert "12 more duties, on the duties page" in panel  # 18 + 1 pending + 3 met - 10
    assert "Respond to the reported breach of the protective order (CoAO art. 461)" in panel
    assert "Unconfirmed basis" in panel
    assert "Police" in panel
    page = client.get(reverse("duties:case", args=[demo.reference])).content.decode()
    assert page.count('class="duty duty--breached"') == 18
    assert "Code of Administrative Offences art. 461" in page
    assert "Not confirmed against the primary text:" in page  # the baseline's referral ...
    # ... whose basis binds Kazakhstan through CEDAW, never through the Istanbul Convention
    assert "Binding on the state on that date:" in page
    # the Istanbul Convention and the ECHR never bound Kazakhstan: good practice at most
    for paragraph in page.split("<p")[1:]:
        if "Istanbul" in paragraph or "European Convention" in paragraph:
            assert "Good practice only" in paragraph, paragraph[:300]
    assert "only on nothing being recorded" in page  # what each breach rests on


def test_duties_panel_in_kazakh_and_russian(client, demo, caseworker):
    client.force_login(caseworker)
    url = reverse("duties:case", args=[demo.reference])
    kk = client.get(url, HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "Қорғау нұсқамасының бұзылуына шара қолдану" in kk
    ru = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Отреагировать на нарушение защитного предписания" in ru


def test_needs_action_lists_overdue_and_due_soon(client, demo, caseworker):
    today = timezone.localdate()
    case_services.record_event(demo, caseworker, case_services.EventInput(
        kind="police_report", span=case_services.parse_span(today.isoformat()),
        source="survivor", reliability="probable"))
    client.force_login(caseworker)
    overdue, soon = "", ""
    for number in range(1, 20):  # every page of the queue
        html = client.get(reverse("duties:needs_action"), {"page": number}).content.decode()
        overdue += html[html.index('id="overdue-title"'):html.index('id="soon-title"')]
        soon += html[html.index('id="soon-title"'):]
        if f'href="?page={number + 1}"' not in html:
            break
    assert overdue.count(f'>{demo.reference}</a>') == 18
    # Today's report, under Law No. 245-VIII: measures and notice within a day, a referral
    # within 7 days.
    assert "Take legal measures of rapid response on the report of domestic violence" in soon
    assert "Notify the other prevention bodies" in soon
    assert "Refer the survivor, taking her view into account" in soon


def test_needs_action_hides_other_peoples_cases(client, demo, db):
    monitor = User.objects.get(email=email_for("monitor"))
    client.force_login(monitor)
    html = client.get(reverse("duties:needs_action")).content.decode()
    assert demo.reference not in html


def test_a_monitoring_case_says_no_record_and_stays_out_of_needs_action(client, demo,
                                                                        caseworker):
    """A case reconstructed from documents: absence is not evidence, so its duties with
    nothing recorded read "No record", and nothing of it is on the day's list."""
    client.force_login(caseworker)
    before = client.get(reverse("duties:needs_action")).content.decode()
    assert f">{demo.reference}</a>" in before
    Case.objects.filter(pk=demo.pk).update(mode=Case.Mode.MONITORING)
    demo.refresh_from_db()
    services.recompute(demo, caseworker)
    after = client.get(reverse("duties:needs_action")).content.decode()
    assert f">{demo.reference}</a>" not in after
    page = client.get(reverse("duties:case", args=[demo.reference])).content.decode()
    assert 'badge--no_record">No record<' in page


def test_needs_action_query_count_does_not_grow(client, demo, caseworker):
    client.force_login(caseworker)
    client.get("/")  # the login's first request writes the session; the next ones do not
    url = reverse("duties:needs_action")
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for case in Case.objects.exclude(pk=demo.pk)[:5]:
        for _ in range(3):
            make_event(case, caseworker, kind="police_report",
                       start=timezone.localdate().isoformat())
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.content.decode().count('class="queue__row') > 11
    assert len(small.captured_queries) == len(large.captured_queries)


def test_needs_action_pages_count_and_order_every_duty(client, demo, caseworker):
    """Pages of 100, the total from the page's own query, nothing lost or shown twice,
    a page past the last shows the last."""
    today = timezone.localdate()
    for case in Case.objects.all()[:4]:
        for day in range(40):
            make_event(case, caseworker, kind="police_report",
                       start=(today - timedelta(days=day)).isoformat())
    expected = list(views.queue(caseworker, today).values_list("pk", flat=True))
    assert len(expected) > 2 * views.QUEUE_PER_PAGE
    pages = -(-len(expected) // views.QUEUE_PER_PAGE)
    shown = []
    for number in range(1, pages + 1):
        page = views.queue_page(caseworker, today, number)
        assert page.paginator.count == len(expected) and page.paginator.num_pages == pages
        shown += [row.pk for row in page.object_list]
    assert shown == expected  # the queue's order, every duty once
    due = [Obligation.objects.get(pk=pk).due_latest or date.max for pk in shown]
    assert due == sorted(due)
    assert views.queue_page(caseworker, today, pages + 5).number == pages
    client.force_login(caseworker)
    html = client.get(reverse("duties:needs_action") + "?page=2").content.decode()
    assert f"Page 2 of {pages}" in html
    assert client.get(reverse("duties:needs_action") + "?page=x").status_code == 200


def test_needs_action_hides_restricted_triggers_from_supervisors(client, demo, caseworker):
    """A duty that a restricted event (self-harm) triggered is in the queue of the
    caseworker, who may see that event, and not in the supervisor's."""
    self_harm = demo.events.get(kind="self_harm")
    hidden = Obligation.objects.create(
        case=demo, organisation=demo.organisation, profile="kz", rule_id="kz.referral",
        family="kz.referral", duty_bearer="police", trigger=self_harm, status="breached",
        due_latest=timezone.localdate(), confirmed=False, reason="breached",
        computed_at=timezone.now())
    supervisor = User.objects.get(email=email_for("supervisor"))
    today = timezone.localdate()
    assert views.queue(supervisor, today).exists()  # the supervisor has a queue

    def triggers(user):
        pages = views.queue_page(user, today, 1).paginator.num_pages
        return {row.trigger.kind for number in range(1, pages + 1)
                for row in views.queue_page(user, today, number).object_list}

    assert "self_harm" in triggers(caseworker)
    assert "self_harm" not in triggers(supervisor)
    for user, shown in ((caseworker, True), (supervisor, False)):
        client.force_login(user)
        pages = views.queue_page(user, today, 1).paginator.num_pages
        html = "".join(client.get(reverse("duties:needs_action"), {"page": n}).content.decode()
                       for n in range(1, pages + 1))
        assert (f"#duty-{hidden.pk}\"" in html) is shown


def test_needs_action_is_served_by_an_index(caseworker, demo):
    """The obligations table is reached through an index, never scanned whole."""
    sql, params = views.queue(caseworker, timezone.localdate()).query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
            assert "SEARCH duties_obligation USING INDEX" in plan, plan
            assert "SCAN duties_obligation" not in plan, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " | ".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan on duties_obligation" not in plan, plan
            assert "Index" in plan and "duties_obligation" in plan, plan


@pytest.fixture
def ready(demo: Case):
    """ready(letter): approved by the demo's lawyer, under the survivor's consent to a
    complaint (the demo records none: her court consent is for the court bundle)."""
    from qorgau.consent import rules as consent_rules
    from qorgau.consent import services as consent

    lawyer = User.objects.get(email=email_for("lawyer"))

    def make(letter: Letter) -> Letter:
        if not consent.grants_allowing(demo, "complaint", consent_rules.CATEGORIES):
            consent.grant_consent(
                demo, lawyer, purpose="complaint", categories=consent_rules.CATEGORIES,
                manner="written", given_on=timezone.localdate(),
                expires_at=timezone.now() + timedelta(days=90),
                recipient_name="Prosecutor of West Kazakhstan Region")
        return services.approve_letter(letter, lawyer)

    return make


def _pdf_text(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is needed"
    path = tmp_path / "letter.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return " ".join(text.split())  # lines wrap where the layout wraps them


def test_complaint_letter_in_kazakh_pdf_and_docx(client, demo, caseworker, tmp_path, ready):
    client.force_login(caseworker)
    response = client.post(reverse("duties:letter_new", args=[demo.reference]),
                           {"template": "police_inaction", "language": "kk"})
    letter = Letter.objects.get(case=demo)
    assert response["Location"] == reverse("duties:letter", args=[demo.reference, letter.pk])
    assert letter.title == "Полицияның әрекетсіздігіне шағым"
    assert len(letter.covers) == 11  # breached police duties, not the organisation's own
    ready(letter)

    pdf = client.get(reverse("duties:letter_download", args=[demo.reference, letter.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content, tmp_path)
    assert "Полицияның әрекетсіздігіне шағым" in text
    assert all(ch in text for ch in "әқңөұүі"), text[:400]
    assert "ӘҚБтК" in text or "Әкімшілік құқық бұзушылық туралы кодекс, 461-бап" in text
    # caveats stay on the draft page, out of the letter; the treaties cited are those in
    # force for Kazakhstan (CEDAW), never the Istanbul Convention
    assert "САЛЫСТЫРЫЛМАҒАН" not in text
    assert "Осы күні мемлекет үшін күшінде болған" in text
    assert "Стамбул" not in text

    docx_response = client.get(
        reverse("duties:letter_download", args=[demo.reference, letter.pk, "docx"]))
    document = docx.Document(io.BytesIO(docx_response.content))
    body = "\n".join(p.text for p in document.paragraphs)
    assert body.startswith("Батыс Қазақстан облысының прокурорына")
    assert "Полицияның әрекетсіздігіне шағым" in body
    assert "461-бап" in body
    exports = LedgerEntry.objects.filter(case=demo, action="letter.export")
    assert [e.detail["format"] for e in exports.order_by("seq")] == ["pdf", "docx"]


@pytest.mark.parametrize(("language", "title", "phrase"), [
    ("ru", "Жалоба на бездействие полиции", "ст. 461"),
    ("en", "Complaint about police inaction", "art. 461"),
])
def test_complaint_letter_languages(demo, caseworker, tmp_path, language, title, phrase):
    letter = services.draft_letter(demo, caseworker, "police_inaction", language)
    from qorgau.duties.documents import letter_pdf

    text = _pdf_text(letter_pdf(letter), tmp_path)
    assert title in text and phrase in text
    assert reference_case.SURVIVOR in text  # written on her behalf


def test_edit_then_send_starts_the_prosecutors_duty(client, demo, caseworker, ready):
    letter = services.draft_letter(demo, caseworker, "police_inaction", "ru")
    client.force_login(caseworker)
    url = reverse("duties:letter", args=[demo.reference, letter.pk])
    bad = client.post(url, {"title": "", "body": ""})
    assert bad.status_code == 200 and "Nothing was saved" in bad.content.decode()
    client.post(url, {"title": "Жалоба", "body": letter.body + "\nДополнение."})
    letter.refresh_from_db()
    assert letter.title == "Жалоба" and "Дополнение." in letter.body
    ready(letter)

    future = timezone.localdate() + timedelta(days=2)
    client.post(reverse("duties:letter_send", args=[demo.reference, letter.pk]),
                {"sent_on": future.isoformat()})
    letter.refresh_from_db()
    assert letter.status == "draft"  # refused: not in the future

    sent_on = timezone.localdate()
    client.post(reverse("duties:letter_send", args=[demo.reference, letter.pk]),
                {"sent_on": sent_on.isoformat()})
    letter.refresh_from_db()
    assert letter.status == "sent"
    event = letter.sent_event
    assert (event.kind, event.institution) == ("complaint_official", "prosecutor")
    assert event.links_out.count() == len({number for _rule, number in letter.covers}) == 5
    answer = Obligation.objects.get(case=demo, trigger=event)
    rule = services.profile_for(demo).rule("kz.complaint-answer")
    step = rule.deadline or rule.reasonable_time.duration  # type: ignore[union-attr]
    assert (answer.rule_id, answer.status, answer.due_latest) == (
        "kz.complaint-answer", "pending", sent_on + step)
    # A sent letter cannot change.
    client.post(url, {"title": "Changed", "body": "Changed"})
    letter.refresh_from_db()
    assert letter.title == "Жалоба"
    assert verify_case(demo.pk, demo.reference).problem is None


def test_tampering_with_a_letter_is_detected(demo, caseworker):
    letter = services.draft_letter(demo, caseworker, "police_inaction", "en")
    assert verify_case(demo.pk, demo.reference).problem is None
    Letter.objects.filter(pk=letter.pk).update(body="Something else entirely.")
    problem = verify_case(demo.pk, demo.reference).problem
    assert problem is not None and f"letter:{letter.pk}" in problem.reason


def test_no_letter_without_a_breach(db, alice, case):
    with pytest.raises(Exception, match="no breached duty"):
        services.draft_letter(case, alice, "police_inaction", "ru")


def test_obligations_follow_corrections(alice, case):
    report = make_event(case, alice, kind="police_report", start="2024-03-01")
    assert Obligation.objects.filter(case=case, trigger=report).exists()
    data = case_services.event_input_from(report)
    data.kind = "police_visit"
    case_services.correct_event(report, alice, data, "It was a visit, not a report")
    assert not Obligation.objects.filter(case=case, family="kz.referral").exists()


def test_a_failed_write_leaves_no_obligation(alice, case):
    before = Obligation.objects.count()
    with pytest.raises(Exception):  # noqa: B017
        case_services.record_event(case, alice, case_services.EventInput(
            kind="police_report", span=case_services.parse_span("2024-03-01"),
            source="nonsense", reliability="probable"))
    assert Obligation.objects.count() == before


def test_remind_emails_a_digest_without_names(demo, caseworker, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    today = timezone.localdate()
    make_event(demo, caseworker, kind="police_report", start=today.isoformat())
    call_command("remind")
    to_caseworker = [m for m in mail.outbox if m.to == [caseworker.email]]
    assert len(to_caseworker) == 1
    body = to_caseworker[0].body
    assert demo.reference in body and "Refer the survivor" in body
    assert reference_case.SURVIVOR not in body and reference_case.RESPONDENT not in body
    assert "/needs-action/" in body


def test_recompute_after_a_profile_change(demo, settings, tmp_path):
    profiles_copy = tmp_path / "profiles"
    shutil.copytree(settings.QORGAU_PROFILES_DIR, profiles_copy)
    kz = profiles_copy / "kz.yaml"
    kz.write_text(kz.read_text("utf-8").replace("deadline: P7D", "deadline: P3650D"), "utf-8")
    settings.QORGAU_PROFILES_DIR = profiles_copy
    call_command("recompute-obligations")
    checks = Obligation.objects.filter(case=demo, family="kz.order-check")
    assert {o.status for o in checks} == {"pending"}
    entry = LedgerEntry.objects.filter(case=demo, action="duties.recompute").get()
    assert entry.detail["profile"] == "kz"
    assert verify_case(demo.pk, demo.reference).problem is None
    call_command("recompute-obligations")  # nothing changed: no new entry
    assert LedgerEntry.objects.filter(case=demo, action="duties.recompute").count() == 1


def test_recompute_shows_progress_and_resumes(demo):
    from io import StringIO

    from qorgau.cases.models import Case

    out = StringIO()
    call_command("recompute-obligations", "--every", "5", stdout=out)
    lines = out.getvalue().splitlines()
    count = Case.objects.exclude(status=Case.Status.ERASED).count()
    assert lines[0].startswith(f"5/{count} cases") and "resume with --after" in lines[0]
    after = int(lines[1].rsplit(" ", 1)[1])
    out = StringIO()
    call_command("recompute-obligations", "--after", str(after), stdout=out)
    left = Case.objects.exclude(status=Case.Status.ERASED).filter(pk__gt=after).count()
    assert f"OK: {left} cases recomputed" in out.getvalue()


def test_restricted_triggers_are_hidden_from_supervisors(demo):
    """An obligation arising from a restricted event (self-harm) is not shown to a viewer
    who may not see that event. No shipped rule triggers on one, so the row is made here."""
    self_harm = demo.events.get(kind="self_harm")
    Obligation.objects.create(
        case=demo, organisation=demo.organisation, profile="kz", rule_id="kz.referral",
        family="kz.referral", duty_bearer="police", trigger=self_harm, status="pending",
        confirmed=False, reason="pending_no_deadline", computed_at=timezone.now())
    demo.sees_restricted = False
    assert all(o.trigger.kind != "self_harm" for o in services.visible_obligations(demo))
    demo.sees_restricted = True
    assert any(o.trigger.kind == "self_harm" for o in services.visible_obligations(demo))


def test_event_numbers_in_explanations_are_the_case_numbers(demo):
    row = Obligation.objects.filter(case=demo, family="kz.breach-response").select_related(
        "trigger").first()
    assert row is not None
    duty = views.present([row], date(2026, 1, 1))[0]
    assert f"#{row.trigger.number}" in duty.explanation
    assert duty.status == "breached" and duty.confirmed  # CoAO arts. 461, 804, 806
    assert Event.objects.get(pk=row.trigger_id).kind == "police_report"
