"""Build a court bundle: originals, a signed manifest, a signed index PDF, and how to verify.

The ZIP holds:
  originals/<n>-<sha256 prefix>.<ext>   every exhibit byte for byte
  index.pdf                             the index in the chosen language, PAdES-signed
  manifest.json (+ .sig)                what is in the bundle, with the ledger chain; signed
  SHA256SUMS (+ .sig)                   the same hashes, for `sha256sum -c`; signed
  instance-public-key.pem               the key the signatures verify with
  VERIFY.txt, verify_bundle.py          how to check it with standard tools, or Python alone
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.bundles import signing
from qorgau.cases import taxonomy
from qorgau.cases.models import Case, Event, LedgerEntry
from qorgau.cases.services import READ_ACTIONS, ledger_entry
from qorgau.cases.templatetags.qorgau_cases import format_day, format_span
from qorgau.duties import engine, profiles
from qorgau.duties import services as duties
from qorgau.duties.documents import FONTS
from qorgau.duties.models import Obligation
from qorgau.evidence import services as evidence
from qorgau.evidence.models import Exhibit

VERIFY_SCRIPT = Path(__file__).with_name("verify_bundle.py")
CONTEMPORANEOUS_DAYS = 7
EXTENSIONS = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
    "image/heic": "heic", "image/tiff": "tif", "image/bmp": "bmp", "application/pdf": "pdf",
    "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/ogg": "ogg", "audio/x-wav": "wav",
    "audio/amr": "amr", "audio/aac": "aac", "video/mp4": "mp4", "video/quicktime": "mov",
    "video/webm": "webm", "video/3gpp": "3gp", "text/plain": "txt", "application/zip": "zip",
}


def software_version() -> str:
    try:
        return f"qorgau {metadata.version('qorgau')}"
    except metadata.PackageNotFoundError:
        return "qorgau (unknown version)"


@dataclass
class Built:
    data: IO[bytes]  # the ZIP, in a temporary file
    sha256: str
    size: int
    manifest_sha256: str
    exhibits: list[tuple[Exhibit, str]]  # exhibit, sha256 as read


def _contemporaneous(event: Event) -> bool:
    latest = event.span.latest()
    recorded = timezone.localtime(event.recorded_at).date()
    return bool(latest and (recorded - latest).days <= CONTEMPORANEOUS_DAYS)


def _events(case: Case, sees_restricted: bool) -> list[Event]:
    events = Event.objects.filter(case=case).current().for_reader(sees_restricted)
    return list(events.chronological().select_related("recorded_by"))


def _obligation_rows(case: Case, language: str) -> list[dict[str, Any]]:
    profile = duties.profile_for(case)
    today = timezone.localdate()
    rows = []
    for o in Obligation.objects.filter(case=case).select_related("trigger", "satisfied_by"):
        try:
            rule = profile.rule(o.rule_id)
        except KeyError:
            continue
        status = engine.current_status(o.status, o.due_latest, today)
        rows.append({
            "o": o, "status": status, "status_label": _(engine.STATUS_LABELS[status]),
            "title": profiles.text_in(rule.title, language),
            "bearer": profile.bearer(rule.duty_bearer, language),
            "basis": profiles.text_in(rule.basis, language), "url": rule.url,
            "confirmed": rule.confirmed,
            "unconfirmed": profiles.text_in(rule.unconfirmed, language),
            "due": format_day(o.due_latest),
            "explanation": engine.explain(
                "breached" if status != o.status else o.reason,
                {"trigger": o.trigger.number, "due": o.due_latest,
                 "by": o.satisfied_by.number if o.satisfied_by else None}, _, format_day),
        })
    return rows


def build(case: Case, by: User, language: str, bundle_id: int, sees_restricted: bool,
          progress: Callable[[int], None] = lambda p: None) -> Built:
    """Write the bundle ZIP to a temporary file. Raises IntegrityFailure if an original's
    stored bytes no longer match their hash (the bundle is then not made)."""
    now = timezone.now()
    with translation.override(language):
        events = _events(case, sees_restricted)
        exhibits = list(Exhibit.objects.filter(case=case).select_related(
            "blob", "uploaded_by", "event", "derived_from__blob"))
        visible_numbers = {e.number for e in events}
        exhibits = [x for x in exhibits if x.event is None or x.event.number in visible_numbers]
        ledger = list(LedgerEntry.objects.filter(case=case).order_by("seq"))
        progress(5)

        files: dict[str, bytes | Path] = {}
        digests: dict[str, tuple[str, int]] = {}
        read: list[tuple[Exhibit, str]] = []
        spools = []
        for i, exhibit in enumerate(exhibits, start=1):
            original, sha256 = evidence.open_original(exhibit)
            spools.append(original)
            ext = EXTENSIONS.get(exhibit.blob.media_type, "bin")
            path = f"originals/{exhibit.number:03d}-{sha256[:16]}.{ext}"
            files[path] = original  # type: ignore[assignment]
            digests[path] = (sha256, exhibit.blob.size)
            read.append((exhibit, sha256))
            progress(5 + int(60 * i / max(1, len(exhibits))))

        obligations = _obligation_rows(case, language)
        triggers: dict[int, list[dict[str, Any]]] = {}
        for row in obligations:
            triggers.setdefault(row["o"].trigger.number, []).append(row)
        response_log = [
            (event, triggers.get(event.number, []))
            for event in events if taxonomy.BY_ID[event.kind].group == "response"
        ]
        custody: dict[int, dict[str, int]] = {}
        subjects = {evidence.subject(x): x.number for x in exhibits}
        for entry in ledger:
            number = subjects.get(entry.subject)
            if number is not None:
                counts = custody.setdefault(number, {})
                counts[entry.action] = counts.get(entry.action, 0) + 1
        local_now = timezone.localtime(now)
        context = {
            "case": case, "bundle_id": bundle_id, "by": by, "language": language,
            "generated_utc": now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "generated_local": local_now.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "version": software_version(), "fingerprint": signing.fingerprint(),
            "chronology": [(e, format_span(e.span), _contemporaneous(e)) for e in events],
            "response_log": [(e, format_span(e.span), rows) for e, rows in response_log],
            "breached": [r for r in obligations if r["status"] == engine.BREACHED],
            "exhibits": [(x, sha, custody.get(x.number, {})) for x, sha in read],
            "ledger_head": ledger[-1] if ledger else None, "ledger_count": len(ledger),
            "font_regular": (FONTS / "DejaVuSerif.ttf").as_uri(),
            "font_bold": (FONTS / "DejaVuSerif-Bold.ttf").as_uri(),
        }
        html = render_to_string("bundles/index_pdf.html", context)
        progress(70)
        from weasyprint import HTML

        pdf = HTML(string=html, base_url=str(FONTS)).write_pdf(pdf_variant="pdf/a-3b")
        pdf = signing.sign_pdf(pdf, _("Court bundle %(id)s of case %(ref)s") % {
            "id": bundle_id, "ref": case.reference})
        progress(85)
        verify_txt = render_to_string("bundles/VERIFY.txt", context).encode()

    files["index.pdf"] = pdf
    files["instance-public-key.pem"] = signing.public_pem()
    files["VERIFY.txt"] = verify_txt
    files["verify_bundle.py"] = VERIFY_SCRIPT.read_bytes()
    for name, content in files.items():
        if name not in digests:
            assert isinstance(content, bytes)
            digests[name] = (hashlib.sha256(content).hexdigest(), len(content))

    head = ledger[-1] if ledger else None
    manifest = {
        "format": "qorgau.court-bundle", "version": 1,
        "case": case.reference, "bundle": bundle_id, "language": language,
        "generated_at_utc": now.astimezone(UTC).isoformat(),
        "generated_at_local": timezone.localtime(now).isoformat(),
        "generated_by": {"id": by.pk, "name": str(by)},
        "software": software_version(),
        "public_key_sha256": signing.fingerprint(),
        "files": [{"path": name, "sha256": digests[name][0], "size": digests[name][1]}
                  for name in sorted(digests)],
        "events": [{"number": e.number, "kind": e.kind, "when_start": e.when_start,
                    "when_end": e.when_end, "qualifier": e.qualifier,
                    "recurrence": e.recurrence, "source": e.source,
                    "reliability": e.reliability, "recorded_at": e.recorded_at.isoformat(),
                    "contemporaneous": _contemporaneous(e), "ledger_subject": f"event:{e.pk}"}
                   for e in events],
        "exhibits": [{"number": x.number, "path": next(
                          p for p in digests if p.startswith(f"originals/{x.number:03d}-")),
                      "sha256": sha, "size": x.blob.size, "media_type": x.blob.media_type,
                      "captured_at": x.captured_at, "capture_source": x.capture_source,
                      "received_at": x.received_at.isoformat(),
                      "uploaded_by": x.uploaded_by_id,
                      "event": x.event.number if x.event else None,
                      "derived_from": x.derived_from.blob.sha256 if x.derived_from else None,
                      "ledger_subject": evidence.subject(x)} for x, sha in read],
        "ledger": {
            "head": {"seq": head.seq, "hash": head.hash} if head else None,
            "entries": [{**ledger_entry(e).header(), "hash": e.hash} for e in ledger],
            "read_actions": sorted(READ_ACTIONS),
        },
    }
    manifest_bytes = json.dumps(manifest, indent=1, ensure_ascii=False,
                                sort_keys=True).encode()
    sums = "".join(f"{digests[name][0]}  {name}\n" for name in sorted(digests)).encode()

    out = evidence.spool_file()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            content = files[name]
            if isinstance(content, bytes):
                archive.writestr(name, content)
            else:
                with archive.open(name, "w", force_zip64=True) as target:
                    while chunk := content.read(evidence.CHUNK):  # type: ignore[attr-defined]
                        target.write(chunk)
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("manifest.json.sig", signing.sign(manifest_bytes))
        archive.writestr("SHA256SUMS", sums)
        archive.writestr("SHA256SUMS.sig", signing.sign(sums))
    for spool in spools:
        spool.close()
    progress(95)
    out.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := out.read(evidence.CHUNK):
        digest.update(chunk)
        size += len(chunk)
    out.seek(0)
    return Built(out, digest.hexdigest(), size, hashlib.sha256(manifest_bytes).hexdigest(),
                 read)


def unpacked(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


