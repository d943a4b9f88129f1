import io
from collections import Counter

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.urls import reverse

from qorgau.accounts.models import Membership, Organisation, Role, User
from qorgau.cases.models import Case, CaseAssignment, Event, EventLink, LedgerEntry, Party
from qorgau.cases.services import READ_ACTIONS
from qorgau.cases.verification import verify_all
from qorgau.demo import loader, reference_case, synthetic
from qorgau.demo.loader import load_demo


def _counts() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "cases": Case.objects.count(),
        "assignments": CaseAssignment.objects.count(),
        "parties": Party.objects.count(),
        "events": Event.objects.count(),
        "links": EventLink.objects.count(),
        "ledger": LedgerEntry.objects.exclude(action__in=READ_ACTIONS).count(),
    }


@pytest.fixture
def demo(db: None) -> loader.DemoResult:
    return load_demo()


@pytest.fixture
def ref(demo: loader.DemoResult) -> Case:
    return Case.objects.get(reference=reference_case.REFERENCE)


def _current(case: Case, kind: str) -> list[Event]:
    return list(case.events.current().filter(kind=kind).order_by("number"))


def test_load_is_idempotent_and_verifiable(demo):
    first = _counts()
    assert first["organisations"] == 1
    assert first["users"] == len(Role.values)
    assert first["cases"] == 1 + synthetic.COUNT
    assert len(demo.cases_created) == 1 + synthetic.COUNT

    again = load_demo()
    assert _counts() == first
    assert not again.cases_created and not again.organisation_created
    assert not any(user.created for user in again.users)
    problems = [(r.reference, r.problem) for r in verify_all() if r.problem]
    assert problems == []


def test_command_runs_twice_and_prints_credentials(db, capsys, settings):
    settings.MODE = "development"
    call_command("load-demo", "--url", "http://127.0.0.1:9999/")
    counts = _counts()
    call_command("load-demo")
    out = capsys.readouterr().out
    assert _counts() == counts
    assert "http://127.0.0.1:9999/" in out and "nothing created" in out
    for role in Role.values:
        assert f"{role}@{loader.EMAIL_DOMAIN}" in out
    assert loader.PASSWORD in out and "DEMO credentials" in out


def test_command_refuses_production_by_default(db, settings):
    from django.core.management.base import CommandError

    settings.MODE = "production"
    with pytest.raises(CommandError):
        call_command("load-demo")
    assert not Case.objects.exists()


def test_synthetic_cases_are_deterministic_and_varied(demo):
    assert synthetic.specs() == synthetic.specs()
    cases = Case.objects.exclude(reference=reference_case.REFERENCE)
    assert cases.count() == synthetic.COUNT
    regions = Counter(cases.values_list("region", flat=True))
    assert regions["KZ-27"] > synthetic.COUNT // 2 and len(regions) >= 5
    assert cases.filter(status=Case.Status.CLOSED).exists()
    assert cases.filter(status=Case.Status.OPEN).exists()
    for case in cases:
        assert 3 <= case.events.count() <= 25, case.reference
        roles = set(case.parties.values_list("role", flat=True))
        assert {"survivor", "respondent"} <= roles
    events = Event.objects.filter(case__in=cases)
    precisions = Counter(e.span.precision for e in events)
    assert {"exact", "day", "month", "year", "range", "unknown"} <= set(precisions)
    assert events.filter(qualifier="approximate").exists()
    assert events.filter(recurrence="repeated").exists()
    responses = {e.attributes.get("response") for e in events.filter(kind="breach_response")}
    assert responses and responses <= {"detention", "protocol", "warning", "none"}
    for response in events.filter(kind="breach_response"):
        assert response.links_out.filter(kind="responds_to",
                                         target__kind="order_breached").exists()


def test_assignments(demo):
    users = {role: User.objects.get(email=loader.email_for(role)) for role in Role.values}
    cases = Case.objects.filter(organisation=demo.organisation)
    for case in cases:
        assigned = set(case.assignments.values_list("user__email", flat=True))
        assert {users["caseworker"].email, users["lawyer"].email} <= assigned
        assert users["monitor"].email not in assigned
    supervised = cases.filter(assignments__user=users["supervisor"]).count()
    assert supervised > cases.count() // 2
    assert not Case.objects.visible_to(users["monitor"]).exists()


