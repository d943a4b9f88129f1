from django.apps import AppConfig


class BundlesConfig(AppConfig):
    name = "qorgau.bundles"
    label = "bundles"

    def ready(self) -> None:
        from qorgau.bundles import services
        from qorgau.cases import erasure, records

        records.register(services.bundle_records)
        erasure.register(services.erase_case_records)
