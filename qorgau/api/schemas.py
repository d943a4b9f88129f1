"""What the API reads and writes (pydantic models, published in the OpenAPI schema)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from qorgau.cases import dates, taxonomy
from qorgau.cases.models import EventParty, Party
from qorgau.cases.regions import PROFILES
from qorgau.cases.services import REPORT_TO, REPORTED_BY

MAX_ID = 2**31 - 1  # ids and numbers fit a 32-bit column
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# What the server trims away before it checks that text is there: Python's whitespace
# (str.split, str.strip) and the bidirectional controls it removes from names
# (cases.services.without_bidi). In JSON Schema (ECMA-262) and Python regex syntax alike.
_SPACE = r"\s\x1c-\x1f\x85"
_BIDI = r"\u200e\u200f\u202a-\u202e\u2066-\u2069"
# Text with something in it once the server has trimmed it ("Name the court.").
NOT_BLANK = f"[^{_SPACE}]"
# A name: a letter, digit or mark left once spaces and bidi controls are gone.
NAME = f"[^{_SPACE}{_BIDI}]"


def one_of(values: Iterable[str], *, blank: bool = False, null: bool = False
           ) -> dict[str, Any]:
    """The values the server accepts, published as the field's enum. The server checks them
    itself (with its own message, in the reader's language); the schema says the same."""
    allowed: list[Any] = [*([""] if blank else []), *values]
    return {"enum": [*allowed, *([None] if null else [])]}


def text(pattern: str, **extra: Any) -> dict[str, Any]:
    """A pattern the server enforces in its own words (see one_of)."""
    return {"pattern": pattern, **extra}


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
        "law: a country's profile takes its regions, intl any region. Capitals do not "
        "matter; the older kz-west and the like are still read."),
        json_schema_extra=text(r"^\s*[A-Za-z]{2}(-[A-Za-z0-9]+)*\s*$",
                               examples=["KZ-27"]))
    profile: str = Field("kz", max_length=20, json_schema_extra=one_of(PROFILES))
    organisation: str | None = Field(
        None, max_length=50,
        description="Short name; may be left out if you work in one organisation.")
    survivor_name: str = Field("", max_length=300, description=(
        "Her name, to add her as the survivor; blank: no one is added."),
        json_schema_extra=text(f"^[{_SPACE}]*$|{NAME}"))


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
    role: str = Field(max_length=20, json_schema_extra=one_of(Party.Role.values))
    full_name: str = Field(max_length=300, description="A placeholder if it is not known.",
                           json_schema_extra=text(NAME))
    relationship: str = Field("", max_length=20, json_schema_extra=one_of(
        Party.Relationship.values, blank=True))
    co_resident: bool | None = None
    institution: str = Field("", max_length=20, json_schema_extra=one_of(
        taxonomy.INSTITUTIONS, blank=True))
    other_names: str = Field("", max_length=1000)
    birth_date: str = Field("", max_length=40)
    address: str = Field("", max_length=1000)
    phone: str = Field("", max_length=100)
    documents: str = Field("", max_length=1000)
    notes: str = Field("", max_length=10000)


class PartyPatch(In):
    role: str | None = Field(None, max_length=20,
                             json_schema_extra=one_of(Party.Role.values, null=True))
    full_name: str | None = Field(None, max_length=300, json_schema_extra=text(NAME))
    relationship: str | None = Field(None, max_length=20, json_schema_extra=one_of(
        Party.Relationship.values, blank=True, null=True))
    co_resident: bool | None = None
    institution: str | None = Field(None, max_length=20, json_schema_extra=one_of(
        taxonomy.INSTITUTIONS, blank=True, null=True))
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
                           description="none, approximate, before, after or years_before.",
                           json_schema_extra=one_of(dates.QUALIFIERS))
    recurrence: str = Field("once", max_length=10,
                            description="once, repeated or several.",
                            json_schema_extra=one_of(dates.RECURRENCES))


class WhenOut(Schema):
    start: str
    end: str
    qualifier: str
    recurrence: str


class EventPartyIn(In):
    party: Id = Field(description="A party id of this case.")
    role: str = Field(max_length=20, json_schema_extra=one_of(EventParty.Role.values))


class EventLinkIn(In):
    event: Id = Field(description="The number of an earlier event of this case.")
    kind: str = Field(max_length=20, description="breach_of, responds_to, related_to, "
                                                 "reports or finding_on.",
                      json_schema_extra=one_of(taxonomy.LINK_KINDS))


AttributeValue = str | bool


class ReportIn(In):
    """"Reported to the police / prosecutor / court": the report is recorded as an event of its
    own (police_report, report_prosecutor or court_application) that `reports` this one."""

    to: str = Field(max_length=20, description="police, prosecutor or court.",
                    json_schema_extra=one_of(REPORT_TO))
    when: When | None = Field(None, description="When it was reported; left out: the date "
                                                "of the event itself.")
    mode: str = Field("", max_length=20,
                      description="How: oral, written, third_party, phone or online; '' if "
                                  "not known.",
                      json_schema_extra=one_of(taxonomy.REPORT_MODES, blank=True))
    by: str = Field("survivor", max_length=20,
                    description="Who reported it: survivor, third_party or organisation.",
                    json_schema_extra=one_of(REPORTED_BY))
    referral_requested: bool = Field(False, description="To the police: she asked to be "
                                                        "referred for help.")


class EventIn(In):
    kind: str = Field(max_length=40, json_schema_extra=one_of(taxonomy.BY_ID))
    when: When
    source: str = Field(max_length=20, json_schema_extra=one_of(taxonomy.SOURCES))
    reliability: str = Field(max_length=20, json_schema_extra=one_of(taxonomy.RELIABILITY))
    narrative: str = Field("", max_length=20000)
    place: str = Field("", max_length=1000)
    institution: str = Field("", max_length=20, json_schema_extra=one_of(
        taxonomy.INSTITUTIONS, blank=True))
    institution_unit: str = Field("", max_length=200)
    attributes: dict[str, AttributeValue] = Field(
        default_factory=dict, description="Details of the kind; one the kind does not "
                                          "carry is refused.",
        json_schema_extra={"propertyNames": one_of(taxonomy.ATTRIBUTES)})
    parties: list[EventPartyIn] = Field(default_factory=list, max_length=50)
    links: list[EventLinkIn] = Field(default_factory=list, max_length=50)
    report: ReportIn | None = Field(
        None, description="Only for an incident of abuse or a breach of a protection order: "
                          "it was reported to the police, the prosecutor or a court.")


class CorrectionIn(EventIn):
    reason: str = Field(min_length=1, max_length=2000, json_schema_extra=text(NOT_BLANK))


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
