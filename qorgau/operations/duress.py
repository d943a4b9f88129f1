"""Duress code (issue 29): a second code a person can set beside her authenticator. Forced
to log in, she enters it instead of the authenticator's code: the instance locks
(custody.lock: every session and token revoked, the keys dropped under trustee custody, a
note on every organisation's ledger) and the login page answers exactly as for a wrong
code.

The code is 8 digits, so it never collides with the authenticator's 6; a code is taken for
duress only after it failed as a real one. It is kept as a keyed digest (HMAC-SHA256 under
the instance's SECRET_KEY, salted with the person), never as entered."""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any

from allauth.mfa.base.forms import AuthenticateForm, BaseAuthenticateForm, ReauthenticateForm
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from qorgau.accounts import orgledger
from qorgau.accounts.models import Membership, User
from qorgau.accounts.reauth import require_recent_login
from qorgau.operations import custody

log = logging.getLogger(__name__)
CODE = re.compile(r"^[0-9]{8}$")
NOTE = "note.duress_code"


def _digest(user: User, code: str) -> str:
    return salted_hmac(f"qorgau.duress:{user.pk}", code, algorithm="sha256").hexdigest()


def matches(user: User, code: str) -> bool:
    code = code.strip().replace(" ", "")
    return bool(user.duress_digest) and bool(CODE.match(code)) and hmac.compare_digest(
        user.duress_digest, _digest(user, code))


@transaction.atomic
def set_code(user: User, code: str | None) -> None:
    """Set (or, with None, remove) the person's duress code; a note on the ledger of each
    of her organisations says that it changed, never the code."""
    if code is not None:
        code = code.strip().replace(" ", "")
        if not CODE.match(code):
            raise ValidationError(_("A duress code is exactly 8 digits."))
    user.duress_digest = _digest(user, code) if code else ""
    user.save(update_fields=["duress_digest"])
    for org_id in (Membership.objects.filter(user=user)
                   .values_list("organisation_id", flat=True)):
        orgledger.append(org_id, user, NOTE, f"user:{user.pk}",
                         detail={"set": code is not None})


class _DuressAware(BaseAuthenticateForm):
    """A code that fails as the authenticator's and is the person's duress code locks the
    instance, then fails the same way."""

    where = "login"

    def clean_code(self) -> str:
        try:
            return str(super().clean_code())
        except ValidationError:
            code = str(self.data.get("code", ""))
            if matches(self.user, code):
                log.warning("duress code entered at %s", self.where)
                custody.lock(f"duress code entered at {self.where}", by=self.user)
            raise


class DuressAwareAuthenticateForm(_DuressAware, AuthenticateForm):
    """allauth's second-factor form at login (settings.MFA_FORMS["authenticate"])."""


class DuressAwareReauthenticateForm(_DuressAware, ReauthenticateForm):
    """allauth's form when a sensitive step asks for a code again
    (settings.MFA_FORMS["reauthenticate"])."""

    where = "re-authentication"


class DuressForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Duress code (8 digits)"), required=False,
                           max_length=20, widget=forms.PasswordInput(
                               attrs={"inputmode": "numeric", "autocomplete": "off"}))
    confirm = forms.CharField(label=gettext_lazy("The same code again"), required=False,
                              max_length=20, widget=forms.PasswordInput(
                                  attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("code") or "").strip().replace(" ", "")
        if not CODE.match(code):
            raise ValidationError(_("A duress code is exactly 8 digits."))
        if code != (data.get("confirm") or "").strip().replace(" ", ""):
            raise ValidationError(_("The two codes differ; enter the same code twice."))
        data["code"] = code
        return data


@login_required
@require_http_methods(["GET", "POST"])
def duress_code(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- login_required
    form = DuressForm()
    if request.method == "POST":
        require_recent_login(request)
        if request.POST.get("remove"):
            set_code(user, None)
            return redirect("duress_code")
        form = DuressForm(request.POST)
        if form.is_valid():
            set_code(user, form.cleaned_data["code"])
            return redirect("duress_code")
    return render(request, "custody/duress.html", {"form": form, "is_set": bool(
        user.duress_digest)})
