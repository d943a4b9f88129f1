"""The service directory and referrals: every write, each with its ledger entry.

A referral is made under the survivor's consent (purpose `referral`) and records the grant
and the data categories shared. To a provider whose organisation uses Qorgau, the case is
shared read-only under that grant (qorgau.consent); to any other, a letter carries only the
granted data. Each move is a ReferralStep, a ledger entry, and where the taxonomy has a kind
(referral_made, referral_accepted, referral_declined) a timeline event, so duties and the
accountability figures see it.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.accounts import orgledger
from qorgau.accounts.models import CASE_ROLES, Membership, Role, User
from qorgau.cases import erasure, records, regions
from qorgau.cases import services as case_services
from qorgau.cases.models import Case, Event
from qorgau.consent import rules as consent_rules
from qorgau.consent import services as consent
from qorgau.consent.models import CaseShare
from qorgau.duties.models import Obligation
from qorgau.referrals import rules
from qorgau.referrals.models import Provider, Referral, ReferralStep

# The institution a provider's answer is recorded under on the timeline.
INSTITUTIONS = {"crisis_centre": "shelter", "shelter": "shelter",
                "family_support": "social_services", "medical": "health"}


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


# --- the directory -------------------------------------------------------------------------

CSV_COLUMNS = ("name", "kind", "region", "city", "services", "languages", "accepts_children",
               "boys_max_age", "accessible", "address", "phone", "email", "intake_hours",
               "capacity", "places_available")
REQUIRED_COLUMNS = ("name", "kind", "region", "services")
YES, NO = {"yes", "y", "true", "1", "да", "иә"}, {"no", "n", "false", "0", "", "нет", "жоқ"}


def _list(value: str) -> list[str]:
    return sorted({v.strip() for v in value.replace(",", ";").split(";") if v.strip()})


def _parse_row(row: dict[str, str], number: int) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []

    def bad(column: str, message: str) -> None:
        errors.append(_("Row %(row)s, column “%(column)s”: %(message)s")
                      % {"row": number, "column": column, "message": message})

    value = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS}
    for column in REQUIRED_COLUMNS:
        if not value[column]:
            bad(column, _("this column may not be empty."))
    if value["kind"] and value["kind"] not in rules.PROVIDER_KINDS:
        bad("kind", _("“%(value)s” is not a kind of provider; use one of: %(allowed)s.")
            % {"value": value["kind"], "allowed": ", ".join(rules.PROVIDER_KINDS)})
    if value["region"] and value["region"] != rules.NATIONWIDE:
        if regions.is_region(value["region"]):
            value["region"] = regions.canonical(value["region"])
        else:
            bad("region", _("“%(value)s” is not a region code (an ISO 3166-2 code such as "
                            "KZ-27, or %(all)s).") % {"value": value["region"],
                                                      "all": rules.NATIONWIDE})
    services, languages = _list(value["services"]), _list(value["languages"])
    unknown = [s for s in services if s not in rules.NEEDS]
    if unknown:
        bad("services", _("unknown services: %(values)s; use: %(allowed)s.")
            % {"values": ", ".join(unknown), "allowed": ", ".join(rules.NEEDS)})
    unknown = [lang for lang in languages if lang not in rules.LANGUAGES]
    if unknown:
        bad("languages", _("unknown languages: %(values)s; use: %(allowed)s.")
            % {"values": ", ".join(unknown), "allowed": ", ".join(rules.LANGUAGES)})
    flags: dict[str, bool] = {}
    for column in ("accepts_children", "accessible"):
        word = value[column].lower()
        if word not in YES | NO:
            bad(column, _("write yes or no, not “%(value)s”.") % {"value": value[column]})
        flags[column] = word in YES
    numbers: dict[str, int | None] = {}
    for column in ("boys_max_age", "capacity", "places_available"):
        if not value[column]:
            numbers[column] = None
        elif not value[column].isdigit() or int(value[column]) > 1000:
            bad(column, _("write a whole number (0 to 1000), not “%(value)s”.")
                % {"value": value[column]})
        else:
            numbers[column] = int(value[column])
    capacity, places = numbers.get("capacity"), numbers.get("places_available")
    if capacity is not None and places is not None and places > capacity:
        bad("places_available", _("more places available (%(places)s) than places in all "
                                  "(%(capacity)s).") % {"places": places, "capacity": capacity})
    for column, limit in (("name", 200), ("city", 100), ("address", 300), ("phone", 100),
                          ("email", 200), ("intake_hours", 200)):
        if len(value[column]) > limit:
            bad(column, _("longer than %(limit)s characters.") % {"limit": limit})
    clean = {**value, **flags, **numbers, "services": services, "languages": languages}
    return clean, errors


@dataclass
class ImportResult:
    created: int
    updated: int


def import_providers(text: str) -> ImportResult:
    """Providers from CSV (a header row, then one provider a row; matched by name). All rows
    or none: any error raises ValidationError listing every bad row and column."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValidationError(_("The file has no column %(columns)s (the first row must name "
                                "the columns).") % {"columns": ", ".join(missing)})
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise ValidationError(_("Unknown columns: %(columns)s. Known: %(known)s.")
                              % {"columns": ", ".join(unknown), "known": ", ".join(CSV_COLUMNS)})
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    names: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            errors.append(_("Row %(row)s: more cells than columns.") % {"row": number})
            continue
        row = {k.strip(): v for k, v in raw.items() if k}
        clean, row_errors = _parse_row(row, number)
        errors += row_errors
        if clean["name"] in names:
            errors.append(_("Row %(row)s, column “name”: the same provider as row %(first)s.")
                          % {"row": number, "first": names[clean["name"]]})
        names.setdefault(clean["name"], number)
        rows.append(clean)
    if errors:
        raise ValidationError(errors)
    if not rows:
        raise ValidationError(_("The file has no providers."))
    return _write_providers(rows)


