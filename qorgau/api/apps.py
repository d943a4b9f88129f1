from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qorgau.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from qorgau.accounts.services import member_deactivated
        from qorgau.api import tokens

        member_deactivated.connect(tokens.revoke_all_of, dispatch_uid="api.revoke_all_of")
