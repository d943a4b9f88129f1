"""Court bundle pages: request one, watch it build, download it (on the ledger)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.accounts.reauth import require_recent_login
from qorgau.bundles import services
from qorgau.bundles.models import Bundle
from qorgau.cases import policy
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.consent import rules as consent_rules
from qorgau.consent import services as consent
from qorgau.operations import workers


class AuthedRequest(HttpRequest):
    user: User
    htmx: object


@login_required
def bundle_list(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method == "POST":
        require_recent_login(request)
        try:
            grant = request.POST.get("grant", "")
            if not grant.isdigit():
                raise ValidationError(_("Choose the survivor's consent the bundle is made "
                                        "under."))
            bundle = services.request_bundle(
                case, request.user, request.POST.get("language", ""),
                policy.sees_restricted(case), grant_id=int(grant))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("bundles:list", ref=case.reference)
        return redirect("bundles:detail", ref=case.reference, pk=bundle.pk)
    case_services.record_view(case, request.user, "bundles")
    return render(request, "bundles/list.html", {
        "case": case, "bundles": Bundle.objects.filter(case=case).select_related(
            "requested_by"),
        "can_write": getattr(case, "access", None) == "write",
        "grants": consent.grants_allowing(case, "court", consent_rules.BUNDLE_CATEGORIES),
    })


@login_required
def bundle_detail(request: AuthedRequest, ref: str, pk: int) -> HttpResponse:
    case = get_case_for_user(request, ref)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    bundle = get_object_or_404(Bundle, case=case, pk=pk)
    template = "bundles/detail.html"
    if getattr(request, "htmx", False):
        template = "bundles/_status.html"  # polled while it builds
    # Nothing builds it while no worker runs: say so rather than show a progress bar alone.
    stalled = (bundle.status in (Bundle.Status.QUEUED, Bundle.Status.BUILDING)
               and not workers.any_alive())
    return render(request, template, {"case": case, "bundle": bundle, "stalled": stalled})


@login_required
def bundle_download(request: AuthedRequest, ref: str,
                    pk: int) -> HttpResponse | FileResponse:
    case = get_case_for_user(request, ref)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    bundle = get_object_or_404(Bundle, case=case, pk=pk, status=Bundle.Status.DONE)
    require_recent_login(request)
    try:
        data = services.open_bundle(bundle, request.user)
    except ValidationError as exc:  # no consent now, or the stored file is damaged
        messages.error(request, " ".join(exc.messages))
        return redirect("bundles:detail", ref=case.reference, pk=bundle.pk)
    response = FileResponse(data, as_attachment=True,
                            filename=f"{case.reference}-bundle-{bundle.pk}.zip",
                            content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response
