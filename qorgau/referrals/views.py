"""The service directory, and a case's referrals (need -> matching providers -> refer)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.cases import regions
from qorgau.cases import services as case_services
from qorgau.cases.access import get_case_for_user
from qorgau.cases.forms import apply_service_error
from qorgau.cases.models import Case
from qorgau.consent import services as consent_services
from qorgau.consent.models import ConsentGrant
from qorgau.duties.engine import STATUS_LABELS, current_status
from qorgau.duties.models import Obligation
from qorgau.referrals import letters, rules, services
from qorgau.referrals.forms import (
    DirectoryFilterForm,
    FollowUpForm,
    MoveForm,
    NeedForm,
    PlacesForm,
    ReferForm,
)
from qorgau.referrals.models import Provider, Referral


class AuthedRequest(HttpRequest):
    user: User


@login_required
def directory(request: AuthedRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    form = DirectoryFilterForm(request.GET or None)
    providers = Provider.objects.filter(active=True).select_related("places_updated_by")
    found: list[Provider] | None = None
    if form.is_valid():
        data = form.cleaned_data
        if data["region"]:
            providers = providers.filter(region__in=regions.aliases(data["region"]))
        if data["kind"]:
            providers = providers.filter(kind=data["kind"])
        if data["need"]:
            found = [p for p in providers if data["need"] in p.services]
    return render(request, "referrals/directory.html", {
        "form": form, "providers": found if found is not None else list(providers),
        "can_update": services.can_update_places(request.user, None),
        "places_form": PlacesForm()})


@login_required
def places(request: AuthedRequest, provider: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    found = get_object_or_404(Provider, pk=provider, active=True)
    if not services.can_update_places(request.user, found):
        raise PermissionDenied
    form = PlacesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the places available as a whole number."))
    else:
        try:
            services.update_places(found, request.user, form.cleaned_data["places"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Places available at %(provider)s updated.")
                             % {"provider": found.name})
    return redirect("referrals:directory")


def _referral_grants(case: Case) -> list[ConsentGrant]:
    return consent_services.grants_of(case, "referral")


def _page(request: AuthedRequest, case: Case, need_form: NeedForm,
          refer_form: ReferForm | None = None) -> HttpResponse:
    grants = _referral_grants(case)
    matches = []
    if need_form.is_valid():
        data = need_form.cleaned_data
        need = rules.Need(data["need"], case.region, data["with_children"],
                          data["oldest_boy"], data["accessible"])
        matches = [{"provider": provider, "doubts": [_(d) for d in match.doubts]}
                   for provider, match in services.matching(need)]
        if refer_form is None:
            refer_form = ReferForm(grants, initial={"need": need.need})
    referrals = list(services.for_case(case))
    duties = services.duties_of(referrals)
    today = timezone.localdate()
    return render(request, "referrals/case.html", {
        "case": case, "need_form": need_form, "matches": matches, "form": refer_form,
        "chosen": str(refer_form.data.get("provider", "")) if refer_form is not None else "",
        "has_grants": bool(grants),
        "referrals": [{"referral": r, "state": _(rules.STATES[r.state]),
                       "next": [(s, _(rules.STATES[s])) for s in rules.next_states(r.state)],
                       "duties": _duty_lines(duties.get(r.pk, {}), today)}
                      for r in referrals],
        "follow_up_form": FollowUpForm(),
        "can_write": getattr(case, "access", None) == "write",
    })


def _duty_lines(obligations: dict[str, Obligation], today: date) -> list[dict[str, Any]]:
    """The referral's answer and follow-up duties, as the case's duties page states them."""
    lines = []
    for rule_id, label in ((services.ANSWER_RULE, _("Provider's answer")),
                           (services.FOLLOW_UP_RULE, _("Our follow-up with her"))):
        o = obligations.get(rule_id)
        if o is not None:
            status = current_status(o.status, o.due_latest, today)
            lines.append({"rule": rule_id, "label": label, "status": status, "status_label": _(
                STATUS_LABELS[status]), "due": o.due_latest})
    return lines


@login_required
def case_referrals(request: AuthedRequest, ref: str) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method == "POST":
        form = ReferForm(_referral_grants(case), request.POST)
        need_form = NeedForm({"need": request.POST.get("need", ""),
                              "with_children": request.POST.get("with_children", ""),
                              "oldest_boy": request.POST.get("oldest_boy", ""),
                              "accessible": request.POST.get("accessible", "")})
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = services.make_referral(
                    case, request.user, provider=data["provider"], need=data["need"],
                    grant_id=data["grant"].pk, categories=data["categories"],
                    note=data["note"])
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Referral no. %(number)s to %(provider)s is made.")
                                 % {"number": made.pk, "provider": made.provider.name})
                return redirect("referrals:case", ref=case.reference)
        return _page(request, case, need_form, form)
    case_services.record_view(case, request.user, "referrals")
    return _page(request, case, NeedForm(request.GET if "need" in request.GET else None))


@login_required
def move(request: AuthedRequest, ref: str, referral: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    found = get_object_or_404(Referral, case=case, pk=referral)
    _record_move(request, found, services.move)
    return redirect("referrals:case", ref=case.reference)


def _record_move(request: AuthedRequest, found: Referral,
                 mover: Callable[[Referral, User, str, str], Referral]) -> None:
    """The posted move (state and reason) through `mover`, told back as a message."""
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what happened to the referral."))
        return
    try:
        moved = mover(found, request.user, form.cleaned_data["state"],
                      form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Referral no. %(number)s: %(state)s.") % {
            "number": moved.pk, "state": _(rules.STATES[moved.state])})


@login_required
def letter(request: AuthedRequest, ref: str, referral: int) -> HttpResponse:
    case = get_case_for_user(request, ref)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    found = get_object_or_404(Referral.objects.select_related("provider", "case__organisation"),
                              case=case, pk=referral)
    language = request.GET.get("lang", "ru")
    try:
        pdf = letters.letter_pdf(found, request.user, language)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("referrals:case", ref=case.reference)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="referral-{found.pk}-{case.reference}.pdf"')
    return response


@login_required
def follow_up(request: AuthedRequest, ref: str, referral: int) -> HttpResponse:
    case = get_case_for_user(request, ref, write=request.method == "POST")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    found = get_object_or_404(Referral.objects.select_related("provider", "case"), case=case,
                              pk=referral)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write what she said: did she receive the service, and "
                                  "how is she?"))
        return redirect("referrals:case", ref=case.reference)
    try:
        services.follow_up(found, request.user, form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Follow-up on referral no. %(number)s recorded.")
                         % {"number": found.pk})
    return redirect("referrals:case", ref=case.reference)


# --- the provider's side ---------------------------------------------------------------------


@login_required
def incoming(request: AuthedRequest) -> HttpResponse:
    """Referrals to the user's organisations, for their own answer."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    referrals = list(services.incoming(request.user))
    duties = services.duties_of(referrals)
    today = timezone.localdate()
    rows: list[dict[str, Any]] = [
            {"referral": r, "state": _(rules.STATES[r.state]),
             "next": [(s, _(rules.STATES[s])) for s in rules.next_states(r.state, provider=True)],
             "duties": [d for d in _duty_lines(duties.get(r.pk, {}), today)
                        if d["rule"] == services.ANSWER_RULE],
             "share_open": (r.share is not None and r.share.withdrawn_at is None
                            and services.grant_valid(r))}
            for r in referrals]
    return render(request, "referrals/incoming.html", {
        "open": [row for row in rows if row["referral"].is_open],
        "closed": [row for row in rows if not row["referral"].is_open]})


