"""The marks of one case's picture, read from the database for one viewer."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qorgau.cases import taxonomy
from qorgau.cases.models import Case, Event
from qorgau.cases.templatetags.qorgau_cases import format_day
from qorgau.duties.models import Obligation
from qorgau.duties.profiles import text_in
from qorgau.duties.services import profile_for
from qorgau.insights.metrics import KEY_LABELS
from qorgau.insights.picture import Mark, order_end
from qorgau.risk.models import Assessment

REPORTS = {"police_report", "complaint_official"}
RESPONSES = {"breach_response", "admin_protocol", "prosecutor_response", "case_opened",
             "charges_respondent", "police_visit", "risk_assessment"}
REFUSALS = {"police_refusal", "order_refused", "reconciliation"}
ORDER_POINTS = {"order_requested": "request", "order_refused": "refusal",
                "order_breached": "breach", "order_expired": "request"}


def _label(event: Event, when: str) -> str:
    return f"{when} · #{event.number} {_(taxonomy.BY_ID[event.kind].label)}"


def marks(case: Case, sees_restricted: bool) -> list[Mark]:
    found: list[Mark] = []
    events = Event.objects.filter(case=case).current().for_reader(sees_restricted)
    for event in events.only("pk", "number", "kind", "sort_start", "sort_end", "attributes"):
        if event.sort_start is None:
            continue
        start = event.sort_start
        end = event.sort_end if event.sort_end and event.sort_end > start else None
        when = format_day(start) if end is None else f"{format_day(start)} – {format_day(end)}"
        kind = taxonomy.BY_ID[event.kind]
        label = _label(event, when)
        approx = " approx" if end is not None else ""
        if kind.group == "abuse":
            css = ("severe" if kind.severe else "incident") + approx
            found.append(Mark("abuse", start, end, css, label))
        elif event.kind in ("order_issued", "order_extended"):
            days = (event.attributes or {}).get("valid_days")
            found.append(Mark("orders", start, order_end(start, days if isinstance(days, int)
                                                          else None), "order", label))
        elif event.kind in ORDER_POINTS:
            found.append(Mark("orders", start, end, ORDER_POINTS[event.kind] + approx, label))
        elif event.kind in REPORTS:
            found.append(Mark("reports", start, end, "report" + approx, label))
        elif event.kind in RESPONSES:
            found.append(Mark("reports", start, end, "response" + approx, label))
        elif event.kind in REFUSALS:
            found.append(Mark("reports", start, end, "refusal" + approx, label))
        elif kind.group == "services":
            found.append(Mark("reports", start, end, "service" + approx, label))
        elif kind.group == "proceedings":
            found.append(Mark("proceedings", start, end, "proceeding" + approx, label))
    today = timezone.localdate()
    language = get_language() or "en"
    try:
        rules = {r.id: r for r in profile_for(case).rules}
    except Exception:  # a profile that no longer loads: no titles  # noqa: BLE001
        rules = {}
    obligations = Obligation.objects.filter(case=case, due_latest__isnull=False).for_reader(
        sees_restricted)
    for ob in obligations.filter(status__in=("breached", "pending")):
        due: date = ob.due_latest  # type: ignore[assignment]
        if ob.status == "pending" and due >= today:
            continue
        rule = rules.get(ob.rule_id)
        title = text_in(rule.title, language) if rule else ob.rule_id
        found.append(Mark("missing", due, None, "missing",
                          _("%(day)s · no response: %(duty)s") % {
                              "day": format_day(due), "duty": title}))
    levels = list(Assessment.objects.filter(case=case).order_by("created_at")
                  .values_list("created_at", "level"))
    for i, (created, level) in enumerate(levels):
        start = timezone.localtime(created).date()
        end = timezone.localtime(levels[i + 1][0]).date() if i + 1 < len(levels) else today
        found.append(Mark("risk", start, max(end, start), f"risk-{level}",
                          _("%(day)s · risk level: %(level)s") % {
                              "day": format_day(start),
                              "level": _(KEY_LABELS.get(level, level))}))
    return found
