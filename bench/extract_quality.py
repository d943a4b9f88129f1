"""Quality of the narrative extractor (issue 31) against the hand annotations in corpus/narratives.

    .venv/bin/python bench/extract_quality.py [--misses] [--speed]

Each `NAME.LANG.txt` (a `#` header citing its source, a blank line, then the text) has
`NAME.LANG.json` beside it: its events, each with `in` (words of the sentence it is told in),
`kind`, `start`/`end` (partial ISO, "" when the text gives no date), `institution`. A proposal
matches an annotated event when both are in the same sentence and have the same kind.
Three subsets are printed apart: "public" texts (`"public": true`, with a `"citation"`: short
excerpts quoted from public court documents and press reports, annotated before the
extractor was run on them), "held out" texts (`"held_out": true`: written for Qorgau after
the lexicons were tuned and never tuned on) and "dev" texts (written for Qorgau and tuned on:
their figures flatter the extractor).

Per language it prints: event-kind precision, recall and F1; explicit-date precision (of the
matched proposals whose date came from a date written in the sentence, the share whose start
and end equal the annotation's); the share of dates resolved from another ("the next day") or
said as before or after a dated act ("after the beating on 1 January 2016") that agree with
the annotation (equal, or on the right side of it); institution accuracy (matched events the
annotation gives an institution); recall of risk-relevant incidents (strangulation, threats
to kill, weapons) and of the state's failures (refusals, no response, orders breached or not
enforced); and the share of proposals that cite their sentence (its exact text and offsets in
the narrative).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qorgau.intake.extract import Proposal, propose, sentences  # noqa: E402

CORPUS = ROOT / "corpus" / "narratives"
RISK = {"strangulation", "threat_to_kill", "weapon"}
FAILURES = {"police_refusal", "case_refused", "authority_no_response", "order_breached",
            "breach_response", "detention_refused", "case_discontinued"}


def body(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").split("\n")
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "\n".join(lines).strip("\n")


def consistent(p: Proposal, start: str, end: str) -> bool:
    """A date resolved from another ("the next day") equals the annotation's; one said only as
    before or after a dated act ("after the beating on 1 January 2016") holds the annotation's
    date on the right side of it (compared at the annotation's precision)."""
    if not start:
        return False
    bound = p.when.start[:len(start)]
    if p.when.qualifier == "after":
        return start >= bound
    if p.when.qualifier == "before":
        return start <= bound
    return (p.when.start, p.when.end) == (start, end)


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f} ({a}/{b})" if b else "n/a (0)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true",
                        help="list every missed event and every wrong proposal")
    parser.add_argument("--speed", action="store_true",
                        help="also time a paste at the size limit (100,000 characters)")
    args = parser.parse_args()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    notes: dict[str, list[str]] = defaultdict(list)
    texts = sorted(CORPUS.glob("*.txt"))
    for path in texts:
        name, language = path.stem.rsplit(".", 1)
        text = body(path)
        spans = sentences(text)
        annotation = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        if annotation.get("public") and not annotation.get("citation"):
            raise SystemExit(f"{path.name}: a public text must cite its source (\"citation\")")
        if not annotation.get("public") and not annotation.get("written_by"):
            raise SystemExit(f"{path.name}: neither public (with a citation) nor written_by")
        proposals = propose(text, language)
        cited = sum(1 for each in proposals
                    if each.sentence and each.sentence == text[each.start:each.end]
                    and (each.start, each.end) in spans)
        proposed: dict[tuple[int, str], Proposal] = {}
        for each in proposals:
            index = next(i for i, (a, b) in enumerate(spans) if (a, b) == (each.start, each.end))
            proposed.setdefault((index, each.kind), each)
        part = ("public" if annotation.get("public")
                else "held out" if annotation.get("held_out") else "dev")
        lang = f"{language} {part}"
        gold: dict[tuple[int, str], dict[str, str]] = {}
        for event in annotation["events"]:
            where = next((i for i, (a, b) in enumerate(spans) if event["in"] in text[a:b]), None)
            if where is None:
                raise SystemExit(f"{path.name}: no sentence contains {event['in']!r}")
            gold.setdefault((where, event["kind"]), event)
        c = counts[lang]
        c["texts"] += 1
        c["proposed"] += len(proposed)
        c["proposals"] += len(proposals)
        c["cited"] += cited
        c["gold"] += len(gold)
        for key, event in gold.items():
            p = proposed.get(key)
            sentence = text[slice(*spans[key[0]])]
            if key[1] in RISK:
                c["risk"] += 1
                c["risk_found"] += p is not None
            if key[1] in FAILURES:
                c["failures"] += 1
                c["failures_found"] += p is not None
            if p is None:
                notes[lang].append(f"  missed {key[1]} ({name}): {sentence}")
                continue
            c["matched"] += 1
            if p.when.source == "explicit":
                c["dated"] += 1
                right = (p.when.start, p.when.end) == (event.get("start", ""), event.get("end", ""))
                c["dated_right"] += right
                if not right:
                    notes[lang].append(
                        f"  date {p.when.start or '?'}..{p.when.end} from {p.when.text!r}, "
                        f"annotated {event.get('start') or '?'}..{event.get('end', '')} "
                        f"({key[1]}, {name})")
            elif p.when.source == "relative":
                c["relative"] += 1
                right = consistent(p, event.get("start", ""), event.get("end", ""))
                c["relative_right"] += right
                if not right:
                    notes[lang].append(
                        f"  relative date {p.when.qualifier} {p.when.start or '?'}..{p.when.end} "
                        f"from {p.when.text!r}, annotated {event.get('start') or '?'}.."
                        f"{event.get('end', '')} ({key[1]}, {name})")
            if event.get("institution"):
                c["inst"] += 1
                right = p.institution == event["institution"]
                c["inst_right"] += right
                if not right:
                    notes[lang].append(f"  institution {p.institution or '-'} for "
                                       f"{event['institution']} ({key[1]}, {name})")
        for key, extra in proposed.items():
            if key not in gold:
                notes[lang].append(f"  extra {key[1]} ({name}, cue {extra.cues[0]!r}): "
                                   f"{text[slice(*spans[key[0]])][:90]}")
    for lang in [f"{language} {part}" for part in ("public", "held out", "dev")
                 for language in ("ru", "kk", "en")]:
        c = counts[lang]
        if not c["texts"]:
            continue
        precision = c["matched"] / c["proposed"] if c["proposed"] else 0.0
        recall = c["matched"] / c["gold"] if c["gold"] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"{lang}: {c['texts']} texts, {c['gold']} annotated events, "
              f"{c['proposed']} proposals")
        print(f"  event kind: precision {ratio(c['matched'], c['proposed'])}, "
              f"recall {ratio(c['matched'], c['gold'])}, F1 {f1:.2f}")
        print(f"  explicit-date precision {ratio(c['dated_right'], c['dated'])}")
        print(f"  relative dates (the next day, before or after a dated act) consistent with "
              f"the annotation {ratio(c['relative_right'], c['relative'])}")
        print(f"  institution accuracy {ratio(c['inst_right'], c['inst'])}")
        print(f"  risk-relevant incidents recall {ratio(c['risk_found'], c['risk'])}")
        print(f"  state failures reaching a proposal {ratio(c['failures_found'], c['failures'])}")
        print(f"  proposals citing their sentence {ratio(c['cited'], c['proposals'])}")
        if args.misses:
            print("\n".join(notes[lang]))
    if args.speed:
        speed(texts)
    return 0


def speed(texts: list[Path]) -> None:
    """Time `propose` on a paste at the size limit (the corpus repeated, and one run-on
    sentence) against splitting the same text into sentences, in the same run."""
    limit = 100_000
    for language in ("ru", "kk", "en"):
        corpus = "\n\n".join(body(p) for p in texts if p.stem.endswith("." + language))
        run_on = {"ru": "он бил её и угрожал ей ", "kk": "ол оны ұрып қорқытты ",
                  "en": "he hit her and threatened her "}[language]
        for label, text in (("corpus", (corpus * (limit // len(corpus) + 1))[:limit]),
                            ("one sentence", (run_on * (limit // len(run_on) + 1))[:limit])):
            started = time.perf_counter()
            sentences(text)
            split = time.perf_counter() - started
            started = time.perf_counter()
            count = len(propose(text, language))
            took = time.perf_counter() - started
            print(f"speed {language} {label}: {len(text):,} characters, {count} proposals in "
                  f"{took:.2f} s ({took / split:.0f}x splitting it into sentences, "
                  f"{split * 1000:.1f} ms)")


if __name__ == "__main__":
    raise SystemExit(main())
