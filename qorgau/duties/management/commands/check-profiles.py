from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.duties import profiles
from qorgau.duties.services import profiles_dir


class Command(BaseCommand):
    help = "Validate the jurisdiction profiles (schema, references, letter templates)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", help="folder to check instead of the configured one")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["dir"]) if options["dir"] else profiles_dir()
        try:
            loaded = profiles.load_all(directory)
        except profiles.ProfileError as exc:
            raise CommandError(f"profile error: {exc}") from exc
        if not loaded:
            raise CommandError(f"no profiles (*.yaml) in {directory}")
        for pid, profile in loaded.items():
            confirmed = sum(rule.confirmed for rule in profile.rules)
            self.stdout.write(f"{pid}: {len(profile.rules)} rules ({confirmed} confirmed), "
                              f"version {profile.version}")
        self.stdout.write(self.style.SUCCESS(f"OK: {len(loaded)} profiles"))