@transaction.atomic
def _write_providers(rows: list[dict[str, Any]]) -> ImportResult:
    now = timezone.now()
    result = ImportResult(0, 0)
    for row in rows:
        values = {k: row[k] for k in CSV_COLUMNS if k != "name"}
        existing = Provider.objects.filter(name=row["name"]).first()
        if existing is not None and existing.places_available == values["places_available"]:
            values.pop("places_available")  # keep the last update's time and author
        elif values["places_available"] is not None:
            values.update(places_updated_at=now, places_updated_by=None)
        _provider, created = Provider.objects.update_or_create(name=row["name"],
                                                               defaults=values)
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result


def can_update_places(user: User, provider: Provider | None) -> bool:
    """Case workers of any organisation, the provider's own among them; not monitors."""
    return Membership.objects.filter(user=user, role__in=CASE_ROLES).exists()


@transaction.atomic
def update_places(provider: Provider, by: User, places: int) -> Provider:
    if not can_update_places(by, provider):
        raise ValidationError(_("Only case workers and the provider's own people can update "
                                "the places available."))
    if places < 0 or (provider.capacity is not None and places > provider.capacity):
        raise ValidationError({"places": _("Places available must be between 0 and the "
                                           "places in all (%(capacity)s).")
                               % {"capacity": provider.capacity}})
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    provider.places_available = places
    provider.places_updated_at = timezone.now()
    provider.places_updated_by = by
    provider.save(update_fields=["places_available", "places_updated_at",
                                 "places_updated_by"])
    return provider


def matching(need: rules.Need) -> list[tuple[Provider, rules.Match]]:
    """Providers for this need, those that fit first (region, eligibility, capacity)."""
    providers = {p.pk: p for p in Provider.objects.filter(
        active=True, region__in=[*regions.aliases(need.region), rules.NATIONWIDE]).select_related(
        "places_updated_by")}
    return [(providers[m.provider], m) for m in
            rules.match([p.facts() for p in providers.values()], need)]


# --- referrals -----------------------------------------------------------------------------


