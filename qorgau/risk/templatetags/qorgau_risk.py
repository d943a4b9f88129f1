"""The risk panel on the case page: current level, its factors, history, safety plan."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from qorgau.cases.models import Case
from qorgau.duties.services import page_obligations
from qorgau.risk.models import Assessment, SafetyPlan
from qorgau.risk.services import next_review
from qorgau.risk.views import factors, history_chart, level_title

register = template.Library()


@register.inclusion_tag("risk/_panel.html")
def risk_panel(case: Case) -> dict[str, Any]:
    assessments = list(Assessment.objects.filter(case=case).select_related("event")[:20])
    latest = assessments[0] if assessments else None
    # Loaded with the case by the case page (else one query); None when there is none.
    plan: SafetyPlan | None = getattr(case, "safety_plan", None)
    open_duties = [o for o in page_obligations(case) if o.status in ("pending", "breached")
                   and o.family in ("intl.safety-plan", "intl.risk-reassessment")]
    plan_due = next((o.obligation(case) for o in open_duties
                     if o.family == "intl.safety-plan"), None)
    reassess = next((o.obligation(case) for o in open_duties
                     if o.family == "intl.risk-reassessment"), None)
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
