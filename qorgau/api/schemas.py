"""What the API reads and writes (pydantic models, published in the OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

MAX_ID = 2**31 - 1  # ids and numbers fit a 32-bit column
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class In(Schema):
    """Input: unknown fields are refused, so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class ErrorItem(Schema):
    code: str
    message: str
    field: str | None


class Error(Schema):
    code: str = Field(description="Stable identifier of the error, e.g. not_found.")
    message: str = Field(description="Plain words for a person.")
    field: str | None = Field(description="The input field at fault, if any.")
    errors: list[ErrorItem] | None = Field(
        None, description="Every problem found, for validation errors.")


# --- cases ---------------------------------------------------------------------------------

class CaseOut(Schema):
    reference: str
    organisation: str = Field(description="The organisation's short name.")
    region: str = Field(description=(
        "ISO 3166-2 code of a first-level region (KZ-27). Cases opened before regions were "
        "ISO codes are shown with the ISO code of their stored kz-west and the like."))
    country: str = Field(description="ISO 3166-1 alpha-2 code of the region's country (KZ).")
    profile: str
    status: str
    created_at: datetime
    access: str | None = Field(None, description="Your access: write or read.")


class CasePage(Schema):
    items: list[CaseOut]
    next_cursor: str | None


class CaseIn(In):
    region: str = Field(max_length=40, description=(
        "ISO 3166-2 code of a first-level region (KZ-27, AT-9, GB-ENG) under the profile's "
        "law: a country's profile takes its regions, intl any region."))
    profile: str = Field("kz", max_length=20)
    organisation: str | None = Field(
        None, max_length=50,
        description="Short name; may be left out if you work in one organisation.")
    survivor_name: str = Field("", max_length=300)


class StatusIn(In):
    status: Literal["open", "closed"]


# --- parties -------------------------------------------------------------------------------

class PartyOut(Schema):
    id: int
    role: str
    relationship: str
    co_resident: bool | None
    institution: str
    full_name: str
    other_names: str
    birth_date: str
    address: str
    phone: str
    documents: str
    notes: str


class PartyIn(In):
    role: str = Field(max_length=20)
    full_name: str = Field(max_length=300)
    relationship: str = Field("", max_length=20)
    co_resident: bool | None = None
    institution: str = Field("", max_length=20)
    other_names: str = Field("", max_length=1000)
    birth_date: str = Field("", max_length=40)
    address: str = Field("", max_length=1000)
    phone: str = Field("", max_length=100)
    documents: str = Field("", max_length=1000)
    notes: str = Field("", max_length=10000)


class PartyPatch(In):
    role: str | None = Field(None, max_length=20)
    full_name: str | None = Field(None, max_length=300)
    relationship: str | None = Field(None, max_length=20)
    co_resident: bool | None = None
    institution: str | None = Field(None, max_length=20)
    other_names: str | None = Field(None, max_length=1000)
    birth_date: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=1000)
    phone: str | None = Field(None, max_length=100)
    documents: str | None = Field(None, max_length=1000)
    notes: str | None = Field(None, max_length=10000)


# --- events --------------------------------------------------------------------------------

class When(In):
    start: str = Field("", max_length=16,
                       description="Partial ISO date: YYYY, YYYY-MM, YYYY-MM-DD or "
                                   "YYYY-MM-DDTHH:MM; empty if unknown.")
    end: str = Field("", max_length=16)
    qualifier: str = Field("none", max_length=12,
                           description="none, approximate, before or after.")
    recurrence: str = Field("once", max_length=10,
                            description="once, repeated or several.")


class WhenOut(Schema):
    start: str
    end: str
    qualifier: str
    recurrence: str


class EventPartyIn(In):
    party: Id = Field(description="A party id of this case.")
    role: str = Field(max_length=20)


class EventLinkIn(In):
    event: Id = Field(description="The number of an earlier event of this case.")
    kind: str = Field(max_length=20, description="breach_of, responds_to or related_to.")


AttributeValue = str | bool


class ReportIn(In):
    """"Reported to the police / prosecutor / court": the report is recorded as an event of its
    own (police_report, report_prosecutor or court_application) that `reports` this one."""

    to: str = Field(max_length=20, description="police, prosecutor or court.")
    when: When | None = Field(None, description="When it was reported; left out: the date "
                                                "of the event itself.")
    mode: str = Field("", max_length=20,
                      description="How: oral, written, third_party, phone or online; '' if "
                                  "not known.")
    by: str = Field("survivor", max_length=20,
                    description="Who reported it: survivor, third_party or organisation.")
    referral_requested: bool = Field(False, description="To the police: she asked to be "
                                                        "referred for help.")


class EventIn(In):
    kind: str = Field(max_length=40)
    when: When
    source: str = Field(max_length=20)
    reliability: str = Field(max_length=20)
    narrative: str = Field("", max_length=20000)
    place: str = Field("", max_length=1000)
    institution: str = Field("", max_length=20)
    institution_unit: str = Field("", max_length=200)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)
    parties: list[EventPartyIn] = Field(default_factory=list, max_length=50)
    links: list[EventLinkIn] = Field(default_factory=list, max_length=50)
    report: ReportIn | None = Field(
        None, description="Only for an incident of abuse or a breach of a protection order: "
                          "it was reported to the police, the prosecutor or a court.")


class CorrectionIn(EventIn):
    reason: str = Field(min_length=1, max_length=2000)


class EventPartyOut(Schema):
    party: int
    role: str


class EventLinkOut(Schema):
    event: int
    kind: str


class EventOut(Schema):
    number: int
    kind: str
    when: WhenOut
    source: str
    reliability: str
    institution: str
    institution_unit: str
    attributes: dict[str, Any]
    place: str
    narrative: str
    parties: list[EventPartyOut]
    links: list[EventLinkOut]
    supersedes: int | None
    superseded_by: int | None
    correction_reason: str
    recorded_at: datetime


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


# --- obligations ---------------------------------------------------------------------------

class ObligationOut(Schema):
    rule_id: str
    title: str
    duty_bearer: str
    status: str = Field(description="pending, met, breached or not_applicable (as of today).")
    trigger: int = Field(description="Number of the event that gave rise to the duty.")
    satisfied_by: int | None
    due_earliest: date | None
    due_latest: date | None
    late: bool
    confirmed: bool
    basis: str
    explanation: str
