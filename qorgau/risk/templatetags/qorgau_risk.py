"""The risk panel on the case page: current level, its factors, history, safety plan."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from qorgau.cases.models import Case
from qorgau.duties import engine
from qorgau.duties.services import page_duties
from qorgau.risk.models import Assessment, SafetyPlan
from qorgau.risk.services import next_review
from qorgau.risk.views import factors, history_chart, level_title

register = template.Library()


def _assessments(case: Case) -> list[Assessment]:
    """The newest 20 assessments, newest first; read once per case page (summary, panel)."""
    found: list[Assessment] | None = getattr(case, "_page_assessments", None)
    if found is None:
        found = list(Assessment.objects.filter(case=case).select_related("event")[:20])
        case._page_assessments = found  # type: ignore[attr-defined]
    return found


@register.inclusion_tag("risk/_panel.html")
def risk_panel(case: Case) -> dict[str, Any]:
    assessments = _assessments(case)
    latest = assessments[0] if assessments else None
    # Loaded with the case by the case page (else one query); None when there is none.
    plan: SafetyPlan | None = getattr(case, "safety_plan", None)
    open_risk = page_duties(case).open_risk
    plan_due = (open_risk["intl.safety-plan"].obligation(case)
                if "intl.safety-plan" in open_risk else None)
    reassess = (open_risk["intl.risk-reassessment"].obligation(case)
                if "intl.risk-reassessment" in open_risk else None)
    today = timezone.localdate()
    review = next_review(plan) if plan else None
    return {
        "case": case, "latest": latest,
        "level": level_title(latest.instrument, latest.level) if latest else "",
        "factors": factors(case, latest) if latest else [],
        "chart": history_chart(assessments), "count": len(assessments),
        "plan": plan, "plan_due": plan_due, "reassess": reassess,
        "review": review, "review_due": bool(review and review <= today),
    }


@register.inclusion_tag("risk/_summary.html")
def case_summary(case: Case) -> dict[str, Any]:
    """The top of the case page: risk and when assessed, the next deadline, what the
    authorities failed to do, and the one next thing to do."""
    from django.utils.translation import get_language

    from qorgau.duties import profiles
    from qorgau.duties import services as duties
    from qorgau.duties import today as today_duties

    language = get_language() or "en"
    assessments = _assessments(case)
    latest = assessments[0] if assessments else None
    page = page_duties(case)
    profile = duties.profile_for(case)

    def title(rule_id: str) -> str:
        try:
            return profiles.text_in(profile.rule(rule_id).title, language)
        except KeyError:
            return rule_id

    own = today_duties.OWN_BEARERS
    failed: dict[str, int] = {}  # the authorities' breaches, as the failures list has them
    for g in page.groups:
        if g.stored == engine.BREACHED and g.duty_bearer not in own:
            failed[g.duty_bearer] = failed.get(g.duty_bearer, 0) + g.n
    overdue = [g for g in page.groups if g.status == engine.BREACHED and g.duty_bearer in own]
    own_first = page.first(overdue)
    own_breached = sum(g.n for g in overdue)
    upcoming = page.first(g for g in page.groups
                          if g.status == engine.PENDING and g.first_due)
    waiting = today_duties.authority_failures_of(case, page.breached) if failed else 0
    if own_first is not None:
        action = ("own", title(own_first.rule_id))
    elif latest is None:
        action = ("assess", "")
    elif waiting:
        action = ("complain", "")
    elif upcoming is not None:
        action = ("deadline", title(upcoming.rule_id))
    else:
        action = ("", "")
    return {
        "case": case, "latest": latest,
        "level": level_title(latest.instrument, latest.level) if latest else "",
        "next_due": upcoming.first_due if upcoming else None,
        "next_title": title(upcoming.rule_id) if upcoming else "",
        "failed": [(profile.bearer(b, language), n) for b, n in sorted(failed.items())],
        "failed_total": sum(failed.values()), "own_breached": own_breached,
        "waiting": waiting, "action": action[0], "action_title": action[1],
    }
