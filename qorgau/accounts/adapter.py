import time
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest

from qorgau.fields import keyring


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by an organisation's administrator, never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def add_message(self, *args: object, **kwargs: object) -> None:
        """No allauth flash messages: allauth has no Kazakh catalogue, and a login banner
        naming the account is one more thing on screen a partner could read."""

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Sensitive steps (exports, bundles, enrolling a second factor) need a password or
        code entered within ACCOUNT_REAUTHENTICATION_TIMEOUT; a fresh login counts."""
        request = context.request
        if request is not None and request.user.is_authenticated:
            records = get_authentication_records(request, request.user)
            if records and time.time() - records[-1]["at"] < (
                    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT):
                return False
        return True


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are encrypted with the data keys; the authenticator app cannot be
    switched off (an administrator resets it, and the user enrols again)."""

    def encrypt(self, text: str) -> str:
        return keyring().encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return keyring().decrypt(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        return authenticator.type == Authenticator.Type.WEBAUTHN
