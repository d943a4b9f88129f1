"""Cases, parties, events and the hash-chained ledger.

Nothing here writes on its own: every mutation goes through `qorgau.cases.services`, which
appends the case's ledger entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import CASE_ROLES, Organisation
from qorgau.cases import regions, taxonomy
from qorgau.cases.dates import QUALIFIERS, RECURRENCES, DateSpan
from qorgau.cases.regions import PROFILES
from qorgau.fields import EncryptedTextField


def _choices(mapping: dict[str, str]) -> list[tuple[str, Any]]:
    return [(key, _(label)) for key, label in mapping.items()]


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: Any) -> CaseQuerySet:
        """Cases the user is assigned to, in an organisation where they hold a case role.

        Erased cases are never visible (their assignments are gone too)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            assignments__user=user,
            organisation__memberships__user=user,
            organisation__memberships__role__in=CASE_ROLES,
        ).exclude(status=Case.Status.ERASED)


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        # Personal data removed; the row and the ledger remain (qorgau.retention).
        ERASED = "erased", _("Erased")

    class Mode(models.TextChoices):
        CASEWORK = "casework", _("Casework")
        MONITORING = "monitoring", _("Monitoring (reconstructed from documents)")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    profile = models.CharField(_("jurisdiction profile"), max_length=20,
                               choices=_choices(PROFILES), default="kz")
    # An ISO 3166-2 code ("KZ-27"), or a code stored before those ("kz-west"), which is kept
    # because the ledger digested it: qorgau.cases.regions reads both; services validate.
    region = models.CharField(_("region"), max_length=40)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.OPEN)
    # A monitoring case is reconstructed from documents (judgments, reports, news): what is
    # not recorded is unknown, not absent, so a duty with nothing recorded is "no record of".
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices, default=Mode.CASEWORK)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [models.Index(fields=["organisation", "status", "region"])]

    def __str__(self) -> str:
        return self.reference

    def get_region_display(self) -> str:
        """The region's name in the active language (a code stored before ISO codes too)."""
        return regions.label(self.region, get_language() or "en")

    @property
    def country(self) -> str:
        """ISO 3166-1 alpha-2 of the region's country ("KZ")."""
        return regions.country_of(self.region)


class CaseAssignment(models.Model):
    """Who works on which case: the only way to see a case."""

    class Access(models.TextChoices):
        WRITE = "write", _("Can record")
        READ = "read", _("Read only")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="case_assignments")
    access = models.CharField(_("access"), max_length=10, choices=Access.choices,
                              default=Access.WRITE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="one_assignment_per_user")
        ]


class Party(models.Model):
    class Role(models.TextChoices):
        SURVIVOR = "survivor", _("Survivor")
        RESPONDENT = "respondent", _("Respondent (abuser)")
        CHILD = "child", _("Child")
        WITNESS = "witness", _("Witness")
        ACCOMPLICE = "accomplice", _("Accomplice")
        OFFICIAL = "official", _("Official (officer, prosecutor, judge)")
        LAWYER = "lawyer", _("Lawyer")
        OTHER = "other", _("Other")

    class Relationship(models.TextChoices):
        SELF = "self", _("Survivor herself/himself")
        SPOUSE = "spouse", _("Spouse")
        EX_SPOUSE = "ex_spouse", _("Former spouse")
        PARTNER = "partner", _("Partner")
        EX_PARTNER = "ex_partner", _("Former partner")
        PARENT = "parent", _("Parent")
        CHILD = "child", _("Child")
        SIBLING = "sibling", _("Sibling")
        IN_LAW = "in_law", _("In-law")
        OTHER_RELATIVE = "other_relative", _("Other relative")
        NONE = "none", _("No family relationship")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    relationship = models.CharField(_("relationship to the survivor"), max_length=20,
                                    choices=Relationship.choices, blank=True)
    co_resident = models.BooleanField(_("lives with the survivor"), null=True, blank=True)
    institution = models.CharField(_("institution"), max_length=20, blank=True,
                                   choices=_choices(taxonomy.INSTITUTIONS))
    # Identifying fields: encrypted at rest.
    full_name = EncryptedTextField(_("full name"))
    other_names = EncryptedTextField(_("other names"), blank=True, default="")
    birth_date = EncryptedTextField(_("date of birth"), blank=True, default="")
    address = EncryptedTextField(_("address"), blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    documents = EncryptedTextField(_("identity documents"), blank=True, default="")
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    # Keyed HMAC of the normalised full name, for exact-match search.
    name_index = models.CharField(max_length=64, db_index=True, editable=False)
    # Secret per-record salt in the ledger digest, so digests cannot confirm guessed names.
    salt = EncryptedTextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.get_role_display()})"


