"""Risk instruments as data: the shipped files load, the scoring rules hold at their
boundaries, judgement only raises, a broken file is named precisely, the timeline suggests.

Pure: no database.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from qorgau.cases.dates import DateSpan
from qorgau.risk import instruments, scoring, suggest
from qorgau.risk.instruments import Instrument, InstrumentError, Item, Level, Suggestion
from qorgau.risk.scoring import JudgementError
from qorgau.risk.suggest import TimelineFact

SHIPPED_DIR = Path(__file__).resolve().parents[3] / "instruments"
LANGUAGES = ("en", "ru", "kk")
KAZAKH_LETTERS = set("әғқңөұүі")  # һ only appears in a few loanwords

OPEN_ITEMS = {  # id -> weight; the application code depends on these ids
    "strangulation": 3, "threat_to_kill": 2, "weapon": 2, "firearm_access": 3,
    "serious_injury": 1, "separation": 2, "escalation": 1, "coercive_control": 1,
    "threat_children": 1, "stalking": 1, "sexual_violence": 1, "pregnancy": 1,
    "breach_of_orders": 1, "respondent_suicide_threat": 1, "stepchild": 1, "her_fear": 2,
}
OPEN_TRIGGERS = ("strangulation", "threat_to_kill", "weapon", "firearm_access", "her_fear")
OPEN_ORDINARY = tuple(i for i in OPEN_ITEMS if i not in OPEN_TRIGGERS)

DA_WEIGHTS = {f"q{n}": w for n, w in enumerate(
    (1, 3, 4, 4, 3, 2, 1, 1, 1, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0), start=1)}


@pytest.fixture(scope="module")
def shipped() -> dict[str, Instrument]:
    return instruments.load_all(SHIPPED_DIR)


def yes_to(items: Iterable[str]) -> dict[str, str]:
    return {item: scoring.YES for item in items}


# --- the shipped files ---------------------------------------------------------------------


def test_every_shipped_instrument_validates(shipped):
    assert {"qorgau-open", "dash", "danger-assessment", "lethality-screen"} <= set(shipped)
    for inst in shipped.values():
        assert inst.sources and inst.levels[0].when is None
        for text in [inst.title, inst.notice, *(i.text for i in inst.items),
                     *(lv.title for lv in inst.levels)]:
            if text is not None:
                assert all(text[lang].strip() for lang in LANGUAGES), inst.id


def test_the_open_screen_is_ours_unvalidated_and_says_so(shipped):
    inst = shipped["qorgau-open"]
    assert not inst.validated and inst.text_included
    assert inst.licence["name"] == "CC BY 4.0"
    assert inst.licence["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert inst.notice is not None
    assert "not a validated instrument" in inst.notice["en"]
    assert "never means she is safe" in inst.notice["en"]
    assert {i.id: i.weight for i in inst.items} == OPEN_ITEMS
    assert all(len(i.evidence) > 20 for i in inst.items)
    assert [lv.id for lv in inst.levels] == ["standard", "elevated", "high"]
    assert all(lv.action for lv in inst.levels)
    kazakh = "".join(i.text["kk"] for i in inst.items).lower()
    assert set(kazakh) >= KAZAKH_LETTERS
    cited = " ".join(inst.sources)
    for citation in ("2008;35(3):329–335", "2003;93(7):1089–1097", "2009;24(4):653–674"):
        assert citation in cited


def test_what_only_she_can_answer_is_never_suggested(shipped):
    inst = shipped["qorgau-open"]
    for item_id in ("her_fear", "firearm_access", "respondent_suicide_threat", "stepchild"):
        assert inst.item(item_id).suggested_by is None
    escalation = inst.item("escalation").suggested_by
    assert escalation is not None and escalation.recurring_years == 2


@pytest.mark.parametrize("instrument_id", ["dash", "danger-assessment", "lethality-screen"])
def test_licensed_instruments_ship_no_question_text(shipped, instrument_id):
    inst = shipped[instrument_id]
    assert inst.validated and not inst.text_included
    permission = inst.licence["permission"]
    assert all(permission[lang].strip() for lang in LANGUAGES)
    for item in inst.items:
        assert "text not included" in item.text["en"], item.id
        assert "текст не включён" in item.text["ru"], item.id
        assert "мәтін қосылмаған" in item.text["kk"], item.id


def test_danger_assessment_weights_stay_marked_unconfirmed(shipped):
    inst = shipped["danger-assessment"]
    assert {i.id: i.weight for i in inst.items} == DA_WEIGHTS
    assert inst.scoring_confirmed is False
    assert inst.unconfirmed is not None
    assert all(inst.unconfirmed[lang].strip() for lang in LANGUAGES)
    assert shipped["dash"].scoring_confirmed and shipped["lethality-screen"].scoring_confirmed


# --- conditions, on small instruments built in memory ---------------------------------------


def tiny(condition: Mapping[str, Any], weights: Mapping[str, int] | None = None) -> Instrument:
    weights = weights or {"a": 1, "b": 1, "c": 1, "d": 1}
    text = {"en": "x", "ru": "x", "kk": "x"}
    return Instrument(
        id="tiny", version="1", title=text, validated=False, notice=None,
        licence={"name": "test", "text_included": True}, sources=("test source",),
        scoring_confirmed=True, unconfirmed=None,
        items=tuple(Item(i, text, w) for i, w in weights.items()),
        levels=(Level("low", text, None), Level("top", text, condition)),
    )


CONDITIONS = [
    # count over all items
    ({"count": {"at_least": 2}}, ["a"], "low"),
    ({"count": {"at_least": 2}}, ["a", "d"], "top"),
    # count over listed items only
    ({"count": {"items": ["a", "b"], "at_least": 2}}, ["a", "c", "d"], "low"),
    ({"count": {"items": ["a", "b"], "at_least": 2}}, ["a", "b"], "top"),
    # any
    ({"any": ["c"]}, ["a", "b", "d"], "low"),
    ({"any": ["c"]}, ["c"], "top"),
    # score: weighted sum (a 1, b 2, c 5, d 0)
    ({"score": {"at_least": 5}}, ["a", "b", "d"], "low"),
    ({"score": {"at_least": 5}}, ["c"], "top"),
    # any_of
    ({"any_of": [{"any": ["d"]}, {"count": {"at_least": 3}}]}, ["a", "b"], "low"),
    ({"any_of": [{"any": ["d"]}, {"count": {"at_least": 3}}]}, ["d"], "top"),
    ({"any_of": [{"any": ["d"]}, {"count": {"at_least": 3}}]}, ["a", "b", "c"], "top"),
    # all_of
    ({"all_of": [{"any": ["a"]}, {"score": {"at_least": 3}}]}, ["a", "b"], "top"),
    ({"all_of": [{"any": ["a"]}, {"score": {"at_least": 3}}]}, ["b", "d"], "low"),
    ({"all_of": [{"any": ["a"]}, {"score": {"at_least": 3}}]}, ["a", "d"], "low"),
]


@pytest.mark.parametrize(("condition", "yes", "level"), CONDITIONS)
def test_each_condition_type(condition, yes, level):
    inst = tiny(condition, {"a": 1, "b": 2, "c": 5, "d": 0})
    result = scoring.score(inst, yes_to(yes))
    assert result.level == result.computed_level == level
    assert result.score == sum({"a": 1, "b": 2, "c": 5, "d": 0}[i] for i in yes)
    assert result.yes == tuple(i for i in "abcd" if i in yes)


def test_only_yes_counts():
    inst = tiny({"count": {"at_least": 1}})
    answers = {"a": scoring.UNKNOWN, "b": scoring.NO, "c": scoring.UNKNOWN}
    result = scoring.score(inst, answers)
    assert (result.level, result.score, result.yes) == ("low", 0, ())


def test_bad_answers_and_foreign_items_are_refused():
    inst = tiny({"count": {"at_least": 1}})
    with pytest.raises(ValueError, match="yes, no or unknown"):
        scoring.score(inst, {"a": "maybe"})
    with pytest.raises(ValueError, match="not items of tiny: zz"):
        scoring.score(inst, {"zz": scoring.YES})


# --- professional judgement ------------------------------------------------------------------


def test_judgement_raises_the_level_with_a_reason(shipped):
    result = scoring.score(shipped["qorgau-open"], yes_to(["stalking"]), judgement="high",
                           reason="He was seen outside her sister's flat last night.")
    assert (result.computed_level, result.level, result.raised) == ("standard", "high", True)


def test_judgement_equal_to_the_computed_level_needs_no_reason(shipped):
    result = scoring.score(shipped["qorgau-open"], yes_to(["strangulation"]),
                           judgement="high")
    assert (result.computed_level, result.level, result.raised) == ("high", "high", False)


def test_judgement_never_lowers(shipped):
    with pytest.raises(JudgementError, match="never lower"):
        scoring.score(shipped["qorgau-open"], yes_to(["strangulation"]),
                      judgement="elevated", reason="She says he has calmed down.")


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_judgement_needs_a_written_reason(shipped, reason):
    with pytest.raises(JudgementError, match="written reason"):
        scoring.score(shipped["qorgau-open"], {}, judgement="elevated", reason=reason)


def test_judgement_names_a_level_of_the_instrument(shipped):
    with pytest.raises(JudgementError, match="unknown level 'critical'"):
        scoring.score(shipped["qorgau-open"], {}, judgement="critical", reason="worried")


# --- DASH ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "level"), [
    (0, "standard"), (9, "standard"), (10, "medium"), (13, "medium"), (14, "high"),
    (24, "high"),
])
def test_dash_boundaries(shipped, count, level):
    result = scoring.score(shipped["dash"], yes_to(f"q{n}" for n in range(1, count + 1)))
    assert (result.level, result.score) == (level, count)


def test_dash_referral_on_judgement_below_fourteen(shipped):
    result = scoring.score(shipped["dash"], yes_to(f"q{n}" for n in range(1, 6)),
                           judgement="high", reason="Third incident in 12 months.")
    assert (result.computed_level, result.level) == ("standard", "high")


# --- Danger Assessment ---------------------------------------------------------------------


def _weighing(total: int) -> list[str]:
    """Items whose (unconfirmed) weights add up to `total`, heaviest first."""
    chosen, left = [], total
    for item, weight in sorted(DA_WEIGHTS.items(), key=lambda kv: -kv[1]):
        if 0 < weight <= left:
            chosen.append(item)
            left -= weight
    assert left == 0, total
    return chosen


@pytest.mark.parametrize(("total", "level"), [
    (0, "variable"), (7, "variable"), (8, "increased"), (13, "increased"), (14, "severe"),
    (17, "severe"), (18, "extreme"), (33, "extreme"),
])
def test_danger_assessment_boundaries(shipped, total, level):
    result = scoring.score(shipped["danger-assessment"], yes_to(_weighing(total)))
    assert (result.score, result.level) == (total, level)


def test_danger_assessment_item_twenty_weighs_nothing(shipped):
    yes = [*_weighing(7), "q20"]
    result = scoring.score(shipped["danger-assessment"], yes_to(yes))
    assert (result.score, result.level) == (7, "variable")


# --- Lethality Screen ----------------------------------------------------------------------


@pytest.mark.parametrize(("yes", "level"), [
    ([], "not_screened_in"),
    (["q1"], "high_danger"),
    (["q2"], "high_danger"),
    (["q3"], "high_danger"),
    (["q4", "q7", "q11"], "not_screened_in"),
    (["q4", "q7", "q9", "q11"], "high_danger"),
    (["q5", "q6", "q8", "q10", "q11"], "high_danger"),
])
def test_lethality_screen(shipped, yes, level):
    assert scoring.score(shipped["lethality-screen"], yes_to(yes)).level == level


def test_lethality_screen_officer_judgement(shipped):
    result = scoring.score(shipped["lethality-screen"], yes_to(["q4"]),
                           judgement="high_danger", reason="Officer believes she is in danger.")
    assert (result.computed_level, result.level, result.raised) == (
        "not_screened_in", "high_danger", True)


# --- the open screen -----------------------------------------------------------------------


@pytest.mark.parametrize("trigger", OPEN_TRIGGERS)
def test_open_screen_any_trigger_alone_is_high(shipped, trigger):
    assert scoring.score(shipped["qorgau-open"], yes_to([trigger])).level == "high"


@pytest.mark.parametrize(("count", "level"), [
    (0, "standard"), (2, "standard"), (3, "elevated"), (5, "elevated"), (6, "high"),
    (len(OPEN_ORDINARY), "high"),
])
def test_open_screen_ordinary_items(shipped, count, level):
    result = scoring.score(shipped["qorgau-open"], yes_to(OPEN_ORDINARY[:count]))
    assert result.level == level


def test_open_screen_strangulation_alone_is_high(shipped):
    result = scoring.score(shipped["qorgau-open"], yes_to(["strangulation"]))
    assert (result.level, result.score, result.yes) == ("high", 3, ("strangulation",))


def test_open_screen_unknown_answers_never_count(shipped):
    inst = shipped["qorgau-open"]
    everything_unknown = {item.id: scoring.UNKNOWN for item in inst.items}
    assert scoring.score(inst, everything_unknown).level == "standard"
    two_yes = {**everything_unknown, **yes_to(OPEN_ORDINARY[:2])}
    assert scoring.score(inst, two_yes).level == "standard"


# --- a broken file is named precisely ------------------------------------------------------


def _broken(tmp_path: Path, change: Callable[[dict[str, Any]], None],
            name: str = "qorgau-open") -> Path:
    folder = tmp_path / "instruments"
    folder.mkdir()
    shutil.copy(SHIPPED_DIR / "instrument.schema.json", folder)
    data = yaml.safe_load((SHIPPED_DIR / "qorgau-open.yaml").read_text("utf-8"))
    change(data)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        target[int(last) if last.isdigit() else last] = value
    return change


def _drop_kk(data: dict[str, Any]) -> None:
    del data["items"][2]["text"]["kk"]


def _duplicate(data: dict[str, Any]) -> None:
    data["items"][1]["id"] = data["items"][0]["id"]


def _first_level_conditional(data: dict[str, Any]) -> None:
    data["levels"][0]["when"] = {"count": {"at_least": 1}}


def _second_level_unconditional(data: dict[str, Any]) -> None:
    del data["levels"][1]["when"]


BREAKAGES = [
    (_set("levels/2/when/any_of/0/any", ["strangulation", "choking"]),
     "levels[2].when.any_of[0].any", "unknown item 'choking'"),
    (_set("levels/1/when", {"count": {"items": ["stalking", "nope"], "at_least": 1}}),
     "levels[1].when.count", "unknown item 'nope'"),
    (_duplicate, "items[1].id", "item id 'strangulation' is used twice"),
    (_drop_kk, "items[2].text", "'kk' is a required property"),
    (_set("items/0/suggested_by/kinds", ["strangling"]), "items[0].suggested_by.kinds",
     "unknown event kind 'strangling'"),
    (_set("items/3/weight", -1), "items[3].weight", "less than the minimum"),
    (_set("levels/1/when", {"count": {"at_least": 3}, "any": ["stalking"]}),
     "levels[1].when", "too many properties"),
    (_first_level_conditional, "levels[0]", "the first level, and only it, has no condition"),
    (_second_level_unconditional, "levels[1]",
     "the first level, and only it, has no condition"),
    (_set("id", "other"), "id", "must match the file name"),
]


@pytest.mark.parametrize(("change", "path", "reason"), BREAKAGES)
def test_a_bad_instrument_is_rejected_with_file_path_and_reason(tmp_path, change, path, reason):
    broken = _broken(tmp_path, change)
    with pytest.raises(InstrumentError) as caught:
        instruments.load_all(broken.parent)
    error = caught.value
    assert error.file == "qorgau-open.yaml"
    assert error.path == path
    assert reason in error.reason
    assert str(error).startswith(f"qorgau-open.yaml: {path}: ")


def test_the_unchanged_copy_loads(tmp_path):
    path = _broken(tmp_path, lambda data: None)
    assert instruments.read(path, path.parent).id == "qorgau-open"


def test_a_file_that_is_not_yaml_is_rejected(tmp_path):
    folder = tmp_path / "instruments"
    folder.mkdir()
    shutil.copy(SHIPPED_DIR / "instrument.schema.json", folder)
    (folder / "odd.yaml").write_text("id: odd\nitems: [unclosed\n", "utf-8")
    with pytest.raises(InstrumentError, match="not valid YAML") as caught:
        instruments.load_all(folder)
    assert caught.value.file == "odd.yaml" and caught.value.path.startswith("line ")


# --- timeline suggestions ------------------------------------------------------------------


def fact(number: int, kind: str, start: str = "", end: str = "", recurrence: str = "once",
         **attributes: Any) -> TimelineFact:
    return TimelineFact(number, kind, DateSpan.parse(start, end, recurrence=recurrence),
                        attributes)


def test_timeline_suggests_items_in_chronological_order(shipped):
    facts = [
        fact(9, "strangulation", "2022-07-03"),
        fact(4, "strangulation", "2019-05"),
        fact(12, "order_breached", "2023-01-10"),
        fact(13, "police_report", "2023-01-11"),  # suggests nothing
        fact(14, "burn_scald", "2023-02"),
        fact(15, "weapon", "2023-03-01"),
    ]
    found = suggest.suggestions(shipped["qorgau-open"], facts)
    assert [f.number for f in found["strangulation"]] == [4, 9]
    assert [f.number for f in found["breach_of_orders"]] == [12]
    assert [f.number for f in found["serious_injury"]] == [14, 15]
    assert [f.number for f in found["weapon"]] == [15]
    assert set(found) == {"strangulation", "breach_of_orders", "serious_injury", "weapon"}


def test_separation_is_suggested_by_divorce_or_expulsion(shipped):
    found = suggest.suggestions(shipped["qorgau-open"], [
        fact(2, "separation", "2021"), fact(3, "expulsion", "2020-11-02")])
    assert [f.number for f in found["separation"]] == [3, 2]


def test_escalation_needs_abuse_repeated_over_years(shipped):
    inst = shipped["qorgau-open"]
    long_abuse = fact(1, "physical_assault", "2003", "2024", recurrence="repeated")
    once = fact(2, "physical_assault", "2022")
    found = suggest.suggestions(inst, [long_abuse, once])
    assert [f.number for f in found["escalation"]] == [1]
    assert "escalation" not in suggest.suggestions(inst, [once])
    short = fact(3, "coercive_control", "2023-01", "2023-11", recurrence="repeated")
    assert "escalation" not in suggest.suggestions(inst, [short])
    no_end = fact(4, "psychological_abuse", "2010", recurrence="repeated")
    assert "escalation" not in suggest.suggestions(inst, [no_end])
    several = fact(5, "threat_to_kill", "2021", "2023", recurrence="several")
    found = suggest.suggestions(inst, [several])
    assert [f.number for f in found["escalation"]] == [5]
    assert [f.number for f in found["threat_to_kill"]] == [5]


def test_her_fear_is_never_suggested(shipped):
    facts = [fact(n, kind, "2024") for n, kind in enumerate(
        ("strangulation", "threat_to_kill", "weapon", "stalking", "self_harm"), start=1)]
    assert "her_fear" not in suggest.suggestions(shipped["qorgau-open"], facts)


def test_a_suggestion_can_require_attributes():
    text = {"en": "x", "ru": "x", "kk": "x"}
    inst = Instrument(
        id="tiny", version="1", title=text, validated=False, notice=None,
        licence={"name": "test", "text_included": True}, sources=("test source",),
        scoring_confirmed=True, unconfirmed=None,
        items=(Item("unanswered_breach", text, 1, "", Suggestion(
            frozenset({"breach_response"}), {"response": ("none", "warning")})),),
        levels=(Level("low", text, None), Level("top", text, {"any": ["unanswered_breach"]})),
    )
    facts = [fact(1, "breach_response", "2024-03-01", response="detention"),
             fact(2, "breach_response", "2024-04-01", response="warning"),
             fact(3, "breach_response", "2024-05-01")]
    found = suggest.suggestions(inst, facts)
    assert [f.number for f in found["unanswered_breach"]] == [2]
