"""Seed the fuzzing database, so that the fuzzer reaches past "no such record" (404) into
what each operation does: an organisation with a caseworker and two colleagues; a case with
a party, an event, the survivor's consent (referral, court bundle, transfer), a proceeding,
an exhibit and a built court bundle; a service to refer her to; a second case for the
operations that change who works on a case (so that handing it over or taking its
caseworker off it cannot lock the fuzzer out of the first); a narrative read into
proposals, one rejected; a monitor's membership elsewhere
for the accountability figures; and a token with every scope. Prints `name=value` lines
that scripts/api_fuzz.sh exports as QORGAU_FUZZ_* (scripts/schemathesis.toml reads them)."""

from __future__ import annotations

import io
import os
from datetime import timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from qorgau.accounts.models import Organisation  # noqa: E402
from qorgau.accounts.services import add_member, create_user  # noqa: E402
from qorgau.api import tokens  # noqa: E402
from qorgau.bundles import services as bundles  # noqa: E402
from qorgau.bundles.models import Bundle  # noqa: E402
from qorgau.cases import services  # noqa: E402
from qorgau.consent import rules as consent_rules  # noqa: E402
from qorgau.consent import services as consent  # noqa: E402
from qorgau.evidence import services as evidence  # noqa: E402
from qorgau.insights import metrics  # noqa: E402
from qorgau.intake import services as intake  # noqa: E402
from qorgau.proceedings import services as proceedings  # noqa: E402
from qorgau.referrals import rules as referral_rules  # noqa: E402
from qorgau.referrals.models import Provider  # noqa: E402

# The fuzzer calls every operation, the panic lock (POST /lock) too: it must not lock this
# instance. Keys stay on the server here (the route answers 404), and the token below has
# no "lock" scope and belongs to a caseworker (docs/api.md, "Contract tests and fuzzing").
assert settings.QORGAU_KEY_CUSTODY == "server", "fuzz an instance that keeps its keys"

org = Organisation.objects.create(name="Fuzz Centre", slug="fuzz", region="kz-west")
# Colleagues first: the ids a fuzzer tries first (1, 2) name them, not the token's owner.
colleague = create_user("colleague@fuzz.test", None, display_name="Colleague")
add_member(colleague, org, "caseworker")
leaver = create_user("leaver@fuzz.test", None, display_name="Leaver")
add_member(leaver, org, "caseworker")
user = create_user("fuzz@fuzz.test", None, display_name="Fuzz")
add_member(user, org, "caseworker")
monitors = Organisation.objects.create(name="Fuzz Monitors", slug="fuzz-monitors",
                                       region="kz-west")
add_member(user, monitors, "monitor")

case = services.create_case(org, user, region="kz-west")
party = services.add_party(case, user, role="survivor", relationship="self",
                           full_name="Fuzz Survivor")
report = services.record_event(case, user, services.EventInput(
    kind="police_report", span=services.parse_span("2024-01-05"), source="survivor",
    reliability="probable", institution="police"))
# A service outside Qorgau that offers every need, with places (the directory is empty).
shelter = Provider.objects.create(name="Fuzz Shelter", kind="shelter", region="kz-west",
                                  services=list(referral_rules.NEEDS), places_available=5)
grants = {purpose: consent.grant_consent(
    case, user, purpose=purpose, categories=categories, manner="written",
    given_on=timezone.localdate(), expires_at=timezone.now() + timedelta(days=365),
    recipient_name=shelter.name)
    for purpose, categories in (("referral", list(consent_rules.CATEGORIES)),
                                ("court", ["timeline", "duties", "evidence"]),
                                ("transfer", ["identity", "contact", "timeline"]))}
proceeding = proceedings.open_proceeding(
    case, user, kind="criminal_respondent", court="Uralsk City Court",
    charges=[{"text": "Beatings", "article": "109-1"}], events=[report])
evidence.ingest(case, user, evidence.Upload(
    io.BytesIO(b"Statement of 5 January 2024.\n"), "statement.txt", "text/plain",
    title="Statement"))
bundle = bundles.request_bundle(case, user, "en", False)
bundles.build_bundle.call(bundle.pk)  # no worker runs during the fuzz: build it here
bundle.refresh_from_db()
assert bundle.status == Bundle.Status.DONE, bundle.message
# A narrative read into proposals (read here: no worker runs), one of them rejected, so that
# reconsidering it and reviewing the others reach what they do.
narrative = intake.add_narrative(case, user, intake.read_source(text=(
    "On 3 March 2024 her husband beat her and choked her with a belt. The next day she "
    "reported it to the police, who refused to open a case.")))
if narrative.status != narrative.Status.READY:
    intake.extract_narrative.call(narrative.pk)
    narrative.refresh_from_db()
assert narrative.status == narrative.Status.READY, narrative.message
rejected = narrative.proposals.order_by("-index").first()
assert rejected is not None
intake.review(narrative, user, [intake.Decision(rejected.pk, False)])

# Who works on a case: the colleague hands it over (to the leaver, id 2, say), the leaver
# is taken off it; apart, so that neither step undoes what the other needs.
people = services.create_case(org, user, region="kz-west")
services.add_person(people, user, colleague, "write")
services.add_person(people, user, leaver, "write")

issued = tokens.create_token(user, "fuzz", ["read", "write", "evidence", "insights"], 1)
for name, value in (("REF", case.reference), ("PARTY", party.pk),
                    ("PROCEEDING", proceeding.pk), ("BUNDLE", bundle.pk),
                    ("NARRATIVE", narrative.pk), ("PROPOSAL", rejected.pk),
                    ("PEOPLE_REF", people.reference), ("COLLEAGUE", colleague.pk),
                    ("LEAVER", leaver.pk), ("PROVIDER", shelter.pk),
                    ("REFERRAL_GRANT", grants["referral"].pk),
                    ("COURT_GRANT", grants["court"].pk),
                    ("METRIC", next(iter(metrics.METRICS))), ("TOKEN", issued.secret)):
    print(f"{name}={value}")
