"""The only module of ours that imports django-allauth's `internal` packages.

allauth documents no public API for the few things below, and its `internal` modules may
change in any release (issue 30). Everything else of allauth we use through its public
modules (`allauth.account.authentication`, `allauth.account.decorators`,
`Authenticator.wrap()`). On upgrading allauth, check these imports first; the tests of
tests/test_mfa.py, accounts/tests and the e2e login pages exercise each of them.
"""

from __future__ import annotations

import time

# Enrolling an authenticator outside the browser (demo, tests, scripted onboarding):
# allauth only enrols through its own forms and views. Computing the current code of an
# authenticator app (demo-code, tests): allauth exposes only the check of a code, and its
# helpers keep the digits setting theirs. Recording a login in the session (tests standing
# a forced login in for a whole one): allauth exposes only reading the records.
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

__all__ = ["activate_totp", "record_login", "totp_code"]


def activate_totp(user: AbstractBaseUser, secret: str) -> None:
    """Give `user` an authenticator app with this base32 secret, and recovery codes."""
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app with this base32 secret shows at `at` (now)."""
    return format_hotp_value(hotp_value(secret, int(time.time() if at is None else at) // 30))


def record_login(request: HttpRequest, user: AbstractBaseUser, method: str,
                 **extra: object) -> None:
    """Record in the session that `user` authenticated with `method`, as allauth's login
    does (tests standing a forced login in for a whole one)."""
    record_authentication(request, user, method=method, **extra)
