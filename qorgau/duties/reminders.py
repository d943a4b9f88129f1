"""Daily digest of due and overdue duties, by e-mail, per assigned case worker.

E-mail is not a safe channel: a digest names only case references, duties and dates, never
a person or a narrative.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from qorgau.accounts.models import CASE_ROLES, User
from qorgau.duties import engine, profiles
from qorgau.duties.models import Obligation
from qorgau.duties.services import profiles_dir

SOON = timedelta(days=7)
RECENT = timedelta(days=30)  # older breaches stay on the Needs action page, not in e-mail


@dataclass(frozen=True)
class Line:
    reference: str
    title: str
    due: date
    overdue: bool


def digests(today: date) -> dict[User, list[Line]]:
    """Per user: open duties on their open cases, due by today + 7 or overdue up to 30 days."""
    rows = (
        Obligation.objects.open()
        .filter(due_latest__gte=today - RECENT, due_latest__lte=today + SOON,
                case__status="open", case__mode="casework",
                case__assignments__user__memberships__role__in=CASE_ROLES,
                case__assignments__user__memberships__organisation=F("organisation"))
        .for_reader(False)
        .values_list("case__assignments__user", "case__reference", "profile", "rule_id",
                     "due_latest", "status")
        .order_by("due_latest", "case__reference", "rule_id")
    )
    lines: dict[int, list[Line]] = defaultdict(list)
    for user_id, reference, profile_id, rule_id, due, status in rows:
        assert due is not None  # filtered on due_latest
        rule = profiles.cached(profile_id, str(profiles_dir())).rule(rule_id)
        current = engine.current_status(status, due, today)
        title = profiles.text_in(rule.title, settings.LANGUAGE_CODE)
        lines[user_id].append(Line(reference, title, due, current == engine.BREACHED))
    users = User.objects.in_bulk(list(lines))
    return {users[uid]: items for uid, items in lines.items() if users[uid].is_active}


@task()
def send_reminders() -> int:
    """E-mail every digest; returns how many were sent."""
    today = timezone.localdate()
    link = settings.QORGAU_BASE_URL.rstrip("/") + reverse("duties:needs_action")
    messages = []
    with translation.override(settings.LANGUAGE_CODE):
        for user, lines in digests(today).items():
            body = render_to_string("duties/reminder_email.txt",
                                    {"user": user, "lines": lines, "link": link})
            subject = _("Qorgau: %(count)s duties due or overdue") % {"count": len(lines)}
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    return send_mass_mail(messages, fail_silently=False) if messages else 0
