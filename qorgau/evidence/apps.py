from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "qorgau.evidence"
    label = "evidence"

    def ready(self) -> None:
        from qorgau.cases import checks, erasure, records
        from qorgau.evidence import integrity, services

        records.register(services.evidence_records)
        erasure.register(services.erase_case_records)
        checks.register(integrity.VERIFY_CHECK)