def subject(referral: Referral) -> str:
    return f"referral:{referral.pk}"


def referral_record(referral: Referral, steps: Iterable[ReferralStep]) -> dict[str, Any]:
    return {
        "id": referral.pk, "case": referral.case_id, "provider": referral.provider_id,
        "need": referral.need, "grant": referral.grant_id,
        "categories": sorted(referral.categories), "share": referral.share_id,
        "state": referral.state, "note": referral.note, "reason": referral.reason,
        "made_by": referral.made_by_id, "created_at": _iso(referral.created_at),
        "updated_at": _iso(referral.updated_at), "salt": referral.salt,
        "steps": [{"id": s.pk, "state": s.state, "at": _iso(s.at), "by": s.by_id,
                   "reason": s.reason, "event": s.event_id}
                  for s in sorted(steps, key=lambda s: s.pk)],
    }


def referral_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: referrals and their steps as the ledger vouches for them."""
    found = records.by_case(case_ids)
    for r in Referral.objects.filter(case_id__in=case_ids).prefetch_related("steps"):
        found[r.case_id][subject(r)] = referral_record(r, r.steps.all())
    return found


def _event(case: Case, by: User, referral: Referral, state: str,
           made: Event | None) -> Event | None:
    kind = rules.EVENT_KINDS.get(state)
    if kind is None:
        return None
    provider = referral.provider
    institution = ("organisation" if state in (rules.MADE, rules.WITHDRAWN)
                   else INSTITUTIONS.get(provider.kind, "other"))
    narrative = _("Referral no. %(number)s to %(provider)s (%(need)s): %(state)s.") % {
        "number": referral.pk, "provider": provider.name,
        "need": _(rules.NEEDS[referral.need]), "state": _(rules.STATES[state])}
    if referral.reason and state in rules.NEEDS_REASON:
        narrative += " " + referral.reason
    return case_services.record_event(case, by, case_services.EventInput(
        kind=kind, span=case_services.parse_span(timezone.localdate().isoformat()),
        source="staff", reliability="confirmed", institution=institution,
        institution_unit=provider.name, narrative=narrative,
        links=[(made, "responds_to")] if made is not None else []))


def _step(referral: Referral, by: User, state: str, reason: str) -> ReferralStep:
    made = _made_event(referral) if state != rules.MADE else None
    event = _event(referral.case, by, referral, state, made)
    return ReferralStep.objects.create(referral=referral, case=referral.case, state=state,
                                       at=referral.updated_at, by=by, reason=reason,
                                       event=event)


@transaction.atomic
def make_referral(case: Case, by: User, *, provider: Provider, need: str, grant_id: int | None,
                  categories: Iterable[str] = (), note: str = "") -> Referral:
    """Refer her to `provider` for `need` under consent `grant_id` (purpose referral),
    sharing `categories` (to a provider that uses Qorgau: all the grant covers, as a
    read-only share). Refused with a plain message when the consent does not allow it."""
    chosen = sorted(set(categories))
    errors: dict[str, list[str]] = {}
    if need not in rules.NEEDS:
        errors["need"] = [_("Choose a need from the list.")]
    elif need not in provider.services or not provider.active:
        errors["provider"] = [_("%(provider)s does not offer this service.")
                              % {"provider": provider.name}]
    elif need == "shelter" and provider.places_available == 0:
        errors["provider"] = [_("%(provider)s has no place free. Choose another shelter, or "
                                "update its places first if that has changed.")
                              % {"provider": provider.name}]
    if consent_rules.unknown_categories(chosen):
        errors["categories"] = [_("Choose the kinds of data from the list.")]
    elif not chosen and provider.organisation_id is None:
        errors["categories"] = [_("Choose the data the letter may carry.")]
    if grant_id is None:
        errors["grant"] = [_("Choose the survivor's consent the referral is made under.")]
    if errors:
        raise ValidationError(errors)
    case_services.lock(case)
    in_qorgau = provider.organisation_id is not None
    grant = consent.require_grant(case, "referral", () if in_qorgau else chosen,
                                  recipient_org=provider.organisation_id, grant_id=grant_id)
    if provider.organisation_id is None and grant.recipient_organisation_id is not None:
        raise ValidationError(_(consent_rules.MESSAGES["recipient"]) % {"grant": grant.pk})
    share = None
    if in_qorgau:
        chosen = sorted(grant.categories)  # the share shows all the grant covers
        share = (CaseShare.objects.filter(grant=grant, withdrawn_at__isnull=True).first()
                 or consent.share_case(case, by, grant.pk))
    now = timezone.now()
    referral = Referral.objects.create(
        case=case, provider=provider, need=need, grant=grant, categories=chosen, share=share,
        state=rules.MADE, note=note.strip(), made_by=by, created_at=now, updated_at=now,
        salt=secrets.token_hex(16))
    step = _step(referral, by, rules.MADE, "")
    case_services.append(case, by, "referral.create", subject(referral),
                         referral_record(referral, [step]),
                         {"grant": grant.pk, "provider": provider.pk, "need": need})
    return referral


def _refuse(refusal: rules.Refusal) -> ValidationError:
    message = _(rules.MESSAGES[refusal.code]) % {
        "state": _(rules.STATES.get(refusal.state, refusal.state)).lower(),
        "target": _(rules.STATES.get(refusal.target, refusal.target)).lower()}
    return ValidationError({"reason": [message]} if refusal.code == "reason" else message)


@transaction.atomic
def move(referral: Referral, by: User, target: str, reason: str = "",
         as_provider: bool = False) -> Referral:
    """Move a referral on (accepted, declined with reason, service started, completed, or
    withdrawn by the survivor with reason). A referral that ends closes its share.
    `as_provider`: the provider's own people answer (they cannot record a withdrawal)."""
    case_services.lock(referral.case)
    referral = Referral.objects.select_related("case", "provider", "grant").get(pk=referral.pk)
    check = rules.check_provider_move if as_provider else rules.check_transition
    refusal = check(referral.state, target, reason)
    if refusal is not None:
        raise _refuse(refusal)
    if as_provider and target != rules.DECLINED:
        _require_valid_grant(referral)
    referral.state = target
    referral.reason = reason.strip() if target in rules.NEEDS_REASON else ""
    referral.updated_at = timezone.now()
    referral.save(update_fields=["state", "reason", "updated_at"])
    _step(referral, by, target, referral.reason)
    case_services.append(referral.case, by, "referral.update", subject(referral),
                         referral_record(referral, referral.steps.all()),
                         {"state": target, **({"by_provider": True} if as_provider else {})})
    if target in rules.TERMINAL and referral.share_id is not None:
        share = CaseShare.objects.get(pk=referral.share_id)
        still_used = Referral.objects.filter(share=share).exclude(
            state__in=rules.TERMINAL).exists()
        if share.withdrawn_at is None and not still_used:
            consent.withdraw_share(share, by)
    return referral


