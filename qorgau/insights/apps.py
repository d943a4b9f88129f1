from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "qorgau.insights"
    label = "insights"

    def ready(self) -> None:
        from qorgau.cases import erasure
        from qorgau.insights import services

        services.connect()
        erasure.register(services.erase_case_records)
