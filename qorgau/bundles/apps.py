from django.apps import AppConfig


class BundlesConfig(AppConfig):
    name = "qorgau.bundles"
    label = "bundles"

    def ready(self) -> None:
        from qorgau.bundles import services
        from qorgau.cases import records

        records.register(services.bundle_records)
