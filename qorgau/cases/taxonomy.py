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
    Kind("bride_kidnapping", "abuse", _("Bride kidnapping"), FORCED_MARRIAGE, severe=True),
    Kind("abduction", "abuse", _("Abduction or unlawful confinement"), PHYSICAL_ASSAULT,
         severe=True),
    Kind("attempted_killing", "abuse", _("Attempted killing"), PHYSICAL_ASSAULT, severe=True),
    Kind("killing", "abuse", _("Killing"), PHYSICAL_ASSAULT, severe=True),
    # help-seeking and authority response
    Kind("police_report", "response", _("Report to police")),
    Kind("police_visit", "response", _("Police visit")),
    Kind("police_refusal", "response", _("Police refused to register or act")),
    Kind("report_prosecutor", "response", _("Report or complaint to the prosecutor")),
    Kind("court_application", "response", _("Application to a court")),
    Kind("authority_no_response", "response", _("No response from the authority")),
    Kind("left_with_suspect", "response", _("Victim left alone with the suspect by officials")),
    Kind("record_incomplete", "response", _("Official record incomplete or wrong")),
    Kind("evidence_not_collected", "response", _("Evidence not collected")),
    Kind("evidence_destroyed", "response", _("Evidence lost or destroyed")),
    Kind("lead_not_followed", "response", _("Investigative lead not followed")),
    Kind("risk_assessment", "response", _("Risk assessment")),
    Kind("case_opened", "response", _("Case opened by authorities")),
    Kind("case_refused", "response", _("Refusal to open a case")),
    Kind("case_discontinued", "response", _("Case discontinued")),
    Kind("complaint_withdrawn", "response", _("Complaint withdrawn by the survivor")),
    Kind("reclassification", "response", _("Reclassification of the offence")),
    Kind("admin_protocol", "response", _("Administrative offence protocol")),
    Kind("order_requested", "response", _("Protection order requested")),
    Kind("order_issued", "response", _("Protection order issued")),
    Kind("order_served", "response", _("Protection order served on the respondent")),
    Kind("order_refused", "response", _("Protection order refused")),
    Kind("order_extended", "response", _("Protection order extended")),
    Kind("order_expired", "response", _("Protection order expired")),
    Kind("order_breached", "response", _("Protection order breached")),
    Kind("breach_response", "response", _("Response to a breach")),
    Kind("charges_respondent", "response", _("Charges brought against the respondent")),
    Kind("reconciliation", "response", _("Reconciliation offered or pressed")),
    Kind("complaint_official", "response", _("Complaint about an official")),
    Kind("prosecutor_response", "response", _("Prosecutor's response")),
    Kind("official_disciplined", "response", _("Official disciplined")),
    Kind("official_tried", "response", _("Official prosecuted or tried")),
    # services
    Kind("medical_exam", "services", _("Medical examination or forensic record")),
    Kind("psych_assessment", "services", _("Psychological assessment")),
    Kind("shelter_admission", "services", _("Shelter admission")),
    Kind("service_unavailable", "services",
         _("No service available (no shelter place, no support she needed)")),
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
    Kind("detention_refused", "proceedings", _("Detention refused")),
    Kind("restriction_ordered", "proceedings", _("Restriction short of detention ordered")),
    Kind("release", "proceedings", _("Release")),
    Kind("release_pending_appeal", "proceedings", _("Release pending appeal")),
    Kind("admin_sanction", "proceedings", _("Administrative sanction")),
    Kind("court_decision", "proceedings", _("Court decision")),
    Kind("indictment", "proceedings", _("Indictment")),
    Kind("hearing", "proceedings", _("Hearing")),
    Kind("jury_selected", "proceedings", _("Jury selected")),
    Kind("jury_dismissed", "proceedings", _("Jury dismissed")),
    Kind("mistrial", "proceedings", _("Mistrial")),
    Kind("verdict", "proceedings", _("Verdict")),
    Kind("sentence", "proceedings", _("Sentence")),
    Kind("appeal", "proceedings", _("Appeal")),
    Kind("international_complaint", "proceedings", _("International complaint")),
    Kind("international_judgment", "proceedings",
         _("Judgment or views of an international body")),
    Kind("finding_unlawful", "proceedings", _("Inaction or decision found unlawful")),
    Kind("law_gap", "proceedings", _("Gap in the law")),
    Kind("public_statement", "proceedings", _("Public statement by authorities")),
    # survivor wellbeing
    Kind("self_harm", "wellbeing", _("Self-harm or suicide attempt"), restricted=True),
    Kind("separation", "wellbeing", _("Separation or divorce")),
    Kind("moving_house", "wellbeing", _("Moving house")),
    Kind("children_arrangements", "wellbeing", _("Children's arrangements")),
    Kind("death", "wellbeing", _("Death")),
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
    "phone": _("By phone"),
    "online": _("Online"),
}
BREACH_RESPONSES: dict[str, str] = {
    "detention": _("Detention"),
    "protocol": _("Administrative protocol"),
    "warning": _("Warning only"),
    "none": _("No response"),
}

