from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "qorgau.referrals"
    label = "referrals"

    def ready(self) -> None:
        from qorgau.cases import erasure, records
        from qorgau.referrals import services

        records.register(services.referral_records)
        erasure.register(services.erase_case_records)
