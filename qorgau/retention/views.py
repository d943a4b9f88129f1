"""The retention page: the clock, legal hold, closing and reopening, erasure.

Thin: the case is reached through get_case_for_user (404 to outsiders); everyone assigned
sees the page, only a supervisor or administrator assigned to the case acts (403 to other
assignees, who already see the case); every change goes through qorgau.retention.services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qorgau.accounts.models import Membership, Role, User
from qorgau.accounts.reauth import require_recent_login
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.cases.forms import apply_service_error
from qorgau.cases.models import Case
from qorgau.retention import policy, services
from qorgau.retention.forms import EraseForm, HoldForm, LiftForm, PolicyForm
from qorgau.retention.models import LegalHold

ACTIONS = ("close", "reopen", "hold", "lift", "erase")


class AuthedRequest(HttpRequest):
    user: User


@login_required
def case_retention(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref)
    manager = services.can_manage(case, request.user)
    forms_: dict[str, forms.Form] = {
        "hold": HoldForm(), "lift": LiftForm(), "erase": EraseForm(reference=case.reference)}
    if request.method == "POST":
        if not manager:
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action not in ACTIONS:
            messages.error(request, _("Choose what to do."))
            return redirect("retention:case", ref=case.reference)
        done = _act(request, case, action, forms_)
        if done is not None:
            return done
    else:
        case_services.record_view(case, request.user, "retention")
    return render(request, "retention/case_retention.html", _context(request, case, manager,
                                                                      forms_))


def _act(request: AuthedRequest, case: Case, action: str,
         forms_: dict[str, forms.Form]) -> HttpResponse | None:
    """Do `action`; a redirect when done, None to show the page with the form's errors."""
    user = request.user
    try:
        if action == "close":
            services.close_case(case, user)
            messages.success(request, _("The case is closed; its retention period has "
                                        "started."))
        elif action == "reopen":
            services.reopen_case(case, user)
            messages.success(request, _("The case is open again; its retention period has "
                                        "stopped."))
        elif action in ("hold", "lift"):
            form_class = HoldForm if action == "hold" else LiftForm
            held = forms_[action] = form_class(request.POST)
            if not held.is_valid():
                return None
            try:
                if action == "hold":
                    services.set_hold(case, user, held.cleaned_data["reason"])
                    messages.success(request, _("The case is under legal hold."))
                else:
                    services.lift_hold(case, user, held.cleaned_data["lift_reason"])
                    messages.success(request, _("The legal hold is lifted."))
            except ValidationError as exc:
                apply_service_error(held, exc)
                return None
        else:
            form = forms_["erase"] = EraseForm(request.POST, reference=case.reference)
            if not form.is_valid():
                return None
            try:
                services.erase_case(case, user, form.cleaned_data["reason"])
            except ValidationError as exc:
                apply_service_error(form, exc)
                return None
            messages.success(request, _(
                "Case %(ref)s is erased. Its reference and its ledger remain.") % {
                    "ref": case.reference})
            return redirect("cases:list")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("retention:case", ref=case.reference)


def _context(request: AuthedRequest, case: Case, manager: bool,
             forms_: dict[str, forms.Form]) -> dict[str, Any]:
    clock = services.clock_for(case)
    hold = services.hold_in_force(case)
    return {
        "case": case, "clock": clock, "hold": hold, "manager": manager,
        "is_admin": getattr(case, "viewer_role", None) == Role.ADMIN,
        "holds": LegalHold.objects.filter(case=case).select_related("set_by", "lifted_by"),
        "months": services.period_months(case.organisation),
        "due": clock is not None and policy.is_due(clock.retain_until, timezone.localdate()),
        "hold_form": forms_["hold"], "lift_form": forms_["lift"],
        "erase_form": forms_["erase"],
    }


@login_required
@require_POST
def organisation_policy(request: AuthedRequest, slug: str) -> HttpResponse:
    """The organisation's retention period, from its settings page: its administrators
    only (404 to whoever is not a member, 403 to other members)."""
    membership = (Membership.objects.select_related("organisation")
                  .filter(user=request.user, organisation__slug=slug).first())
    if membership is None:
        raise Http404
    if membership.role != Role.ADMIN:
        raise PermissionDenied
    require_recent_login(request)
    organisation = membership.organisation
    form = PolicyForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values()
                                         for e in errs))
    else:
        try:
            services.set_policy(organisation, form.cleaned_data["months"], by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Retention period: %(months)s months.") % {
                "months": services.period_months(organisation)})
    return redirect("accounts:organisation", slug=organisation.slug)
