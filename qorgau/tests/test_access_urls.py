"""Every case URL answers 404 to everyone who is not on the case (never 403, never 200).

The URLs are enumerated from every app's URLconf that serves case pages, so a new case URL
that forgets get_case_for_user fails here without anyone having to remember to add it.
"""

from __future__ import annotations

import io

import pytest
from django.urls import URLPattern, reverse

from qorgau.bundles import services as bundle_services
from qorgau.bundles import urls as bundle_urls
from qorgau.cases import urls as case_urls
from qorgau.conftest import make_event
from qorgau.consent import services as consent_services
from qorgau.consent import urls as consent_urls
from qorgau.duties import services as duty_services
from qorgau.duties import urls as duty_urls
from qorgau.evidence import services as evidence_services
from qorgau.evidence import urls as evidence_urls
from qorgau.insights import urls as insight_urls
from qorgau.proceedings import services as proceeding_services
from qorgau.proceedings import urls as proceeding_urls
from qorgau.referrals import services as referral_services
from qorgau.referrals import urls as referral_urls
from qorgau.referrals.models import Provider
from qorgau.retention import urls as retention_urls
from qorgau.risk import services as risk_services
from qorgau.risk import urls as risk_urls

URLCONFS = {"cases": case_urls, "duties": duty_urls, "risk": risk_urls,
            "evidence": evidence_urls, "proceedings": proceeding_urls,
            "bundles": bundle_urls, "consent": consent_urls, "insights": insight_urls,
            "retention": retention_urls, "referrals": referral_urls}
CASE_INDEPENDENT = {"cases:list", "cases:new", "duties:needs_action",
                    # the organisation's counts, never one case (test_authorization_matrix)
                    "insights:dashboard", "insights:report", "insights:download",
                    # the service directory: providers, no case (test_authorization_matrix)
                    "referrals:directory", "referrals:places",
                    # the provider's side: referrals to its own organisation, 404 to anyone
                    # else (test_authorization_matrix, referrals/tests/test_provider.py)
                    "referrals:incoming", "referrals:answer",
                    # Today: the user's own open cases only (duties/tests/test_today.py)
                    "duties:today",
                    # the team: a supervisor's own organisation (cases/tests/test_people.py)
                    "duties:team",
                    # an organisation's retention period: its administrators only
                    # (test_authorization_matrix, tests/test_organisation_ledger.py)
                    "retention:organisation",
                    # an organisation's own directory entry: its administrators only
                    "referrals:profile"}


def _all_patterns() -> list[tuple[str, URLPattern]]:
    found = []
    for namespace, module in URLCONFS.items():
        patterns = [p for p in module.urlpatterns if isinstance(p, URLPattern)]
        assert len(patterns) == len(module.urlpatterns), "nested includes need handling here"
        found += [(f"{namespace}:{p.name}", p) for p in patterns]
    return found


def _case_patterns() -> list[tuple[str, URLPattern]]:
    return [(name, p) for name, p in _all_patterns() if "ref" in p.pattern.converters]


def test_every_url_is_either_case_independent_or_takes_ref():
    for name, pattern in _all_patterns():
        if "ref" not in pattern.pattern.converters:
            assert name in CASE_INDEPENDENT, (
                f"{name} takes no case reference: decide whether it leaks cases"
            )


@pytest.fixture
def case_urls_for(case, alice, survivor, other_org, consent_to):
    event = make_event(case, alice, parties=[(survivor, "victim")])
    make_event(case, alice, kind="police_report", start="2024-01-05")  # a breached duty
    letter = duty_services.draft_letter(case, alice, "police_inaction", "ru")
    assessment = risk_services.record_assessment(case, alice, "qorgau-open", {})
    risk_services.save_safety_plan(case, alice, {"code_word": "Grandmother's cake"}, {})
    exhibit = evidence_services.ingest(case, alice, evidence_services.Upload(
        io.BytesIO(b"A note written by the survivor.\n"), "note.txt"))
    proceeding = proceeding_services.open_proceeding(
        case, alice, kind="criminal_respondent", court="Uralsk city court")
    court = consent_to(case, alice, "court")
    bundle = bundle_services.request_bundle(case, alice, "en", sees_restricted=True,
                                            grant_id=court.pk)
    referral = consent_to(case, alice, "referral", recipient_organisation=other_org)
    share = consent_services.share_case(case, alice, referral.pk)
    provider = Provider.objects.create(name="Shelter", kind="shelter", region="kz-west",
                                       services=["shelter"], organisation=other_org)
    made = referral_services.make_referral(
        case, alice, provider=provider, need="shelter", grant_id=referral.pk)
    kwargs_for = {"ref": case.reference, "fmt": "pdf", "instrument_id": "qorgau-open",
                  "grant": referral.pk, "share": share.pk, "referral": made.pk}
    result = []
    for name, pattern in _case_patterns():
        app = name.split(":")[0]
        # `pk`: a party on case pages, a letter on duties pages, an assessment on risk pages;
        # `number`: an event, or on evidence pages an exhibit.
        pk = {"duties": letter.pk, "risk": assessment.pk, "proceedings": proceeding.pk,
              "bundles": bundle.pk}.get(app, survivor.pk)
        number = exhibit.number if app == "evidence" else event.number
        known = {**kwargs_for, "pk": pk, "number": number}
        unknown = set(pattern.pattern.converters) - set(known)
        assert not unknown, f"{name}: teach this test about {unknown}"
        kwargs = {key: known[key] for key in pattern.pattern.converters}
        result.append((name, reverse(name, kwargs=kwargs)))
    assert len(result) >= 27
    return result


@pytest.mark.parametrize("persona", ["dave", "erin", "frank"])
def test_outsiders_get_404_everywhere(request, client, case_urls_for, persona):
    client.force_login(request.getfixturevalue(persona))
    for name, url in case_urls_for:
        assert client.get(url).status_code == 404, f"GET {name} {url}"
        assert client.post(url, {"status": "closed", "full_name": "X", "role": "other"}
                           ).status_code == 404, f"POST {name} {url}"


def test_outsider_writes_nothing(client, case, case_urls_for, dave):
    before = case.ledger.count()
    client.force_login(dave)
    for _name, url in case_urls_for:
        client.get(url)
        client.post(url, {"status": "closed"})
    assert case.ledger.count() == before


def test_member_gets_every_page(client, case_urls_for, alice):
    client.force_login(alice)
    post_only = {"duties:letter_new", "duties:letter_send", "duties:decline",
                 "evidence:download", "bundles:download", "consent:revoke", "consent:share",
                 "consent:withdraw", "consent:transfer", "consent:transfer_cancel",
                 "referrals:move", "referrals:follow_up"}
    for name, url in case_urls_for:
        if name in post_only:
            assert client.get(url).status_code == 405, name
            continue
        response = client.get(url)
        assert response.status_code == 200, f"GET {name} {url}"


def test_unknown_reference_is_404(client, alice, case):
    client.force_login(alice)
    assert client.get(reverse("cases:detail", args=["NOPE-NOPE"])).status_code == 404


def test_anonymous_is_sent_to_login(client, case_urls_for):
    login = reverse("account_login")
    for name, url in [("list", reverse("cases:list")), ("new", reverse("cases:new")),
                      ("needs_action", reverse("duties:needs_action")), *case_urls_for]:
        response = client.get(url)
        assert response.status_code == 302, name
        assert response["Location"].startswith(login), name