def test_reference_case_has_every_fact(ref):
    assert (ref.profile, ref.region) == ("kz", "KZ-27")
    names = {p.role: p for p in ref.parties.all()}
    assert names["survivor"].full_name == reference_case.SURVIVOR
    respondent = names["respondent"]
    assert respondent.relationship == "ex_spouse" and respondent.co_resident is True
    children = sorted(ref.parties.filter(role="child").values_list("birth_date", flat=True))
    assert children == ["2008", "2012"]
    assert {"accomplice", "lawyer", "witness", "official", "other"} <= set(names)

    # About 2003 onward, recurring: beatings, strangling, threats to kill, humiliation, control.
    for kind in ("physical_assault", "strangulation", "threat_to_kill", "psychological_abuse",
                 "coercive_control"):
        (event,) = _current(ref, kind)
        assert (event.when_start, event.when_end, event.qualifier, event.recurrence) == (
            "2003", "2024", "approximate", "repeated"), kind
    (divorce,) = _current(ref, "separation")
    assert divorce.when_start == "2013"
    (expulsion,) = _current(ref, "expulsion")
    assert expulsion.when_start == "" and not expulsion.span.known
    (burn,) = _current(ref, "burn_scald")
    assert burn.when_start == "2022"
    assert burn.supersedes is not None and burn.supersedes.when_start == "2021"
    assert burn.correction_reason
    (threat_children,) = _current(ref, "threat_children")
    assert threat_children.recurrence == "repeated"
    assert threat_children.event_parties.filter(party__role="child").count() == 2
    (self_harm,) = _current(ref, "self_harm")
    assert self_harm.recurrence == "several" and self_harm.when_start == ""

    reports = _current(ref, "police_report")
    assert reports[0].when_start == "2023-06" and reports[0].qualifier == "approximate"
    assert reports[0].attributes["mode"] == "oral" and reports[0].institution == "police"

    requests = _current(ref, "order_requested")
    orders = _current(ref, "order_issued")
    assert [r.when_start for r in requests] == ["2024-01", "2024-02"]
    assert [o.when_start for o in orders] == ["2024-01", "2024-02"]
    for request, order in zip(requests, orders, strict=True):
        assert request.attributes["mode"] == "written"
        assert order.attributes == {"order_type": "kz.protective_order", "valid_days": 30}
        assert order.links_out.get().target == request
    breaches = _current(ref, "order_breached")
    assert len(breaches) == 2
    assert [b.links_out.get(kind="breach_of").target for b in breaches] == orders
    for breach in breaches:  # each breach was reported to the police
        assert breach.links_in.filter(kind="related_to", source__kind="police_report").exists()

    (assessment,) = _current(ref, "psych_assessment")
    assert assessment.when_start == "2024-02" and assessment.reliability == "confirmed"
    (arrest,) = _current(ref, "arrest")
    assert arrest.when_start == "2024-02-26" and arrest.attributes["subject"] == "survivor"
    (detention,) = _current(ref, "detention_ordered")
    assert str(detention.span.earliest()) == "2024-02-26"
    (statement,) = _current(ref, "public_statement")
    assert statement.when_start == "2024-03-01" and statement.source == "media"
    (indictment,) = _current(ref, "indictment")
    assert indictment.when_start == "2024"
    assert indictment.attributes["charges"] == "conspiracy to murder"
    (dismissed,) = _current(ref, "jury_dismissed")
    (mistrial,) = _current(ref, "mistrial")
    assert dismissed.when_start == mistrial.when_start == "2025-05-19"
    (jury,) = _current(ref, "jury_selected")
    assert jury.when_start == "2025-06-23"


def test_reference_case_records_no_response_that_never_happened(ref):
    absent = ("breach_response", "referral_made", "shelter_admission", "case_opened",
              "police_refusal", "charges_respondent", "admin_protocol")
    assert not ref.events.filter(kind__in=absent).exists()
    # The only risk assessment is the demo organisation's own, not the authorities'.
    assert not ref.events.filter(kind="risk_assessment").exclude(
        institution="organisation").exists()


def test_reference_case_uses_no_real_names(ref):
    text = " ".join(p.full_name for p in ref.parties.all())
    text += " ".join(e.narrative for e in ref.events.all())
    for real in ("Erkebayeva", "Sarsenova", "Elvira", "Tamara"):
        assert real not in text


def test_self_harm_is_restricted_from_the_supervisor(ref):
    assert ref.events.visible_to_role("caseworker").filter(kind="self_harm").exists()
    assert not ref.events.visible_to_role("supervisor").filter(kind="self_harm").exists()


def test_demo_password_passes_the_validators(demo):
    for role in Role.values:
        validate_password(loader.PASSWORD, User.objects.get(email=loader.email_for(role)))


@pytest.mark.parametrize("role", Role.values)
def test_each_role_can_log_in(demo, client, role):
    user = User.objects.get(email=loader.email_for(role))
    assert Membership.objects.get(user=user, organisation=demo.organisation).role == role
    response = client.post("/accounts/login/",
                           {"login": user.email, "password": loader.PASSWORD})
    assert response.status_code == 302, response.content[:500]
    assert "_auth_user_id" not in client.session  # the second factor comes first
    code = call_command_output("demo-code").split()[0]
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302, response.content[:500]
    assert client.session["_auth_user_id"] == str(user.pk)


def call_command_output(name: str) -> str:
    out = io.StringIO()
    call_command(name, stdout=out)
    return out.getvalue()
