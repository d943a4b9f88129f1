"""The case's Consent page, and what recipient organisations see at /shared/."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.cases.forms import apply_service_error
from qorgau.cases.models import Case
from qorgau.consent import rules, services, shared, transfers
from qorgau.consent.forms import GrantForm
from qorgau.consent.models import CaseShare, CaseTransfer, ConsentGrant


class AuthedRequest(HttpRequest):
    user: User


def _page(request: AuthedRequest, case: Case, form: GrantForm) -> HttpResponse:
    now = timezone.now()
    grants = list(ConsentGrant.objects.filter(case=case).select_related(
        "recipient_organisation", "recorded_by", "revoked_by"))
    shares = list(CaseShare.objects.filter(case=case).select_related(
        "grant", "organisation", "shared_by"))
    open_grants = {s.grant_id for s in shares if s.withdrawn_at is None}
    moves = list(CaseTransfer.objects.filter(case=case).select_related("receiver"))
    pending = {t.grant_id for t in moves if t.status == CaseTransfer.Status.PENDING}
    rows = [{"grant": g, "state": g.state(now), "state_label": _(rules.STATES[g.state(now)]),
             "categories": [_(rules.CATEGORIES[c]) for c in g.categories],
             "can_share": (g.purpose == "referral" and g.recipient_organisation_id is not None
                           and g.state(now) == rules.VALID and g.pk not in open_grants),
             "can_transfer": (g.purpose == "transfer" and g.recipient_organisation_id is not None
                              and g.recipient_organisation_id != case.organisation_id
                              and g.state(now) == rules.VALID and g.pk not in pending),
             "pending_transfer": g.pk in pending}
            for g in grants]
    return render(request, "consent/case.html", {
        "case": case, "rows": rows, "form": form,
        "shares": [(s, s.is_open(now)) for s in shares],
        "transfers": moves,
        "can_write": getattr(case, "access", None) == "write",
    })


@login_required
def case_consent(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method == "POST":
        form = GrantForm(case, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.grant_consent(
                    case, request.user, purpose=data["purpose"], categories=data["categories"],
                    manner=data["manner"], given_on=data["given_on"],
                    expires_at=form.expires_at(),
                    recipient_organisation=data["recipient_organisation"],
                    recipient_name=data["recipient_name"], note=data["note"])
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "expires_at" in exc.error_dict:
                    exc.error_dict["valid_until"] = exc.error_dict.pop("expires_at")
                apply_service_error(form, exc)
            else:
                messages.success(request, _("The survivor's consent is recorded."))
                return redirect("consent:case", ref=case.reference)
        return _page(request, case, form)
    case_services.record_view(case, request.user, "consent")
    return _page(request, case, GrantForm(case))


@login_required
def revoke(request: AuthedRequest, ref: str, grant: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    consent = get_object_or_404(ConsentGrant, case=case, pk=grant)
    try:
        services.revoke_consent(consent, request.user, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Consent no. %(grant)s is revoked, from this moment.")
                         % {"grant": consent.pk})
    return redirect("consent:case", ref=case.reference)


@login_required
def share(request: AuthedRequest, ref: str, grant: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    consent = get_object_or_404(ConsentGrant, case=case, pk=grant)
    try:
        made = services.share_case(case, request.user, consent.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The case is shared read-only with %(organisation)s.")
                         % {"organisation": made.organisation})
    return redirect("consent:case", ref=case.reference)


@login_required
def withdraw(request: AuthedRequest, ref: str, share: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    found = get_object_or_404(CaseShare, case=case, pk=share)
    try:
        services.withdraw_share(found, request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The share is withdrawn."))
    return redirect("consent:case", ref=case.reference)


@login_required
def shared_list(request: AuthedRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    shares = services.open_shares_for(request.user).order_by("-created_at", "-pk")
    return render(request, "consent/shared_list.html", {"shares": shares})


@login_required
def shared_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    found = services.open_shares_for(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    found = services.view_share(request.user, pk)
    view = shared.build(found)
    return render(request, "consent/shared_detail.html", {
        "share": found, "view": view,
        "category_labels": [_(rules.CATEGORIES[c]) for c in view.categories],
    })


# --- transfers to another organisation (qorgau.consent.transfers) ---------------------------


def _done(request: AuthedRequest, action: Any, success: str) -> None:
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)


@login_required
def transfer(request: AuthedRequest, ref: str, grant: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    consent = get_object_or_404(ConsentGrant, case=case, pk=grant)
    _done(request, lambda: transfers.offer(case, request.user, consent.pk),
          _("The transfer is offered. The case stays here until the receiving organisation "
            "accepts it."))
    return redirect("consent:case", ref=case.reference)


@login_required
def transfer_cancel(request: AuthedRequest, ref: str, grant: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _done(request, lambda: transfers.cancel(case, grant, request.user,
                                            request.POST.get("reason", "")),
          _("The transfer is cancelled."))
    return redirect("consent:case", ref=case.reference)


@login_required
def transfer_list(request: AuthedRequest) -> HttpResponse:
    """Offers waiting for the user's organisation, and the cases it transferred out."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    from qorgau.accounts.models import CASE_ROLES, Membership

    incoming = list(transfers.incoming_for(request.user).order_by("offered_at", "pk"))
    colleagues = {t.receiver_id: list(User.objects.filter(
        memberships__organisation_id=t.receiver_id, memberships__role__in=CASE_ROLES,
        is_active=True).order_by("email")) for t in incoming}
    rows = [(t, colleagues[t.receiver_id]) for t in incoming]
    return render(request, "consent/transfers.html", {
        "incoming": rows, "sent": transfers.sent_for(request.user)[:100],
        "member": Membership.objects.filter(user=request.user).exists()})


@login_required
def transfer_answer(request: AuthedRequest, pk: int, answer: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if answer == "accept":
        assignee = None
        if request.POST.get("assignee", "").isdigit():
            assignee = User.objects.filter(pk=int(request.POST["assignee"])).first()
        _done(request, lambda: transfers.accept(pk, request.user, assignee),
              _("The case is now your organisation's: its timeline and ledger came with it."))
    else:
        _done(request, lambda: transfers.decline(pk, request.user,
                                                 request.POST.get("reason", "")),
              _("The transfer is declined; the sender sees your reason."))
    return redirect("shared:transfers")
