from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qorgau.accounts"
    label = "accounts"

    def ready(self) -> None:
        from allauth.account.signals import password_reset
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from qorgau.accounts.middleware import discreet_device_at_login, refreshed_at_login
        from qorgau.accounts.models import Organisation
        from qorgau.accounts.orgledger import opened
        from qorgau.accounts.services import email_proven

        user_logged_in.connect(refreshed_at_login, dispatch_uid="qorgau-session-refreshed")
        user_logged_in.connect(discreet_device_at_login, dispatch_uid="qorgau-discreet-device")

        post_save.connect(opened, sender=Organisation, dispatch_uid="qorgau-org-ledger")
        password_reset.connect(email_proven, dispatch_uid="qorgau-email-proven")
