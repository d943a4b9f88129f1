from django.apps import AppConfig


class BundlesConfig(AppConfig):
    name = "qorgau.bundles"
    label = "bundles"

    def ready(self) -> None:
        from qorgau.bundles import services
        from qorgau.cases import erasure, records
        from qorgau.operations import workers

        records.register(services.bundle_records)
        erasure.register(services.erase_case_records)
        workers.on_abandoned(services.build_bundle.module_path, services.build_abandoned)
