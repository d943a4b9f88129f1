from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "qorgau.risk"
    label = "risk"

    def ready(self) -> None:
        from qorgau.cases import erasure, listing, records
        from qorgau.risk import services

        services.check_instruments()  # a broken instrument file stops start-up
        records.register(services.risk_records)
        erasure.register(services.erase_case_records)
        listing.register(services.decorate_levels)
