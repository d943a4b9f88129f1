"""From a narrative to proposed events: rule-based, offline, Russian, Kazakh and English. Pure.

`propose(text, lang)` splits the text into sentences and, for each sentence that describes an
event, proposes its kind (from the taxonomy), when (a date span with honest precision), the
institution, whether it was reported and to whom, and the exact sentence with its offsets
(`text[start:end] == sentence`). Nothing is recorded: a person confirms each proposal later.
The lexicons are data, in `lexicon.py`.
"""

# ruff: noqa: E501  (the date patterns read better unbroken)
from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from qorgau.cases import taxonomy
from qorgau.cases.dates import DateError, DateSpan, PartialDate, typed_span, words_span
from qorgau.intake import lexicon

LANGUAGES = ("ru", "kk", "en")
# Abuse kinds that make the generic "physical assault" redundant in the same sentence.
_SPECIFIC_ABUSE = {"strangulation", "weapon", "attempted_killing", "killing", "sexual_violence"}


@dataclass(frozen=True)
class When:
    start: str = ""
    end: str = ""
    qualifier: str = "none"
    recurrence: str = "once"
    text: str = ""  # the words the date came from
    source: str = ""  # "explicit", "relative" or "" (unknown)


@dataclass(frozen=True)
class Proposal:
    kind: str
    when: When
    institution: str
    reported_to: str  # institution she reported to in this sentence, "" if none said
    sentence: str
    start: int
    end: int
    lang: str
    cues: list[str] = field(default_factory=list)  # the words that suggested the kind
    # who the sentence names by their tie to her (lexicon.ACTORS: partner, parent, in_law,
    # sibling, child), in the order said; matched to the case's parties on acceptance
    actors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def span(self) -> DateSpan:
        return DateSpan.parse(self.when.start, self.when.end, self.when.qualifier,
                              self.when.recurrence)


class UnsupportedLanguage(ValueError):
    pass


# Words so common in English that a text of a few lines without any is not English (German,
# French, Turkish, Uzbek in Latin letters…).
_ENGLISH_WORDS = frozenset((
    "the", "and", "or", "of", "to", "in", "on", "at", "by", "for", "with", "from", "he", "she",
    "her", "him", "his", "they", "was", "were", "is", "had", "has", "have", "that", "this",
    "it", "not", "after", "when"))
# Letters of other Cyrillic alphabets (Ukrainian, Belarusian, Serbian, Macedonian…), and the
# letters only Kazakh has among those it shares with Kyrgyz (ң ө ү).
_OTHER_CYRILLIC = re.compile(r"[їєґўјљњћђџѓќ]", re.IGNORECASE)
_KAZAKH_ONLY = re.compile(r"[әғқұһі]", re.IGNORECASE)


def detect_language(text: str) -> str:
    """ru, kk or en from the letters used (and, for English, its commonest words);
    UnsupportedLanguage when none fits."""
    kazakh = len(re.findall(r"[әғқңөұүһі]", text, re.IGNORECASE))
    cyrillic = len(re.findall(r"[а-яё]", text, re.IGNORECASE))
    latin = len(re.findall(r"[a-z]", text, re.IGNORECASE))
    letters = sum(1 for c in text if c.isalpha())
    if not letters or (cyrillic + latin + kazakh) < letters * 0.6:
        raise UnsupportedLanguage("the text is not in Russian, Kazakh or English")
    if cyrillic + kazakh >= latin:
        if len(_OTHER_CYRILLIC.findall(text)) > max(2, (cyrillic + kazakh) * 0.002):
            raise UnsupportedLanguage("the text is in another Cyrillic alphabet")
        if kazakh >= max(3, (cyrillic + kazakh) * 0.01):
            if not _KAZAKH_ONLY.search(text):
                raise UnsupportedLanguage("the text looks Kyrgyz, not Kazakh")
            return "kk"
        return "ru"
    words = re.findall(r"[a-z]+", text.lower())
    if len(words) >= 6 and sum(w in _ENGLISH_WORDS for w in words) < len(words) * 0.1:
        raise UnsupportedLanguage("the text is in Latin letters but not in English")
    return "en"


# --- sentences -------------------------------------------------------------------------------

_ABBREVIATIONS = re.compile(
    r"(?:\b(?:c|ca|approx|no|nos|v|vs|st|mr|mrs|ms|dr|art|para|paras|§|e\.g|i\.e|etc|"
    r"г|гг|ст|п|ч|т|д|ул|им|см|др|тыс|руб|ж|б|бап)|\b[A-ZА-ЯЁ])\.$", re.IGNORECASE)
