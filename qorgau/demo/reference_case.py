"""The reference case (../shared/reference-case.md) with fictional names.

Every row of the reference table becomes one or more events with the date as known, no
more precise. What the authorities did not do (respond to the breaches, open a case against
the respondent, refer the survivor to a shelter) is deliberately absent: absences are
derived by the duties engine, never recorded as facts.
"""

from __future__ import annotations

from qorgau.demo.specs import CaseSpec, EventSpec, PartySpec, ProceedingSpec

REFERENCE = "DEMO-REF1"
REGION = "KZ-27"  # West Kazakhstan
PLACE = "Uralsk"
HOME = "Shared home, Uralsk"
ORDER_TYPE = "kz.protective_order"

SURVIVOR = "Gulnar Seitkali"
RESPONDENT = "Yerlan Seitkali"

PARTIES: tuple[PartySpec, ...] = (
    PartySpec("s", "survivor", SURVIVOR, relationship="self",
              notes="Fictional survivor of the demo reference case."),
    PartySpec("r", "respondent", RESPONDENT, relationship="ex_spouse", co_resident=True,
              notes="Former husband; still lives in the shared home after the 2013 divorce."),
    PartySpec("c1", "child", "Dana Seitkali", relationship="child", birth_date="2008"),
    PartySpec("c2", "child", "Arman Seitkali", relationship="child", birth_date="2012"),
    PartySpec("a", "accomplice", "Accomplice (name withheld)", relationship="none",
              notes="Alleged to have looked for someone to carry out the killing."),
    PartySpec("w", "witness", "Informant (name unknown)", relationship="none",
              notes="The potential hitman, who reported the plan to the police."),
    PartySpec("psy", "other", "Madina Omarova", relationship="none",
              notes="Psychologist who carried out the February 2024 assessment."),
    PartySpec("law", "lawyer", "Zhanna Abenova", relationship="none",
              notes="The survivor's lawyer."),
    PartySpec("pol", "official", "Duty officer, Uralsk city police (name not recorded)",
              relationship="none", institution="police"),
)

ABUSER_AND_VICTIM = (("r", "perpetrator"), ("s", "victim"))

# The long pattern of abuse (about 2003 onward): one recurring event per form of abuse.
_PATTERN = {
    "physical_assault": "Beatings throughout the marriage and after the divorce.",
    "strangulation": "Strangled her on a number of occasions; she cannot date them.",
    "threat_to_kill": "Threatened to kill her, again and again over the years.",
    "psychological_abuse": "Humiliated and insulted her, at home and in front of others.",
    "coercive_control": (
        "Controlled where she went and whom she saw; she needed his leave to go out."
    ),
}


def _pattern_events() -> list[EventSpec]:
    return [
        EventSpec(kind, kind, start="2003", end="2024", qualifier="approximate",
                  recurrence="repeated", place=HOME, narrative=text, parties=ABUSER_AND_VICTIM)
        for kind, text in _PATTERN.items()
    ]


