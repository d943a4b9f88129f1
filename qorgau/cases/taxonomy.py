"""Event taxonomy: stable kind identifiers, groups, GBVIMS mapping. Pure: no Django.

Labels are English msgids; the web layer translates them with gettext. `gettext_noop` here
only marks them for extraction.
"""

from __future__ import annotations

from dataclasses import dataclass


def gettext_noop(message: str) -> str:
    return message


# The six GBVIMS core incident types.
RAPE = "rape"
SEXUAL_ASSAULT = "sexual_assault"
PHYSICAL_ASSAULT = "physical_assault"
FORCED_MARRIAGE = "forced_marriage"
DENIAL_OF_RESOURCES = "denial_of_resources"
PSYCHOLOGICAL_ABUSE = "psychological_abuse"

GBVIMS_TYPES: dict[str, str] = {
    RAPE: gettext_noop("Rape"),
    SEXUAL_ASSAULT: gettext_noop("Sexual assault"),
    PHYSICAL_ASSAULT: gettext_noop("Physical assault"),
    FORCED_MARRIAGE: gettext_noop("Forced marriage"),
    DENIAL_OF_RESOURCES: gettext_noop("Denial of resources, opportunities or services"),
    PSYCHOLOGICAL_ABUSE: gettext_noop("Psychological / emotional abuse"),
}

GROUPS: dict[str, str] = {
    "abuse": gettext_noop("Abuse"),
    "response": gettext_noop("Help-seeking and authority response"),
    "services": gettext_noop("Services"),
    "proceedings": gettext_noop("Proceedings"),
    "wellbeing": gettext_noop("Survivor wellbeing"),
}


@dataclass(frozen=True)
class Kind:
    id: str
    group: str
    label: str
    gbvims: str | None = None
    restricted: bool = False  # shown only to the assigned caseworker and lawyer
    severe: bool = False  # drawn as a serious incident on the timeline


_ = gettext_noop

