"""Evidence pages. Files are served only here, after get_case_for_user (404 to outsiders),
and every view and download is written to the case's ledger first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from qorgau.accounts.models import User
from qorgau.accounts.reauth import require_recent_login
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.cases.forms import apply_service_error
from qorgau.cases.models import Case, Event, LedgerEntry
from qorgau.evidence import services
from qorgau.evidence.models import Exhibit
from qorgau.evidence.uploads import LimitedUploadHandler


class AuthedRequest(HttpRequest):
    user: User


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300, required=False)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    captured_at = forms.CharField(
        label=gettext_lazy("Taken or made on (as the uploader says)"), required=False,
        help_text=gettext_lazy("YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM; leave empty "
                               "to keep what the file itself says."))
    event = forms.TypedChoiceField(label=gettext_lazy("Event it supports"), required=False,
                                   coerce=int, empty_value=None)

    def __init__(self, *args: Any, events: list[Event], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (e.number, f"#{e.number} {e.get_kind_display()}") for e in events]


class DerivativeForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    derivation = forms.ChoiceField(label=gettext_lazy("Kind of derivative"),
                                   choices=Exhibit.Derivation.choices)
    tool = forms.CharField(label=gettext_lazy("Tool used"), max_length=200)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300, required=False)


class DownloadForm(forms.Form):
    why = forms.CharField(label=gettext_lazy("Why do you need the original?"), max_length=200)


def _events(case: Case) -> list[Event]:
    return list(Event.objects.filter(case=case).current().visible_to_role(
        getattr(case, "viewer_role", None)).only("id", "number", "kind").order_by("number"))


def _limited(request: HttpRequest) -> LimitedUploadHandler:
    handler = LimitedUploadHandler(request)
    request.upload_handlers.insert(0, handler)  # type: ignore[union-attr]
    return handler


def _too_large_error(form: forms.Form) -> None:
    form.is_valid()  # bound to nothing: the body was not read
    form.errors.clear()
    form.errors["file"] = form.error_class([services.too_large_message()])


@csrf_exempt  # the upload handler must be set before the body is read; csrf_protect below
def evidence_list(request: HttpRequest, ref: str) -> HttpResponse:
    handler = _limited(request) if request.method == "POST" else None
    return _evidence_list(request, ref, handler)  # type: ignore[arg-type]


@csrf_protect
@login_required
def _evidence_list(request: AuthedRequest, ref: str,
                   handler: LimitedUploadHandler | None) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    events = _events(case)
    form = UploadForm(request.POST or None, request.FILES or None, events=events)
    if request.method == "POST":
        if handler is not None and handler.exceeded:
            form = UploadForm({}, events=events)
            _too_large_error(form)
        elif form.is_valid():
            data = form.cleaned_data
            event = next((e for e in events if e.number == data["event"]), None)
            upload = data["file"]
            try:
                exhibit = services.ingest(case, request.user, services.Upload(
                    upload.file, upload.name, upload.content_type or "", data["title"],
                    data["description"], data["captured_at"], event))
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Exhibit %(number)s stored.") % {
                    "number": exhibit.number})
                return redirect("evidence:exhibit", ref=case.reference, number=exhibit.number)
    exhibits = list(Exhibit.objects.filter(case=case).select_related("blob", "derived_from"))
    if request.method != "POST":
        case_services.record_view(case, request.user, "evidence")
    return render(request, "evidence/list.html", {
        "case": case, "exhibits": exhibits, "form": form,
        "can_write": getattr(case, "access", None) == "write",
        "max_size": filesizeformat(settings.QORGAU_EVIDENCE_MAX_BYTES),
    })


def _exhibit(case: Case, number: int) -> Exhibit:
    return get_object_or_404(
        Exhibit.objects.select_related("blob", "uploaded_by", "event", "derived_from__blob"),
        case=case, number=number)


@csrf_exempt
def exhibit_detail(request: HttpRequest, ref: str, number: int) -> HttpResponse:
    handler = _limited(request) if request.method == "POST" else None
    return _exhibit_detail(request, ref, number, handler)  # type: ignore[arg-type]


@csrf_protect
@login_required
def _exhibit_detail(request: AuthedRequest, ref: str, number: int,
                    handler: LimitedUploadHandler | None) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    exhibit = _exhibit(case, number)
    form = DerivativeForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if handler is not None and handler.exceeded:
            form = DerivativeForm({})
            _too_large_error(form)
        elif form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            try:
                made = services.ingest(
                    case, request.user,
                    services.Upload(upload.file, upload.name, upload.content_type or "",
                                    data["title"] or f"{exhibit.title} ({data['derivation']})"),
                    derived_from=exhibit, derivation=data["derivation"], tool=data["tool"])
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Derivative stored as exhibit %(number)s.") % {
                    "number": made.number})
                return redirect("evidence:exhibit", ref=case.reference, number=made.number)
    else:
        services.record_custody(exhibit, request.user, "exhibit.view",
                                "exhibit page", exhibit.blob.sha256)
    custody = (LedgerEntry.objects.filter(case=case, subject=services.subject(exhibit))
               .select_related("actor").order_by("seq"))
    return render(request, "evidence/exhibit.html", {
        "case": case, "exhibit": exhibit, "custody": custody, "form": form,
        "download_form": DownloadForm(), "derivatives": exhibit.derivatives.all(),
        "can_write": getattr(case, "access", None) == "write",
    })


@login_required
def exhibit_download(request: AuthedRequest, ref: str,
                     number: int) -> HttpResponse | StreamingHttpResponse:
    case = get_case_for_user(request, ref)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    exhibit = _exhibit(case, number)
    form = DownloadForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you need the original."))
        return redirect("evidence:exhibit", ref=case.reference, number=number)
    require_recent_login(request)
    try:
        original, sha256 = services.open_original(exhibit)
    except services.IntegrityFailure:
        messages.error(request, _("The stored file no longer matches its recorded hash. It "
                                  "was not released; tell your administrator."))
        return redirect("evidence:exhibit", ref=case.reference, number=number)
    services.record_custody(exhibit, request.user, "exhibit.download",
                            form.cleaned_data["why"], sha256)
    response = StreamingHttpResponse(services.chunks(original),
                                     content_type=exhibit.blob.media_type)
    response["Content-Length"] = str(exhibit.blob.size)
    response["Content-Disposition"] = (
        f'attachment; filename="{case.reference}-exhibit-{exhibit.number}"')
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
