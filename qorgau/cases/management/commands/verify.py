from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.accounts import orgledger
from qorgau.cases import checks
from qorgau.cases.verification import BLOCK, verify_all
from qorgau.fields import keyring
from qorgau.operations.children import ending_with_parent


class Command(BaseCommand):
    help = ("Re-derive every case's and every organisation's hash chain from the stored "
            "records; report the first break.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--jobs", type=int, default=1,
                            help="processes checking disjoint blocks of cases (default 1)")
        parser.add_argument("--block", type=int, default=BLOCK,
                            help=f"cases read together (default {BLOCK})")
        checks.add_arguments(parser)  # evidence objects, duties (other apps)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["jobs"] < 1 or options["block"] < 1:
            raise CommandError("--jobs and --block must be at least 1")
        keyring()  # keys held by trustees and none open here: refuse, not "BROKEN" everywhere
        cases = broken = entries = 0
        with ending_with_parent():  # the --jobs processes end with this one, even killed
            for report in verify_all(jobs=options["jobs"], block=options["block"]):
                cases += 1
                entries += report.entries
                if report.problem:
                    broken += 1
                    where = f"entry {report.problem.seq}" if report.problem.seq else "no entry"
                    self.stderr.write(
                        f"case {report.reference}: BROKEN at {where}: {report.problem.reason}"
                    )
        orgs = org_entries = 0
        for org in orgledger.verify_all():
            orgs += 1
            org_entries += org.entries
            if org.problem:
                broken += 1
                where = f"entry {org.problem.seq}" if org.problem.seq else "no entry"
                self.stderr.write(
                    f"organisation {org.slug}: BROKEN at {where}: {org.problem.reason}")
        summary = (f"{cases} cases, {entries} ledger entries checked, {broken} broken; "
                   f"{orgs} organisations, {org_entries} organisation ledger entries")
        problems = checks.run_all(options, self.stdout.write, self.stderr.write)
        if problems:
            summary += f"; {problems} other problems (above)"
        if broken or problems:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(f"OK: {summary}"))