SUBJECTS: dict[str, str] = {
    "respondent": _("The respondent"),
    "survivor": _("The survivor"),
    "official": _("An official"),
    "other": _("Someone else"),
}
REASONS: dict[str, str] = {
    "no_reason": _("No reason given"),
    "private_matter": _("Called a private or family matter"),
    "no_complaint": _("No formal complaint"),
    "private_prosecution": _("Left to private prosecution"),
    "victim_withdrew": _("The victim withdrew or reconciled"),
    "insufficient_evidence": _("Insufficient evidence"),
    "injuries_too_light": _("Injuries judged too light"),
    "no_offence": _("No offence found"),
    "offender_not_liable": _("Offender not liable"),
    "time_barred": _("Time-barred"),
    "conditional": _("Conditional or suspended"),
    "jurisdiction": _("Another authority's competence"),
    "other": _("Other reason"),
}
OUTCOMES: dict[str, str] = {
    "granted": _("Granted"),
    "partly_granted": _("Partly granted"),
    "refused": _("Refused"),
    "undecided": _("Not decided"),
    "convicted": _("Convicted"),
    "acquitted": _("Acquitted"),
    "upheld": _("Upheld"),
    "reduced": _("Sentence reduced"),
    "quashed": _("Quashed"),
    "retrial": _("Quashed, retrial ordered"),
    "pending": _("No outcome yet"),
}
PENALTIES: dict[str, str] = {
    "custodial": _("Custodial sentence"),
    "suspended": _("Suspended sentence"),
    "fine": _("Fine"),
    "community": _("Community work or corrective labour"),
    "warning": _("Warning"),
    "converted": _("Sentence converted or reduced"),
    "amnesty": _("Released under an amnesty"),
    "none": _("No penalty"),
}
MEASURES: dict[str, str] = {
    "house_arrest": _("House arrest"),
    "no_contact": _("Ban on contact"),
    "travel_ban": _("Ban on leaving the area"),
    "electronic_monitoring": _("Electronic monitoring"),
    "bail": _("Bail"),
    "other": _("Other restriction"),
}
CAUSES_OF_DEATH: dict[str, str] = {
    "killed": _("Killed"),
    "suicide": _("Suicide"),
    "natural": _("Natural causes"),
    "unknown": _("Unknown"),
}
BODIES: dict[str, str] = {
    "ecthr": _("European Court of Human Rights"),
    "cedaw": _("CEDAW Committee"),
    "hrc": _("UN Human Rights Committee"),
    "cat": _("UN Committee against Torture"),
    "iachr": _("Inter-American Court or Commission of Human Rights"),
    "achpr": _("African Commission or Court on Human and Peoples' Rights"),
    "national": _("National court or authority"),
    "other": _("Other body"),
}
LAW_GAPS: dict[str, str] = {
    "no_protection_orders": _("No protection orders in law"),
    "no_dv_offence": _("No offence of domestic violence"),
    "private_prosecution": _("Prosecution only on the victim's private complaint"),
    "no_remedy": _("No effective remedy"),
    "other": _("Other gap"),
}
BEARERS: dict[str, str] = {
    "police": _("Police"),
    "prosecutor": _("Prosecutor"),
    "court": _("Court"),
    "legislature": _("Legislature"),
    "social_services": _("Social services"),
}
LEVELS: dict[str, str] = {
    "first_instance": _("First instance"),
    "appeal": _("Appeal"),
    "cassation": _("Cassation"),
    "supervisory": _("Supervisory review"),
}
SEPARATION_TYPES: dict[str, str] = {
    "divorce": _("Divorce"),
    "moved_out": _("Moved out"),
}


