"""Court bundles: request, build (a django-tasks task), store encrypted, record custody."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import IO, Any

import pyrage
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from qorgau.accounts.models import User
from qorgau.bundles import build as builder
from qorgau.bundles.models import Bundle
from qorgau.cases import erasure, records
from qorgau.cases import services as case_services
from qorgau.cases.models import Case
from qorgau.consent import rules as consent_rules
from qorgau.consent import services as consent
from qorgau.evidence import services as evidence
from qorgau.evidence.storage import evidence_storage

LANGUAGES = ("ru", "kk", "en")
log = logging.getLogger(__name__)


def bundle_record(bundle: Bundle) -> dict[str, Any]:
    record = {"id": bundle.pk, "case": bundle.case_id, "language": bundle.language,
              "sha256": bundle.sha256, "manifest_sha256": bundle.manifest_sha256,
              "size": bundle.size, "requested_by": bundle.requested_by_id,
              "include_restricted": bundle.include_restricted}
    if bundle.grant_id is not None:  # bundles made before consent grants have none
        record["grant"] = bundle.grant_id
    return record


def bundle_records(case_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """For `verify`: finished bundles as the ledger vouches for them."""
    found = records.by_case(case_ids)
    for b in Bundle.objects.filter(case_id__in=case_ids, status=Bundle.Status.DONE):
        found[b.case_id][f"bundle:{b.pk}"] = bundle_record(b)
    return found


def erase_case_records(case: Case) -> dict[str, int]:
    """Eraser (qorgau.cases.erasure): bundles; their encrypted ZIPs go after the commit."""
    bundles = Bundle.objects.filter(case=case)
    names = [name for name in bundles.values_list("object_name", flat=True) if name]
    # A bundle still being built has no name yet; its build finds the case erased and
    # removes what it stored (build_bundle).
    names += [f"{case.pk}/bundle-{pk}.zip.age" for pk in bundles.values_list("pk", flat=True)]
    counts = erasure.delete(bundles)
    transaction.on_commit(lambda: evidence.remove_objects(
        sorted(set(names)), lambda name: Bundle.objects.filter(object_name=name).exists()))
    return counts


def require_court_grant(case: Case, grant_id: int | None) -> consent.ConsentGrant:
    """The survivor's consent to a court bundle of what a bundle holds; else
    ConsentRequired. Call in a transaction, after locking the case."""
    return consent.require_grant(case, "court", consent_rules.BUNDLE_CATEGORIES,
                                 grant_id=grant_id)


def request_bundle(case: Case, by: User, language: str, sees_restricted: bool,
                   grant_id: int | None = None) -> Bundle:
    """Queue a bundle under the survivor's consent (grant `grant_id`, or the valid one that
    covers it); with the immediate task backend it is built before this returns."""
    if language not in LANGUAGES:
        raise ValidationError({"language": _("Choose Russian, Kazakh or English.")})
    with transaction.atomic():
        case_services.lock(case)
        grant = require_court_grant(case, grant_id)
        bundle = Bundle.objects.create(case=case, language=language, requested_by=by,
                                       include_restricted=sees_restricted, grant=grant)
    build_bundle.enqueue(bundle.pk)
    bundle.refresh_from_db()
    return bundle


def _set(bundle: Bundle, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(bundle, name, value)
    Bundle.objects.filter(pk=bundle.pk).update(**fields)


@task()
def build_bundle(bundle_id: int) -> str:
    bundle = Bundle.objects.select_related("case__organisation", "requested_by").get(
        pk=bundle_id)
    _set(bundle, status=Bundle.Status.BUILDING, progress=1)
    try:
        with transaction.atomic():
            require_court_grant(bundle.case, bundle.grant_id)
    except consent.ConsentRequired as exc:
        _set(bundle, status=Bundle.Status.FAILED, message=" ".join(exc.messages))
        return bundle.status
    try:
        built = builder.build(bundle.case, bundle.requested_by, bundle.language, bundle.pk,
                              bundle.include_restricted,
                              progress=lambda p: _set(bundle, progress=p))
    except evidence.IntegrityFailure as exc:
        log.error("bundle %s refused: %s", bundle.pk, exc)
        _set(bundle, status=Bundle.Status.FAILED, message=_(
            "An exhibit's stored bytes no longer match their hash; no bundle was made."))
        return bundle.status
    except Exception:
        log.exception("bundle %s failed", bundle.pk)
        _set(bundle, status=Bundle.Status.FAILED, message=_("The bundle could not be built."))
        return bundle.status
    name = f"{bundle.case_id}/bundle-{bundle.pk}.zip.age"
    try:
        with evidence.spool_file() as encrypted:
            pyrage.encrypt_io(built.data, encrypted, evidence.recipients())
            evidence_storage().save(name, File(encrypted))
        built.data.close()
        _finish(bundle, built, name)
    except consent.ConsentRequired as exc:  # revoked while it was being built
        evidence_storage().delete(name)
        _set(bundle, status=Bundle.Status.FAILED, message=" ".join(exc.messages))
    except BaseException:
        evidence_storage().delete(name)
        _set(bundle, status=Bundle.Status.FAILED, message=_("The bundle could not be stored."))
        raise
    return bundle.status


def build_abandoned(args: list[Any], kwargs: dict[str, Any], requeued: bool) -> None:
    """The worker building a bundle died (operations.workers): say so on the bundle."""
    bundle_id = int(args[0] if args else kwargs["bundle_id"])
    unfinished = Bundle.objects.filter(pk=bundle_id).exclude(status=Bundle.Status.DONE)
    if requeued:
        unfinished.update(status=Bundle.Status.QUEUED, progress=0, message=_(
            "The worker building this bundle stopped; it is being built again."))
    else:
        unfinished.update(status=Bundle.Status.FAILED, message=_(
            "The worker building this bundle stopped before it finished, more than once; no "
            "bundle was made. Request it again, and if it fails again tell your "
            "administrator."))


@transaction.atomic
def _finish(bundle: Bundle, built: builder.Built, name: str) -> None:
    case_services.lock(bundle.case)
    require_court_grant(bundle.case, bundle.grant_id)
    _set(bundle, status=Bundle.Status.DONE, progress=100, sha256=built.sha256,
         manifest_sha256=built.manifest_sha256, size=built.size, object_name=name,
         finished_at=timezone.now())
    for exhibit, sha256 in built.exhibits:
        evidence.record_custody(exhibit, bundle.requested_by, "exhibit.export",
                                f"court bundle {bundle.pk}", sha256)
    case_services.append(bundle.case, bundle.requested_by, "bundle.create",
                         f"bundle:{bundle.pk}", bundle_record(bundle),
                         {"grant": bundle.grant_id})


def open_bundle(bundle: Bundle, by: User) -> IO[bytes]:
    """The decrypted ZIP (a temporary file), only while the consent it was made under is
    valid (else ConsentRequired); the download is on the ledger."""
    out = evidence.spool_file()
    try:
        with evidence_storage().open(bundle.object_name, "rb") as encrypted:
            pyrage.decrypt_io(encrypted, out, evidence.identities())
    except (OSError, pyrage.DecryptError) as exc:
        out.close()
        log.error("bundle %s: its stored file is missing or damaged: %s", bundle.pk, exc)
        raise ValidationError(_("The stored bundle file is missing or damaged; nothing was "
                                "released. Request a new bundle.")) from exc
    out.seek(0)
    try:
        with transaction.atomic():
            case_services.lock(bundle.case)
            # A bundle made before consent grants (no grant) is refused as "no consent".
            require_court_grant(bundle.case, bundle.grant_id or 0)
            case_services.append(bundle.case, by, "bundle.download", f"bundle:{bundle.pk}",
                                 detail={"sha256": bundle.sha256, "grant": bundle.grant_id})
    except BaseException:
        out.close()
        raise
    return out
