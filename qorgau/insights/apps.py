from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "qorgau.insights"
    label = "insights"

    def ready(self) -> None:
        from qorgau.insights import services

        services.connect()
