"""The trustees' page (/unlock/) and the panic lock (/lock/, /lock/<token>/). All three
answer 404 unless QORGAU_KEY_CUSTODY=trustees."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from qorgau.operations import custody

UNLOCK_ATTEMPTS = 10  # shares per address per window
UNLOCK_WINDOW = 600  # seconds


def _off() -> None:
    if not custody.trustee_custody():
        raise Http404


def _too_many(request: HttpRequest) -> bool:
    key = f"qorgau:unlock:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, UNLOCK_WINDOW)
    try:
        return cache.incr(key) > UNLOCK_ATTEMPTS
    except ValueError:  # expired between add and incr
        return False


def _refusal(code: str) -> str:
    if code == "invalid":
        return _("This share was refused: a word is mistyped or missing. Check each word.")
    if code == "other_set":
        return _("This share was refused: it belongs to another set of shares than the "
                 "ones entered before.")
    return _("These shares do not open this instance's keys. Start again with the shares "
             "made for this instance.")


@require_http_methods(["GET", "POST"])
def unlock(request: HttpRequest) -> HttpResponse:
    _off()
    context = {"title": _("Unlock"), "button": _("Enter share"), "share_field": True,
               "show_form": True}
    status = 200
    if not custody.locked():
        context.update(show_form=False, message=_("The instance is open."))
        return render(request, "custody/form.html", context)
    if request.method == "POST":
        if _too_many(request):
            context.update(show_form=False, error=_(
                "Too many shares were entered from here; wait ten minutes and try again."))
            return render(request, "custody/form.html", context, status=429)
        try:
            remaining = custody.add_share(request.POST.get("share", ""))
        except custody.ShareError as exc:
            context["error"] = _refusal(exc.code)
            status = 400
        else:
            if remaining == 0:
                context.update(show_form=False, message=_("The instance is open."))
            else:
                context["message"] = _(
                    "Share accepted. %(remaining)s more needed.") % {"remaining": remaining}
    return render(request, "custody/form.html", context, status=status)


def _locked_page(request: HttpRequest) -> HttpResponse:
    return render(request, "custody/form.html", {
        "title": _("Locked"), "show_form": False,
        "message": _("The instance is locked: every session is ended and the keys are "
                     "dropped. It opens again when enough trustees enter their shares.")})


def _group_message(request: HttpRequest) -> str:
    waiting = custody.pending_requests(request.user)
    if not waiting:
        return _("You are in the lock group: the instance locks when two of its members "
                 "each press “Lock now” within ten minutes. Locking ends every session and "
                 "API token and drops the keys.")
    first = waiting[0]
    return _("%(name)s asked to lock the instance at %(time)s. Confirm to lock it now: every "
             "session and API token ends and the keys are dropped.") % {
        "name": first.actor.display_name or first.actor.email,
        "time": date_format(timezone.localtime(first.at), "TIME_FORMAT")}


@require_http_methods(["GET", "POST"])
def lock(request: HttpRequest) -> HttpResponse:
    """The panic lock from the app, confirmed: an administrator locks at once, two members
    of the lock group together (custody.press_lock)."""
    _off()
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not custody.may_lock(request.user):
        raise Http404
    administrator = custody.is_administrator(request.user)
    if request.method == "POST":
        if custody.press_lock(request.user, "page") is not None:
            return _locked_page(request)
        return render(request, "custody/form.html", {
            "title": _("Lock requested"), "show_form": False,
            "message": _("Your request to lock is recorded. The instance locks when another "
                         "member of the lock group confirms within ten minutes.")})
    return render(request, "custody/form.html", {
        "title": _("Lock the instance"), "show_form": True, "button": _("Lock now"),
        "message": _("Locking ends every session and API token and drops the keys at once. "
                     "Nobody can open a case until enough trustees enter their shares.")
        if administrator else _group_message(request)})


@csrf_exempt  # the token authenticates; a director abroad may POST it from anywhere
@require_http_methods(["GET", "POST"])
def lock_token(request: HttpRequest, token: str) -> HttpResponse:
    """The pre-shared lock URL: GET asks to confirm, POST locks. 404 for a wrong token."""
    _off()
    expected = settings.QORGAU_LOCK_TOKEN_SHA256
    given = hashlib.sha256(token.encode("utf-8")).hexdigest()
    if not expected or not hmac.compare_digest(given, expected):
        raise Http404
    if request.method == "POST":
        custody.lock("lock token")
        return _locked_page(request)
    return render(request, "custody/form.html", {
        "title": _("Lock the instance"), "show_form": True, "button": _("Lock now"),
        "message": _("Locking ends every session and API token and drops the keys at once.")})
