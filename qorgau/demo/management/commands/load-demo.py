import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qorgau.demo import loader, reference_case, synthetic


class Command(BaseCommand):
    help = (
        "Load the demo organisation, one user per role, the reference case and about twenty "
        "synthetic cases (fictional). Idempotent: a second run creates nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/",
                            help="Where Qorgau will be served (printed for the user).")
        parser.add_argument("--allow-production", action="store_true",
                            help="Load demo accounts with a published password even when "
                                 "QORGAU_ENV=production.")

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "MODE", "production") == "production" and not options[
            "allow_production"
        ]:
            raise CommandError(
                "Refusing to create demo accounts with a published password in production "
                "(QORGAU_ENV=production). Use QORGAU_ENV=development, or --allow-production."
            )
        started = time.monotonic()
        result = loader.load_demo()
        elapsed = time.monotonic() - started
        created, existing = len(result.cases_created), len(result.cases_existing)
        if created:
            status = f"{created} cases created, {existing} already there"
        else:
            status = f"already loaded ({existing} cases), nothing created"
        write = self.stdout.write
        write(f"Qorgau demo: {result.organisation.name}: {status} ({elapsed:.1f} s).")
        write("")
        write(f"Open {options['url']} and log in with one of these DEMO credentials.")
        write("They are public, for trying Qorgau on fictional data only; never use them for "
              "real cases.")
        write("")
        write(f"  {'role':<12}{'email':<34}password")
        for user in result.users:
            write(f"  {user.role:<12}{user.email:<34}{loader.PASSWORD}")
        write("")
        write("Then the six-digit code of the second factor: run `make demo-code` (it prints "
              "the current one), or add this secret to any authenticator app: "
              f"{loader.TOTP_SECRET}")
        write("")
        write("The monitor sees anonymised aggregates only; the administrator is not assigned "
              "to cases.")
        write(f"Demo cases: {reference_case.REFERENCE} (the reference case) and "
              f"DEMO-0001 to DEMO-{synthetic.COUNT:04d} (synthetic).")
