from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qorgau.cases.verification import verify_all


class Command(BaseCommand):
    help = "Re-derive every case's hash chain from the stored records; report the first break."

    def handle(self, *args: Any, **options: Any) -> None:
        cases = broken = entries = 0
        for report in verify_all():
            cases += 1
            entries += report.entries
            if report.problem:
                broken += 1
                where = f"entry {report.problem.seq}" if report.problem.seq else "no entry"
                self.stderr.write(
                    f"case {report.reference}: BROKEN at {where}: {report.problem.reason}"
                )
        summary = f"{cases} cases, {entries} ledger entries checked, {broken} broken"
        if broken:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(f"OK: {summary}"))
