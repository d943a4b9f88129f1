"""Proceedings pages: list, the proceeding with its clock, flags, hearings and grade; the
trial-monitoring report PDF. Thin: get_case_for_user first, services for every write."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
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
from qorgau.cases.access import get_case_for_user
from qorgau.cases.forms import apply_service_error
from qorgau.cases.models import Case, Event, Party
from qorgau.cases.templatetags.qorgau_cases import format_span
from qorgau.duties import profiles
from qorgau.duties.documents import FONTS
from qorgau.proceedings import flags, services
from qorgau.proceedings.models import Proceeding


class AuthedRequest(HttpRequest):
    user: User


def _events(case: Case) -> list[Event]:
    return list(Event.objects.filter(case=case, kind__in=services.PROCEEDING_KINDS)
                .current().order_by("sort_start", "number"))


class ProceedingForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Proceeding.Kind.choices)
    court = forms.CharField(label=gettext_lazy("Court"), max_length=200)
    case_number = forms.CharField(label=gettext_lazy("Court case number"), max_length=100,
                                  required=False)
    charge = forms.CharField(label=gettext_lazy("Charge"), max_length=300, required=False)
    article = forms.CharField(label=gettext_lazy("Article"), max_length=100, required=False)
    accused = forms.TypedChoiceField(label=gettext_lazy("Accused"), coerce=int,
                                     required=False, empty_value=None)
    events = forms.TypedMultipleChoiceField(label=gettext_lazy("Events of the proceeding"),
                                            coerce=int, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, case: Case, events: list[Event], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["accused"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (p.pk, p.full_name) for p in Party.objects.filter(case=case)]
        self.fields["events"].choices = [  # type: ignore[attr-defined]
            (e.number, f"#{e.number} {e.get_kind_display()}, {format_span(e.span)}")
            for e in events]


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


def _context(case: Case, proceeding: Proceeding, language: str) -> dict[str, Any]:
    picture = services.picture(proceeding)
    parties = {p.pk: p for p in Party.objects.filter(case=case)}
    thresholds = {key: {"value": value["value"], "confirmed": value["confirmed"],
                        "basis": profiles.text_in(value["basis"], language)}
                  for key, value in picture.sources.items()}
    return {
        "case": case, "proceeding": proceeding, "clock": picture.clock,
        "flags": [(f, f.text(_)) for f in picture.flags], "thresholds": thresholds,
        "events": [(e, format_span(e.span)) for e in proceeding.events.filter(
            superseded_by__isnull=True).order_by("sort_start", "number")],
        "participants": [(parties.get(pid), Proceeding.Role(role).label)
                         for pid, role in proceeding.participants],
        "hearings": [(h, [(_(flags.INDICATORS[k]), v) for k, v in h.indicators.items()])
                     for h in proceeding.hearings.select_related("event", "recorded_by")],
        "checklist": services.defence_checklist(proceeding)
        if proceeding.against_survivor else [],
        "grade": proceeding.grades.select_related("graded_by").first(),
        "today": timezone.localdate(),
    }


class HearingForm(forms.Form):
    hearing = forms.TypedChoiceField(label=gettext_lazy("Hearing"), coerce=int)
    abuse_evidence_excluded = forms.BooleanField(
        label=gettext_lazy("Evidence of the abuse history was excluded"), required=False)

    def __init__(self, *args: Any, hearings: list[Event], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hearing"].choices = [  # type: ignore[attr-defined]
            (e.number, f"#{e.number} {format_span(e.span)}") for e in hearings]
        choices = [(flags.OBSERVED, _("Observed")), (flags.NOT_OBSERVED, _("Not observed")),
                   (flags.NOT_APPLICABLE, _("Not applicable"))]
        for key, label in flags.INDICATORS.items():
            self.fields[f"ind_{key}"] = forms.ChoiceField(label=_(label), choices=choices,
                                                          widget=forms.RadioSelect)
            self.fields[f"note_{key}"] = forms.CharField(label=_("Note"), required=False)


class GradeForm(forms.Form):
    grade = forms.ChoiceField(label=gettext_lazy("Overall fairness"), choices=[
        (g, g) for g in "ABCDEF"])
    rationale = forms.CharField(label=gettext_lazy("Rationale"),
                                widget=forms.Textarea(attrs={"rows": 4}))
    affected_outcome = forms.BooleanField(label=gettext_lazy(
        "The violations affected the outcome"), required=False)
    significant_harm = forms.BooleanField(label=gettext_lazy(
        "The violations caused significant harm"), required=False)


@login_required
def proceeding_detail(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    proceeding = get_object_or_404(Proceeding, case=case, pk=pk)
    hearings = [e for e in _events(case) if e.kind == "hearing"]
    hearing_form = HearingForm(request.POST if "hearing" in request.POST else None,
                               hearings=hearings)
    grade_form = GradeForm(request.POST if "grade" in request.POST else None)
    if request.method == "POST":
        try:
            if hearing_form.is_bound and hearing_form.is_valid():
                data = hearing_form.cleaned_data
                event = next(e for e in hearings if e.number == data["hearing"])
                services.record_hearing(proceeding, request.user, event, {
                    key: {"value": data[f"ind_{key}"], "note": data[f"note_{key}"]}
                    for key in flags.INDICATORS}, data["abuse_evidence_excluded"])
                messages.success(request, _("Hearing observations saved."))
                return redirect("proceedings:detail", ref=case.reference, pk=pk)
            if grade_form.is_bound and grade_form.is_valid():
                data = grade_form.cleaned_data
                services.grade(proceeding, request.user, data["grade"], data["rationale"],
                               data["affected_outcome"], data["significant_harm"])
                messages.success(request, _("Fairness grade saved."))
                return redirect("proceedings:detail", ref=case.reference, pk=pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        case_services.record_view(case, request.user, f"proceeding:{pk}")
    context = _context(case, proceeding, translation.get_language() or "en")
    context.update(hearing_form=hearing_form, grade_form=grade_form,
                   can_write=getattr(case, "access", None) == "write")
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
