"""The retention period's part of an organisation's settings page."""

from __future__ import annotations

from typing import Any

from django import template

from qorgau.accounts.models import Organisation
from qorgau.retention import services
from qorgau.retention.forms import PolicyForm
from qorgau.retention.models import RetentionPolicy

register = template.Library()


@register.inclusion_tag("retention/_organisation_policy.html")
def retention_setting(organisation: Organisation) -> dict[str, Any]:
    own = RetentionPolicy.objects.filter(organisation=organisation).first()
    return {"organisation": organisation, "own": own,
            "default_months": services.default_months(),
            "form": PolicyForm(initial={"months": own.months if own else None})}
