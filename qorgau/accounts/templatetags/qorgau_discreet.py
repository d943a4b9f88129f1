"""Discreet mode in templates (see qorgau.accounts.discretion).

    {% load qorgau_discreet %}
    {% neutral "Quick exit" %}                 the msgid, or on a discreet page "Close"
    {% neutral party.get_role_display %}       a translated label, swapped the same way
    {% neutral field.label as label %}
    {% neutral_widget field %}                 its choices swapped ("Survivor" -> "Person")
    {{ party.full_name|initials }}             "Z. T."
"""

from __future__ import annotations

import copy
from typing import Any

from django import template
from django.forms import BoundField

from qorgau.accounts import discretion

register = template.Library()


@register.simple_tag(takes_context=True)
def neutral(context: template.Context, text: Any) -> str:
    return discretion.neutral(text, bool(context.get("discreet")))


@register.filter
def initials(name: Any) -> str:
    return discretion.initials(str(name or ""))


@register.simple_tag(takes_context=True)
def neutral_widget(context: template.Context, field: BoundField) -> str:
    """The field's widget, its choice labels swapped for the neutral ones on a discreet page
    (a party's role: "Survivor" -> "Person")."""
    widget = field.field.widget
    choices = getattr(widget, "choices", None)
    if not context.get("discreet") or not choices:
        return str(field)
    discreet = copy.copy(widget)
    discreet.choices = [_neutral_choice(c) for c in choices]  # type: ignore[attr-defined]
    return field.as_widget(widget=discreet)


def _neutral_choice(choice: Any) -> Any:
    value, label = choice
    if isinstance(label, list | tuple):  # a group of choices
        return value, [_neutral_choice(c) for c in label]
    return value, discretion.neutral(label, True)