def grant_valid(referral: Referral) -> bool:
    """The survivor's consent the referral was made under still holds (not revoked, not
    expired)."""
    return consent_rules.is_valid(referral.grant.facts(), timezone.now())


def _require_valid_grant(referral: Referral) -> None:
    """A provider acts on a referral only while her consent holds; declining stays open
    (it ends the referral and closes what was shared)."""
    refusal = consent_rules.check(referral.grant.facts(), timezone.now(), "referral", ())
    if refusal is None:
        return
    why = " ".join(consent.ConsentRequired(refusal, "referral", referral.grant).messages)
    raise ValidationError(why + " " + _("The referral can no longer be accepted or moved on; "
                                        "it can only be declined."))


def _made_event(referral: Referral) -> Event | None:
    step = (ReferralStep.objects.filter(referral=referral, state=rules.MADE)
            .select_related("event").first())
    return step.event if step else None


@transaction.atomic
def follow_up(referral: Referral, by: User, note: str) -> Event:
    """The organisation checked with her after the referral: a timeline event that answers
    the referral (and meets the follow-up duty of the profiles)."""
    if not note.strip():
        raise ValidationError({"note": [_("Write what she said: did she receive the service, "
                                          "and how is she?")]})
    provider = referral.provider
    made = _made_event(referral)
    narrative = _("Follow-up after referral no. %(number)s to %(provider)s (%(need)s): "
                  "%(note)s") % {"number": referral.pk, "provider": provider.name,
                                 "need": _(rules.NEEDS[referral.need]), "note": note.strip()}
    return case_services.record_event(referral.case, by, case_services.EventInput(
        kind="referral_follow_up", span=case_services.parse_span(timezone.localdate().isoformat()),
        source="staff", reliability="confirmed", institution="organisation",
        institution_unit=provider.name, narrative=narrative,
        links=[(made, "responds_to")] if made is not None else []))


