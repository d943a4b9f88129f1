from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.duties import bulk
from qorgau.operations.children import ending_with_parent


class Command(BaseCommand):
    help = ("Re-derive every case's obligations (after a profile change); changes go on the "
            "ledger. Cases go a block at a time, each block in one transaction. Prints its "
            "progress; an interrupted run resumes with --after. The accountability counts "
            "follow with `refresh-insights --all`.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", help="only cases under this profile")
        parser.add_argument("--after", type=int, default=0, metavar="CASE_ID",
                            help="resume: only cases after this id (from a progress line)")
        parser.add_argument("--every", type=int, default=bulk.BLOCK, metavar="N",
                            help=f"a progress line every N cases (default {bulk.BLOCK})")
        parser.add_argument("--block", type=int, default=bulk.BLOCK, metavar="N",
                            help=f"cases per transaction (default {bulk.BLOCK}; at most "
                                 "--every)")
        parser.add_argument("--jobs", type=int, default=1, metavar="N",
                            help="processes, each over its own blocks (default 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["every"] < 1 or options["block"] < 1 or options["jobs"] < 1:
            raise CommandError("--every, --block and --jobs take a positive number.")
        size = min(options["block"], options["every"])
        plan = list(bulk.blocks(options["after"], options["profile"], size))
        todo = sum(n for _first, _last, n in plan)
        total = changed = printed = 0
        # The --jobs processes end with this one, even killed: none goes on writing.
        with ending_with_parent():
            for result in bulk.recompute_all(plan, options["profile"], options["jobs"]):
                total += result.cases
                changed += result.changed
                if total // options["every"] > printed:
                    printed = total // options["every"]
                    self.stdout.write(f"{total}/{todo} cases, {changed} changed; "
                                      f"resume with --after {result.last}", ending="\n")
                    self.stdout.flush()
        if changed:
            bulk.refresh_statistics()
        self.stdout.write(self.style.SUCCESS(
            f"OK: {total} cases recomputed, {changed} changed"))
