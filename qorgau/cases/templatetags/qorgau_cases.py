"""Template helpers for case pages: honest dates, kinds at a glance, attribute labels."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from html import escape as stdlib_escape
from typing import Any

from django import template
from django.conf import settings
from django.template.defaultfilters import linebreaks_filter as linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import (
    get_language,
    gettext,
    gettext_noop,
    pgettext,
    pgettext_lazy,
)

from qorgau.accounts import discretion
from qorgau.cases import policy, taxonomy
from qorgau.cases.dates import DateSpan
from qorgau.cases.services import CLOSE_REASONS

register = template.Library()

MONTHS = (
    pgettext_lazy("abbreviated month", "Jan"),
    pgettext_lazy("abbreviated month", "Feb"),
    pgettext_lazy("abbreviated month", "Mar"),
    pgettext_lazy("abbreviated month", "Apr"),
    pgettext_lazy("abbreviated month", "May"),
    pgettext_lazy("abbreviated month", "Jun"),
    pgettext_lazy("abbreviated month", "Jul"),
    pgettext_lazy("abbreviated month", "Aug"),
    pgettext_lazy("abbreviated month", "Sep"),
    pgettext_lazy("abbreviated month", "Oct"),
    pgettext_lazy("abbreviated month", "Nov"),
    pgettext_lazy("abbreviated month", "Dec"),
)

ORDER_KINDS = frozenset(k.id for k in taxonomy.KINDS if k.id.startswith("order_"))


@lru_cache(maxsize=16)
def _months(language: str | None) -> tuple[str, ...]:
    """The abbreviated months in `language` (translated once, not once per date)."""
    return tuple(str(m) for m in MONTHS)


def format_span(span: DateSpan) -> str:
    return span.format(gettext, _months(get_language()))


def format_day(day: date | None) -> str:
    """A day as people write it, in the active language ("26 Feb 2024")."""
    if day is None:
        return ""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


@register.filter
def when(value: Any) -> str:
    """An event's (or a DateSpan's) date as people say it: 'c. 2003 – 2024, repeatedly'."""
    if value is None:
        return ""
    span = value if isinstance(value, DateSpan) else value.span
    return format_span(span)


@register.filter
def kind_group(kind_id: str) -> str:
    kind = taxonomy.BY_ID.get(kind_id)
    return kind.group if kind else ""


# (language, msgid) -> translation. The catalogues do not change while the process runs,
# and a timeline asks for the same few labels on every row: a dictionary lookup instead of
# Django's translation machinery (about 3 µs a call, some 400 calls a page).
_TRANSLATED: dict[tuple[str | None, str], str] = {}


def translated(message: str) -> str:
    """gettext of a label's msgid (a fixed set: kinds, groups, sources...), remembered."""
    key = (get_language(), message)
    found = _TRANSLATED.get(key)
    if found is None:
        found = _TRANSLATED[key] = gettext(message)
    return found


@register.filter
def group_label(group_id: str) -> str:
    label = taxonomy.GROUPS.get(group_id)
    return translated(label) if label else ""


@register.filter
def kind_classes(kind_id: str) -> str:
    """CSS classes that tell kinds apart at a glance: group colour, severe, restricted."""
    kind = taxonomy.BY_ID.get(kind_id)
    if kind is None:
        return "ev"
    classes = ["ev", f"ev--{kind.group}"]
    if kind.severe:
        classes.append("ev--severe")
    if kind.restricted:
        classes.append("ev--restricted")
    return " ".join(classes)


@register.filter
def is_severe(kind_id: str) -> bool:
    kind = taxonomy.BY_ID.get(kind_id)
    return bool(kind and kind.severe)


@register.filter
def is_restricted(kind_id: str) -> bool:
    return policy.is_restricted(kind_id)


@register.filter
def kind_label(kind_id: str) -> str:
    """What get_kind_display shows, without building every kind's label (the timeline asks
    once per event)."""
    kind = taxonomy.BY_ID.get(kind_id)
    return translated(kind.label) if kind else kind_id


def _label(labels: dict[str, str], key: str) -> str:
    return translated(labels[key]) if key in labels else key


@register.filter
def close_reason_label(reason: str) -> str:
    return _label(CLOSE_REASONS, reason)


@register.filter
def source_label(source: str) -> str:
    return _label(taxonomy.SOURCES, source)


@register.filter
def reliability_label(reliability: str) -> str:
    return _label(taxonomy.RELIABILITY, reliability)


@register.filter
def institution_label(institution: str) -> str:
    return _label(taxonomy.INSTITUTIONS, institution)


@register.filter
def link_label(kind: str) -> str:
    label = taxonomy.LINK_KINDS.get(kind)
    return translated(label) if label else kind