class EventQuerySet(models.QuerySet["Event"]):
    def current(self) -> EventQuerySet:
        """Events not superseded by a correction. As NOT EXISTS: PostgreSQL then probes the
        supersedes index per event instead of merging it whole with the case's events."""
        return self.filter(~models.Exists(Event.objects.filter(supersedes=models.OuterRef("pk"))))

    def visible_to_role(self, role: str | None) -> EventQuerySet:
        from qorgau.cases import policy

        return self.for_reader(policy.role_sees_restricted(role))

    def for_reader(self, sees_restricted: bool) -> EventQuerySet:
        """The events a reader may see: restricted kinds left out unless they see them
        (qorgau.cases.policy)."""
        from qorgau.cases import policy

        hidden = policy.hidden_kinds(sees_restricted)
        return self.exclude(kind__in=hidden) if hidden else self

    def restricted(self) -> EventQuerySet:
        """Only the restricted events (to test whether a case holds any)."""
        from qorgau.cases import policy

        return self.filter(kind__in=policy.hidden_kinds(False))

    def chronological(self) -> EventQuerySet:
        return self.order_by(
            models.F("sort_start").asc(nulls_last=True),
            models.F("sort_end").asc(nulls_last=True),
            "number",
        )


class Event(models.Model):
    """A dated fact on a case's timeline. Never edited: corrected by a superseding event."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=40,
                            choices=[(k.id, _(k.label)) for k in taxonomy.KINDS])
    # When: partial ISO dates (YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDTHH:MM).
    when_start = models.CharField(_("date"), max_length=16, blank=True)
    when_end = models.CharField(_("until"), max_length=16, blank=True)
    qualifier = models.CharField(_("qualifier"), max_length=12, default="none",
                                 choices=[(q, q) for q in QUALIFIERS])
    recurrence = models.CharField(_("recurrence"), max_length=10, default="once",
                                  choices=[(r, r) for r in RECURRENCES])
    # Derived bounds for ordering and date queries (null when unknown).
    sort_start = models.DateField(null=True, editable=False)
    sort_end = models.DateField(null=True, editable=False)
    source = models.CharField(_("source"), max_length=20, choices=_choices(taxonomy.SOURCES))
    reliability = models.CharField(_("reliability"), max_length=20,
                                   choices=_choices(taxonomy.RELIABILITY))
    institution = models.CharField(_("institution"), max_length=20, blank=True,
                                   choices=_choices(taxonomy.INSTITUTIONS))
    institution_unit = models.CharField(_("institution unit"), max_length=200, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    place = EncryptedTextField(_("place"), blank=True, default="")
    narrative = EncryptedTextField(_("narrative"), blank=True, default="")
    supersedes = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="superseded_by")
    correction_reason = EncryptedTextField(_("reason for correction"), blank=True, default="")
    salt = EncryptedTextField(editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    parties: models.ManyToManyField[Party, EventParty] = models.ManyToManyField(
        Party, through="EventParty", related_name="events"
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="event_number_per_case")
        ]
        indexes = [
            models.Index(fields=["case", "sort_start"]),
            models.Index(fields=["case", "kind", "sort_start"], name="event_kind_day"),
            # the case's corrections, which a write follows links through (duties.local)
            models.Index(fields=["case"], condition=models.Q(supersedes__isnull=False),
                         name="event_corrections"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.get_kind_display()}"

    @property
    def span(self) -> DateSpan:
        return DateSpan.parse(self.when_start, self.when_end, self.qualifier, self.recurrence)

    @property
    def taxonomy_kind(self) -> taxonomy.Kind:
        return taxonomy.kind(self.kind)


class EventParty(models.Model):
    class Role(models.TextChoices):
        PERPETRATOR = "perpetrator", _("Perpetrator")
        VICTIM = "victim", _("Victim")
        WITNESS = "witness", _("Witness")
        ACTOR = "actor", _("Acting official")
        INVOLVED = "involved", _("Involved")

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="event_parties")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="event_roles")
    role = models.CharField(_("role in the event"), max_length=20, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "party"], name="party_once_per_event")
        ]


class EventLink(models.Model):
    """A directed link from a later event to an earlier one (breach -> order, ...)."""

    source = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="links_out")
    target = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="links_in")
    kind = models.CharField(_("link"), max_length=20, choices=_choices(taxonomy.LINK_KINDS))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="link_once")
        ]

    # Source ids per query: an index range each, within SQLite's limit on parameters.
    BATCH = 5000

    @classmethod
    def rows_from(cls, event_ids: Sequence[int], *fields: str) -> list[tuple[Any, ...]]:
        """values_list(*fields) of the links out of the given events, read by the source
        index. (Joined from the events by case, PostgreSQL's planner hash-joins a scan of
        every link in the database, for each block of cases.)"""
        rows: list[tuple[Any, ...]] = []
        if connection.vendor == "postgresql":  # one array parameter, not an IN list of 5,000
            quote = connection.ops.quote_name
            column = {f.attname: f.column for f in cls._meta.concrete_fields}
            columns = ", ".join(quote(column[name]) for name in fields)
            sql = (f"SELECT {columns} FROM {quote(cls._meta.db_table)} "  # noqa: S608  # nosec B608
                   f"WHERE {quote('source_id')} = ANY(%s)")
            with connection.cursor() as cursor:
                for start in range(0, len(event_ids), cls.BATCH):
                    cursor.execute(sql, [list(event_ids[start:start + cls.BATCH])])
                    rows.extend(cursor.fetchall())
            return rows
        for start in range(0, len(event_ids), cls.BATCH):
            rows.extend(cls.objects.filter(
                source_id__in=event_ids[start:start + cls.BATCH]).values_list(*fields))
        return rows


class LedgerEntry(models.Model):
    """One append-only, hash-chained entry per write (and per read of a case page).

    Database triggers reject UPDATE and DELETE on this table (see migrations).
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="ledger")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              related_name="+")
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=60)
    detail = models.JSONField(default=dict)
    payload_digest = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="ledger_seq_per_case")
        ]
        indexes = [models.Index(fields=["case", "subject", "seq"])]
        ordering = ["case", "seq"]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action} {self.subject}"




class Checkpoint(models.Model):
    """A signed commitment to every case's ledger head, and to all checkpoints before it.

    `heads_root` is the RFC 6962 Merkle root over `heads`; `log_root` is the root over the
    digests of checkpoints 1..number, so checkpoints form an append-only log of their own.
    Database triggers reject UPDATE and DELETE on this table (see migrations).
    """

    number = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField()
    case_count = models.PositiveIntegerField()
    heads_root = models.CharField(max_length=64)
    log_root = models.CharField(max_length=64)
    previous_log_root = models.CharField(max_length=64)
    # [[case id, head seq, head hash], ...] in ascending case id order.
    heads = models.JSONField(default=list)
    # Ed25519 over the canonical JSON of the signed fields (qorgau.cases.checkpoints).
    signature = models.CharField(max_length=88)
    public_key = models.CharField(max_length=44)  # raw Ed25519 public key, base64

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"checkpoint {self.number} ({self.case_count} cases, {self.log_root[:12]})"