@dataclass(frozen=True)
class Attribute:
    """A kind-specific detail of an event: its type, its vocabulary, the kinds that carry it."""

    id: str
    label: str
    type: str  # choice | text | bool | number | list | choices (a list from `choices`)
    kinds: frozenset[str]
    choices: dict[str, str] | None = None


_REPORTS = ("police_report", "report_prosecutor", "court_application", "complaint_official")
_DECISIONS = ("case_refused", "case_discontinued", "police_refusal", "authority_no_response",
              "detention_refused", "order_refused", "court_decision", "complaint_withdrawn")
_SANCTIONS = ("sentence", "admin_sanction")
_ORDERS = ("order_requested", "order_issued", "order_refused", "order_extended",
           "order_expired", "order_breached", "order_served")
_ON_SOMEONE = ("arrest", "detention_ordered", "detention_extended", "detention_refused",
               "restriction_ordered", "release", "release_pending_appeal", "indictment",
               "verdict", "appeal", "official_disciplined", "official_tried",
               "charges_respondent", "case_opened", "court_application", *_SANCTIONS)
_FINDINGS = ("international_judgment", "finding_unlawful")
_JUDGMENTS = ("verdict", "appeal", "court_decision")
# Decisions whose reasons can show a gender stereotype ("she provoked him").
_REASONED = ("hearing", *_JUDGMENTS, "sentence", "case_refused", "case_discontinued",
             "admin_sanction", "detention_refused", "release", "order_refused")


def _attr(id: str, label: str, type: str, kinds: tuple[str, ...],  # noqa: A002
          choices: dict[str, str] | None = None) -> Attribute:
    return Attribute(id, label, type, frozenset(kinds), choices)


ATTRIBUTES: dict[str, Attribute] = {a.id: a for a in (
    _attr("mode", _("How reported"), "choice", (*_REPORTS, "order_requested"), REPORT_MODES),
    _attr("response", _("Response"), "choice", ("breach_response",), BREACH_RESPONSES),
    _attr("referral_requested", _("She asked to be referred for help"), "bool",
          ("police_report",)),
    _attr("order_number", _("Order number"), "text", _ORDERS),
    _attr("order_type", _("Order type"), "text", _ORDERS),
    _attr("valid_until", _("Valid until"), "text", _ORDERS),
    _attr("valid_days", _("Valid for (days)"), "number", _ORDERS),
    _attr("adjourned", _("Adjourned"), "bool", ("hearing",)),
    _attr("adjournment_cause", _("Cause of the adjournment"), "text", ("hearing",)),
    _attr("substitution", _("Substitution"), "text", ("hearing", "mistrial", "jury_dismissed")),
    _attr("release_application", _("Release application"), "text",
          ("hearing", "release", "release_pending_appeal", "detention_extended")),
    _attr("retrial_ordered", _("Retrial ordered"), "bool", ("verdict", "appeal", "mistrial")),
    _attr("abuse_evidence_excluded", _("Evidence of the abuse excluded"), "bool",
          ("hearing", "verdict", "court_decision")),
    _attr("subject", _("Concerning"), "choice", (*_ON_SOMEONE, "death"), SUBJECTS),
    _attr("type", _("Type"), "text", ("separation", "detention_ordered", "detention_extended")),
    _attr("shared_home", _("Shared home"), "bool", ("separation",)),
    _attr("claim", _("Claim"), "text", ("public_statement",)),
    _attr("charges", _("Charges"), "text",
          ("case_opened", "indictment", "verdict", "charges_respondent", "official_tried")),
    _attr("outcome", _("Outcome"), "choice",
          ("verdict", "appeal", "court_decision", "reclassification", "official_tried",
           "international_complaint", "order_requested", "court_application"), OUTCOMES),
    _attr("reason", _("Reason given"), "choice", _DECISIONS, REASONS),
    _attr("pressured", _("Under pressure"), "bool", ("complaint_withdrawn", "reconciliation")),
    _attr("penalty", _("Penalty"), "choice", _SANCTIONS, PENALTIES),
    _attr("amount", _("Amount or term"), "text", _SANCTIONS),
    _attr("penalty_sought", _("Penalty sought"), "text", ("indictment", "case_opened")),
    _attr("court_level", _("Level of court"), "choice", _JUDGMENTS, LEVELS),
    _attr("final", _("The decision is final"), "bool", (*_JUDGMENTS, "sentence")),
    _attr("stereotyping", _("Stereotyped words or reasoning"), "text", _REASONED),
    _attr("measure", _("Measure"), "choice", ("restriction_ordered",), MEASURES),
    _attr("from_offence", _("From offence"), "text", ("reclassification",)),
    _attr("to_offence", _("To offence"), "text", ("reclassification",)),
    _attr("cause", _("Cause of death"), "choice", ("death",), CAUSES_OF_DEATH),
    _attr("body", _("Body"), "choice",
          ("international_complaint", *_FINDINGS), BODIES),
    _attr("application", _("Application or communication number"), "text",
          ("international_complaint", "international_judgment")),
    _attr("violation", _("Violation found"), "bool", _FINDINGS),
    _attr("provisions", _("Provisions"), "list", _FINDINGS),
    # A finding about some duty bearers only (default: every act it is linked to).
    _attr("concerns", _("Concerning the conduct of"), "choices", _FINDINGS, BEARERS),
    _attr("gap", _("Gap"), "choice", ("law_gap",), LAW_GAPS),
    _attr("level", _("Level"), "text", ("risk_assessment",)),
    _attr("instrument", _("Instrument"), "text", ("risk_assessment",)),
    _attr("letter", _("Letter"), "number", ("complaint_official",)),
    _attr("service", _("Service"), "text",
          ("service_started", "service_completed", "referral_made", "referral_accepted",
           "referral_declined", "referral_withdrawn", "referral_follow_up")),
)}


