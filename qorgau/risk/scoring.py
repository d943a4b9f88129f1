"""Score a risk assessment. Pure: no Django.

Answers are yes / no / unknown; only "yes" counts. The level is the highest whose condition
holds. Professional judgement may raise the level, with a written reason; never lower it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qorgau.risk.instruments import Instrument

YES, NO, UNKNOWN = "yes", "no", "unknown"
ANSWERS = (YES, NO, UNKNOWN)


class JudgementError(ValueError):
    pass


@dataclass(frozen=True)
class Result:
    score: int  # weighted sum of yes answers (a count where all weights are 1)
    yes: tuple[str, ...]  # items answered yes, in instrument order
    computed_level: str
    level: str  # after professional judgement
    raised: bool


def holds(condition: Mapping[str, Any], yes: frozenset[str], score: int,
          all_items: tuple[str, ...]) -> bool:
    (key, value), = condition.items()
    if key == "count":
        pool = value.get("items") or all_items
        return sum(1 for item in pool if item in yes) >= value["at_least"]
    if key == "any":
        return any(item in yes for item in value)
    if key == "score":
        return score >= value["at_least"]
    if key == "any_of":
        return any(holds(c, yes, score, all_items) for c in value)
    if key == "all_of":
        return all(holds(c, yes, score, all_items) for c in value)
    raise ValueError(f"unknown condition {key!r}")


def score(instrument: Instrument, answers: Mapping[str, str],
          judgement: str | None = None, reason: str = "") -> Result:
    """Score `answers` (item id -> yes/no/unknown); `judgement` may only raise the level."""
    unknown = set(answers) - {item.id for item in instrument.items}
    if unknown:
        raise ValueError(f"not items of {instrument.id}: {', '.join(sorted(unknown))}")
    bad = {a for a in answers.values() if a not in ANSWERS}
    if bad:
        raise ValueError(f"answers must be yes, no or unknown, not {', '.join(sorted(bad))}")
    yes = tuple(item.id for item in instrument.items if answers.get(item.id) == YES)
    total = sum(item.weight for item in instrument.items if item.id in yes)
    all_items = tuple(item.id for item in instrument.items)
    computed = instrument.levels[0].id
    for level in instrument.levels[1:]:
        if level.when is not None and holds(level.when, frozenset(yes), total, all_items):
            computed = level.id
    final = computed
    if judgement and judgement != computed:
        if judgement not in [lv.id for lv in instrument.levels]:
            raise JudgementError(f"unknown level {judgement!r}")
        if instrument.rank(judgement) < instrument.rank(computed):
            raise JudgementError("professional judgement may raise the level, never lower it")
        if not reason.strip():
            raise JudgementError("raising the level needs a written reason")
        final = judgement
    return Result(total, yes, computed, final, final != computed)
