from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "qorgau.retention"
    label = "retention"

    def ready(self) -> None:
        from qorgau.accounts import orgledger
        from qorgau.cases import erasure, records, signals
        from qorgau.retention import services

        records.register(services.retention_records)
        orgledger.register(services.policy_records)
        erasure.register(services.erase_retention)
        signals.status_changed.connect(services.on_status_changed,
                                       dispatch_uid="retention.clock")
