from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.duties import profiles
from qorgau.duties.services import profiles_dir

RESULTS = ("confirmed", "partly", "differs", "not_found", "unchecked")


def _order_result(order: Mapping[str, Any]) -> str:
    if order.get("confirmed"):
        return "confirmed"
    found = {c["result"] for c in order.get("checks") or ()}
    return next((r for r in ("differs", "partly", "not_found") if r in found), "unchecked")


class Command(BaseCommand):
    help = ("Validate the jurisdiction profiles (schema, references, letter templates) and "
            "count, per profile, its own rules and order types confirmed against the primary "
            "text, partly confirmed, differing from it, not found, or unchecked (-v 2 lists "
            "each).")

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
            own = [r for r in profile.rules if r.profile == pid]
            inherited = {o["id"] for o in loaded[profile.parent].order_types} if (
                profile.parent in loaded) else set()
            orders = [o for o in profile.order_types if o["id"] not in inherited]
            results: list[tuple[str, str, str]] = []
            for rule in own:
                result = "confirmed" if rule.confirmed else (
                    "partly" if rule.check_result == "confirmed" else rule.check_result)
                note = next((c.note for c in rule.checks if c.note), "")
                results.append((rule.id, result, note))
            for order in orders:
                note = next((c.get("note", "") for c in order.get("checks") or ()
                             if c.get("note")), "")
                results.append((order["id"], _order_result(order), note))
            counts = Counter(result for _id, result, _note in results)
            total = len(results)
            share = counts["confirmed"] / total if total else 0.0
            self.stdout.write(
                f"{pid}: {len(profile.rules)} rules ({len(own)} its own), version "
                f"{profile.version}; own rules and order types: {counts['confirmed']}/{total} "
                f"confirmed ({share:.0%}), " + ", ".join(
                    f"{counts[r]} {r.replace('_', ' ')}" for r in RESULTS[1:]))
            if options["verbosity"] >= 2:
                for item, result, note in results:
                    self.stdout.write(f"    {result:<10} {item}" + (f": {note}" if note else ""))
        self.stdout.write(self.style.SUCCESS(f"OK: {len(loaded)} profiles"))
