from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "qorgau.evidence"
    label = "evidence"

    def ready(self) -> None:
        from qorgau.cases import erasure, records
        from qorgau.evidence import services

        records.register(services.evidence_records)
        erasure.register(services.erase_case_records)
