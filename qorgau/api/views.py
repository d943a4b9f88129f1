"""The pages where people create, list and revoke their own API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qorgau.accounts.models import User
from qorgau.accounts.reauth import require_recent_login
from qorgau.api import tokens
from qorgau.api.forms import TokenForm
from qorgau.api.models import ApiAuditEntry, ApiToken
from qorgau.cases.forms import apply_service_error

AUDIT_SHOWN = 50


class AuthedRequest(HttpRequest):
    user: User


@login_required
def token_list(request: AuthedRequest) -> HttpResponse:
    """List the user's tokens; POST creates one (after a recent login) and shows it once."""
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST":
        require_recent_login(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                issued = tokens.create_token(request.user, data["name"], data["scopes"],
                                             data["days"])
            except ValidationError as exc:
                apply_service_error(form, exc)
            else:
                form = TokenForm()
    return render(request, "api/tokens.html", {
        "form": form, "issued": issued,
        "tokens": ApiToken.objects.filter(user=request.user),
        "trail": ApiAuditEntry.objects.filter(user=request.user)
        .select_related("token")[:AUDIT_SHOWN],
    }, status=201 if issued else 200)


@login_required
@require_POST
def token_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke_token(token, request.user)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("tokens:list")
