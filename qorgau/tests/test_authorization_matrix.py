"""Every URL pattern of the project, for every persona, against an explicit table.

A new route without an entry in ROUTES fails `test_every_route_is_in_the_table`; an access
the table does not grant fails the matrix. Case routes are checked with GET (and POST where
they accept it): assigned people get the page, everyone else the 404 page or the login.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from qorgau.accounts.models import Organisation, User
from qorgau.api import tokens as api_tokens
from qorgau.bundles import services as bundle_services
from qorgau.conftest import make_event
from qorgau.consent import services as consent_services
from qorgau.consent import transfers
from qorgau.duties import services as duty_services
from qorgau.evidence import services as evidence_services
from qorgau.intake import services as intake_services
from qorgau.proceedings import services as proceeding_services
from qorgau.referrals import services as referral_services
from qorgau.referrals.models import Provider
from qorgau.risk import services as risk_services

PERSONAS = ("anonymous", "outsider", "other_org", "monitor", "unassigned_lawyer",
            "caseworker", "supervisor", "admin")
ASSIGNED = {"caseworker", "supervisor"}

# name -> (kind, methods that answer for the assigned)
#   "case": takes the case; assigned: 200 (or 405 for a method it does not take); others 404
#   "managed": a case page where assigned people see (GET) and only a supervisor or
#              administrator acts (POST; 403 to other assignees, who already see the case)
#   "member": any logged-in user: 200; anonymous: login
#   "public": anyone
#   "shared": a case shared with the other organisation: its case-role members get the page,
#             everyone else 404 (the sharing organisation's people too)
#   "insights": the accountability figures: monitors (suppressed), supervisors and
#             administrators (their organisation, exact); everyone else 404
#   "directory_edit": the service directory's places: case roles of any organisation act
#             (POST), monitors 403, anonymous to the login
#   "provider": a referral to the other organisation as a provider: its case-role members
#             answer (POST), everyone else 404 (the referring organisation's people too)
#   "own": the caseworker's own record (an API token): its owner acts (POST), other
#          logged-in people 404, anonymous to the login
#   "team": the organisation's caseloads: its supervisors and administrators; others 404
#   "home": Today, the home page: every case role gets it; a monitor is sent to the figures
#   "org_admin": an organisation's settings: its administrators see and change them, its
#             other members 403, other organisations' people 404 ("org_admin_home": where
#             an administrator is sent to their organisation's page, everyone else 403)
#   "trustees_only": trustee key custody's pages (unlock, panic lock); off by default, so
#             404 to everyone, anonymous included (in trustee custody:
#             qorgau/operations/tests/test_custody.py)
#   "skip": not ours to check here (third-party pages), with the reason
# Every operation of the API (/api/v1/, "api:*") has its own table in
# qorgau/api/tests/test_api_matrix.py.
CASE, MANAGED, MEMBER, PUBLIC, SHARED = "case", "managed", "member", "public", "shared"
SKIP = "skip"
PROVIDER = "provider"
MANAGERS = {"supervisor", "admin"}
INSIGHTS = "insights"
INSIGHT_PERSONAS = {"monitor", "supervisor", "admin"}
ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "cases:list": (MEMBER, ("GET", "POST")),  # POST: the search (no name in the URL)
    "insights:dashboard": (INSIGHTS, ("GET",)),
    "insights:download": (INSIGHTS, ("GET",)),
    "insights:report": (INSIGHTS, ("GET",)),
    "cases:new": (MEMBER, ("GET",)),
    "duties:needs_action": (MEMBER, ("GET",)),
    "duties:today": ("home", ("GET",)),
    "duties:team": ("team", ("GET", "POST")),
    "duties:decline": (CASE, ("POST",)),
    "cases:story": (CASE, ("GET", "POST")),
    "cases:people": (CASE, ("GET", "POST")),
    "quick_exit": (PUBLIC, ("POST",)),
    "cases:detail": (CASE, ("GET",)),
    "cases:status": (CASE, ("GET", "POST")),
    "cases:event_new": (CASE, ("GET", "POST")),
    "cases:event_detail": (CASE, ("GET",)),
    "cases:event_correct": (CASE, ("GET", "POST")),
    "cases:parties": (CASE, ("GET", "POST")),
    "cases:party_edit": (CASE, ("GET", "POST")),
    "cases:ledger": (CASE, ("GET",)),
    "insights:case_picture": (CASE, ("GET",)),
    "duties:case": (CASE, ("GET",)),
    "duties:letter_new": (CASE, ("POST",)),
    "duties:letter": (CASE, ("GET", "POST")),
    "duties:letter_send": (CASE, ("POST",)),
    "duties:letter_download": (CASE, ("GET",)),
    "risk:case": (CASE, ("GET",)),
    "risk:assess": (CASE, ("GET", "POST")),
    "risk:assessment": (CASE, ("GET",)),
    "risk:plan": (CASE, ("GET", "POST")),
    "risk:plan_print": (CASE, ("GET",)),
    "evidence:list": (CASE, ("GET", "POST")),
    "evidence:exhibit": (CASE, ("GET", "POST")),
    "evidence:download": (CASE, ("POST",)),
    "bundles:list": (CASE, ("GET", "POST")),
    "bundles:detail": (CASE, ("GET",)),
    "bundles:download": (CASE, ("POST",)),
    "intake:narratives": (CASE, ("GET", "POST")),
    "intake:narrative": (CASE, ("GET",)),
    "intake:review": (CASE, ("POST",)),
    "proceedings:list": (CASE, ("GET", "POST")),
    "proceedings:detail": (CASE, ("GET", "POST")),
    "proceedings:report": (CASE, ("GET",)),
    "consent:case": (CASE, ("GET", "POST")),
    "consent:revoke": (CASE, ("POST",)),
    "consent:share": (CASE, ("POST",)),
    "consent:withdraw": (CASE, ("POST",)),
    "consent:transfer": (CASE, ("POST",)),
    "consent:transfer_cancel": (CASE, ("POST",)),
    "shared:transfers": (MEMBER, ("GET",)),
    # only the receiving organisation's supervisors and administrators (none of the personas
    # of the other organisation is one): 404 to everyone, the offer's existence included
    "shared:transfer_accept": ("receiver", ("POST",)),
    "shared:transfer_decline": ("receiver", ("POST",)),
    "shared:list": (MEMBER, ("GET",)),
    "shared:detail": (SHARED, ("GET",)),
    "retention:case": (MANAGED, ("GET", "POST")),
    "referrals:directory": (MEMBER, ("GET",)),
    "referrals:places": ("directory_edit", ("POST",)),
    "referrals:case": (CASE, ("GET", "POST")),
    "referrals:move": (CASE, ("POST",)),
    "referrals:letter": (CASE, ("GET",)),
    "referrals:follow_up": (CASE, ("POST",)),
    "referrals:incoming": (MEMBER, ("GET",)),
    "referrals:answer": (PROVIDER, ("POST",)),
    "tokens:list": (MEMBER, ("GET", "POST")),
    "tokens:revoke": ("own", ("POST",)),
    "duress_code": (MEMBER, ("GET", "POST")),
    "accounts:organisation_home": ("org_admin_home", ("GET", "POST")),
    "accounts:organisation": ("org_admin", ("GET", "POST")),
    "retention:organisation": ("org_admin", ("POST",)),
    "referrals:profile": ("org_admin", ("POST",)),
    "custody:unlock": ("trustees_only", ("GET", "POST")),
    "custody:lock": ("trustees_only", ("GET", "POST")),
    "custody:lock_token": ("trustees_only", ("GET", "POST")),
}
THIRD_PARTY = ("admin:", "account_", "set_language", "mfa_", "socialaccount_", "django_",
               "api:")


def _names() -> list[str]:
    return [name for name, _pattern in _patterns()]


def test_every_route_is_in_the_table():
    ours = [n for n in _names() if not n.startswith(THIRD_PARTY)
            and not n.startswith("admin")]
    missing = sorted(set(ours) - set(ROUTES))
    assert not missing, f"routes without an entry in the authorization table: {missing}"


@pytest.fixture
def world(db, org, other_org, alice, case, survivor, consent_to, personas):
    """A case with one of everything, and a user for every persona."""
    event = make_event(case, alice, kind="hearing", start="2024-05-01")
    make_event(case, alice, kind="police_report", start="2024-01-05")  # a breached duty
    letter = duty_services.draft_letter(case, alice, "police_inaction", "ru")
    assessment = risk_services.record_assessment(case, alice, "qorgau-open", {})
    risk_services.save_safety_plan(case, alice, {"code_word": "Tea"}, {})
    exhibit = evidence_services.ingest(case, alice, evidence_services.Upload(
        io.BytesIO(b"A note.\n"), "note.txt"))
    court = consent_to(case, alice, "court")
    bundle = bundle_services.request_bundle(case, alice, "en", sees_restricted=True,
                                            grant_id=court.pk)
    referral = consent_to(case, alice, "referral", recipient_organisation=other_org)
    share = consent_services.share_case(case, alice, referral.pk)
    provider = Provider.objects.create(name="Shelter", kind="shelter", region="kz-west",
                                       services=["shelter"], capacity=5)
    partner = Provider.objects.create(name="Partner centre", kind="crisis_centre",
                                      region="kz-west", services=["psychological"],
                                      organisation=other_org)
    to_partner = referral_services.make_referral(case, alice, provider=partner,
                                                 need="psychological", grant_id=referral.pk)
    own = Provider.objects.create(name="TCC shelter", kind="shelter", region="kz-west",
                                  services=["shelter"], organisation=org)
    outside = consent_to(case, alice, "referral")
    made = referral_services.make_referral(case, alice, provider=provider, need="shelter",
                                           grant_id=outside.pk, categories=["identity"])
    proceeding = proceeding_services.open_proceeding(case, alice, kind="criminal_respondent",
                                                     court="Court")
    moving = transfers.offer(case, alice, consent_to(
        case, alice, "transfer", recipient_organisation=other_org).pk)
    narrative = intake_services.add_narrative(case, alice, intake_services.read_source(
        text="On 26 February 2024 he hit her."))
    pks = {"duties": letter.pk, "risk": assessment.pk, "bundles": bundle.pk,
           "proceedings": proceeding.pk, "intake": narrative.pk}
    urls = {}
    for name, (kind, _methods) in ROUTES.items():
        if kind == SHARED:
            urls[name] = reverse(name, args=[share.pk])
            continue
        if name == "referrals:places":
            urls[name] = reverse(name, args=[provider.pk])
            continue
        if kind == PROVIDER:
            urls[name] = reverse(name, args=[to_partner.pk])
            continue
        if kind == "receiver":
            urls[name] = reverse(name, args=[moving.pk])
            continue
        if name == "tokens:revoke":
            urls[name] = reverse(name, args=[api_tokens.create_token(
                alice, "matrix", ["read"], 1).token.pk])
            continue
        if name in ("accounts:organisation", "retention:organisation"):
            urls[name] = reverse(name, args=[org.slug])
            continue
        if name == "referrals:profile":
            urls[name] = reverse(name, args=[org.slug, own.pk])
            continue
        if name == "insights:download":
            urls[name] = reverse(name, args=["orders_issued", "csv"])
            continue
        if name == "custody:lock_token":
            urls[name] = reverse(name, args=["a-lock-token"])
            continue
        if kind not in (CASE, MANAGED):
            urls[name] = reverse(name)  # member, insights, home
            continue
        app = name.split(":")[0]
        kwargs = {"ref": case.reference}
        pattern = next(p for p in _patterns() if p[0] == name)[1]
        for key in pattern.pattern.converters:
            if key == "number":
                kwargs[key] = exhibit.number if app == "evidence" else event.number
            elif key == "pk":
                kwargs[key] = pks.get(app, survivor.pk)
            elif key == "fmt":
                kwargs[key] = "pdf"
            elif key == "instrument_id":
                kwargs[key] = "qorgau-open"
            elif key == "grant":
                kwargs[key] = referral.pk
            elif key == "share":
                kwargs[key] = share.pk
            elif key == "referral":
                kwargs[key] = made.pk
        urls[name] = reverse(name, kwargs=kwargs)
    users: dict[str, User | None] = personas
    assert Organisation.objects.count() == 2
    return urls, users


def _patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, Any]]:
    resolver = resolver or get_resolver()
    found: list[tuple[str, Any]] = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            found += _patterns(pattern, namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((f"{prefix}{pattern.name}", pattern))
    return found


def _expected(kind: str, persona: str, method: str, methods: tuple[str, ...]) -> set[int]:
    if kind == PUBLIC:
        return {302} if method in methods else {405}
    if kind == "trustees_only":
        return {404}
    if persona == "anonymous":
        return {302}  # to the login page
    if kind == MEMBER:  # older list pages ignore the method; newer ones answer 405
        return {200} if method in methods else {200, 405}
    if kind == "team":  # supervisors and administrators of an organisation
        if persona not in MANAGERS:
            return {404}
        return {200, 302}
    if kind == "home":
        if method not in methods:
            return {405}
        return {302} if persona == "monitor" else {200}
    if kind == "org_admin_home":
        return {302} if persona == "admin" else {403}
    if kind == "org_admin":
        if method not in methods:
            return {405}
        if persona == "other_org":
            return {404}
        return {200, 302} if persona == "admin" else {403}
    if kind == "own":
        if method not in methods:
            return {405}
        return {302} if persona == "caseworker" else {404}
    if kind == "directory_edit":
        if method not in methods:
            return {405}
        return {403} if persona == "monitor" else {302}
    if kind == INSIGHTS:
        if persona not in INSIGHT_PERSONAS:
            return {404}
        return {200} if method in methods else {405}
    if kind == PROVIDER:
        if persona != "other_org":
            return {404}
        return {302} if method in methods else {405}
    if kind == "receiver":
        return {404} if method in methods else {405}
    if kind == SHARED:
        if persona != "other_org":
            return {404}
        return {200} if method in methods else {405}
    if persona not in ASSIGNED:
        return {404}
    if method not in methods:
        return {405}
    if kind == MANAGED and method == "POST" and persona not in MANAGERS:
        return {403}
    return {200, 302}  # a page, or a form's redirect


@pytest.mark.parametrize("persona", PERSONAS)
def test_authorization_matrix(client, world, persona):
    urls, users = world
    user = users[persona]
    checked = 0
    for name, (kind, methods) in ROUTES.items():
        if kind == PUBLIC:
            continue  # quick exit ends the session; checked on its own below
        for method in ("GET", "POST"):
            if user is not None:
                client.force_login(user)
            else:
                client.logout()
            response = client.get(urls[name]) if method == "GET" else client.post(urls[name])
            expected = _expected(kind, persona, method, methods)
            assert response.status_code in expected, (
                f"{persona} {method} {name}: {response.status_code}, expected {expected}")
            if persona == "anonymous" and kind != "trustees_only":
                assert reverse("account_login") in response["Location"], name
            checked += 1
    assert checked == 2 * (len(ROUTES) - 1)


def test_quick_exit_answers_everyone(client, world):
    urls, users = world
    for user in users.values():
        if user is not None:
            client.force_login(user)
        assert client.post(urls["quick_exit"]).status_code == 302
        assert client.get(urls["quick_exit"]).status_code == 405

