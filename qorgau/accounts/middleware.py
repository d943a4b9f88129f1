"""Nothing a logged-in user sees is cached; nobody works without a second factor; a
session ends after SESSION_COOKIE_AGE without a request."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)  # Cache-Control: no-store, private, ...
        return response


SESSION_REFRESHED = "qorgau.session_refreshed"
REFRESH_EVERY = 60  # seconds


class IdleSessionMiddleware(SessionMiddleware):
    """The idle timeout slides with every request, as SESSION_SAVE_EVERY_REQUEST would make
    it, but the session is written at most once a minute when nothing in it changed: a
    session ends between SESSION_COOKIE_AGE and a minute less after its last request."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and not session.is_empty():
            now = int(time.time())
            if session.modified or now - session.get(SESSION_REFRESHED, 0) >= REFRESH_EVERY:
                session[SESSION_REFRESHED] = now  # saved, with a new expiry, below
        return super().process_response(request, response)


def refreshed_at_login(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """A login starts the idle clock (connected to user_logged_in)."""
    request.session[SESSION_REFRESHED] = int(time.time())


# Pages a signed-in user without an authenticator app may still reach: enrolling, leaving.
MFA_SETUP_URLS = frozenset({
    "mfa_activate_totp", "mfa_view_recovery_codes", "mfa_download_recovery_codes",
    "mfa_index", "account_reauthenticate", "account_logout", "quick_exit", "set_language",
})
MFA_CHECKED = "qorgau.mfa_checked"


class RequireMFAMiddleware:
    """Every account works with two factors: until an authenticator app is enrolled, a
    signed-in user reaches only the enrolment pages (so the first login enrols).

    allauth's login asks for the code of anyone who has enrolled; this adds the rule that
    everyone must. A login that passed the second factor needs no query; otherwise one per
    session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: object, args: object,
                     kwargs: object) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.session.get(MFA_CHECKED):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in MFA_SETUP_URLS:
            return None
        from allauth.account.authentication import get_authentication_records

        from qorgau.accounts.services import has_mfa

        records = get_authentication_records(request, user)
        if any(r.get("method") == "mfa" for r in records) or has_mfa(user):
            request.session[MFA_CHECKED] = True
            return None
        return redirect_to_login(request.get_full_path(), reverse("mfa_activate_totp"), "next")


class UserLanguageMiddleware:
    """Pages in the language the person chose (User.language) when this browser has no
    choice of its own yet: a new device, or after a quick exit cleared the cookies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = user.language if user is not None and user.is_authenticated else ""
        if (not chosen or settings.LANGUAGE_COOKIE_NAME in request.COOKIES
                or not translation.check_for_language(chosen)):
            return self.get_response(request)
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, chosen,
                            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                            secure=settings.LANGUAGE_COOKIE_SECURE,
                            httponly=settings.LANGUAGE_COOKIE_HTTPONLY)
        response.headers["Content-Language"] = chosen
        return response


class DiscreetMiddleware:
    """Discreet mode (qorgau.accounts.discretion) after the page is made: a discreet
    organisation's member's device gets the neutral-login cookie (at login, or on the first
    page after her organisation became discreet), and a discreet HTML page keeps no
    "Qorgau" that a text of another app left in it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from qorgau.accounts import discretion

        response = self.get_response(request)
        if (getattr(request, "_qorgau_discreet_member", False)
                and not discretion.device_is_discreet(request)):
            response.set_cookie(discretion.DEVICE_COOKIE, discretion.DEVICE_VALUE,
                                max_age=discretion.DEVICE_COOKIE_AGE, httponly=True,
                                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
        if (getattr(request, "_qorgau_discreet", False) and not response.streaming
                and response.get("Content-Type", "").startswith("text/html")):
            charset = response.charset
            name = discretion.PRODUCT_NAME.encode(charset)
            if name in response.content:
                response.content = response.content.replace(
                    name, discretion.neutral_product_name().encode(charset))
                if response.has_header("Content-Length"):
                    response["Content-Length"] = str(len(response.content))
        return response


def discreet_device_at_login(sender: object, request: HttpRequest, user: Any,
                             **kwargs: object) -> None:
    """A discreet organisation's member logging in marks the device (connected to
    user_logged_in; DiscreetMiddleware sets the cookie on the response)."""
    from qorgau.accounts.models import Membership

    if Membership.objects.filter(user=user, organisation__discreet=True).exists():
        request._qorgau_discreet_member = True  # type: ignore[attr-defined]