_END = re.compile(r"[.!?…]+[»\"')\]]*\s+|\n\s*\n")
# After an initial ("their infant son A.", "against Mr U."), what plainly starts a sentence:
# court texts name people by initials, and "A. Two days later" is two sentences.
_INITIAL = re.compile(r"\b[A-ZА-ЯЁ]\.$")
_STARTER = re.compile(
    r"(?:On|In|At|The|Two|Three|Four|Five|Several|He|She|They|It|After|Then|When|Following|"
    r"Later|Subsequently|Meanwhile|В|На|Он|Она|Они|После|Через|Затем|Когда|Позже|\d)\b")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, without its surrounding whitespace."""
    spans, start = [], 0
    for match in _END.finditer(text):
        before = text[start:match.start() + 1].rstrip()
        if "\n" not in match.group() and _ABBREVIATIONS.search(before) and not (
                _INITIAL.search(before) and not re.search(r"\b(?:mr|mrs|ms|dr)\.$", before, re.I)
                and _STARTER.match(text, match.end())):
            continue
        following = text[match.end():match.end() + 1]
        starts = following.isupper() or following.isdigit() or following in "«\"'(—–-"
        if "\n" not in match.group() and following and not starts:
            continue
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        piece = text[a:b]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece.rstrip())
        if trail > lead:
            out.append((a + lead, a + trail))
    return out


# --- dates -----------------------------------------------------------------------------------

_MONTH_NAMES = "|".join(sorted((re.escape(m) for m in lexicon.MONTHS), key=len, reverse=True))
_SEASON_WORDS = "|".join(sorted(lexicon.SEASONS, key=len, reverse=True))
_PARTS = "|".join(sorted(lexicon.YEAR_PARTS, key=len, reverse=True))
_APPROX = r"(?:c\.|ca\.|circa|about|around|approximately|около|примерно|приблизительно|шамамен)"
_YEAR = r"(?:19|20)\d{2}"
_DATE_PATTERNS: tuple[tuple[str, str], ...] = (
    # с января 2016 года по март 2018 года, from 5 January 2016 to March 2018, between May
    # 2006 and December 2009, January 2016 – March 2018
    ("month_year_range", rf"(?:\b(?:from|between|с|со)\s+)?"
                         rf"(?:(?P<d1>\d{{1,2}})(?:-?(?:го|st|nd|rd|th))?\s+)?(?P<m1>{_MONTH_NAMES})\.?,?\s+(?:of\s+)?(?P<y1>{_YEAR})\s*(?:года?|г\.)?\s*"
                         rf"(?:[–—-]|\bto\b|\band\b|\bпо\b|\bдо\b|\buntil\b)\s*"
                         rf"(?:(?P<d2>\d{{1,2}})(?:-?(?:го|st|nd|rd|th))?\s+)?(?P<m2>{_MONTH_NAMES})\.?,?\s+(?:of\s+)?(?P<y2>{_YEAR})(?!\d)"),
    # 03.2023 – 05.2024, 2015–2024, с 2015 по 2024 год, from 2015 to 2024, 2015-2024 жылдары
    ("range", rf"(?:(?P<approx>{_APPROX})\s*)?(?:\b(?:from|between|с|со)\s+)?"
              rf"(?P<a>(?:\d{{1,2}}\.)?(?:\d{{1,2}}\.)?{_YEAR})\s*(?:года?\s*)?(?:[–—-]|\bto\b|\band\b|\bпо\b|\bдо\b)\s*"
              rf"(?P<b>(?:\d{{1,2}}\.)?(?:\d{{1,2}}\.)?{_YEAR})(?!\d)"),
    # 15–18 November 2002, between 8 and 12 August 2003, с 15 по 18 ноября 2002 года
    ("day_range", rf"\b(?P<d1>\d{{1,2}})\s*(?:and|to|[–—-]|по|и)\s*(?P<d2>\d{{1,2}})\s+(?P<m>{_MONTH_NAMES})\.?,?\s+(?P<y>{_YEAR})"),
    # January and February 2001, с января по февраль 2001 года, March, April and July 2009
    ("month_range", rf"\b(?P<m1>{_MONTH_NAMES})(?:\s*,\s*(?:{_MONTH_NAMES}))*,?\s+(?:and|to|[–—-]|по|и)\s+(?P<m2>{_MONTH_NAMES})\s+(?P<y>{_YEAR})"),
    ("numeric", rf"(?:(?P<approx>{_APPROX})\s*)?\b(?P<d>(?:\d{{1,2}}[./])?\d{{1,2}}[./]{_YEAR})(?!\d)"),
    ("iso", rf"\b(?P<iso>{_YEAR}-\d{{2}}-\d{{2}})\b"),
    # 26 February 2024, 26 февраля 2024 г., 26-го февраля 2024 года
    ("day_month_year", rf"(?:(?P<approx>{_APPROX})\s*)?\b(?P<d>\d{{1,2}})(?:-?(?:го|st|nd|rd|th))?\s+(?P<m>{_MONTH_NAMES})\.?,?\s+(?P<y>{_YEAR})"),
    # February 26, 2024
    ("month_day_year", rf"\b(?P<m>{_MONTH_NAMES})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>{_YEAR})"),
    # 2024 жылғы 26 ақпан(да)
    ("kk_full", rf"\b(?P<y>{_YEAR})\s+ж(?:ылы|ылғы|\.)?\s+(?P<d>\d{{1,2}})\s+(?P<m>{_MONTH_NAMES})"),
    # 2024 жылғы ақпан(да)
    ("kk_month", rf"\b(?P<y>{_YEAR})\s+ж(?:ылы|ылғы|\.)?\s+(?P<m>{_MONTH_NAMES})"),
    # in February 2024, в феврале 2024 года, ақпан 2024
    ("month_year", rf"(?:(?P<approx>{_APPROX})\s*)?\b(?P<m>{_MONTH_NAMES})\.?\s+(?:of\s+)?(?P<y>{_YEAR})"),
    # late 2023, в конце 2023-го, the end of 2023, 2023 жылдың аяғында
    ("part_year", rf"\b(?:(?:in|at|by)\s+)?(?:the\s+)?(?P<part>{_PARTS})\s+(?:of\s+)?(?P<y>{_YEAR})"),
    # in the spring of 2012, весной 2012 года, 2012 жылдың көктемінде, 2012 жылы көктемде
    ("season", rf"\b(?P<season>{_SEASON_WORDS})\s+(?:of\s+)?(?P<y>{_YEAR})"),
    ("kk_season", rf"\b(?P<y>{_YEAR})\s+(?:жылдың|жылы)\s+(?P<season>{_SEASON_WORDS})"),
    ("kk_part_year", rf"\b(?P<y>{_YEAR})\s+жылдың\s+(?P<part>{_PARTS})"),
    # в 2013 году, in 2013, 2013 жылы, c. 2019, около 2019 года
    ("year", rf"(?:(?P<approx>{_APPROX})\s*)?\b(?P<y>{_YEAR})(?:-?(?:го|х|ом))?\b(?!\.\d)"),
)
_DATE_RULES = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _DATE_PATTERNS]


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    when: When


def _day(y: str, m: int, d: str) -> str:
    return PartialDate(int(y), m, int(d)).iso()


def _month_of(name: str) -> int:
    name = name.lower().rstrip(".")
    if name in lexicon.MONTHS:
        return lexicon.MONTHS[name]
    for key, number in lexicon.MONTHS.items():  # Kazakh locative: ақпанда, қаңтарда
        if name.startswith(key) and len(key) >= 4:
            return number
    raise DateError("unknown month")


def _date_from(rule: str, match: re.Match[str]) -> When:
    text = match.group(0)
    groups = match.groupdict()
    approximate = "approximate" if groups.get("approx") else "none"
    if rule == "range":
        a, b, _ = typed_span(f"{match['a']} - {match['b']}")
        DateSpan.parse(a, b)  # raises on a backwards or impossible range
        return When(a, b, approximate, text=text, source="explicit")
    if rule == "month_year_range":
        start = (_day(match["y1"], _month_of(match["m1"]), match["d1"]) if match["d1"]
                 else PartialDate(int(match["y1"]), _month_of(match["m1"])).iso())
        end = (_day(match["y2"], _month_of(match["m2"]), match["d2"]) if match["d2"]
               else PartialDate(int(match["y2"]), _month_of(match["m2"])).iso())
        DateSpan.parse(start, end)  # raises on a backwards or impossible range
        return When(start, end, text=text, source="explicit")
    if rule == "day_range":
        month = _month_of(match["m"])
        start, end = _day(match["y"], month, match["d1"]), _day(match["y"], month, match["d2"])
        DateSpan.parse(start, end)
        return When(start, end, text=text, source="explicit")
    if rule == "month_range":
        y = int(match["y"])
        start = PartialDate(y, _month_of(match["m1"])).iso()
        end = PartialDate(y, _month_of(match["m2"])).iso()
        DateSpan.parse(start, end)
        return When(start, end, text=text, source="explicit")
    if rule == "numeric":
        start, _, _ = typed_span(match["d"])
        PartialDate.parse(start)
        return When(start, "", approximate, text=text, source="explicit")
    if rule == "iso":
        return When(PartialDate.parse(match["iso"]).iso(), text=text, source="explicit")
    if rule in ("day_month_year", "month_day_year", "kk_full"):
        return When(_day(match["y"], _month_of(match["m"]), match["d"]), "", approximate,
                    text=text, source="explicit")
    if rule in ("month_year", "kk_month"):
        return When(PartialDate(int(match["y"]), _month_of(match["m"])).iso(), "", approximate,
                    text=text, source="explicit")
    if rule in ("season", "kk_season"):
        span = words_span(f"{lexicon.SEASONS[match['season'].lower()]} {match['y']}")
        assert span is not None  # a season word and a year always make a span
        return When(span[0], span[1], "none", text=text, source="explicit")
    if rule in ("part_year", "kk_part_year"):
        first, last = lexicon.YEAR_PARTS[match["part"].lower()]
        y = int(match["y"])
        return When(f"{y}-{first:02d}", f"{y}-{last:02d}", "none", text=text, source="explicit")
    return When(str(int(match["y"])), "", approximate, text=text, source="explicit")


# The words before a cue that the rules read ("not", "the", "charged with", "after the"): a
# window, so that a long run-on sentence is not read again for every cue in it.
_WINDOW = 120


def _before(sentence: str, at: int) -> str:
    return sentence[max(0, at - _WINDOW):at]


# A date of birth ("born on 14 February 1981", "2011 года рождения", "2011 жылғы қыз бала") dates
# a person, not an event told in the sentence.
_BORN_BEFORE = re.compile(r"(?:\bborn|\bродил(?:ся|ась|ись)|\bрождени[яе])\s+(?:(?:on|in|в)\s+)?$",
                          re.IGNORECASE)
_BORN_AFTER = re.compile(r"\s*(?:(?:года?|г\.)\s+)?(?:рождения|г\.\s?р\.)|"
                         r"\s*ж(?:ылы|ылғы|\.)?\s+(?:туған|(?:қыз|ұл)\s+бала)", re.IGNORECASE)
# Dates listed one after another ("in May and October 2006, January 2007 and December 2009",
# "3, 5 и 9 марта 2020 года" is one date already): one span from the first to the last.
_LIST_GAP = re.compile(r"^\s*(?:(?:года?|г\.|жылы)\s*)?(?:,|,?\s*(?:and|as well as|и|а также|және))\s*(?:(?:in|on|в|во)\s+)?$",
                       re.IGNORECASE)

_AND = re.compile(r"\b(?:and|и|және)\b|as well as|а также", re.IGNORECASE)


def find_dates(sentence: str) -> list[_Found]:
    """Every explicit date in a sentence, longest first where they overlap, in text order;
    dates of birth left out, and a list of dates made one span."""
    taken: list[_Found] = []  # in text order; none overlap
    for rule, pattern in _DATE_RULES:
        for match in pattern.finditer(sentence):
            at = bisect.bisect_left(taken, match.start(), key=lambda f: f.start)
            if (at < len(taken) and taken[at].start < match.end()) or (
                    at > 0 and taken[at - 1].end > match.start()):
                continue  # overlaps a longer date already taken
            if (_BORN_BEFORE.search(_before(sentence, match.start()))
                    or _BORN_AFTER.match(sentence, match.end())):
                taken.insert(at, _Found(match.start(), match.end(), When(source="birth")))
                continue
            try:
                when = _date_from(rule, match)
            except DateError:
                continue
            taken.insert(at, _Found(match.start(), match.end(), when))
    dates = [f for f in taken if f.when.source != "birth"]
    chains: list[list[_Found]] = []
    for found in dates:
        last = chains[-1][-1] if chains else None
        if (last is not None and _LIST_GAP.match(sentence[last.end:found.start])
                and found.when.qualifier == last.when.qualifier == "none"
                and (found.when.end or found.when.start) > last.when.start):
            chains[-1].append(found)
        else:
            chains.append([found])
    merged = []
    for chain in chains:
        # dates only separated by commas may be two things ("In 2015, on 3 May 2016 …"); a
        # list ends with "and"
        if len(chain) == 1 or not any(_AND.search(sentence[a.end:b.start])
                                      for a, b in zip(chain, chain[1:], strict=False)):
            merged.extend(chain)
            continue
        first, last = chain[0], chain[-1]
        merged.append(_Found(first.start, last.end, When(
            first.when.start, last.when.end or last.when.start, "none", "several",
            sentence[first.start:last.end], "explicit")))
    return merged


_RELATIVE = re.compile("|".join(sorted((re.escape(k) for k in lexicon.RELATIVE_DAYS),
                                       key=len, reverse=True)), re.IGNORECASE)


_NUMBERS = "|".join(sorted(lexicon.NUMBERS, key=len, reverse=True))
_DAYS_LATER = {lang: re.compile(r"\b" + pattern.replace("{numbers}", _NUMBERS), re.IGNORECASE)
               for lang, pattern in lexicon.DAYS_LATER.items()}


def _relative(sentence: str, anchor: date | None, lang: str) -> When | None:
    if anchor is None:
        return None
    if match := _RELATIVE.search(sentence):
        day = anchor + timedelta(days=lexicon.RELATIVE_DAYS[match.group(0).lower()])
        return When(day.isoformat(), text=match.group(0), source="relative")
    if match := _DAYS_LATER[lang].search(sentence):
        number = (match.group("n") or match.groupdict().get("n2") or "").lower()
        days = int(number) if number.isdigit() else lexicon.NUMBERS[number]
        return When((anchor + timedelta(days=days)).isoformat(), text=match.group(0),
                    source="relative")
    return None


# A day or a month said without its year ("On 5 May", "20 января", "20 қаңтар күні", "in
# May", "в мае", "мамырда"): the year is the last one said before in the text.
_NO_YEAR = re.compile(
    rf"(?:\b(?P<d>\d{{1,2}})(?:-?(?:го|st|nd|rd|th))?\s+(?P<m>{_MONTH_NAMES})(?:да|де|та|те|ында|інде)?\b(?!\.?,?\s*(?:of\s+)?\d)"
    rf"|\b(?P<m2>{_MONTH_NAMES})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d)"
    rf"|(?:\b(?:in|в|во)\s+)(?P<m3>{_MONTH_NAMES})\b(?!\.?,?\s*(?:of\s+)?\d))", re.IGNORECASE)
_KK_MONTH = re.compile(r"\b(?P<m>қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан|қараша|"
                       r"желтоқсан)(?:да|де|та|те)\b", re.IGNORECASE)


def _without_year(sentence: str, year: int | None, lang: str) -> When | None:
    if year is None:
        return None
    match = _NO_YEAR.search(sentence) or (_KK_MONTH.search(sentence) if lang == "kk" else None)
    if match is None:
        return None
    groups = match.groupdict()
    try:
        month = _month_of(groups.get("m") or groups.get("m2") or groups.get("m3") or "")
        day = groups.get("d") or groups.get("d2")
        start = _day(str(year), month, day) if day else PartialDate(year, month).iso()
    except DateError:
        return None
    return When(start, text=match.group(0), source="relative")


# --- kinds, institutions -----------------------------------------------------------------------

def _compile(stems: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{s})" for s in stems) + ")", re.IGNORECASE)


# The lexicons tell her story in the third person, as documents do; a survivor's own statement
# says "me": "he kicked me out", "он выгнал меня", "отобрал у меня телефон", "оны/мені ұрды".
_FIRST_PERSON = {
    "en": (re.compile(r"(?<![\w\\])her(?!\w)"), "(?:her|me|my)"),
    "ru": (re.compile(r"(?<![\w\\])(?:её|ее)(?!\w)"), "(?:её|ее|меня)"),
    "kk": (re.compile(r"(?<![\w\\])оны(?!\w)"), "(?:оны|мені)"),
}


def _with_first_person(stems: list[str], lang: str) -> list[str]:
    pattern, replacement = _FIRST_PERSON[lang]
    return [pattern.sub(replacement, stem) for stem in stems]


_KIND_PATTERNS = {lang: [(kind, _compile(_with_first_person(by_lang[lang], lang)))
                         for kind, by_lang in lexicon.KINDS.items() if by_lang.get(lang)]
                  for lang in LANGUAGES}
_INSTITUTION_PATTERNS = {
    lang: [(inst, _compile(by_lang[lang])) for inst, by_lang in lexicon.INSTITUTIONS.items()]
    for lang in LANGUAGES}
_REPORTED = {lang: _compile(stems) for lang, stems in lexicon.REPORTED.items()}
_ACTOR_PATTERNS = {
    lang: [(actor, _compile(by_lang[lang])) for actor, by_lang in lexicon.ACTORS.items()]
    for lang in LANGUAGES}
_BY_PRONOUN = {lang: [(kind, _compile([named]), _compile([said]))
                      for kind, by_lang in lexicon.BY_PRONOUN.items()
                      for lng, (named, said) in by_lang.items() if lng == lang]
               for lang in LANGUAGES}
_DURATION = {lang: _compile(stems) for lang, stems in lexicon.DURATION.items()}
_RECURRENCE = {lang: [(rec, _compile(by_lang[lang])) for rec, by_lang in lexicon.RECURRENCE.items()]
               for lang in LANGUAGES}
if (unknown := (set(lexicon.KINDS) - set(taxonomy.BY_ID)) |
        (set(lexicon.INSTITUTIONS) - set(taxonomy.INSTITUTIONS))):
    raise ValueError(f"the lexicon names what the taxonomy does not know: {sorted(unknown)}")


# Words that only name violence ("attack", "violence", "injuries", "насилие", "травмы"): said
# beside a strangling or a knife they name the same act; blows ("punched", "избивал", "ұрды")
# or cruelty ("жестокое обращение") beside them are an assault of their own.
_GENERIC_ASSAULT = ("attack", "assault", "violen", "injur", "bruis", "bodily harm", "physical",
                    "напал", "насили", "травм", "синяк", "телесн", "шабуыл", "зорлық", "жарақат",
                    "көгерг")
# Injuries, as a doctor records them (a broken bone in Kazakh: "қабырғасы сынған")
_INJURY = re.compile(r"^(?:injur|bruis|fractur|травм|синяк|телесн|перелом|жарақат|көгерг)|\sсын",
                     re.IGNORECASE)
_REPORTS = {"police_report", "report_prosecutor"}
_REFERENCE = re.compile(r"(?:\bthe|\bthis|\bthat|\bfor|\babout|\bover|\bof|\bоб?|\bв|\bпо поводу|"
                        r"\bо том|\bза)\s+(?:\d{4}\s+|two\s+|\w+\s+incidents? of\s+|(?<=за )\w+\s+и\s+)?$",
                        re.IGNORECASE)
# Words after which an act of abuse is named, not told as done: protection from it, a threat
# of it (a threat to kill and a weapon have their own kinds), what he was accused of, a
# history of it. "protection from domestic violence", "угрожал избиением", "charged with
# inflicting injuries", "обвиняют в истязаниях", "a history of violence".
_NOT_ACT = re.compile(
    r"(?:\bprotect\w*\s+(?:\w+\s+){0,2}(?:from|against)|\bзащит\w*\s+(?:\w+\s+){0,2}«?от|"
    r"\bthreat\w*\s+(?:\w+\s+){0,2}(?:with|of)|\bthreat\w* to\s+(?:\w+\s+){0,4}?(?:and|or)\s+to|\bугрож\w*|\bугроз\w*|\bгрози\w*|"
    r"\bprevent\w*|\brefrain\w* from|\bвоздерж\w* от|\bпредотврат\w*|\b(?:accusations?|allegations?|charges?|history|complaints?)\s+of|\bcharged\s+(?:\w+\s+)?with|\baccused of|"
    r"\b(?:convicted|sentenced|fined|prosecuted)\W+(?:\S+\s+){0,3}?(?:of|for)|\bобвиня\w*\s+в|\bобвинени\w*\s+в|\bпо обвинению в)"
    r"\s+(?:(?!(?:and|or|и|или)\s)[^\W\d]+\s+){0,3}«?$", re.IGNORECASE)
# "she grabbed a knife", "взяла нож": her weapon, in self-defence, not his
# (what she then does with it is hers too: "she grabbed a kitchen knife and stabbed him")
_HER_WEAPON = re.compile(
    r"(?:(?:\bshe|\bI|\bthe applicant|\bthe victim)\s+(?:\w+\s+)?(?:grabbed|took|picked up|seized|snatched)|"
    r"\b(?:взяла|схватила|выхватила|подняла))\s+(?:\w+\s+){0,2}"
    r"(?:knife|knives|gun|pistol|rifle|axe|hammer|scissors|нож|пистолет|ружь|топор|молот|ножниц)", re.IGNORECASE)
# "грозило от 8 до 12 лет тюрьмы", "faced up to ten years": a penalty possible, not imposed
_POTENTIAL = re.compile(r"(?:\bгроз(?:ит|ило|ят|ило бы)|\bface[sd]?|\bfacing|\brisk(?:s|ed)?|\bmaximum|"
                        r"\bif|\bесли)\s+"
                        r"(?:\w+\s+){0,4}$", re.IGNORECASE)
# "he was never detained", "не задерживали": not the act (kinds that are themselves a failure
# to act keep their negations in their patterns)
_NEGATION = re.compile(r"(?:\bnever|\bnot|\bdenied|\bdenies|\bне(?!\s+раз\b)|\bни|\bотрица\w*|\bемес)\s+(?:\w+\s+)?$",
                       re.IGNORECASE)
_NEGATIVE_KINDS = {"police_refusal", "authority_no_response", "breach_response", "order_breached",
                   "case_refused", "detention_refused", "order_refused", "evidence_not_collected"}
# "ambulance workers told her to file a report", "посоветовал ей подать заявление": advice, not
# the act
_ADVISED = re.compile(r"(?:\b(?:told|advised|asked|urged|encouraged|suggested|recommended)\s+(?:her|the applicant|"
                      r"him)\s+to|\b(?:посоветовал|велел|рекомендовал|предложил|порекомендовал|советовал)\w*"
                      r"\s+(?:ей\s+)?)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
_ASKED_FOR = re.compile(r"(?:\bto have (?:him|her)|\bto be|\bпросил\w* (?:\w+\s+){0,2}(?:его\s+)?)\s+"
                        r"(?:\w+\s+(?:and|и)\s+)?$", re.IGNORECASE)
_HER_ACTS = {"police_report", "report_prosecutor", "court_application", "complaint_withdrawn",
             "order_requested", "separation", "moving_house", "shelter_admission"}
_THREATS = ("threat", "угрож", "угроз", "қорқыт")
_RISK = {"strangulation", "threat_to_kill", "weapon"}
_NOT_ACT_KINDS = {"physical_assault", "sexual_violence", "abduction", "bride_kidnapping",
                  "stalking", "coercive_control", "killing", "attempted_killing",
                  "property_damage", "burn_scald"}


# Kazakh puts "for" after the act: "әйелін өлтіргені үшін сотталды" (convicted for killing)
_FOR_AFTER = re.compile(r"\w*\s+(?:үшін|бойынша)\b", re.IGNORECASE)
_DIVORCE = ("divorce", "развод", "развел", "развёл", "развест", "ажырас", "расторг", "marriage was")
_ANCHOR = re.compile(r"(?:\bafter|\bfollowing|\bпосле)\s+(?:(?:the|their|her|his|its)\s+)?$",
                     re.IGNORECASE)
_DIVORCE_WORD = re.compile(r"divorce|развод|расторж|ажырас", re.IGNORECASE)
_SENTENCING = re.compile(r"приговор(?:ил|ен|ён)|осужд[её]н", re.IGNORECASE)


_WORD = re.compile(r"\w+")


def _overlaps(sentence: str, cue: str, others: list[str]) -> bool:
    """Whether a cue shares words with any of the others where they are said."""
    at = sentence.find(cue)
    return any(at < (b := sentence.find(o)) + len(o) and b < at + len(cue) for o in others)


def _word_at(sentence: str, cue: str) -> str:
    """The whole word a cue starts."""
    at = sentence.find(cue)
    match = _WORD.match(sentence, at) if at >= 0 else None
    return match.group(0) if match else cue


def _kinds(sentence: str, lang: str, assault_told: bool = True) -> list[tuple[str, list[str]]]:
    found = []
    mentioned: set[str] = set()  # cues said as a thing reported ("the attack"), not as an act
    for kind_id, pattern in _KIND_PATTERNS[lang]:
        cues = []
        for m in pattern.finditer(sentence):
            before = _before(sentence, m.start())
            if kind_id not in _NEGATIVE_KINDS and _NEGATION.search(before):
                continue
            if kind_id in _NOT_ACT_KINDS and _NOT_ACT.search(before):
                continue
            if kind_id == "weapon" and (hers := _HER_WEAPON.search(sentence)) \
                    and hers.start() <= m.start():
                continue
            if kind_id in ("sentence", "verdict") and _POTENTIAL.search(before):
                continue
            if kind_id in _HER_ACTS and _ADVISED.search(before):
                continue
            if kind_id in ("arrest", "detention_ordered") and _ASKED_FOR.search(before):
                continue  # "asked the prosecutor to have him arrested and detained"
            if kind_id in ("separation", "moving_house") and _ANCHOR.search(before) \
                    and not find_dates(sentence):
                continue  # "After the divorce, ...": told before, named here to say when
            cues.append(m.group(0))
            if _REFERENCE.search(before) or _FOR_AFTER.match(sentence, m.end()):
                mentioned.add(m.group(0))
        if cues:
            found.append((kind_id, cues))
    for kind_id, named, said in _BY_PRONOUN[lang]:
        if kind_id not in {k for k, _ in found} and (name := named.search(sentence)) and (
                what := said.search(sentence, name.end())):
            found.append((kind_id, [what.group(0)]))
    ids = {k for k, _ in found}
    if ids & _SPECIFIC_ABUSE:
        found = [(k, c) for k, c in found if k != "physical_assault" or
                 not all(cue.lower().startswith(_GENERIC_ASSAULT) for cue in c)]
    if "killing" in ids and "attempted_killing" in ids:
        found = [(k, c) for k, c in found if k != "killing"]
    if "killing" in ids:  # "погибшей от ножевых ранений": the killing, not a second death
        found = [(k, c) for k, c in found if k != "death"]
    if "bride_kidnapping" in ids:
        found = [(k, c) for k, c in found if k != "abduction"]
    if ids & {"threat_to_kill", "threat_children", "weapon"}:  # "threatened her with death"
        found = [(k, c) for k, c in found if k != "psychological_abuse" or
                 not all(cue.lower().startswith(_THREATS) for cue in c)]
    if "evidence_not_collected" in ids:  # "a medical assessment had not been carried out"
        missing = dict(found)["evidence_not_collected"]
        found = [(k, c) for k, c in found if k != "medical_exam" or
                 not all(any(cue in m for m in missing) for cue in c)]
    if "case_refused" in ids:
        found = [(k, c) for k, c in found if k != "police_refusal"]
    if breached := dict(found).get("order_breached"):  # "breached the order": not a new order
        found = [(k, c) for k, c in found if k != "order_issued" or
                 not all(_overlaps(sentence, o, breached) for o in c)]
    if issued := dict(found).get("order_issued"):  # "the court granted her an order": the order
        found = [(k, c) for k, c in found if k != "court_decision" or
                 not all(any(cue in i for i in issued) for cue in c)]
    if "order_requested" in ids:  # the order asked for is not an order issued
        asked = dict(found)["order_requested"]
        found = [(k, c) for k, c in found if k != "order_issued" or
                 not all(any(cue in a for a in asked) for cue in c)]
    if "order_requested" in ids:  # asking a court for an order is not a second application
        # (a divorce petition beside it is: "подала на развод и попросила о мерах защиты")
        found = [(k, c) for k, c in found if k != "court_application" or
                 any(_DIVORCE_WORD.search(cue) for cue in c)]
    if "medical_exam" in ids and assault_told:
        # injuries a doctor recorded after the assault just told are its evidence, not a new
        # assault (told nowhere else, they are the only sign of one: kept, dated before)
        found = [(k, c) for k, c in found if k != "physical_assault" or
                 not all(_INJURY.search(cue) for cue in c)]
    if any(taxonomy.BY_ID[k].group != "abuse" for k in ids):
        # "she reported the attack", "tried for battery": the act is told elsewhere (a risk
        # incident is kept all the same: missing one costs more than a duplicate)
        found = [(k, c) for k, c in found if taxonomy.BY_ID[k].group != "abuse" or k in _RISK
                 or not all(cue in mentioned for cue in c)]
    if ids & {"court_application", "court_decision"}:  # divorce proceedings, not a separation
        found = [(k, c) for k, c in found if k != "separation" or
                 not all(cue.lower().startswith(_DIVORCE) for cue in c)]
    if "sentence" in ids:  # "приговорил к ...", "осуждён на 14 лет": the sentence, not a verdict
        words = [_word_at(sentence, c) for c in dict(found).get("verdict", [])]
        if all(_SENTENCING.match(w) for w in words):
            found = [(k, c) for k, c in found if k != "verdict"]
    if "admin_sanction" in ids and "verdict" in ids:  # "found him guilty and fined him"
        found = [("sentence" if k == "admin_sanction" else k, c) for k, c in found
                 if k != "sentence"]
    elif "admin_sanction" in ids:
        found = [(k, c) for k, c in found if k != "sentence"]
    return found


def _institutions(sentence: str, lang: str) -> list[str]:
    hits = []
    for inst, pattern in _INSTITUTION_PATTERNS[lang]:
        match = pattern.search(sentence)
        if match:
            hits.append((match.start(), inst))
    return [inst for _, inst in sorted(hits)]


def actors(sentence: str, lang: str) -> list[str]:
    """Who the sentence names by their tie to her (lexicon.ACTORS), in the order said."""
    hits = []
    for actor, pattern in _ACTOR_PATTERNS[lang]:
        match = pattern.search(sentence)
        if match:
            hits.append((match.start(), actor))
    return [actor for _, actor in sorted(hits)]


def _recurrence(sentence: str, lang: str) -> str:
    for rec, pattern in _RECURRENCE[lang]:
        if pattern.search(sentence):
            return rec
    return "once"


# "after the beating on 1 January 2016", "после избиения 1 января 2016 года", "after 5 May 2016"
_AFTER = re.compile(r"(?:\bafter|\bfollowing|\bпосле)\s+(?:(?:the|a|an|her|his|its|their|this|that|"
                    r"этого|того|её|ее|его)\s+)?(?:[^\W\d]+\s+){0,2}(?:(?:on|of|in|от|в)\s+)?$",
                    re.IGNORECASE)


# What a report or claim is about: "a complaint for bodily injury", "заявление об избиении"
_ABOUT = re.compile(r"(?:\bfor|\babout|\bof|\binto|\balleged|\bоб?|\bпо факту|\bпо поводу)\s+"
                    r"(?:(?:the|his|her|alleged|a|an|their)\s+)?(?:[^\W\d]+\s+)?$", re.IGNORECASE)
_SINCE = re.compile(r"(?:\bafter|\bпосле того,? как|\bпосле)\s+(?:\w+\s+){0,3}$", re.IGNORECASE)


# Where a clause of its own begins: a date after it dates that clause, not words before it.
_CLAUSE = re.compile(r",\s*(?:which|who|whom|but|where|который|которая|которое|которые|которым|"
                     r"но|а)\b|;", re.IGNORECASE)
_OWN_DATE = re.compile(r"\w*(?:\s+(?:her|him|me|её|ее|его|меня))?\s+(?:(?:of|on|from|dated|от|в|во)\s+)?$",
                       re.IGNORECASE)


def _bracket(sentence: str, at: int) -> tuple[int, int] | None:
    """The innermost parenthesis around position `at`, if any."""
    opened = sentence.rfind("(", 0, at + 1)
    while opened != -1:
        closed = sentence.find(")", opened)
        if closed == -1 or closed >= at:
            return (opened, closed if closed != -1 else len(sentence))
        opened = sentence.rfind("(", 0, opened)
    return None


def _date_of(sentence: str, cues: list[str], dates: list[_Found],
             default: When | None, earlier: bool = False) -> When | None:
    """The date a kind's words take in their sentence: one said in the same parenthesis (or
    outside any, for words outside), the last before the words, else the first after them
    ("(the husband was convicted in October 2015)" dates the conviction, not the sentence).
    `earlier`: the words name what the dated act was about (a complaint of the beating)."""
    if not dates:
        return default
    at = min((i for cue in cues if (i := sentence.find(cue)) >= 0), default=0)
    where = _bracket(sentence, at)
    near = [f for f in dates if _bracket(sentence, f.start) == where]
    if not near:
        return None
    cue_end = at + max((len(c) for c in cues if sentence.find(c) == at), default=0)
    for f in near:  # "the beating of 3 May 2020", "избиение 3 мая 2020 года": its own date
        if cue_end <= f.start <= cue_end + 30 and _OWN_DATE.match(sentence, cue_end, f.start):
            return f.when
    before = [f for f in near if f.start <= at]
    found = before[-1] if before else near[0]
    if not before and _CLAUSE.search(sentence, cue_end, found.start):
        return None  # "applied for an order, which the court granted in March": the grant's date
    if earlier or _SINCE.search(sentence[max(found.end, at - 40):at]):
        # "discontinued the inquiry after she had withdrawn her complaint", "a complaint for
        # bodily injury": told as what came before the dated act
        day = found.when.start
        return When(day, "", "before", text=found.when.text, source="relative")
    after = _AFTER.search(sentence, max(0, found.start - _WINDOW), found.start)
    if after and not after.start() <= at < found.start:
        # "обратилась после избиения 1 января 2016 года": the date is the beating's; the
        # report came after it (its own date is not said)
        day = found.when.end or found.when.start
        return When(day, "", "after", text=sentence[after.start():found.end], source="relative")
    return found.when


def propose(text: str, lang: str | None = None,
            progress: Callable[[int, int], None] | None = None) -> list[Proposal]:
    """Proposed events, in text order. `lang` is ru, kk or en (detected when None).
    `progress(done, total)` is called every 50 sentences and at the end."""
    if lang is None:
        lang = detect_language(text)
    if lang not in LANGUAGES:
        raise UnsupportedLanguage(f"unsupported language: {lang}")
    proposals: list[Proposal] = []
    anchor: date | None = None  # the last day-precise date said, for "the next day"
    year: int | None = None  # the last year said, for "on 5 May"
    spans = sentences(text)
    named_last: list[str] = []
    told = [False, False]  # whether each of the two sentences before proposed an assault
    for done, (start, end) in enumerate(spans):
        if progress is not None and done % 50 == 0:
            progress(done, len(spans))
        sentence = text[start:end]
        dates = find_dates(sentence)
        when: When | None = dates[0].when if dates else (
            _relative(sentence, anchor, lang) or _without_year(sentence, year, lang))
        for found in dates:
            if len(found.when.start) == 10 and not found.when.end:
                anchor = date.fromisoformat(found.when.start)
            year = int((found.when.end or found.when.start)[:4])
        if when is not None and when.source == "relative" and len(when.start) == 10:
            anchor = date.fromisoformat(when.start)
        named_before, named_last = named_last, _institutions(sentence, lang)
        kinds = _kinds(sentence, lang, any(told))
        told = [told[-1], any(k == "physical_assault" for k, _ in kinds)]
        if not kinds:
            continue
        recurrence = _recurrence(sentence, lang)
        named = _institutions(sentence, lang)
        people = actors(sentence, lang)
        reported_to = ""
        if _REPORTED[lang].search(sentence):
            reported_to = next((i for i in named if i != "health"), "")
        reports_in_sentence = any(k in _REPORTS or k == "court_application" for k, _ in kinds)
        for kind_id, cues in kinds:
            first = min(sentence.find(c) for c in cues)
            earlier = (taxonomy.BY_ID[kind_id].group == "abuse" and reports_in_sentence
                       and bool(_ABOUT.search(_before(sentence, first)))) or (
                kind_id == "physical_assault" and "medical_exam" in dict(kinds)
                and all(_INJURY.search(c) for c in cues))
            kind_when = _date_of(sentence, cues, dates, when, earlier) or When()
            repeated = recurrence
            if (repeated == "once" and taxonomy.BY_ID[kind_id].group == "abuse"
                    and _DURATION[lang].search(sentence)):
                repeated = "repeated"
            if repeated != "once" and kind_when.start:
                kind_when = When(kind_when.start, kind_when.end, kind_when.qualifier, repeated,
                                 kind_when.text, kind_when.source)
            elif repeated != "once":
                kind_when = When(recurrence=repeated)
            institution = lexicon.KIND_INSTITUTION.get(kind_id)
            if institution is None:  # an incident: no institution acted
                institution = ""
            elif not institution:
                # named in the sentence, else in the one before ("The police came. They
                # refused to open a case.")
                institution = next((i for i in named + named_before if i != "health"), "")
            incident = taxonomy.BY_ID[kind_id].group == "abuse"
            proposals.append(Proposal(kind_id, kind_when, institution,
                                      reported_to if incident else "",
                                      sentence, start, end, lang, cues, people))
    if progress is not None:
        progress(len(spans), len(spans))
    return proposals