@login_required
def answer(request: AuthedRequest, referral: int) -> HttpResponse:
    found = services.incoming_referral(request.user, referral)
    if found is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    _record_move(request, found, services.answer)
    return redirect("referrals:incoming")


@login_required
def profile(request: AuthedRequest, slug: str, provider: int) -> HttpResponse:
    """The organisation's own entry in the directory, from its settings page: its
    administrators only (404 to whoever is not a member, 403 to other members)."""
    from qorgau.accounts.models import Membership, Role
    from qorgau.referrals.forms import ProfileForm

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    membership = Membership.objects.filter(user=request.user, organisation__slug=slug).first()
    if membership is None:
        raise Http404
    found = get_object_or_404(Provider, pk=provider, organisation_id=membership.organisation_id)
    if membership.role != Role.ADMIN:
        raise PermissionDenied
    form = ProfileForm(request.POST, instance=Provider.objects.get(pk=found.pk),
                       prefix=f"p{found.pk}")
    if not form.is_valid():
        messages.error(request, " ".join(f"{form.fields[name].label}: {e}" if name in
                                         form.fields else str(e)
                                         for name, errs in form.errors.items() for e in errs))
    else:
        try:
            changed = services.update_profile(found, request.user, form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The directory entry is saved.") if changed
                             else _("Nothing changed."))
    return redirect("accounts:organisation", slug=slug)
