from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "qorgau.accounts"
    label = "accounts"