def attribute_problems(kind_id: str, attributes: object) -> list[tuple[str, str]]:
    """(attribute, plain-words problem) for every attribute that is unknown, does not belong to
    the kind, or has a value of the wrong type or outside its vocabulary. Messages are msgids
    with %(name)s."""
    if not isinstance(attributes, dict):
        return [("", _("Attributes must be a JSON object."))]
    problems: list[tuple[str, str]] = []
    for name, value in attributes.items():
        spec = ATTRIBUTES.get(name)
        if spec is None:
            problems.append((name, _("“%(name)s” is not a known detail of an event.")))
            continue
        if kind_id not in spec.kinds:
            problems.append((name, _("“%(name)s” is not a detail of this kind of event.")))
            continue
        ok = _fits(spec, value)
        if not ok:
            problems.append((name, _("“%(name)s” has a value that is not allowed.")))
    return problems


def _fits(spec: Attribute, value: object) -> bool:
    """Whether `value` has the attribute's type and, for a vocabulary, is one of its ids."""
    choices = spec.choices or {}
    if spec.type == "choice":
        return isinstance(value, str) and value in choices
    if spec.type == "text":
        return isinstance(value, str)
    if spec.type == "bool":
        return isinstance(value, bool)
    if spec.type == "number":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.type == "list":
        return isinstance(value, list) and all(isinstance(i, str) for i in value)
    return isinstance(value, list) and all(isinstance(i, str) and i in choices for i in value)


def attribute_value_label(name: str, value: object) -> str:
    """The msgid of a vocabulary value (or the value itself as text)."""
    spec = ATTRIBUTES.get(name)
    if spec is not None and spec.choices:
        if isinstance(value, list):
            return ", ".join(spec.choices.get(str(v), str(v)) for v in value)
        if isinstance(value, str) and value in spec.choices:
            return spec.choices[value]
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


# Links between events: a breach names its order, a response names what it answers.
LINK_KINDS: dict[str, str] = {
    "breach_of": _("breach of"),
    "responds_to": _("responds to"),
    "related_to": _("related to"),
    "reports": _("reports"),
    "finding_on": _("finding on"),
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
    "legislature": _("Legislature or government"),
    "organisation": _("Our organisation"),
    "other": _("Other institution"),
}
