"""corpus-recall DIR [--min-recall X] [--json] [--verbose-misses]: how many of the failures
the deciding bodies found in the development corpus Qorgau flags (docs/corpus.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qorgau.cases import casefile
from qorgau.duties import assessment, engine, recall
from qorgau.duties.management.commands.assess import read

FINDINGS = ("international_judgment", "finding_unlawful")


def without_findings(document: dict[str, Any]) -> dict[str, Any]:
    """The case file without the findings on it, renumbered, read as casework."""
    events = [e for e in document["events"] if e["kind"] not in FINDINGS]
    kept = {e["number"] for e in events}
    for event in events:
        event["links"] = [link for link in event.get("links") or ()
                          if link["target"] in kept]
    case = {**document["case"], "mode": "casework"}
    return {**document, "case": case, "events": events}


class Command(BaseCommand):
    help = ("Assess every case file of a corpus folder and compare its breached duties with the "
            "failures the deciding body found; exit non-zero below --min-recall or on any flag "
            "the record contradicts.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder")
        parser.add_argument("--min-recall", type=float, default=0.0,
                            help="fail below this share of failures flagged (0-1)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--verbose-misses", action="store_true",
                            help="print every failure not flagged, with what was found")
        parser.add_argument("--facts-only", action="store_true",
                            help="leave out the deciding body's findings and judgments and "
                                 "read each case as casework: what the facts alone flag, as a "
                                 "caseworker would have seen it before any judgment")

    def handle(self, *args: Any, **options: Any) -> None:
        if assessment.unmigrated():
            raise CommandError(assessment.NOT_MIGRATED)
        files = sorted(Path(options["folder"]).glob("*.json"))
        if not files:
            raise CommandError(f"No case files (*.json) in {options['folder']}.")
        cases = []
        for path in files:
            document = read(str(path))
            meta = document.get("corpus") or {}
            if options["facts_only"]:
                document = without_findings(document)
            try:
                result = assessment.assess(document)
            except casefile.CaseFileError as exc:
                raise CommandError(f"{path.name}: " + "; ".join(
                    str(p) for p in exc.problems)) from exc
            flags = [recall.Flag(d["rule"], d["bearer"], d["trigger"], d["grounds"],
                                 d["standing"])
                     for d in result["duties"]
                     if d["status"] == engine.BREACHED
                     or (d["status"] == engine.MET and "late" in d["explanation"])]
            links = {int(k): set(v) for k, v in result["links"].items()}
            expected = meta.get("expected") or {}
            case = recall.judge(path.stem, expected, flags, links,
                                control=bool(meta.get("control")))
            case.proceedings = len(result["proceedings"])
            trial_flags = [recall.TrialFlag(p["index"], f["flag"], f["indicator"],
                                            tuple(f["events"]))
                           for p in result["proceedings"] for f in p["flags"]]
            cases.append(recall.judge_trials(case, expected, trial_flags))
        total = recall.totals(cases)
        if options["json"]:
            self.stdout.write(json.dumps(self._json(cases, total), indent=2))
        else:
            self._print(cases, total, options["verbose_misses"])
        if total.contradicted or total.trials_contradicted:
            raise CommandError(f"{total.contradicted + total.trials_contradicted} flag(s) "
                               "contradicted by the record.")
        if total.trials_flagged < total.trials and options["min_recall"] > 0:
            raise CommandError(f"{total.trials - total.trials_flagged} documented trial "
                               "failure(s) not flagged.")
        if total.recall < options["min_recall"]:
            raise CommandError(f"Recall {total.recall:.1%} is below the floor "
                               f"{options['min_recall']:.1%}.")

    def _print(self, cases: list[recall.CaseRecall], total: recall.Totals, misses: bool) -> None:
        self.stdout.write(f"{'case':<34} {'failures':>8} {'flagged':>8} {'other':>6} "
                          f"{'missed':>7} {'contra':>7}")
        for c in cases:
            self.stdout.write(
                f"{c.name[:34]:<34} {len(c.failures):>8} {c.count(recall.FLAGGED):>8} "
                f"{c.count(recall.ELSEWHERE):>6} {c.count(recall.MISSED):>7} "
                f"{len(c.contradicted):>7}" + ("  (control)" if c.control else ""))
            for failure, outcome, found in c.failures:
                if misses and outcome != recall.FLAGGED:
                    seen = ", ".join(f"{f.rule}/{f.bearer}@#{f.trigger}" for f in found) or "-"
                    self.stdout.write(f"    {outcome}: {failure.get('id', '')} event "
                                      f"#{failure.get('event')} {failure['bearer']}: "
                                      f"{failure.get('finding', '')[:90]} [found: {seen}]")
            for proper, flag in c.contradicted:
                self.stdout.write(f"    CONTRADICTED: {flag.rule}/{flag.bearer}@#{flag.trigger}"
                                  f" but: {proper.get('note', '')[:100]}")
            for failure, hit in c.trials:
                if misses and not hit:
                    self.stdout.write(f"    trial missed: {failure.get('id', '')} proceeding "
                                      f"{failure['proceeding']} {failure['flag']} "
                                      f"{failure.get('indicator', '')}: "
                                      f"{failure.get('finding', '')[:90]}")
            for proper, tflag in c.trials_contradicted:
                self.stdout.write(f"    TRIAL FLAG CONTRADICTED: proceeding {tflag.proceeding} "
                                  f"{tflag.flag} but: {proper.get('note', '')[:100]}")
        self.stdout.write("")
        for bearer, (flagged, of) in recall.by_bearer(cases).items():
            self.stdout.write(f"  {bearer:<16} {flagged}/{of}")
        self.stdout.write(
            f"{len(cases)} cases, {total.failures} documented failures: {total.flagged} flagged "
            f"({total.recall:.1%}), {total.elsewhere} flagged as another duty "
            f"({total.lenient:.1%} lenient), {total.missed} missed, "
            f"{total.contradicted} contradicted")
        trials = [c for c in cases if c.trials or c.trials_proper]
        if trials:
            self.stdout.write("")
            self.stdout.write(f"{'trials':<34} {'documented':>10} {'flagged':>8} {'contra':>7}")
            for c in trials:
                self.stdout.write(f"{c.name[:34]:<34} {len(c.trials):>10} "
                                  f"{c.trials_flagged:>8} {len(c.trials_contradicted):>7}"
                                  + ("  (proper conduct checked)" if c.trials_proper else ""))
        self.stdout.write(
            f"{sum(c.proceedings for c in cases)} proceedings, {total.trials} documented trial "
            f"failures: {total.trials_flagged} flagged ({total.trial_recall:.1%}), "
            f"{total.trials_contradicted} contradicted")

    @staticmethod
    def _json(cases: list[recall.CaseRecall], total: recall.Totals) -> dict[str, Any]:
        return {
            "cases": [{"case": c.name, "control": c.control, "failures": len(c.failures),
                       "flagged": c.count(recall.FLAGGED),
                       "elsewhere": c.count(recall.ELSEWHERE),
                       "missed": c.count(recall.MISSED), "contradicted": len(c.contradicted)}
                      for c in cases],
            "by_bearer": {b: {"flagged": f, "failures": n}
                          for b, (f, n) in recall.by_bearer(cases).items()},
            "failures": total.failures, "flagged": total.flagged,
            "elsewhere": total.elsewhere, "missed": total.missed,
            "contradicted": total.contradicted, "recall": round(total.recall, 4),
            "lenient": round(total.lenient, 4),
            "trials": {"documented": total.trials, "flagged": total.trials_flagged,
                       "contradicted": total.trials_contradicted,
                       "recall": round(total.trial_recall, 4),
                       "cases": [{"case": c.name, "documented": len(c.trials),
                                  "flagged": c.trials_flagged,
                                  "contradicted": len(c.trials_contradicted)}
                                 for c in cases if c.trials or c.trials_proper]},
        }
