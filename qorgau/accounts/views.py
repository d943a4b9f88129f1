"""Quick exit: end the session at once and leave for a neutral site. Choosing a language,
kept on the person's account. An organisation's settings, for its administrators."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import check_for_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from qorgau.accounts import discretion, orgledger, services
from qorgau.accounts.models import Membership, Organisation, OrganisationEntry, Role, User
from qorgau.accounts.reauth import require_recent_login


@csrf_exempt  # leaving must never fail; it only ends the caller's own session
@require_POST
def quick_exit(request: HttpRequest) -> HttpResponse:
    logout(request)
    response = HttpResponseRedirect(settings.QORGAU_QUICK_EXIT_URL)
    if discretion.device_is_discreet(request):
        # The browser forgets everything but the neutral-login cookie, so the next person
        # to open the site on this device sees "Notes", not the product's name.
        response["Clear-Site-Data"] = '"cache", "storage"'
        for name in request.COOKIES:
            if name != discretion.DEVICE_COOKIE:
                response.delete_cookie(name)
    else:
        response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    response["Cache-Control"] = "no-store"
    return response


def choose_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and for a logged-in person the choice kept on the account."""
    response = set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and language and check_for_language(language):
        get_user_model().objects.filter(pk=user.pk).update(language=language)
    return response


CHANGES_SHOWN = 30


def _change_text(entry: OrganisationEntry, people: dict[int, str]) -> str:
    """One entry of the organisation's ledger in words."""
    detail = entry.detail or {}
    if entry.action == orgledger.OPEN:
        return _("the organisation's ledger opened")
    if entry.action == "note.directory.update":
        return _("its entry in the service directory changed")
    if entry.action.startswith("note.transfer."):
        words = {"offer": _("case %(case)s offered for transfer"),
                 "accept": _("case %(case)s transferred"),
                 "decline": _("transfer of case %(case)s declined"),
                 "cancel": _("transfer of case %(case)s cancelled")}
        step = entry.action.rsplit(".", 1)[1]
        return words.get(step, entry.action) % {"case": detail.get("reference", "—")}
    if entry.subject.startswith("membership:"):
        who = people.get(int(entry.subject.split(":", 1)[1]), "—")
        if entry.action == orgledger.MEMBERSHIP_REMOVED:
            return _("%(who)s is no longer a member") % {"who": who}
        role = Role(detail["role"]).label if detail.get("role") in Role.values else "—"
        change = detail.get("change")
        if change == "invite":
            return _("%(who)s invited as %(role)s") % {"who": who, "role": role}
        if change == "role":
            return _("%(who)s: role changed to %(role)s") % {"who": who, "role": role}
        if change == "deactivate":
            return _("%(who)s switched off") % {"who": who}
        return _("%(who)s added as %(role)s") % {"who": who, "role": role}
    setting, new = detail.get("setting"), detail.get("new")
    if setting == "discreet":
        return _("discreet mode switched on") if new else _("discreet mode switched off")
    if setting == "shares_aggregates":
        return (_("anonymised aggregates shared with monitors") if new
                else _("anonymised aggregates no longer shared"))
    if setting == "retention_months":
        if new is None:
            return _("retention period back to the installation's default")
        return _("retention period set to %(months)s months") % {"months": new}
    return str(setting or entry.action)


def ledger_changes(organisation: Organisation) -> list[dict[str, object]]:
    """The newest entries of the organisation's ledger, for its administrators."""
    entries = list(OrganisationEntry.objects.filter(organisation=organisation)
                   .select_related("actor").order_by("-seq")[:CHANGES_SHOWN])
    ids = {int(e.subject.split(":", 1)[1]) for e in entries
           if e.subject.startswith("membership:")}
    people = {pk: name or email for pk, name, email in
              User.objects.filter(pk__in=ids).values_list("pk", "display_name", "email")}
    return [{"seq": e.seq, "at": e.at, "actor": e.actor, "text": _change_text(e, people)}
            for e in entries]


class AuthedRequest(HttpRequest):
    user: User


class OrganisationSettingsForm(forms.Form):
    discreet = forms.BooleanField(
        label=gettext_lazy("Discreet mode"), required=False,
        help_text=gettext_lazy(
            "For everyone in the organisation: the pages are called \"Notes\" and never name "
            "the service; the quick exit reads \"Close\"; lists show case references and "
            "initials, never names; the parties are \"Person\" and \"Contact\"; the "
            "devices they log in on keep a neutral login page."))
    shares_aggregates = forms.BooleanField(
        label=gettext_lazy("Share anonymised aggregates"), required=False,
        help_text=gettext_lazy(
            "Monitors of the coalition see this organisation's counts in the accountability "
            "statistics, with small counts hidden; never a case, a name or a place finer "
            "than the region."))