# --- the provider's side: referrals to an organisation that uses Qorgau ---------------------


def provider_organisations(user: User) -> list[int]:
    """Organisations whose case workers `user` is among (they answer referrals to them)."""
    return list(Membership.objects.filter(user=user, role__in=CASE_ROLES)
                .values_list("organisation_id", flat=True))


def incoming(user: User) -> QuerySet[Referral]:
    """Referrals to providers of the user's organisations, open ones first."""
    return (Referral.objects.filter(provider__organisation__in=provider_organisations(user))
            .exclude(case__status=Case.Status.ERASED)
            .select_related("provider", "case__organisation", "share", "grant")
            .order_by("updated_at"))


def incoming_referral(user: User, pk: int) -> Referral | None:
    return incoming(user).filter(pk=pk).first()


def answer(referral: Referral, by: User, target: str, reason: str = "") -> Referral:
    """The provider's own answer (accepted, declined with reason, started, completed)."""
    if referral.provider.organisation_id not in provider_organisations(by):
        raise ValidationError(_("Only the provider's own case workers answer its referrals."))
    return move(referral, by, target, reason, as_provider=True)


# Rules of the profiles whose obligations a referral gives rise to (its made event triggers).
ANSWER_RULE, FOLLOW_UP_RULE = "intl.referral-answer", "intl.referral-follow-up"


def duties_of(referrals: Iterable[Referral]) -> dict[int, dict[str, Obligation]]:
    """The answer and follow-up obligations of each referral: {referral: {rule: obligation}}."""
    made = dict(ReferralStep.objects.filter(referral__in=list(referrals), state=rules.MADE)
                .values_list("event_id", "referral_id"))
    found: dict[int, dict[str, Obligation]] = {}
    for obligation in Obligation.objects.filter(trigger_id__in=list(made),
                                                rule_id__in=(ANSWER_RULE, FOLLOW_UP_RULE)):
        found.setdefault(made[obligation.trigger_id], {})[obligation.rule_id] = obligation
    return found