@register.filter
def event_attributes(event: Any) -> list[tuple[str, str]]:
    """The kind-specific attributes of an event, labelled and translated."""
    attrs = event.attributes or {}
    rows: list[tuple[str, str]] = []
    if "mode" in attrs:
        value = taxonomy.REPORT_MODES.get(attrs["mode"])
        rows.append((gettext("How reported"), gettext(value) if value else str(attrs["mode"])))
    if "response" in attrs:
        value = taxonomy.BREACH_RESPONSES.get(attrs["response"])
        rows.append((gettext("Response"), gettext(value) if value else str(attrs["response"])))
    if attrs.get("order_number"):
        rows.append((gettext("Order number"), str(attrs["order_number"])))
    if attrs.get("order_type"):
        rows.append((gettext("Order type"), str(attrs["order_type"])))
    if attrs.get("valid_until"):
        try:
            text = format_span(DateSpan.parse(str(attrs["valid_until"])))
        except ValueError:
            text = str(attrs["valid_until"])
        rows.append((gettext("Valid until"), text))
    if attrs.get("adjourned"):
        rows.append((gettext("Adjourned"), str(attrs.get("adjournment_cause") or "—")))
    if attrs.get("substitution") in ("judge", "prosecutor", "jury"):
        labels = {"judge": gettext("Judge"),
                  "prosecutor": pgettext("court participant", "Prosecutor"),
                  "jury": gettext("Jury")}
        rows.append((gettext("Substituted"), labels[attrs["substitution"]]))
    if attrs.get("release_application"):
        rows.append((gettext("Application for release"), gettext("considered")))
    shown = {"mode", "response", "order_number", "order_type", "valid_until", "adjourned",
             "adjournment_cause", "substitution", "release_application", "letter"}
    for name, value in attrs.items():  # every other detail, in its own words
        if name in shown or value in (None, "", []):
            continue
        spec = taxonomy.ATTRIBUTES.get(name)
        label = gettext(spec.label) if spec else name
        if spec and spec.choices:
            text = ", ".join(gettext(spec.choices.get(v, v)) if isinstance(v, str) else str(v)
                             for v in (value if isinstance(value, list) else [value]))
        else:
            text = gettext(taxonomy.attribute_value_label(name, value))
        rows.append((label, text))
    return rows


@register.simple_tag
def native_languages() -> list[tuple[str, str]]:
    """The interface languages, each named in its own language (never translated)."""
    return list(settings.LANGUAGES)


@register.simple_tag(takes_context=True)
def event_row(context: template.Context, event: Any) -> SafeString:
    """One event of the timeline as a list item (the timeline and the event's own page).
    Written here rather than as an included template, and with the standard library's
    escape rather than format_html: a page shows 25, and either cost 0.2-0.25 ms a row.
    Every value is escaped by `e` (translations too: they hold no markup). `event` is
    decorated by cases.views._decorate."""
    kind = event.kind
    discreet = bool(context.get("discreet"))
    url = event.url
    html = [f'<li id="e{event.number}" class="{e(kind_classes(kind))}'
            f'{" ev--superseded" if event.corrected_by else ""}">\n'
            f'  <div class="ev__when">{e(when(event))}</div>\n  <div class="ev__body">\n'
            f'    <p class="ev__title"><a class="ev__num" href="{e(url)}">#{event.number}</a>'
            f' <span class="ev__group">{e(group_label(kind_group(kind)))}</span>'
            f' <strong class="ev__kind">{e(kind_label(kind))}</strong>']
    if is_severe(kind):
        serious = gettext("Serious")  # outside the f-strings, where makemessages finds it
        html.append(f' <span class="tag tag--severe">{e(serious)}</span>')
    if policy.is_restricted(kind):
        restricted = gettext("Restricted")
        html.append(f' <span class="tag tag--restricted">{e(restricted)}</span>')
    html.append("</p>\n")
    if event.corrected_by:
        said = gettext("Corrected: see #%(number)s.") % {"number": event.corrected_by.number}
        go = gettext("Go to the correction")
        html.append(f'    <p class="ev__correction">{e(said)} <a href="'
                    f'{e(event.corrected_by_url)}">{e(go)}</a>'
                    "</p>\n")
    if event.supersedes:
        said = gettext("Corrects #%(number)s.") % {"number": event.supersedes.number}
        reason = gettext("Reason:")
        html.append(f'    <p class="ev__correction"><a href="{e(event.supersedes_url)}">'
                    f'{e(said)}</a> {e(reason)} {e(event.correction_reason)}</p>\n')
    if event.institution or event.institution_unit:
        comma = ", " if event.institution and event.institution_unit else ""
        html.append(f'    <p class="ev__inst">{e(institution_label(event.institution))}'
                    f'{comma}{e(event.institution_unit)}</p>\n')
    if event.involved:
        html.append('    <ul class="ev__parties">')
        html += [f'<li>{e(party.full_name)} <span class="muted">'
                 f'({e(discretion.neutral(role, discreet))})</span></li>'
                 for party, role in event.involved]
        html.append("</ul>\n")
    if event.links or event.linked_from:
        html.append('    <ul class="ev__links">')
        here = gettext("links here (%(kind)s)")
        html += [f'<li>{e(link_label(link.kind))} <a href="{e(link.target_url)}">'
                 f"#{link.target.number}</a></li>" for link in event.links]
        html += [f'<li><a href="{e(link.source_url)}">#{link.source.number}</a> '
                 f'{e(here % {"kind": link_label(link.kind)})}'
                 "</li>" for link in event.linked_from]
        html.append("</ul>\n")
    if attrs := event_attributes(event):
        html.append('    <dl class="ev__attrs">')
        html += [f"<div><dt>{e(label)}</dt><dd>{e(value)}</dd></div>" for label, value in attrs]
        html.append("</dl>\n")
    if event.place:
        place = gettext("Place:")
        html.append(f'    <p class="ev__place">{e(place)} {e(event.place)}</p>\n')
    if event.narrative:
        html.append(f'    <div class="ev__narrative">'
                    f"{linebreaks(event.narrative, autoescape=True)}</div>\n")
    source = translated(gettext_noop("Source:"))
    reliability = translated(gettext_noop("Reliability:"))
    html.append(f'    <p class="ev__meta">{e(source)} {e(source_label(event.source))}'
                f' · {e(reliability)} {e(reliability_label(event.reliability))}'
                "</p>\n  </div>\n</li>\n")
    return mark_safe("".join(html))  # noqa: S308  # nosec B308 B703: every value escaped above


def e(value: Any) -> str:
    """A value escaped for HTML text or a quoted attribute (Django's escape, without its
    lazy-string wrapper: the row calls it about twenty times)."""
    return stdlib_escape(str(value))
