from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by an organisation's administrator, never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def add_message(self, *args: object, **kwargs: object) -> None:
        """No allauth flash messages: allauth has no Kazakh catalogue, and a login banner
        naming the account is one more thing on screen a partner could read."""