KINDS: tuple[Kind, ...] = (
    # abuse
    Kind("physical_assault", "abuse", _("Physical assault"), PHYSICAL_ASSAULT),
    Kind("strangulation", "abuse", _("Strangulation"), PHYSICAL_ASSAULT, severe=True),
    Kind("burn_scald", "abuse", _("Burn or scald"), PHYSICAL_ASSAULT, severe=True),
    Kind("weapon", "abuse", _("Weapon used or threatened"), PHYSICAL_ASSAULT, severe=True),
    Kind("threat_to_kill", "abuse", _("Threat to kill"), PSYCHOLOGICAL_ABUSE, severe=True),
    Kind("threat_children", "abuse", _("Threat concerning the children"), PSYCHOLOGICAL_ABUSE),
    Kind("sexual_violence", "abuse", _("Sexual violence"), SEXUAL_ASSAULT, severe=True),
    Kind("psychological_abuse", "abuse", _("Psychological or verbal abuse"), PSYCHOLOGICAL_ABUSE),
    Kind("coercive_control", "abuse", _("Coercive control (movement, money, phone)"),
         PSYCHOLOGICAL_ABUSE),
    Kind("economic_abuse", "abuse", _("Economic abuse or denial of resources"),
         DENIAL_OF_RESOURCES),
    Kind("expulsion", "abuse", _("Expulsion from the home"), PSYCHOLOGICAL_ABUSE),
    Kind("stalking", "abuse", _("Stalking or surveillance"), PSYCHOLOGICAL_ABUSE),
    Kind("property_damage", "abuse", _("Property damage"), PSYCHOLOGICAL_ABUSE),
    Kind("abuse_in_pregnancy", "abuse", _("Abuse during pregnancy"), PHYSICAL_ASSAULT,
         severe=True),
    Kind("forced_marriage", "abuse", _("Forced marriage"), FORCED_MARRIAGE),
    # help-seeking and authority response
    Kind("police_report", "response", _("Report to police")),
    Kind("police_visit", "response", _("Police visit")),
    Kind("police_refusal", "response", _("Police refused to register or act")),
    Kind("risk_assessment", "response", _("Risk assessment")),
    Kind("case_opened", "response", _("Case opened by authorities")),
    Kind("admin_protocol", "response", _("Administrative offence protocol")),
    Kind("order_requested", "response", _("Protection order requested")),
    Kind("order_issued", "response", _("Protection order issued")),
    Kind("order_refused", "response", _("Protection order refused")),
    Kind("order_extended", "response", _("Protection order extended")),
    Kind("order_expired", "response", _("Protection order expired")),
    Kind("order_breached", "response", _("Protection order breached")),
    Kind("breach_response", "response", _("Response to a breach")),
    Kind("charges_respondent", "response", _("Charges brought against the respondent")),
    Kind("reconciliation", "response", _("Reconciliation offered or pressed")),
    Kind("complaint_official", "response", _("Complaint about an official")),
    Kind("prosecutor_response", "response", _("Prosecutor's response")),
    # services
    Kind("medical_exam", "services", _("Medical examination or forensic record")),
    Kind("psych_assessment", "services", _("Psychological assessment")),
    Kind("shelter_admission", "services", _("Shelter admission")),
    Kind("safety_plan", "services", _("Safety plan written or reviewed")),
    Kind("referral_made", "services", _("Referral made")),
    Kind("referral_accepted", "services", _("Referral accepted")),
    Kind("referral_declined", "services", _("Referral declined")),
    Kind("referral_withdrawn", "services", _("Referral withdrawn by the survivor")),
    Kind("service_started", "services", _("Service started")),
    Kind("service_completed", "services", _("Service completed")),
    Kind("referral_follow_up", "services", _("Follow-up with the survivor after a referral")),
    Kind("legal_aid", "services", _("Legal aid")),
    # proceedings
    Kind("arrest", "proceedings", _("Arrest")),
    Kind("detention_ordered", "proceedings", _("Detention ordered")),
    Kind("detention_extended", "proceedings", _("Detention extended")),
    Kind("release", "proceedings", _("Release")),
    Kind("indictment", "proceedings", _("Indictment")),
    Kind("hearing", "proceedings", _("Hearing")),
    Kind("jury_selected", "proceedings", _("Jury selected")),
    Kind("jury_dismissed", "proceedings", _("Jury dismissed")),
    Kind("mistrial", "proceedings", _("Mistrial")),
    Kind("verdict", "proceedings", _("Verdict")),
    Kind("sentence", "proceedings", _("Sentence")),
    Kind("appeal", "proceedings", _("Appeal")),
    Kind("international_complaint", "proceedings", _("International complaint")),
    Kind("public_statement", "proceedings", _("Public statement by authorities")),
    # survivor wellbeing
    Kind("self_harm", "wellbeing", _("Self-harm or suicide attempt"), restricted=True),
    Kind("separation", "wellbeing", _("Separation or divorce")),
    Kind("moving_house", "wellbeing", _("Moving house")),
    Kind("children_arrangements", "wellbeing", _("Children's arrangements")),
)

BY_ID: dict[str, Kind] = {k.id: k for k in KINDS}
RESTRICTED: frozenset[str] = frozenset(k.id for k in KINDS if k.restricted)


def kind(kind_id: str) -> Kind:
    return BY_ID[kind_id]


def gbvims_type(kind_id: str) -> str | None:
    return BY_ID[kind_id].gbvims


# Attributes that some kinds carry (free JSON otherwise). Values are stable ids.
REPORT_MODES: dict[str, str] = {
    "oral": _("Oral"),
    "written": _("Written"),
    "third_party": _("By a third party"),
}
BREACH_RESPONSES: dict[str, str] = {
    "detention": _("Detention"),
    "protocol": _("Administrative protocol"),
    "warning": _("Warning only"),
    "none": _("No response"),
}

# Links between events: a breach names its order, a response names what it answers.
LINK_KINDS: dict[str, str] = {
    "breach_of": _("breach of"),
    "responds_to": _("responds to"),
    "related_to": _("related to"),
}

SOURCES: dict[str, str] = {
    "survivor": _("Survivor's account"),
    "witness": _("Witness"),
    "document": _("Document"),
    "official_record": _("Official record"),
    "media": _("Media"),
    "staff": _("Staff observation"),
}

RELIABILITY: dict[str, str] = {
    "confirmed": _("Confirmed"),
    "probable": _("Probable"),
    "possible": _("Possible"),
    "unverified": _("Not verified"),
}

INSTITUTIONS: dict[str, str] = {
    "police": _("Police"),
    "prosecutor": _("Prosecutor"),
    "court": _("Court"),
    "social_services": _("Social services"),
    "health": _("Health services"),
    "shelter": _("Crisis centre or shelter"),
    "organisation": _("Our organisation"),
    "other": _("Other institution"),
}