def for_case(case: Case) -> QuerySet[Referral]:
    return Referral.objects.filter(case=case).select_related("provider", "grant")


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): steps, then referrals (before consent's shares)."""
    return erasure.delete(ReferralStep.objects.filter(case=case),
                          Referral.objects.filter(case=case))


DEMO_DIRECTORY = Path(__file__).parent / "demo" / "providers-kz-west.csv"


def load_demo_directory() -> int:
    """The fictional West Kazakhstan directory, unless it is there already; providers made."""
    text = DEMO_DIRECTORY.read_text(encoding="utf-8")
    names = [row["name"] for row in csv.DictReader(io.StringIO(text))]
    if Provider.objects.filter(name__in=names).exists():
        return 0
    return import_providers(text).created


# --- the case file (qorgau.cases.casefile, version 2) ---------------------------------------
# Referrals with their steps, naming the provider by its name in the directory and the
# grant by its key in the file's consents. The share a referral opened does not travel
# (shares are between organisations of one installation).


@transaction.atomic
def import_referral(case: Case, by: User, *, provider: str, need: str, grant: Any,
                    categories: Iterable[str], state: str, note: str, reason: str,
                    created_at: datetime, updated_at: datetime,
                    steps: Sequence[tuple[str, datetime, str, Event | None]]) -> Referral:
    """A referral as another holder of the case recorded it; its events are already on the
    imported timeline. The provider must be in this installation's directory."""
    found = Provider.objects.filter(name=provider).first()
    errors: dict[str, list[str]] = {}
    if found is None:
        errors["provider"] = [_("There is no provider named %(provider)s in the directory; "
                                "add it first.") % {"provider": provider}]
    if need not in rules.NEEDS:
        errors["need"] = [_("Choose a need from the list.")]
    if state not in rules.STATES or any(s[0] not in rules.STATES for s in steps):
        errors["state"] = [_("Unknown state.")]
    if grant.case_id != case.pk or grant.purpose != "referral":
        errors["grant"] = [_("Choose the survivor's consent the referral is made under.")]
    if consent_rules.unknown_categories(categories):
        errors["categories"] = [_("Choose the kinds of data from the list.")]
    if errors:
        raise ValidationError(errors)
    assert found is not None
    referral = Referral.objects.create(
        case=case, provider=found, need=need, grant=grant, categories=sorted(set(categories)),
        state=state, note=note.strip(), reason=reason.strip(), made_by=by,
        created_at=created_at, updated_at=updated_at, salt=secrets.token_hex(16))
    made = [ReferralStep.objects.create(referral=referral, case=case, state=step_state, at=at,
                                        by=by, reason=step_reason.strip(), event=event)
            for step_state, at, step_reason, event in steps]
    case_services.append(case, by, "referral.create", subject(referral),
                         referral_record(referral, made),
                         {"grant": grant.pk, "provider": found.pk, "need": need,
                          "imported": True})
    return referral


def _casefile_section() -> Any:
    from qorgau.cases import casefile
    from qorgau.cases.casefile import CheckContext, ExportContext, ImportContext, Problem

    moment = {"type": "string", "format": "date-time"}

    def schema() -> dict[str, Any]:
        return {"type": "array", "description": "Referrals to services, oldest first.",
                "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["provider", "need", "consent", "state", "created_at",
                                 "updated_at"],
                    "properties": {
                        "provider": {"type": "string", "pattern": r"\S", "maxLength": 200,
                                     "description": "The provider's name in the directory."},
                        "need": {"type": "string", "enum": list(rules.NEEDS)},
                        "consent": {"type": "string",
                                    "description": "Key of its grant in consents."},
                        "categories": {"type": "array", "items": {
                            "type": "string", "enum": list(consent_rules.CATEGORIES)}},
                        "state": {"type": "string", "enum": list(rules.STATES)},
                        "note": {"type": "string"},
                        "reason": {"type": "string"},
                        "created_at": moment,
                        "updated_at": moment,
                        "steps": {"type": "array", "items": {
                            "type": "object", "additionalProperties": False,
                            "required": ["state", "at"],
                            "properties": {
                                "state": {"type": "string", "enum": list(rules.STATES)},
                                "at": moment,
                                "reason": {"type": "string"},
                                "event": {"type": ["integer", "null"], "minimum": 1}}}},
                    }}}

    def export(context: ExportContext) -> list[dict[str, Any]]:
        grants = context.keys.get("consents", {})
        rows = (Referral.objects.filter(case=context.case).select_related("provider")
                .prefetch_related("steps").order_by("created_at", "pk"))
        return [{
            "provider": r.provider.name, "need": r.need, "consent": grants[r.grant_id],
            "categories": sorted(r.categories), "state": r.state, "note": r.note,
            "reason": r.reason, "created_at": casefile.iso_moment(r.created_at),
            "updated_at": casefile.iso_moment(r.updated_at),
            "steps": [{"state": s.state, "at": casefile.iso_moment(s.at), "reason": s.reason,
                       "event": context.events.get(s.event_id) if s.event_id else None}
                      for s in sorted(r.steps.all(), key=lambda s: (s.at, s.pk))],
        } for r in rows if r.grant_id in grants]

    def check(items: list[dict[str, Any]], context: CheckContext,
              path: str) -> list[Problem]:
        problems: list[Problem] = []
        grants = context.keys.get("consents", set())
        purposes = {g["key"]: g["purpose"] for g in context.document.get("consents", [])}
        for i, item in enumerate(items):
            where = f"{path}[{i}]"
            if item["consent"] not in grants:
                problems.append(Problem(f"{where}.consent", _(
                    "no consent in the file has the key %(key)s.") % {"key": item["consent"]}))
            elif purposes.get(item["consent"]) != "referral":
                problems.append(Problem(f"{where}.consent", _(
                    "consent %(key)s is not for a referral.") % {"key": item["consent"]}))
            for name in ("created_at", "updated_at"):
                problems += casefile.moment_problems(item[name], f"{where}.{name}")
            for j, step in enumerate(item.get("steps", [])):
                problems += casefile.moment_problems(step["at"], f"{where}.steps[{j}].at")
                if step.get("event") is not None:
                    problems += casefile.event_problem(step["event"], context,
                                                       f"{where}.steps[{j}].event")
        return problems

    def load(items: list[dict[str, Any]], context: ImportContext) -> None:
        grants = context.objects.get("consents", {})
        for i, item in enumerate(items):
            context.path = f"$.referrals[{i}]"
            context.fields = {"provider": "provider", "need": "need", "state": "state",
                              "grant": "consent", "categories": "categories"}
            import_referral(
                context.case, context.by, provider=item["provider"], need=item["need"],
                grant=grants[item["consent"]], categories=item.get("categories", []),
                state=item["state"], note=item.get("note", ""),
                reason=item.get("reason", ""),
                created_at=casefile.moment(item["created_at"]),
                updated_at=casefile.moment(item["updated_at"]),
                steps=[(s["state"], casefile.moment(s["at"]), s.get("reason", ""),
                        context.events[s["event"]] if s.get("event") is not None else None)
                       for s in item.get("steps", [])])

    return casefile.Section("referrals", 50, schema, export, check, load)


