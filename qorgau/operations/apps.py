from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "qorgau.operations"
    label = "operations"
