from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "qorgau.consent"
    label = "consent"

    def ready(self) -> None:
        from qorgau.cases import casefile, erasure, records
        from qorgau.consent import services

        records.register(services.consent_records)
        erasure.register(services.erase_case_records)
        casefile.register_export_check(services.check_export)
