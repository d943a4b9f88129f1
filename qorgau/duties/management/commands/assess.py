"""assess FILE... [--json]: a case file's duties, proceedings flags and risk suggestions,
built in a transaction that is rolled back (nothing stored, nothing on any ledger)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.cases import casefile
from qorgau.duties import assessment

GROUNDS = {"on_record": "on a recorded refusal, non-response or finding",
           "on_absence": "only on nothing being recorded"}


def read(path: str) -> Any:
    try:
        with open(path, "rb") as handle:
            return casefile.loads(handle.read())
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
    except casefile.CaseFileError as exc:
        raise CommandError(f"{path}: " + "; ".join(str(p) for p in exc.problems)) from exc


class Command(BaseCommand):
    help = ("For each case file: build the case in a transaction that is rolled back and print "
            "its duties (status, rule, bearer, triggering event, what a breach rests on), its "
            "proceedings flags and its risk suggestions. Nothing is stored.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--json", action="store_true", help="one JSON document per run")

    def handle(self, *args: Any, **options: Any) -> None:
        if assessment.unmigrated():
            raise CommandError(assessment.NOT_MIGRATED)
        results = {}
        for path in options["files"]:
            try:
                results[path] = assessment.assess(read(path))
            except casefile.CaseFileError as exc:
                raise CommandError(f"{path}: " + "; ".join(str(p) for p in exc.problems)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False, indent=2))
            return
        for path, result in results.items():
            self.stdout.write(f"{path}: profile {result['profile']}, {result['mode']}, "
                              f"{result['events']} events, {result['breached']} breached")
            for duty in result["duties"]:
                rests = f" ({GROUNDS[duty['grounds']]})" if duty["grounds"] else ""
                mark = "" if duty["confirmed"] else " [unconfirmed]"
                self.stdout.write(
                    f"  {duty['status']:<14} {duty['rule']:<34} {duty['bearer']:<14} "
                    f"event #{duty['trigger']}{rests}{mark}")
            for proceeding in result["proceedings"]:
                for flag in proceeding["flags"]:
                    self.stdout.write(f"  flag {proceeding['proceeding']}: {flag['text']}")
            for item, events in result["risk_suggestions"].items():
                self.stdout.write(f"  risk item {item}: suggested by events "
                                  + ", ".join(f"#{n}" for n in events))
