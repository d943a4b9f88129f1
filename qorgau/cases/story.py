"""Guided entry: what happened, when, whom she told, what they did — in the caseworker's
words — written as the linked events the rules read (the incident; her report, which
`reports` it; the authority's answer, which `responds_to` the report; a doctor's record,
`related_to` it), in one transaction with their ledger entries."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from qorgau.accounts.models import User
from qorgau.cases import services
from qorgau.cases.dates import DateSpan
from qorgau.cases.models import Case, Event

# What happened, in plain words -> the kind recorded.
WHAT: dict[str, tuple[str, str]] = {
    "beat": ("physical_assault", gettext_noop("He hit or beat her")),
    "strangle": ("strangulation", gettext_noop("He strangled or choked her")),
    "threat_to_kill": ("threat_to_kill", gettext_noop("He threatened to kill her")),
    "weapon": ("weapon", gettext_noop("He used or threatened a weapon (knife, gun, object)")),
    "burn": ("burn_scald", gettext_noop("He burned or scalded her")),
    "sexual": ("sexual_violence", gettext_noop("He forced her into sex")),
    "insult": ("psychological_abuse", gettext_noop("He insulted, humiliated or frightened her")),
    "control": ("coercive_control",
                gettext_noop("He controlled where she goes, her money or her phone")),
    "children": ("threat_children", gettext_noop("He threatened her about the children")),
    "expel": ("expulsion", gettext_noop("He threw her out of the home")),
    "stalk": ("stalking", gettext_noop("He followed or watched her")),
    "breach": ("order_breached", gettext_noop("He broke a protection order")),
}
# Whom she told.
TOLD: dict[str, str] = {
    "nobody": gettext_noop("Nobody, or we do not know"),
    "police": gettext_noop("The police"),
    "prosecutor": gettext_noop("The prosecutor"),
    "court": gettext_noop("A court"),
}
# What they did -> the kind recorded (by whom she told); "" records nothing.
ANSWERS: dict[str, str] = {
    "unknown": gettext_noop("We do not know yet"),
    "nothing": gettext_noop("Nothing: no answer, no action"),
    "refused": gettext_noop("They refused to register it or to act"),
    "order": gettext_noop("They issued a protection order"),
    "case": gettext_noop("They opened a case"),
    "warning": gettext_noop("A warning or an administrative protocol"),
    "visit": gettext_noop("They came or talked to him, nothing more"),
}
_ANSWER_KINDS: dict[tuple[str, str], str] = {
    ("nothing", "police"): "authority_no_response",
    ("nothing", "prosecutor"): "authority_no_response",
    ("nothing", "court"): "authority_no_response",
    ("refused", "police"): "police_refusal",
    ("refused", "prosecutor"): "case_refused",
    ("refused", "court"): "order_refused",
    ("order", "police"): "order_issued",
    ("order", "court"): "order_issued",
    ("case", "police"): "case_opened",
    ("case", "prosecutor"): "case_opened",
    ("warning", "police"): "admin_protocol",
    ("visit", "police"): "police_visit",
}


@dataclass
class Story:
    what: str
    when: DateSpan
    narrative: str = ""
    told: str = "nobody"
    told_when: DateSpan | None = None  # None: the same day
    told_how: str = ""  # a key of taxonomy.REPORT_MODES
    asked_referral: bool = False
    answer: str = "unknown"
    answer_when: DateSpan | None = None  # None: the day she told them
    order_type: str = ""
    doctor: bool = False
    doctor_when: DateSpan | None = None


def problems(story: Story) -> dict[str, str]:
    found = {}
    if story.what not in WHAT:
        found["what"] = _("Choose what happened from the list.")
    if story.told not in TOLD:
        found["told"] = _("Choose whom she told from the list.")
    if story.answer not in ANSWERS:
        found["answer"] = _("Choose what they did from the list.")
    elif story.answer != "unknown" and story.told == "nobody":
        found["answer"] = _("Say whom she told before what they did.")
    elif story.answer != "unknown" and (story.answer, story.told) not in _ANSWER_KINDS:
        found["answer"] = _("This answer does not fit whom she told (for example, only the "
                            "police issue a warning).")
    return found


def _breached_order(case: Case) -> Event | None:
    """The protection order a breach is of: the newest one issued on the case."""
    return (Event.objects.filter(case=case, kind="order_issued").current()
            .order_by("-sort_start", "-number").first())


@transaction.atomic
def record_story(case: Case, by: User, story: Story) -> list[Event]:
    """Write the story's events, linked; all or nothing."""
    errors = problems(story)
    if errors:
        raise ValidationError(errors)
    kind = WHAT[story.what][0]
    batch = services.CaseBatch(case, by)
    links: list[tuple[Event, str]] = []
    if kind == "order_breached" and (order := _breached_order(case)) is not None:
        links.append((order, "breach_of"))
    incident = batch.add_event(services.EventInput(
        kind=kind, span=story.when, source="survivor", reliability="probable",
        narrative=story.narrative, links=links))
    made = [incident]
    if story.told != "nobody":
        report_kind, institution = services.REPORT_TO[story.told]
        report = batch.add_event(services.EventInput(
            kind=report_kind, span=story.told_when or story.when, source="survivor",
            reliability="probable", institution=institution,
            narrative=_("Reported by the survivor."),
            attributes={**({"mode": story.told_how} if story.told_how else {}),
                        **({"referral_requested": True}
                           if story.asked_referral and report_kind == "police_report"
                           else {})},
            links=[(incident, "reports")]))
        made.append(report)
        answer = _ANSWER_KINDS.get((story.answer, story.told))
        if answer:
            attributes = {"order_type": story.order_type} if (
                answer == "order_issued" and story.order_type) else {}
            made.append(batch.add_event(services.EventInput(
                kind=answer, span=story.answer_when or story.told_when or story.when,
                source="survivor", reliability="probable", institution=institution,
                attributes=attributes, links=[(report, "responds_to")])))
    if story.doctor:
        made.append(batch.add_event(services.EventInput(
            kind="medical_exam", span=story.doctor_when or story.when, source="survivor",
            reliability="probable", institution="health",
            links=[(incident, "related_to")])))
    batch.write()
    return made