def spec() -> CaseSpec:
    events: list[EventSpec] = _pattern_events()
    events += [
        EventSpec(
            "divorce", "separation", start="2013",
            attributes={"type": "divorce", "shared_home": True},
            narrative=("Divorced in 2013, but he stayed in the home they shared. She did not "
                       "go to the police because she feared what he would do."),
            parties=(("s", "involved"), ("r", "involved")),
        ),
        EventSpec(
            "expulsion", "expulsion", place=HOME,
            narrative="Once he stripped her and put her out of the house. Date not known.",
            parties=ABUSER_AND_VICTIM,
        ),
        # Recorded first with the wrong year, then corrected (shows the mechanism).
        EventSpec(
            "burn", "burn_scald", start="2021", place=HOME,
            narrative="Threw boiling water in her face; burns to the face.",
            parties=ABUSER_AND_VICTIM,
        ),
        EventSpec(
            "burn", "burn_scald", start="2022", place=HOME, by="lawyer",
            narrative="Threw boiling water in her face; burns to the face.",
            parties=ABUSER_AND_VICTIM,
            corrects="burn", reason="The survivor's lawyer confirmed the year as 2022.",
        ),
        EventSpec(
            "threat_children", "threat_children", recurrence="repeated",
            narrative=("Угрожал, что она больше никогда не увидит детей. "
                       "(Threatened that she would never see the children again.)"),
            parties=(*ABUSER_AND_VICTIM, ("c1", "involved"), ("c2", "involved")),
        ),
        EventSpec(
            "self_harm", "self_harm", recurrence="several",
            narrative="Tried to end her life several times; dates not known.",
            parties=(("s", "involved"),),
        ),
        EventSpec(
            "report_2023", "police_report", start="2023-06", qualifier="approximate",
            institution="police", institution_unit="Uralsk city police", place=PLACE,
            attributes={"mode": "oral"},
            narrative=("Обратилась в полицию за защитой от бывшего мужа. "
                       "(Asked the police for protection from her former husband.)"),
            parties=(("s", "involved"), ("pol", "actor")),
        ),
        # First protective order: January 2024.
        EventSpec(
            "request_1", "order_requested", start="2024-01", institution="police",
            institution_unit="Uralsk city police", place=PLACE, source="document",
            reliability="confirmed", attributes={"mode": "written", "order_type": ORDER_TYPE},
            narrative="Written request to the police for a protective order.",
            parties=(("s", "involved"),),
        ),
        EventSpec(
            "order_1", "order_issued", start="2024-01", institution="police",
            institution_unit="Uralsk city police", place=PLACE, source="document",
            reliability="confirmed", attributes={"order_type": ORDER_TYPE, "valid_days": 30},
            narrative="Protective order granted against the former husband.",
            parties=(("r", "involved"), ("s", "involved"), ("pol", "actor")),
            links=(("request_1", "responds_to"),),
        ),
        EventSpec(
            "breach_1", "order_breached", start="2024-01", qualifier="approximate",
            place=HOME,
            narrative="He broke the order; it was not enforced.",
            parties=ABUSER_AND_VICTIM, links=(("order_1", "breach_of"),),
        ),
        EventSpec(
            "breach_1_report", "police_report", start="2024-01", qualifier="approximate",
            institution="police", place=PLACE, attributes={"mode": "oral"},
            narrative="She told the police the order had been broken.",
            parties=(("s", "involved"),), links=(("breach_1", "related_to"),),
        ),
        # Second protective order: February 2024.
        EventSpec(
            "request_2", "order_requested", start="2024-02", institution="police",
            institution_unit="Uralsk city police", place=PLACE, source="document",
            reliability="confirmed", attributes={"mode": "written", "order_type": ORDER_TYPE},
            narrative="Second written request for a protective order.",
            parties=(("s", "involved"),),
        ),
        EventSpec(
            "order_2", "order_issued", start="2024-02", institution="police",
            institution_unit="Uralsk city police", place=PLACE, source="document",
            reliability="confirmed", attributes={"order_type": ORDER_TYPE, "valid_days": 30},
            narrative="Second protective order granted.",
            parties=(("r", "involved"), ("s", "involved"), ("pol", "actor")),
            links=(("request_2", "responds_to"),),
        ),
        EventSpec(
            "breach_2", "order_breached", start="2024-02", qualifier="approximate",
            place=HOME,
            narrative="He broke the second order as well; again it was not enforced.",
            parties=ABUSER_AND_VICTIM, links=(("order_2", "breach_of"),),
        ),
        EventSpec(
            "breach_2_report", "police_report", start="2024-02", qualifier="approximate",
            institution="police", place=PLACE, attributes={"mode": "oral"},
            narrative="She told the police about the second breach.",
            parties=(("s", "involved"),), links=(("breach_2", "related_to"),),
        ),
        EventSpec(
            "assessment", "psych_assessment", start="2024-02", source="document",
            reliability="confirmed", by="lawyer",
            narrative=("Assessment arranged by her lawyers. The psychologist found that years "
                       "of abuse, together with the police's failure to help when she asked, "
                       "led to her repeated suicide attempts."),
            parties=(("s", "involved"), ("psy", "actor"), ("law", "involved")),
        ),
        # Proceedings against the survivor.
        EventSpec(
            "arrest", "arrest", start="2024-02-26", institution="police", place=PLACE,
            source="official_record", reliability="confirmed", by="lawyer",
            attributes={"subject": "survivor"},
            narrative=("Arrested after apparently trying to buy a firearm. She never obtained "
                       "one. The former husband was unharmed and made no complaint."),
            parties=(("s", "involved"), ("pol", "actor")),
        ),
        EventSpec(
            "detention", "detention_ordered", start="2024-02-26", end="2024-02-29",
            institution="court", place=PLACE, source="official_record",
            reliability="confirmed", by="lawyer",
            attributes={"subject": "survivor", "type": "pre_trial"},
            narrative=("Held in pre-trial detention from the arrest onward; the order was "
                       "made within days of the arrest (exact date not on file)."),
            parties=(("s", "involved"),), links=(("arrest", "related_to"),),
        ),
        EventSpec(
            "statement", "public_statement", start="2024-03-01", institution="police",
            source="media", reliability="confirmed", by="lawyer",
            attributes={"claim": "prevented contract killing"},
            narrative='Police told the press they had prevented a "contract killing".',
            links=(("arrest", "related_to"),),
        ),
        EventSpec(
            "indictment", "indictment", start="2024", institution="prosecutor",
            source="official_record", reliability="confirmed", by="lawyer",
            attributes={"subject": "survivor", "charges": "conspiracy to murder",
                        "penalty_sought": "15 years to life"},
            narrative=("Charged with conspiring with an accomplice to kill her former "
                       "husband. The man the accomplice approached went to the police."),
            parties=(("s", "involved"), ("a", "involved"), ("w", "witness")),
            links=(("arrest", "related_to"),),
        ),
        EventSpec(
            "jury_dismissed", "jury_dismissed", start="2025-05-19", institution="court",
            place=PLACE, source="official_record", reliability="confirmed", by="lawyer",
            narrative="Judge dismissed the jury: several jurors had lived through domestic "
                      "violence themselves.",
            parties=(("s", "involved"),), links=(("indictment", "related_to"),),
        ),
        EventSpec(
            "mistrial", "mistrial", start="2025-05-19", institution="court", place=PLACE,
            source="official_record", reliability="confirmed", by="lawyer",
            attributes={"retrial_ordered": True},
            narrative="Mistrial declared. A retrial was ordered rather than the charges being "
                      "dropped.",
            parties=(("s", "involved"),), links=(("jury_dismissed", "related_to"),),
        ),
        EventSpec(
            "jury_selected", "jury_selected", start="2025-06-23", institution="court",
            place=PLACE, source="official_record", reliability="confirmed", by="lawyer",
            narrative="New jury selected for the retrial.",
            parties=(("s", "involved"),), links=(("mistrial", "related_to"),),
        ),
    ]
    # Her own fear and his access to a gun were not recorded: left "not known".
    asked = (("firearm_access", "unknown"), ("her_fear", "unknown"),
             ("respondent_suicide_threat", "unknown"), ("stepchild", "no"))
    return CaseSpec(REFERENCE, REGION, PARTIES, tuple(events), supervised=True,
                    assessment=asked, exhibits=True, proceeding=PROSECUTION,
                    court_consent=True)


PROSECUTION = ProceedingSpec(
    kind="criminal_survivor", court="Uralsk city court (jury trial)",
    charges=(("Conspiracy to murder, with an accomplice", ""),),
    participants=(("s", "accused"), ("a", "accused"), ("law", "counsel")),
    events=("arrest", "detention", "statement", "indictment", "jury_dismissed", "mistrial",
            "jury_selected"),
)