def _register_casefile() -> None:
    # Here, not in cases: cases does not import this app (apps.ready imports this module).
    from qorgau.cases import casefile

    casefile.register_section(_casefile_section())


_register_casefile()


PROFILE_FIELDS = ("services", "languages", "city", "address", "phone", "email", "intake_hours",
                  "capacity", "accepts_children", "boys_max_age", "accessible")


def can_edit_profile(user: User, provider: Provider) -> bool:
    """The administrators of the organisation the directory entry belongs to."""
    return provider.organisation_id is not None and Membership.objects.filter(
        user=user, organisation_id=provider.organisation_id, role=Role.ADMIN).exists()


@transaction.atomic
def update_profile(provider: Provider, by: User, changes: dict[str, Any]) -> list[str]:
    """The organisation's own directory entry; the fields that changed are noted on the
    organisation's ledger. Returns their names."""
    if not can_edit_profile(by, provider):
        raise ValidationError(_("Only the organisation's administrators can change its entry "
                                "in the service directory."))
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    changed = [f for f in PROFILE_FIELDS if f in changes and getattr(provider, f) != changes[f]]
    if not changed:
        return []
    for name in changed:
        setattr(provider, name, changes[name])
    if provider.capacity is not None and provider.places_available is not None:
        provider.places_available = min(provider.places_available, provider.capacity)
    # Only what changed is checked (an empty list of languages is allowed: "not stated").
    provider.full_clean(exclude=[f.name for f in Provider._meta.fields
                                 if f.name not in changed or f.name == "languages"])
    provider.save()
    assert provider.organisation_id is not None
    orgledger.append(provider.organisation_id, by, "note.directory.update",
                     f"provider:{provider.pk}", detail={"fields": changed})
    return changed
