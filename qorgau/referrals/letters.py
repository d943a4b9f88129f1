"""The referral letter (PDF, en/ru/kk) for a provider outside Qorgau: only the data the
referral shares, and only while the survivor's consent allows it."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.cases import services as case_services
from qorgau.consent import rules as consent_rules
from qorgau.consent import services as consent
from qorgau.consent.shared import build_for
from qorgau.duties.documents import FONTS
from qorgau.referrals import rules
from qorgau.referrals.models import Referral

LANGUAGES = ("en", "ru", "kk")


@transaction.atomic
def letter_pdf(referral: Referral, by: User, language: str) -> bytes:
    """The letter, checked against the grant now and recorded on the ledger (a read)."""
    from weasyprint import HTML  # needs the system's Pango; imported only when used

    if language not in LANGUAGES or language not in dict(settings.LANGUAGES):
        language = "ru"
    case = referral.case
    case_services.lock(case)
    grant = consent.require_grant(case, "referral", referral.categories,
                                  grant_id=referral.grant_id)
    with translation.override(language):
        view = build_for(case, referral.categories)
        html = render_to_string("referrals/letter_pdf.html", {
            "referral": referral, "case": case, "grant": grant, "view": view,
            "language": language, "today": timezone.localdate(),
            "need": _(rules.NEEDS[referral.need]),
            "category_labels": [_(consent_rules.CATEGORIES[c]) for c in view.categories],
            "font_regular": (FONTS / "DejaVuSerif.ttf").as_uri(),
            "font_bold": (FONTS / "DejaVuSerif-Bold.ttf").as_uri(),
        })
    pdf: bytes = HTML(string=html, base_url=str(FONTS)).write_pdf()
    case_services.append(case, by, "referral.letter", f"referral:{referral.pk}", detail={
        "referral": referral.pk, "grant": grant.pk, "language": language,
        "categories": sorted(referral.categories)})
    return pdf
