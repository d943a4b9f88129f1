"""The services panel on the case page: open referrals, what she received, what was refused."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from qorgau.cases.models import Case
from qorgau.referrals import rules
from qorgau.referrals.models import Referral

register = template.Library()

RECEIVED = frozenset({rules.STARTED, rules.COMPLETED})
REFUSED = frozenset({rules.DECLINED, rules.WITHDRAWN})


@register.inclusion_tag("referrals/_panel.html")
def services_panel(case: Case) -> dict[str, Any]:
    referrals = list(Referral.objects.filter(case=case).select_related("provider")[:50])

    def rows(states: frozenset[str]) -> list[dict[str, Any]]:
        return [{"referral": r, "state": _(rules.STATES[r.state])} for r in referrals
                if r.state in states]

    return {"case": case, "open": rows(frozenset({rules.MADE, rules.ACCEPTED})),
            "received": rows(RECEIVED), "refused": rows(REFUSED)}


@register.inclusion_tag("referrals/_organisation_profile.html")
def directory_profile(organisation: Any) -> dict[str, Any]:
    """The organisation's own entries in the service directory, on its settings page."""
    from qorgau.referrals.forms import ProfileForm
    from qorgau.referrals.models import Provider

    entries = Provider.objects.filter(organisation=organisation, active=True).order_by("name")
    return {"organisation": organisation,
            "entries": [(p, ProfileForm(instance=p, prefix=f"p{p.pk}")) for p in entries]}