class MemberForm(forms.Form):
    """One change of the organisation's people: invite, change a role, switch off."""

    action = forms.ChoiceField(choices=[("invite", "invite"), ("role", "role"),
                                        ("deactivate", "deactivate")])
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    member = forms.IntegerField(required=False)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, required=False)


def _members(request: AuthedRequest, organisation: Organisation) -> HttpResponse | None:
    """Handle a MemberForm post; None when the post is not about members."""
    if request.POST.get("action") not in ("invite", "role", "deactivate"):
        return None
    require_recent_login(request)
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values()
                                         for e in errs))
        return redirect("accounts:organisation", slug=organisation.slug)
    data = form.cleaned_data
    try:
        if data["action"] == "invite":
            if not data["email"] or not data["role"]:
                raise services.NotAllowed(_("Give her e-mail and her role."))
            services.invite(organisation, request.user, data["email"], data["role"])
            from allauth.account.forms import ResetPasswordForm

            link = ResetPasswordForm({"email": data["email"]})
            if link.is_valid():
                link.save(request)
            messages.success(request, _("Invited: she receives a link to choose her "
                                        "password."))
        else:
            member = Membership.objects.filter(organisation=organisation,
                                               user_id=data["member"]).first()
            if member is None:
                raise services.NotAllowed(_("This person is not a member of the "
                                            "organisation."))
            if data["action"] == "role":
                services.set_role(organisation, request.user, member.user, data["role"])
                messages.success(request, _("Role changed."))
            else:
                services.deactivate(organisation, request.user, member.user)
                messages.success(request, _("Switched off: her sessions and API tokens no "
                                            "longer work. Her cases wait on the team page."))
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    return redirect("accounts:organisation", slug=organisation.slug)


@login_required
def organisation_home(request: AuthedRequest) -> HttpResponse:
    """The settings of the organisation the person administers (the first, if several)."""
    slug = (Membership.objects.filter(user=request.user, role=Role.ADMIN)
            .order_by("organisation__name").values_list("organisation__slug", flat=True)
            .first())
    if slug is None:
        return _not_admin(request)
    return redirect("accounts:organisation", slug=slug)


@login_required
def organisation_settings(request: AuthedRequest, slug: str) -> HttpResponse:
    """An organisation's settings (discreet mode), for its administrators: 404 to whoever
    is not a member, 403 to a member who is not an administrator."""
    membership = (Membership.objects.select_related("organisation")
                  .filter(user=request.user, organisation__slug=slug).first())
    if membership is None:
        raise Http404
    if membership.role != Role.ADMIN:
        return _not_admin(request)
    organisation = membership.organisation
    if request.method == "POST" and (answered := _members(request, organisation)):
        return answered
    # An unticked box sends nothing: a POST with no field is still a bound form.
    form = OrganisationSettingsForm(request.POST if request.method == "POST" else None,
                                    initial={"discreet": organisation.discreet,
                                             "shares_aggregates":
                                             organisation.shares_aggregates})
    if request.method == "POST":
        require_recent_login(request)
        if form.is_valid():
            try:
                was_discreet = organisation.discreet
                changed = services.set_discreet(organisation, form.cleaned_data["discreet"],
                                                by=request.user)
                changed |= services.set_shares_aggregates(
                    organisation, form.cleaned_data["shares_aggregates"], by=request.user)
            except services.NotAllowed as exc:
                form.add_error(None, str(exc))
            else:
                if not changed:
                    messages.info(request, _("Nothing changed."))
                elif organisation.discreet != was_discreet and organisation.discreet:
                    messages.success(request, _("Discreet mode is on for everyone in the "
                                                "organisation."))
                elif organisation.discreet != was_discreet:
                    messages.success(request, _("Discreet mode is off."))
                else:
                    messages.success(request, _("Settings saved."))
                return redirect("accounts:organisation", slug=organisation.slug)
    administered = (Organisation.objects.filter(memberships__user=request.user,
                                                memberships__role=Role.ADMIN)
                    .exclude(pk=organisation.pk).order_by("name"))
    changes = ledger_changes(organisation)
    return render(request, "accounts/organisation.html", {
        "organisation": organisation, "form": form, "changes": changes,
        "administered": administered, "roles": Role.choices,
        "members": Membership.objects.filter(organisation=organisation)
        .select_related("user").order_by("user__email")})


def _not_admin(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/not_admin.html", status=403)
