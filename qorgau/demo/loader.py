"""Write the demo data, idempotently, through the account and case services.

The organisation is found by its slug, users by email and cases by their fixed references:
whatever exists already is left alone, so a second run writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from qorgau.accounts.models import Membership, Organisation, Role, User
from qorgau.accounts.services import add_member, create_user, enrol_totp, has_mfa
from qorgau.cases import services
from qorgau.cases.models import Case, Event, Party
from qorgau.consent import rules as consent_rules
from qorgau.consent import services as consent
from qorgau.demo import exhibits, reference_case, synthetic
from qorgau.demo.specs import CaseSpec, EventSpec
from qorgau.proceedings import services as proceedings
from qorgau.referrals import services as referrals
from qorgau.risk import services as risk_services

ORG_SLUG = "demo"
ORG_NAME = "Demo Crisis Centre (Uralsk)"
ORG_REGION = "KZ-27"  # West Kazakhstan
EMAIL_DOMAIN = "demo.qorgau.test"
# Demo only: printed at start so anyone can try each role. Never use on real data.
PASSWORD = "qorgau-demo-2026"  # noqa: S105
# Every demo account's authenticator app (base32), equally public; `qorgau demo-code`.
TOTP_SECRET = "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U"  # noqa: S105
ROLES: tuple[str, ...] = tuple(Role.values)  # caseworker, lawyer, supervisor, monitor, admin
COURT_CONSENT_DAYS = 180


@dataclass(frozen=True)
class DemoUser:
    role: str
    email: str
    created: bool


@dataclass
class DemoResult:
    organisation: Organisation
    organisation_created: bool
    users: list[DemoUser] = field(default_factory=list)
    cases_created: list[str] = field(default_factory=list)
    cases_existing: list[str] = field(default_factory=list)


def email_for(role: str) -> str:
    return f"{role}@{EMAIL_DOMAIN}"


def case_specs() -> list[CaseSpec]:
    return [reference_case.spec(), *synthetic.specs()]


def _organisation() -> tuple[Organisation, bool]:
    return Organisation.objects.get_or_create(
        slug=ORG_SLUG, defaults={"name": ORG_NAME, "region": ORG_REGION}
    )


def _users(organisation: Organisation) -> tuple[dict[str, User], list[DemoUser]]:
    users: dict[str, User] = {}
    report: list[DemoUser] = []
    existing = {u.email: u for u in User.objects.filter(email__in=[email_for(r) for r in ROLES])}
    members = set(Membership.objects.filter(organisation=organisation)
                  .values_list("user_id", "role"))
    for role in ROLES:
        email = email_for(role)
        user = existing.get(email)
        created = user is None
        if user is None:
            user = create_user(email, PASSWORD, display_name=f"Demo {Role(role).label}")
            if role == Role.ADMIN:
                user.is_staff = True  # the Django admin: users, organisations, memberships
                user.save(update_fields=["is_staff"])
        if (user.pk, role) not in members:
            add_member(user, organisation, role)
        if not has_mfa(user):
            enrol_totp(user, TOTP_SECRET)
        users[role] = user
        report.append(DemoUser(role, email, created))
    return users, report


def write_case(spec: CaseSpec, organisation: Organisation, users: dict[str, User]) -> Case:
    """Create one case from its spec; every write goes through `qorgau.cases.services`."""
    caseworker = users[Role.CASEWORKER]
    case = services.create_case(organisation, caseworker, region=spec.region,
                                profile=spec.profile, reference=spec.reference)
    services.assign(case, users[Role.LAWYER], caseworker)
    if spec.supervised:
        services.assign(case, users[Role.SUPERVISOR], caseworker)
    parties: dict[str, Party] = {}
    for p in spec.parties:
        parties[p.key] = services.add_party(
            case, caseworker, role=p.role, relationship=p.relationship,
            co_resident=p.co_resident, institution=p.institution, full_name=p.full_name,
            birth_date=p.birth_date, notes=p.notes,
        )
    events: dict[str, Event] = {}
    for e in spec.events:
        data = _event_input(e, parties, events)
        by = users[e.by]
        if e.corrects:
            events[e.key] = services.correct_event(events[e.corrects], by, data, e.reason)
        else:
            events[e.key] = services.record_event(case, by, data)
    if spec.assessment is not None:
        _assess(case, caseworker, dict(spec.assessment))
    if spec.exhibits:
        exhibits.attach(case, users[Role.LAWYER])
    if spec.proceeding is not None:
        ps = spec.proceeding
        proceedings.open_proceeding(
            case, users[Role.LAWYER], kind=ps.kind, court=ps.court, status=ps.status,
            charges=[{"text": text, "article": article} for text, article in ps.charges],
            participants=[(parties[key].pk, role) for key, role in ps.participants],
            events=[events[key] for key in ps.events])
    if spec.court_consent:
        consent.grant_consent(
            case, users[Role.LAWYER], purpose="court",
            categories=consent_rules.BUNDLE_CATEGORIES, manner="written",
            given_on=timezone.localdate(),
            expires_at=timezone.now() + timedelta(days=COURT_CONSENT_DAYS),
            recipient_name=spec.proceeding.court if spec.proceeding else "Court",
            note="Signed consent form kept in the paper file (demo).")
    if spec.closed:
        closer = users[Role.SUPERVISOR] if spec.supervised else caseworker
        services.set_status(case, closer, Case.Status.CLOSED)
    return case


OPEN_SCREEN = "qorgau-open"


def _assess(case: Case, by: User, asked: dict[str, str]) -> None:
    """The open screen, confirming what the timeline suggests (the caseworker checked it)."""
    inst = risk_services.instrument(OPEN_SCREEN)
    hints = risk_services.suggestions(case, inst, sees_restricted=True)
    answers = {item: risk_services.AnswerInput(answer) for item, answer in asked.items()}
    for item_id in hints:
        answers[item_id] = risk_services.AnswerInput("yes", "confirmed")
    risk_services.record_assessment(case, by, OPEN_SCREEN, answers, sees_restricted=True)


def _event_input(e: EventSpec, parties: dict[str, Party],
                 events: dict[str, Event]) -> services.EventInput:
    return services.EventInput(
        kind=e.kind,
        span=services.parse_span(e.start, e.end, e.qualifier, e.recurrence),
        source=e.source, reliability=e.reliability, narrative=e.narrative, place=e.place,
        institution=e.institution, institution_unit=e.institution_unit,
        attributes=dict(e.attributes),
        parties=[(parties[key], role) for key, role in e.parties],
        links=[(events[key], kind) for key, kind in e.links],
    )


@transaction.atomic
def load_demo() -> DemoResult:
    """Load whatever part of the demo is missing; all of it or nothing."""
    organisation, org_created = _organisation()
    users, report = _users(organisation)
    result = DemoResult(organisation, org_created, report)
    referrals.load_demo_directory()
    specs = case_specs()
    existing = set(Case.objects.filter(reference__in=[s.reference for s in specs])
                   .values_list("reference", flat=True))
    for spec in specs:
        if spec.reference in existing:
            result.cases_existing.append(spec.reference)
            continue
        write_case(spec, organisation, users)
        result.cases_created.append(spec.reference)
    return result
