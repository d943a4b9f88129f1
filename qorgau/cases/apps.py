from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "qorgau.cases"
    label = "cases"
