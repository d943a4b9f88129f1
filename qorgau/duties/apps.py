from django.apps import AppConfig


class DutiesConfig(AppConfig):
    name = "qorgau.duties"
    label = "duties"

    def ready(self) -> None:
        from qorgau.cases import erasure, records, signals
        from qorgau.duties import services

        # A broken profile is a start-up error, not a surprise on a case page.
        services.check_profiles()
        signals.events_changed.connect(services.on_events_changed,
                                       dispatch_uid="duties.refresh")
        records.register(services.letter_records)
        erasure.register(services.erase_case_records)
