"""The case file carries the whole case (version 2): consents, proceedings with hearings and
grades, risk assessments, the safety plan and referrals, as far as consent allows; the round
trip keeps it all; a bad reference refuses the whole file; version 1 files still import."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import jsonschema
import pytest
from django.core.management import call_command
from django.utils import timezone

from qorgau.cases import casefile, services
from qorgau.cases.models import Case, Event, LedgerEntry, Party
from qorgau.cases.verification import verify_all
from qorgau.consent import rules as consent_rules
from qorgau.consent.models import ConsentGrant
from qorgau.proceedings import flags
from qorgau.proceedings import services as proceedings
from qorgau.proceedings.models import FairnessGrade, HearingRecord, Proceeding
from qorgau.referrals import services as referrals
from qorgau.referrals.models import Provider, Referral, ReferralStep
from qorgau.risk import services as risk
from qorgau.risk.models import Assessment, SafetyPlan

DOCS = Path(casefile.SCHEMA_PATH).parent
EVERYTHING = sorted(consent_rules.CATEGORIES)
SECTIONS = ("consents", "proceedings", "assessments", "safety_plan", "referrals")
MODELS = (Case, Party, Event, LedgerEntry, ConsentGrant, Proceeding, HearingRecord,
          FairnessGrade, Assessment, SafetyPlan, Referral, ReferralStep)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def record(case, by, kind, start, **extra):
    data = services.EventInput(kind=kind, span=services.parse_span(start),
                               source=extra.pop("source", "document"),
                               reliability=extra.pop("reliability", "confirmed"))
    for name, value in extra.items():
        setattr(data, name, value)
    return services.record_event(case, by, data)


@pytest.fixture
def provider(db):
    return Provider.objects.create(name="Crisis centre Uralsk", kind="crisis_centre",
                                   region="kz-west", services=["shelter", "psychological"],
                                   places_available=3)


@pytest.fixture
def whole(case, alice, consent_to, provider):
    """A case with something in every section, built through the services."""
    survivor = services.add_party(case, alice, role="survivor", relationship="self",
                                  full_name="Айгерим Касымова", phone="+7 701 000 00 00")
    respondent = services.add_party(case, alice, role="respondent",
                                    relationship="ex_spouse", full_name="Ерлан Сейітов")
    judge = services.add_party(case, alice, role="official", relationship="none",
                               institution="court", full_name="Судья Ахметова")
    assault = record(case, alice, "physical_assault", "2024-01-05", source="survivor",
                     reliability="probable",
                     parties=[(respondent, "perpetrator"), (survivor, "victim")])
    indictment = record(case, alice, "indictment", "2024-02-01", institution="prosecutor",
                        links=[(assault, "related_to")])
    hearing = record(case, alice, "hearing", "2024-03-10", institution="court",
                     institution_unit="Уральский городской суд",
                     parties=[(judge, "actor")])
    # Consents: the transfer that allows the export (everything), a referral grant used
    # below, and a court grant she revoked.
    consent_to(case, alice, "transfer", categories=EVERYTHING)
    referral_grant = consent_to(case, alice, "referral", categories=["identity", "contact"])
    revoked = consent_to(case, alice, "court", note="signed form in the paper file")
    from qorgau.consent import services as consent
    consent.revoke_consent(revoked, alice, "She withdrew it on the phone.")
    # Proceedings: one with a hearing observed and two grades, one without anything.
    proceeding = proceedings.open_proceeding(
        case, alice, kind="criminal_respondent", court="Уральский городской суд",
        case_number="1-234/2024", charges=[{"text": "Истязание", "article": "ст. 110"}],
        participants=[(respondent.pk, "accused"), (survivor.pk, "victim"),
                      (judge.pk, "judge")], events=[indictment], status="trial")
    indicators = {key: {"value": flags.OBSERVED, "note": ""} for key in flags.INDICATORS}
    indicators["presumption_of_innocence"] = {"value": flags.NOT_OBSERVED,
                                              "note": "Судья назвал его виновным."}
    proceedings.record_hearing(proceeding, alice, hearing, indicators,
                               abuse_evidence_excluded=True)
    proceedings.grade(proceeding, alice, "C", "Adjourned twice.", False, False)
    proceedings.grade(proceeding, alice, "D", "Evidence of the abuse excluded.", True, True)
    proceedings.open_proceeding(case, alice, kind="civil_divorce", court="Суд №2")
    # Risk: an assessment whose answers cite the timeline, and the safety plan.
    inst = risk.instrument("qorgau-open")
    hints = risk.suggestions(case, inst)
    answers = {item.id: risk.AnswerInput("yes" if i % 2 else "no",
                                         "confirmed" if item.id in hints else None)
               for i, item in enumerate(inst.items)}
    risk.record_assessment(case, alice, inst.id, answers)
    risk.save_safety_plan(case, alice, {"safe_contacts": "Сестра: +7 702 000 00 00",
                                        "code_word": "жасыл", "respondent_knows": "no",
                                        "language": "kk"},
                          {"safe_contacts": timezone.localdate() + timedelta(days=30)})
    # A referral made under her consent and accepted.
    referral = referrals.make_referral(case, alice, provider=provider, need="shelter",
                                       grant_id=referral_grant.pk, categories=["identity"],
                                       note="Needs a place with her daughter.")
    referrals.move(referral, alice, "accepted")
    services.set_status(case, alice, "open")
    return case


def export(reference, *extra):
    out = StringIO()
    call_command("export-case", reference, "--as", "alice@tcc.test", *extra, stdout=out)
    return json.loads(out.getvalue())


def test_export_carries_every_section(whole):
    document = export(whole.reference)
    jsonschema.validate(document, casefile.build_schema())
    assert document["version"] == 2 and document["withheld"] == []
    assert document["case"]["mode"] == "casework"
    assert [c["purpose"] for c in document["consents"]] == ["transfer", "referral", "court"]
    assert document["consents"][2]["revoked_at"] is not None
    assert document["consents"][2]["revocation_reason"] == "She withdrew it on the phone."
    first, second = document["proceedings"]
    assert first["participants"] == [{"party": "p2", "role": "accused"},
                                     {"party": "p1", "role": "victim"},
                                     {"party": "p3", "role": "judge"}]
    assert first["events"] == [2, 3] and first["hearings"][0]["event"] == 3
    assert first["hearings"][0]["indicators"]["presumption_of_innocence"]["value"] == \
        "not_observed"
    assert [g["grade"] for g in first["grades"]] == ["C", "D"]
    assert second == {"kind": "civil_divorce", "court": "Суд №2", "case_number": "",
                      "charges": [], "participants": [], "status": "investigation",
                      "events": [], "hearings": [], "grades": []}
    (assessment,) = document["assessments"]
    kinds = {e["number"]: e["kind"] for e in document["events"]}
    assert kinds[assessment["event"]] == "risk_assessment"
    assert document["safety_plan"]["code_word"] == "жасыл"
    (referral,) = document["referrals"]
    assert referral["consent"] == "c2" and referral["state"] == "accepted"
    assert [s["state"] for s in referral["steps"]] == ["made", "accepted"]
    assert all(kinds[s["event"]].startswith("referral_") for s in referral["steps"])
    text = json.dumps(document)
    for internal in ("salt", "recorded_by", "graded_by", "assessor", '"id"', "share"):
        assert internal not in text


def test_round_trip_into_another_organisation(whole, frank, other_org, consent_to,
                                              provider):
    """Export, import into another organisation, export again: the same document, except
    what is meant to differ (reference, time, and the consent the new holder records)."""
    first = export(whole.reference)
    imported = casefile.import_case(copy.deepcopy(first), other_org, frank)
    assert imported.organisation == other_org
    # The new holder records her consent to export it again: the one grant it adds.
    fresh = consent_to(imported, frank, "transfer", categories=EVERYTHING)
    out = StringIO()
    call_command("export-case", imported.reference, "--as", "frank@other.test", "--grant",
                 str(fresh.pk), stdout=out)
    second = json.loads(out.getvalue())
    added = second["consents"].pop()
    assert added["created_at"] > first["consents"][-1]["created_at"]
    for document in (first, second):
        document.pop("exported_at")
        document["case"].pop("reference")
    # A grant to an organisation that uses Qorgau is named in words in the file, so it is
    # the same text on both sides; nothing else may differ.
    assert first == second
    assert [r.problem for r in verify_all()] == [None, None]


def test_import_is_on_the_ledger_through_the_services(whole, alice):
    document = export(whole.reference)
    imported = casefile.import_case(document, whole.organisation, alice)
    actions = list(LedgerEntry.objects.filter(case=imported).order_by("seq")
                   .values_list("action", flat=True))
    for action in ("consent.grant", "proceeding.create", "hearing.record", "grade.create",
                   "assessment.create", "safety_plan.save", "referral.create"):
        assert action in actions
    assert actions[-1] == "case.import"
    imported_grants = LedgerEntry.objects.filter(case=imported, action="consent.grant")
    assert all(entry.detail.get("imported") for entry in imported_grants)
    # Nothing was recorded twice: the sections' events are the file's.
    assert Event.objects.filter(case=imported).count() == len(document["events"])
    assert Assessment.objects.get(case=imported).event.kind == "risk_assessment"


def test_consent_limits_what_is_exported(whole, consent_to):
    narrow = consent_to(whole, whole.created_by, "transfer",
                        categories=["identity", "contact", "timeline"])
    document = export(whole.reference, "--grant", str(narrow.pk))
    assert document["withheld"] == ["proceedings", "risk", "safety_plan"]
    for name in ("proceedings", "assessments", "safety_plan"):
        assert name not in document
    kinds = [e["kind"] for e in document["events"]]
    assert "risk_assessment" not in kinds and "safety_plan" not in kinds
    assert "hearing" in kinds  # the timeline itself is covered
    assert document["referrals"] and document["consents"]
    # What is left still imports, and exports again as it was (numbers closed up).
    jsonschema.validate(document, casefile.build_schema())
    casefile.validate(document)


def test_consent_to_proceedings_only(whole, consent_to):
    grant = consent_to(whole, whole.created_by, "transfer",
                       categories=["identity", "contact", "timeline", "proceedings"])
    document = export(whole.reference, "--grant", str(grant.pk))
    assert document["withheld"] == ["risk", "safety_plan"]
    assert len(document["proceedings"]) == 2 and "assessments" not in document


def failed(document, organisation, by):
    before = counts()
    with pytest.raises(casefile.CaseFileError) as caught:
        casefile.import_case(document, organisation, by)
    assert counts() == before
    return [str(p) for p in caught.value.problems]


def test_bad_proceeding_reference_refuses_the_whole_file(whole, alice):
    document = export(whole.reference)
    document["proceedings"][0]["events"].append(99)
    document["proceedings"][0]["participants"][0]["party"] = "p9"
    document["proceedings"][0]["hearings"][0]["event"] = 1  # an assault, not a hearing
    document["referrals"][0]["consent"] = "c9"
    problems = failed(document, whole.organisation, alice)
    assert problems == [
        "$.proceedings[0].participants[0].party: no party has the key \"p9\".",
        "$.proceedings[0].events[2]: no event in the file has the number 99.",
        "$.proceedings[0].hearings[0].event: event 1 is not of the kind hearing.",
        "$.referrals[0].consent: no consent in the file has the key c9.",
    ]


def test_a_service_refusal_in_a_section_names_its_path(whole, alice, provider):
    document = export(whole.reference)
    document["referrals"][0]["provider"] = "A provider nobody knows"
    problems = failed(document, whole.organisation, alice)
    assert problems == ["$.referrals[0].provider: There is no provider named A provider "
                        "nobody knows in the directory; add it first."]
    document = export(whole.reference)
    document["proceedings"][0]["grades"][1]["rationale"] = " "
    problems = failed(document, whole.organisation, alice)
    assert problems[0].startswith("$.proceedings[0].grades[1].rationale")


def test_schema_problems_in_sections(whole, alice):
    document = export(whole.reference)
    document["proceedings"][0]["kind"] = "duel"
    document["safety_plan"]["language"] = "fr"
    del document["assessments"][0]["level"]
    document["consents"][0]["expires_at"] = "soon"
    problems = failed(document, whole.organisation, alice)
    assert '$.proceedings[0].kind: "duel" is not one of the allowed values.' in problems
    assert '$.safety_plan.language: "fr" is not one of the allowed values.' in problems
    assert "$.assessments[0]: required field missing: level." in problems


def test_bad_moment_is_reported(whole, alice):
    document = export(whole.reference)
    document["consents"][0]["expires_at"] = "soon"
    assert failed(document, whole.organisation, alice) == [
        '$.consents[0].expires_at: "soon" is not a date and time (ISO 8601).']


def test_a_version_1_file_still_imports(alice, org):
    text = (DOCS / "case-file.md").read_text(encoding="utf-8")
    example = json.loads(text.split("```json\n")[1].split("```")[0])
    assert example["version"] == 1
    case = casefile.import_case(example, org, alice)
    assert case.mode == "casework" and case.events.count() == len(example["events"])
    # Version 2 fields in a version 1 file are refused, with their place.
    example["proceedings"] = []
    example["case"]["mode"] = "casework"
    assert failed(example, org, alice) == [
        "$.case.mode: this field needs version 2 of the format.",
        "$.proceedings: this field needs version 2 of the format.",
    ]


def test_a_case_with_nothing_more_is_still_written_as_version_1(case, alice):
    services.add_party(case, alice, role="survivor", full_name="Зере")
    document = casefile.build_document(case)
    assert document["version"] == 1
    assert not set(SECTIONS) & set(document) and "mode" not in document["case"]


def test_a_monitoring_case_keeps_its_mode(alice, org):
    text = (DOCS / "case-file.md").read_text(encoding="utf-8")
    example = json.loads(text.split("```json\n")[1].split("```")[0])
    example.update(version=2, withheld=[])
    example["case"]["mode"] = "monitoring"
    case = casefile.import_case(example, org, alice)
    assert case.mode == "monitoring"
    document = casefile.build_document(case)
    assert document["version"] == 2 and document["case"]["mode"] == "monitoring"



def test_an_imported_grant_is_her_record_not_consent_for_the_new_holder(whole, frank,
                                                                        other_org, provider):
    """A grant she gave the case's previous holder comes with the case file, but the new
    organisation cannot use it for a bundle, a share, a referral or an export."""
    from qorgau.consent import services as consent
    from qorgau.consent.models import ConsentGrant

    imported = casefile.import_case(export(whole.reference), other_org, frank)
    grants = list(ConsentGrant.objects.filter(case=imported))
    assert grants and all(g.imported for g in grants)
    valid = [g for g in grants if g.revoked_at is None]
    assert valid
    for grant in valid:
        with pytest.raises(consent.ConsentRequired):
            consent.require_grant(imported, grant.purpose, grant.categories, grant_id=grant.pk)
        with pytest.raises(consent.ConsentRequired):
            consent.require_grant(imported, grant.purpose, grant.categories)
