from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "qorgau.intake"
    label = "intake"

    def ready(self) -> None:
        from qorgau.cases import erasure, records
        from qorgau.intake import services
        from qorgau.operations import workers

        records.register(services.narrative_records)
        erasure.register(services.erase_case_records)
        workers.on_abandoned(services.extract_narrative.module_path,
                             services.extraction_abandoned)
