"""Proceedings pages: list, the proceeding with its clock, flags, hearings and grade; the
trial-monitoring report PDF. Thin: get_case_for_user first, services for every write."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qorgau.accounts.models import User
from qorgau.accounts.reauth import require_recent_login
from qorgau.cases import services as case_services
from qorgau.cases import taxonomy
from qorgau.cases.access import get_case_for_user
from qorgau.cases.models import Case, Event, Party
from qorgau.cases.templatetags.qorgau_cases import format_span
from qorgau.duties import profiles
from qorgau.duties.documents import FONTS
from qorgau.proceedings import flags, services
from qorgau.proceedings.forms import (
    ChangeForm,
    GradeForm,
    HearingForm,
    ProceedingForm,
    StepForm,
    apply_service_error,
)
from qorgau.proceedings.models import Proceeding


class AuthedRequest(HttpRequest):
    user: User


def _events(case: Case) -> list[Event]:
    return list(Event.objects.filter(case=case, kind__in=services.PROCEEDING_KINDS)
                .current().order_by("sort_start", "number"))


@login_required
def proceeding_list(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    events = _events(case)
    form = ProceedingForm(request.POST or None, case=case, events=events)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = [e for e in events if e.number in (data["events"] or [])]
        try:
            proceeding = services.open_proceeding(
                case, request.user, kind=data["kind"], court=data["court"],
                case_number=data["case_number"],
                charges=[{"text": data["charge"], "article": data["article"]}]
                if data["charge"] else [],
                participants=[(data["accused"], "accused")] if data["accused"] else [],
                events=chosen)
        except ValidationError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("proceedings:detail", ref=case.reference, pk=proceeding.pk)
    if request.method != "POST":
        case_services.record_view(case, request.user, "proceedings")
    return render(request, "proceedings/list.html", {
        "case": case, "proceedings": Proceeding.objects.filter(case=case), "form": form,
        "can_write": getattr(case, "access", None) == "write",
    })


OUTCOME_LABELS = {v: label for v, label in Proceeding.Outcome.choices}


def _context(case: Case, proceeding: Proceeding, language: str) -> dict[str, Any]:
    picture = services.picture(proceeding)
    parties = {p.pk: p for p in Party.objects.filter(case=case)}
    thresholds = {key: {"value": value["value"], "confirmed": value["confirmed"],
                        "basis": profiles.text_in(value["basis"], language)}
                  for key, value in picture.sources.items()}
    events = list(proceeding.events.filter(superseded_by__isnull=True)
                  .order_by("sort_start", "number"))
    kinds = {e.number: e.get_kind_display() for e in events}
    return {
        "case": case, "proceeding": proceeding, "clock": picture.clock,
        "periods": [(p, kinds.get(p.start_event, ""), kinds.get(p.end_event or 0, ""),
                     _(taxonomy.MEASURES[p.measure]) if p.measure in taxonomy.MEASURES
                     else "") for p in picture.periods],
        "length": picture.length,
        "flags": [(f, f.text(_)) for f in picture.flags], "thresholds": thresholds,
        "grounds": [(_(flags.GROUNDS[g.id]), g.events) for g in picture.grounds],
        "sentence": _(taxonomy.PENALTIES[proceeding.sentence_penalty])
        if proceeding.sentence_penalty in taxonomy.PENALTIES else "",
        "events": [(e, format_span(e.span)) for e in events],
        "participants": [(parties.get(pid), Proceeding.Role(role).label)
                         for pid, role in proceeding.participants],
        "hearings": [(h, [(_(flags.INDICATORS[k]), VALUE_LABELS.get(v.get("value"), ""), v)
                          for k, v in h.indicators.items() if k in flags.INDICATORS])
                     for h in proceeding.hearings.select_related("event", "recorded_by")],
        "checklist": services.defence_checklist(proceeding, picture.grounds)
        if proceeding.against_survivor else [],
        "grade": proceeding.grades.select_related("graded_by").first(),
        "today": timezone.localdate(),
    }


VALUE_LABELS = {flags.OBSERVED: gettext_lazy("Observed"),
                flags.NOT_OBSERVED: gettext_lazy("Not observed"),
                flags.NOT_APPLICABLE: gettext_lazy("Not applicable")}


@login_required
def proceeding_detail(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    proceeding = get_object_or_404(Proceeding, case=case, pk=pk)
    hearings = [e for e in _events(case) if e.kind == "hearing"]
    post = request.POST if request.method == "POST" else None

    def bound(marker: str) -> Any:
        return post if post is not None and marker in post else None

    hearing_form = HearingForm(bound("hearing"), hearings=hearings)
    grade_form = GradeForm(bound("grade"))
    change_form = ChangeForm(bound("change"), proceeding=proceeding)
    step_form = StepForm(bound("step"))
    if post is not None:
        try:
            if hearing_form.is_bound and hearing_form.is_valid():
                event = next(e for e in hearings
                             if e.number == hearing_form.cleaned_data["hearing"])
                services.record_hearing(proceeding, request.user, event,
                                        hearing_form.indicators(),
                                        hearing_form.cleaned_data["abuse_evidence_excluded"])
                messages.success(request, _("Hearing observations saved."))
                return redirect("proceedings:detail", ref=case.reference, pk=pk)
            if grade_form.is_bound and grade_form.is_valid():
                data = grade_form.cleaned_data
                services.grade(proceeding, request.user, data["grade"], data["rationale"],
                               data["affected_outcome"], data["significant_harm"])
                messages.success(request, _("Fairness grade saved."))
                return redirect("proceedings:detail", ref=case.reference, pk=pk)
            if change_form.is_bound and change_form.is_valid():
                services.update_proceeding(
                    proceeding, request.user, reclassified_on=change_form.cleaned_data["span"],
                    **change_form.changes())
                messages.success(request, _("Proceeding updated."))
                return redirect("proceedings:detail", ref=case.reference, pk=pk)
            if step_form.is_bound and step_form.is_valid():
                services.record_step(proceeding, request.user, step_form.event_input())
                messages.success(request, _("Step recorded on the timeline."))
                return redirect("proceedings:detail", ref=case.reference, pk=pk)
        except ValidationError as exc:
            for form in (hearing_form, grade_form, change_form, step_form):
                if form.is_bound:
                    apply_service_error(form, exc)
    else:
        case_services.record_view(case, request.user, f"proceeding:{pk}")
    context = _context(case, proceeding, translation.get_language() or "en")
    context.update(hearing_form=hearing_form, grade_form=grade_form, change_form=change_form,
                   step_form=step_form, can_write=getattr(case, "access", None) == "write")
    return render(request, "proceedings/detail.html", context)


@login_required
def report_pdf(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    case = get_case_for_user(request, ref)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    proceeding = get_object_or_404(Proceeding, case=case, pk=pk)
    require_recent_login(request)
    language = request.GET.get("lang", "ru")
    if language not in ("ru", "kk", "en"):
        language = "ru"
    from weasyprint import HTML  # needs the system's Pango; imported only when used

    with translation.override(language):
        context = _context(case, proceeding, language)
        context.update(language=language,
                       font_regular=(FONTS / "DejaVuSerif.ttf").as_uri(),
                       font_bold=(FONTS / "DejaVuSerif-Bold.ttf").as_uri())
        html = render_to_string("proceedings/report_pdf.html", context)
    pdf = HTML(string=html, base_url=str(FONTS)).write_pdf()
    with transaction.atomic():
        case_services.append(case, request.user, "case.export", f"proceeding:{proceeding.pk}",
                             detail={"report": "fair-trial",
                                     "sha256": hashlib.sha256(pdf).hexdigest()})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{case.reference}-proceeding-{proceeding.pk}-{language}.pdf"')
    response["Cache-Control"] = "no-store"
    return response
