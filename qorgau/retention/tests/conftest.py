"""A case with one of everything every app keeps, for erasure to remove."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from qorgau.accounts.models import User
from qorgau.bundles import services as bundle_services
from qorgau.bundles.models import Bundle
from qorgau.cases import services
from qorgau.cases.models import Case
from qorgau.conftest import _person, make_event
from qorgau.consent import services as consent_services
from qorgau.duties import services as duty_services
from qorgau.evidence import services as evidence_services
from qorgau.evidence import storage
from qorgau.evidence.models import Exhibit
from qorgau.proceedings import flags
from qorgau.proceedings import services as proceeding_services
from qorgau.referrals import services as referral_services
from qorgau.referrals.models import Provider
from qorgau.retention import services as retention
from qorgau.risk import services as risk_services

SURVIVOR_NAME = "Zhanar Testbayeva"


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):
    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    Path(settings.FILE_UPLOAD_TEMP_DIR).mkdir()
    storage.evidence_storage.cache_clear()
    yield tmp_path
    storage.evidence_storage.cache_clear()


@pytest.fixture
def admin(org, case, alice) -> User:
    """An administrator of the organisation, assigned to the case."""
    user = _person("adam@tcc.test", org, "admin")
    services.assign(case, user, alice)
    return user


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), colour).save(out, "PNG")
    return out.getvalue()


@dataclass
class Full:
    case: Case
    exhibits: list[Exhibit]
    bundle: Bundle
    files: list[Path]


@pytest.fixture
def full(case, alice, bob, carol, survivor, respondent, evidence_dir, consent_to,
         other_org) -> Full:
    """Parties, events with links and a correction, obligations, a sent letter, a decision
    not to escalate, a risk
    assessment, a safety plan, an original and a redacted exhibit, a court bundle, a
    proceeding with a hearing record and a grade, consent grants with a share and a cancelled
    transfer, a referral, a narrative with a proposal accepted and one rejected, and a
    lifted legal hold (and the accountability counts all that feeds)."""
    risk_services.record_assessment(case, alice, "qorgau-open", {})  # before any suggestion
    order = make_event(case, alice, "order_issued", "2024-01-10", narrative="order granted")
    breach = services.record_event(case, alice, services.EventInput(
        kind="order_breached", span=services.parse_span("2024-01-20"), source="survivor",
        reliability="probable", narrative="he came back at night",
        parties=[(respondent, "perpetrator"), (survivor, "victim")],
        links=[(order, "breach_of")]))
    services.correct_event(breach, alice, services.event_input_from(breach), "date was wrong")
    make_event(case, alice, "police_report", "2024-01-21")  # a duty that is breached
    letter = duty_services.draft_letter(case, alice, "police_inaction", "ru")
    duty_services.approve_letter(letter, bob)
    duty_services.send_letter(letter, alice, date(2024, 3, 1))
    make_event(case, alice, "police_report", "2024-03-05")  # breached, not complained of
    from qorgau.duties import today

    assert today.decline(case, alice, "She asked us to wait until the hearing.")
    risk_services.save_safety_plan(case, alice, {"code_word": "Grandmother's cake"}, {})
    original = evidence_services.ingest(case, bob, evidence_services.Upload(
        io.BytesIO(png("red")), "bruise.png", event=breach))
    redacted = evidence_services.ingest(
        case, bob, evidence_services.Upload(io.BytesIO(png("black")), "bruise-redacted.png"),
        derived_from=original, derivation="redacted", tool="GIMP")
    from qorgau.intake import services as intake_services

    narrative = intake_services.add_narrative(case, alice, intake_services.read_source(
        text="On 26 February 2024 he strangled her. The next day she reported it to the "
             "police."))
    accepted, rejected = narrative.proposals.all()[:2]
    intake_services.review(narrative, alice, [intake_services.Decision(accepted.pk, True),
                                              intake_services.Decision(rejected.pk, False)])
    consent_to(case, alice, "court")
    referral = consent_to(case, alice, "referral", recipient_organisation=other_org)
    consent_services.share_case(case, alice, referral.pk)
    from qorgau.consent import transfers

    moving = consent_to(case, alice, "transfer", recipient_organisation=other_org)
    transfers.cancel(case, transfers.offer(case, alice, moving.pk).grant_id, alice)
    shelter = Provider.objects.create(name="Other Centre's shelter", kind="shelter",
                                      region="kz-west", services=["shelter"],
                                      organisation=other_org)
    made = referral_services.make_referral(case, alice, provider=shelter, need="shelter",
                                           grant_id=referral.pk)
    referral_services.move(made, alice, "accepted")
    bundle = bundle_services.request_bundle(case, bob, "en", sees_restricted=True)
    assert bundle.status == Bundle.Status.DONE, bundle.message
    hearing = make_event(case, bob, "hearing", "2024-05-01")
    proceeding = proceeding_services.open_proceeding(
        case, bob, kind="criminal_respondent", court="Uralsk city court",
        participants=[(respondent.pk, "accused")], events=[order])
    proceeding_services.record_hearing(proceeding, bob, hearing, {
        key: {"value": flags.OBSERVED, "note": "the judge listened"}
        for key in flags.INDICATORS})
    proceeding_services.grade(proceeding, bob, "C", "Some delays.", False, False)
    retention.set_hold(case, carol, "Appeal pending in Uralsk court")
    retention.lift_hold(case, carol, "Appeal decided")
    root = Path(storage.evidence_storage().location)
    files = [root / e.blob.object_name for e in (original, redacted)]
    files.append(root / bundle.object_name)
    files.append(root / narrative.exhibit.blob.object_name)
    assert all(f.is_file() for f in files)
    return Full(case, [original, redacted], bundle, files)
