"""Risk pages: assessments with timeline suggestions, history, the safety plan.

Thin: cases are reached through get_case_for_user (404 to outsiders), every change goes
through qorgau.risk.services.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.accounts.reauth import require_recent_login
from qorgau.cases import policy, taxonomy
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.cases.forms import apply_service_error
from qorgau.cases.models import Case
from qorgau.cases.templatetags.qorgau_cases import format_span
from qorgau.risk import instruments, scoring, services
from qorgau.risk.models import SECTIONS, Assessment, SafetyPlan


class AuthedRequest(HttpRequest):
    user: User


def _sees_restricted(case: Case) -> bool:
    return policy.sees_restricted(case)


def _language() -> str:
    return (get_language() or "en").split("-")[0]


# --- presenting assessments ----------------------------------------------------------------


@dataclass
class Factor:
    item_id: str
    text: str
    evidence: str
    events: list[int]
    source: str


def factors(case: Case, assessment: Assessment) -> list[Factor]:
    """The items answered yes, with the events that suggested them."""
    inst = services.instrument(assessment.instrument)
    texts = services.item_texts(case.organisation, inst, _language())
    found = []
    for item in inst.items:
        answer = assessment.answers.get(item.id) or {}
        if answer.get("answer") == scoring.YES:
            label = instruments.text_in(item.label, _language()) or texts[item.id]
            found.append(Factor(item.id, label, item.evidence,
                                list(answer.get("events") or []), answer.get("source", "")))
    return found


def level_title(instrument_id: str, level_id: str) -> str:
    inst = services.instrument(instrument_id)
    return instruments.text_in(inst.level(level_id).title, _language())


def history_chart(assessments: list[Assessment]) -> dict[str, Any]:
    """An SVG polyline of level (as a share of the instrument's scale) over time."""
    points = []
    ordered = sorted(assessments, key=lambda a: (a.created_at, a.pk))
    width, height, pad = 320, 90, 12
    if not ordered:
        return {"points": "", "dots": [], "width": width, "height": height}
    first, last = ordered[0].created_at, ordered[-1].created_at
    span = (last - first).total_seconds() or 1.0
    dots = []
    for a in ordered:
        inst = services.instrument(a.instrument)
        top = len(inst.levels) - 1
        share = inst.rank(a.level) / top if top else 0.0
        x = pad + (width - 2 * pad) * ((a.created_at - first).total_seconds() / span
                                       if len(ordered) > 1 else 0.5)
        y = height - pad - (height - 2 * pad) * share
        points.append(f"{x:.1f},{y:.1f}")
        dots.append({"x": f"{x:.1f}", "y": f"{y:.1f}", "level": a.level,
                     "title": f"{a.created_at:%Y-%m-%d}: "
                              f"{level_title(a.instrument, a.level)}"})
    return {"points": " ".join(points), "dots": dots, "width": width, "height": height}


# --- pages ---------------------------------------------------------------------------------


@login_required
def case_risk(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    assessments = list(Assessment.objects.filter(case=case).select_related(
        "event", "assessor"))
    latest = assessments[0] if assessments else None
    case_services.record_view(case, request.user, "risk")
    available = {iid: services.instrument(iid)
                 for iid in instruments.available(services.instruments_dir())}
    return render(request, "risk/case_risk.html", {
        "case": case, "assessments": [
            (a, level_title(a.instrument, a.level),
             instruments.text_in(available[a.instrument].title, _language()))
            for a in assessments],
        "latest": latest, "factors": factors(case, latest) if latest else [],
        "latest_title": level_title(latest.instrument, latest.level) if latest else "",
        "chart": history_chart(assessments),
        "instruments": [(iid, instruments.text_in(inst.title, _language()), inst.validated)
                        for iid, inst in available.items()],
        "can_write": getattr(case, "access", None) == "write",
    })


class AssessmentForm(forms.Form):
    """One radio per item; items the timeline suggests must be confirmed or rejected."""

    def __init__(self, *args: Any, inst: instruments.Instrument, texts: dict[str, str],
                 hints: dict[str, list[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inst, self.hints = inst, hints
        for item in inst.items:
            if item.id in hints:
                self.fields[f"item_{item.id}"] = forms.ChoiceField(
                    label=texts[item.id], widget=forms.RadioSelect, required=True,
                    choices=[("confirmed", _("Yes, as the timeline suggests")),
                             ("rejected_no", _("No: reject the suggestion")),
                             ("rejected_unknown", _("Not known: reject the suggestion"))])
            else:
                self.fields[f"item_{item.id}"] = forms.ChoiceField(
                    label=texts[item.id], widget=forms.RadioSelect, required=False,
                    choices=[("yes", _("Yes")), ("no", _("No")),
                             ("unknown", _("Not known"))])
        self.fields["judgement"] = forms.ChoiceField(
            label=_("Professional judgement: raise the level to"), required=False,
            choices=[("", _("No change"))] + [
                (lv.id, instruments.text_in(lv.title, _language())) for lv in inst.levels[1:]])
        self.fields["reason"] = forms.CharField(
            label=_("Reason for raising the level"), required=False,
            widget=forms.Textarea(attrs={"rows": 3}))

    def answers(self) -> dict[str, services.AnswerInput]:
        found = {}
        for item in self.inst.items:
            value = self.cleaned_data.get(f"item_{item.id}") or "unknown"
            if item.id in self.hints:
                found[item.id] = services.AnswerInput(
                    scoring.YES if value == "confirmed" else value.removeprefix("rejected_"),
                    "confirmed" if value == "confirmed" else "rejected")
            else:
                found[item.id] = services.AnswerInput(value)
        return found

    def rows(self) -> list[tuple[Any, list[dict[str, Any]], str]]:
        def hint(fact: Any) -> dict[str, Any]:
            label = _(taxonomy.BY_ID[fact.kind].label)
            return {"number": fact.number, "label": label, "when": format_span(fact.span)}

        return [(self[f"item_{item.id}"], [hint(f) for f in self.hints.get(item.id, [])],
                 item.evidence) for item in self.inst.items]


@login_required
def assess(request: AuthedRequest, ref: str, instrument_id: str) -> HttpResponse:
    case = get_case_for_user(request, ref, write=True)
    try:
        inst = services.instrument(instrument_id)
    except ValidationError:
        return HttpResponse(status=404)
    hints = services.suggestions(case, inst, _sees_restricted(case))
    texts = services.item_texts(case.organisation, inst, _language())
    form = AssessmentForm(request.POST or None, inst=inst, texts=texts, hints=hints)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.record_assessment(
                case, request.user, inst.id, form.answers(),
                form.cleaned_data["judgement"], form.cleaned_data["reason"],
                _sees_restricted(case))
        except ValidationError as exc:
            for name, errors in exc.error_dict.items() if hasattr(exc, "error_dict") else []:
                field = f"item_{name}" if f"item_{name}" in form.fields else (
                    name if name in form.fields else None)
                form.add_error(field, errors)
            if not hasattr(exc, "error_dict"):
                form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Assessment saved: %(level)s.") % {
                "level": level_title(inst.id, assessment.level)})
            return redirect("risk:case", ref=case.reference)
    return render(request, "risk/assess.html", {
        "case": case, "inst": inst, "form": form,
        "title": instruments.text_in(inst.title, _language()),
        "notice": instruments.text_in(inst.notice, _language()),
        "unconfirmed": instruments.text_in(inst.unconfirmed, _language()),
    })


@login_required
def assessment_detail(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    case = get_case_for_user(request, ref)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    assessment = get_object_or_404(Assessment.objects.select_related("assessor", "event"),
                                   case=case, pk=pk)
    inst = services.instrument(assessment.instrument)
    texts = services.item_texts(case.organisation, inst, _language())
    labels = {"yes": _("Yes"), "no": _("No"), "unknown": _("Not known")}
    rows = [(texts[item.id], labels[(assessment.answers.get(item.id) or {}).get(
                "answer", "unknown")], assessment.answers.get(item.id) or {})
            for item in inst.items]
    case_services.record_view(case, request.user, f"assessment:{assessment.pk}")
    return render(request, "risk/assessment.html", {
        "case": case, "assessment": assessment, "rows": rows,
        "title": instruments.text_in(inst.title, _language()),
        "level": level_title(inst.id, assessment.level),
        "computed": level_title(inst.id, assessment.computed_level),
    })


# --- safety plan ---------------------------------------------------------------------------

SECTION_LABELS = {
    "safe_contacts": gettext_lazy("Safe contacts"),
    "code_word": gettext_lazy("Code word"),
    "contact": gettext_lazy("Safe times and ways to contact her"),
    "escape_steps": gettext_lazy("Escape steps"),
    "documents_ready": gettext_lazy("Documents to keep ready"),
    "children": gettext_lazy("Children's arrangements"),
    "shelter_options": gettext_lazy("Shelter options"),
}


class SafetyPlanForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Her language (for printing)"), choices=[
        ("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")])
    respondent_knows = forms.ChoiceField(
        label=gettext_lazy("Does the respondent know she is in contact with us?"),
        choices=SafetyPlan.Knows.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in SECTIONS:
            self.fields[name] = forms.CharField(
                label=SECTION_LABELS[name], required=False,
                widget=forms.Textarea(attrs={"rows": 3}))
            self.fields[f"review_{name}"] = forms.DateField(
                label=_("Review by"), required=False,
                widget=forms.DateInput(attrs={"type": "date"}))

    def sections(self) -> list[tuple[Any, Any]]:
        return [(self[name], self[f"review_{name}"]) for name in SECTIONS]

    @classmethod
    def initial_for(cls, plan: SafetyPlan | None) -> dict[str, Any]:
        if plan is None:
            return {"language": "ru", "respondent_knows": "unknown"}
        initial: dict[str, Any] = {name: getattr(plan, name) for name in SECTIONS}
        initial.update({f"review_{k}": v for k, v in plan.reviews.items()})
        initial.update(language=plan.language, respondent_knows=plan.respondent_knows)
        return initial


@login_required
def safety_plan(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    plan = SafetyPlan.objects.filter(case=case).first()
    form = SafetyPlanForm(request.POST or None, initial=SafetyPlanForm.initial_for(plan))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.save_safety_plan(
                case, request.user,
                {name: data[name] for name in (*SECTIONS, "language", "respondent_knows")},
                {name: data[f"review_{name}"] for name in SECTIONS})
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Safety plan saved."))
            return redirect("risk:plan", ref=case.reference)
    if request.method != "POST":
        case_services.record_view(case, request.user, "safety_plan")
    return render(request, "risk/safety_plan.html", {
        "case": case, "plan": plan, "form": form,
        "can_write": getattr(case, "access", None) == "write",
    })


@login_required
def safety_plan_print(request: AuthedRequest, ref: str) -> HttpResponse:
    """The plan on one page, in her language (or ?lang=)."""
    case = get_case_for_user(request, ref)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    plan = get_object_or_404(SafetyPlan, case=case)
    require_recent_login(request)
    language = request.GET.get("lang") or plan.language
    if language not in services.LANGUAGES:
        language = plan.language
    case_services.record_view(case, request.user, "safety_plan.print")
    with translation.override(language):
        labels = {"yes": _("Yes"), "no": _("No"), "unknown": _("Not known")}
        sections = [(str(SECTION_LABELS[name]), getattr(plan, name),
                     plan.reviews.get(name)) for name in SECTIONS]
        response = render(request, "risk/safety_plan_print.html", {
            "plan": plan, "sections": sections, "language": language,
            "knows": labels[plan.respondent_knows], "today": timezone.localdate(),
        })
    response["Cache-Control"] = "no-store"
    return response


def review_due(plan: SafetyPlan | None, today: date | None = None) -> bool:
    nxt = services.next_review(plan) if plan else None
    return bool(nxt and nxt <= (today or timezone.localdate()))
