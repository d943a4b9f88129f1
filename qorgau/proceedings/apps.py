from django.apps import AppConfig


class ProceedingsConfig(AppConfig):
    name = "qorgau.proceedings"
    label = "proceedings"

    def ready(self) -> None:
        from qorgau.cases import erasure, records
        from qorgau.proceedings import services

        records.register(services.proceeding_records)
        erasure.register(services.erase_case_records)
