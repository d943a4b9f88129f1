"""About twenty varied, deterministic synthetic cases.

Names are common Kazakh and Russian first names and surnames combined at random: they
describe nobody. Stories follow plausible sequences (incident, report to police, order,
breach, response or none, referral, shelter, proceedings) with dates of every precision.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from qorgau.cases.regions import KZ_NAMES
from qorgau.demo.specs import CaseSpec, EventSpec, PartySpec

SEED = 2024
COUNT = 20
LATEST = date(2025, 10, 31)  # no synthetic event after this day
ORDER_TYPE = "kz.protective_order"

FEMALE_NAMES = (
    "Aigerim", "Aruzhan", "Ainur", "Dinara", "Zhanar", "Gulmira", "Asel", "Madina", "Saule",
    "Botagoz", "Akmaral", "Kamila", "Laura", "Meruyert", "Nazgul", "Raushan", "Symbat",
    "Togzhan", "Zhuldyz", "Olga", "Tatyana", "Natalya", "Yelena", "Svetlana", "Irina",
    "Anastasia", "Marina", "Yekaterina", "Lyudmila", "Aliya",
)
MALE_NAMES = (
    "Askar", "Bauyrzhan", "Daulet", "Yerlan", "Nurlan", "Serik", "Marat", "Timur", "Azamat",
    "Arman", "Kanat", "Ruslan", "Dmitry", "Sergey", "Aleksandr", "Andrey", "Igor", "Viktor",
    "Yevgeny", "Nikolai", "Yerzhan", "Dauren", "Almas", "Bolat",
)
# Masculine forms; feminine forms add "a" (Akhmetov -> Akhmetova).
SURNAMES = (
    "Abenov", "Akhmetov", "Baimukhanov", "Beisenov", "Dosmukhambetov", "Yessenov", "Ibraimov",
    "Kassymov", "Kenzhebayev", "Mukanov", "Nurpeisov", "Omarov", "Sadykov", "Tokhtarov",
    "Tulegenov", "Utegenov", "Zhakupov", "Zhumabayev", "Ospanov", "Ivanov", "Petrov",
    "Smirnov", "Kuznetsov", "Popov", "Volkov", "Morozov", "Pavlov", "Sokolov", "Lebedev",
    "Kovalenko",
)

CITIES: dict[str, tuple[str, ...]] = {
    "KZ-27": ("Uralsk", "Aksai", "Zhympity", "Chapaev"),
    "KZ-10": ("Semey",), "KZ-11": ("Kokshetau",), "KZ-15": ("Aktobe",),
    "KZ-19": ("Konaev",), "KZ-23": ("Atyrau",), "KZ-63": ("Oskemen",),
    "KZ-31": ("Taraz",), "KZ-33": ("Taldykorgan",), "KZ-35": ("Karaganda",),
    "KZ-39": ("Kostanay",), "KZ-43": ("Kyzylorda",), "KZ-47": ("Aktau",),
    "KZ-59": ("Petropavl",), "KZ-55": ("Pavlodar",), "KZ-61": ("Turkistan",),
    "KZ-62": ("Zhezkazgan",), "KZ-71": ("Astana",), "KZ-75": ("Almaty",),
    "KZ-79": ("Shymkent",),
}

NARRATIVES: dict[str, tuple[str, ...]] = {
    "physical_assault": (
        "Hit her during an argument at home; bruises on the arms and face.",
        "Pushed her against the wall and kicked her when she fell.",
        "Beat her after drinking; a neighbour heard the shouting.",
        "Избил её дома после ссоры. (Beat her at home after a quarrel.)",
    ),
    "strangulation": (
        "Gripped her by the throat until she could not breathe.",
        "Choked her with both hands; marks on the neck the next day.",
    ),
    "threat_to_kill": (
        "Said he would kill her if she ever left.",
        "Threatened to kill her in front of the children.",
    ),
    "threat_children": (
        "Said she would never see the children again if she went to the police.",
    ),
    "weapon": ("Threatened her with a kitchen knife.", "Swung an axe handle at her."),
    "psychological_abuse": (
        "Constant insults and humiliation, also in front of relatives.",
        "Calls her worthless; blames her for everything that goes wrong.",
    ),
    "coercive_control": (
        "Takes her phone and wages; she may not visit her family without him.",
        "Checks her messages and decides when she may leave the flat.",
    ),
    "economic_abuse": ("Keeps all the money; gives her nothing for food or the children.",),
    "stalking": ("Follows her to work and waits outside her sister's flat.",),
    "property_damage": ("Smashed her phone and broke the door of the bedroom.",),
    "sexual_violence": ("Forced her into sex against her will.",),
    "abuse_in_pregnancy": ("Beat her while she was pregnant.",),
    "expulsion": ("Put her and the children out of the house at night.",),
}

ABUSE_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("physical_assault", 10), ("strangulation", 4), ("threat_to_kill", 5), ("weapon", 3),
    ("threat_children", 2), ("stalking", 2), ("property_damage", 2), ("economic_abuse", 2),
    ("sexual_violence", 1), ("expulsion", 2), ("abuse_in_pregnancy", 1),
)
PHYSICAL = frozenset({"physical_assault", "strangulation", "weapon", "abuse_in_pregnancy",
                      "sexual_violence", "burn_scald"})
PATTERNS = ("psychological_abuse", "coercive_control", "physical_assault", "economic_abuse")

PARTNERS = (  # relationship of the respondent, weight, usually living together
    ("spouse", 10, True), ("ex_spouse", 4, False), ("partner", 3, True),
    ("ex_partner", 2, False), ("in_law", 1, True), ("child", 1, True),
)


def _fem(surname: str) -> str:
    return surname + "a" if surname.endswith(("ov", "ev", "in")) else surname


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _w in weighted], weights=[w for _k, w in weighted])[0]


class _Story:
    """Builds one case's events in chronological order, each linking only backwards."""

    def __init__(self, rng: random.Random, place: str, children: list[str]) -> None:
        self.rng = rng
        self.place = place
        self.children = children
        self.events: list[EventSpec] = []
        self.count = 0

    def add(self, kind: str, when: tuple[str, str, str, str] | None = None,
            **values: Any) -> str:
        self.count += 1
        key = f"e{self.count}"
        start, end, qualifier, recurrence = when or ("", "", "none", "once")
        self.events.append(EventSpec(key, kind, start=start, end=end, qualifier=qualifier,
                                     recurrence=recurrence, **values))
        return key

    # --- dates of every precision -------------------------------------------------------

    def exact(self, day: date) -> tuple[str, str, str, str]:
        at = datetime(day.year, day.month, day.day, self.rng.randint(7, 23),
                      self.rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))
        return (at.strftime("%Y-%m-%dT%H:%M"), "", "none", "once")

    @staticmethod
    def day(day: date) -> tuple[str, str, str, str]:
        return (day.isoformat(), "", "none", "once")

    def incident_when(self, day: date) -> tuple[str, str, str, str]:
        """How precisely a survivor dates an incident: usually the day, sometimes less."""
        roll = self.rng.random()
        if roll < 0.35:
            return self.day(day)
        if roll < 0.55:
            return self.exact(day)
        if roll < 0.8:
            return (day.strftime("%Y-%m"), "", "none", "once")
        if roll < 0.92:
            return (day.strftime("%Y-%m"), "", "approximate", "once")
        return (day.isoformat(), "", "before", "once")

    # --- episodes -----------------------------------------------------------------------

    def incident(self, day: date, abuse: str) -> str:
        parties: tuple[tuple[str, str], ...] = (("r", "perpetrator"), ("s", "victim"))
        if self.children and self.rng.random() < 0.3:
            parties += ((self.rng.choice(self.children), "witness"),)
        return self.add(abuse, self.incident_when(day), place=self.place,
                        narrative=self.rng.choice(NARRATIVES[abuse]), parties=parties)

    def report(self, day: date, about: str, link: str = "related_to") -> str:
        mode = _pick(self.rng, (("oral", 5), ("written", 4), ("third_party", 1)))
        official = self.rng.random() < 0.5
        return self.add(
            "police_report", self.exact(day) if official else self.day(day),
            institution="police", institution_unit=f"{self.place} police",
            place=self.place, attributes={"mode": mode},
            source="official_record" if official else "survivor",
            reliability="confirmed" if official else "probable",
            narrative={"oral": "Went to the police station and told the duty officer.",
                       "written": "Handed in a written statement at the police station.",
                       "third_party": "A neighbour called the police."}[mode],
            parties=(("s", "involved"),), links=((about, link),),
        )


def _after(rng: random.Random, day: date, low: int, high: int) -> date:
    return min(day + timedelta(days=rng.randint(low, high)), LATEST)


def _episode(story: _Story, rng: random.Random, day: date) -> date:
    """One incident and what followed; returns the last day used."""
    abuse = _pick(rng, ABUSE_WEIGHTS)
    incident = story.incident(day, abuse)
    if abuse in PHYSICAL and rng.random() < 0.5:
        story.add("medical_exam", story.day(_after(rng, day, 0, 2)), institution="health",
                  source="document", reliability="confirmed", place=story.place,
                  narrative="Injuries recorded by the emergency doctor.",
                  parties=(("s", "involved"),), links=((incident, "related_to"),))
    if rng.random() > 0.75:
        return day  # not reported
    day = _after(rng, day, 0, 3)
    report = story.report(day, incident)
    outcome = _pick(rng, (("order", 12), ("refusal", 3), ("case", 3), ("reconcile", 2),
                          ("nothing", 4)))
    if outcome == "order":
        day = _after(rng, day, 0, 1)
        order = story.add(
            "order_issued", story.day(day), institution="police", source="document",
            reliability="confirmed", attributes={"order_type": ORDER_TYPE, "valid_days": 30},
            narrative="Protective order issued for 30 days.",
            parties=(("r", "involved"), ("s", "involved")), links=((report, "responds_to"),),
        )
        if rng.random() < 0.2:
            story.add("admin_protocol", story.day(day), institution="police",
                      source="document", reliability="confirmed",
                      narrative="Administrative protocol drawn up against him.",
                      parties=(("r", "involved"),), links=((report, "responds_to"),))
        if rng.random() < 0.7:
            day = _after(rng, day, 2, 25)
            breach = story.add(
                "order_breached", story.exact(day) if rng.random() < 0.5 else story.day(day),
                place=story.place,
                narrative=rng.choice(("Came back to the flat despite the order.",
                                      "Phoned and threatened her while the order ran.",
                                      "Waited for her outside work despite the order.")),
                parties=(("r", "perpetrator"), ("s", "victim")),
                links=((order, "breach_of"),),
            )
            if rng.random() < 0.8:
                day = _after(rng, day, 0, 1)
                story.report(day, breach)
                if rng.random() < 0.55:
                    response = _pick(rng, (("detention", 3), ("protocol", 3), ("warning", 2),
                                           ("none", 2)))
                    day = _after(rng, day, 0, 3)
                    story.add(
                        "breach_response", story.day(day), institution="police",
                        source="official_record", reliability="confirmed",
                        attributes={"response": response},
                        narrative={"detention": "He was detained administratively.",
                                   "protocol": "Protocol under the administrative code.",
                                   "warning": "Police only spoke to him.",
                                   "none": "Police said there was nothing to do."}[response],
                        parties=(("r", "involved"),), links=((breach, "responds_to"),),
                    )
        elif rng.random() < 0.4:
            story.add("order_expired", story.day(_after(rng, day, 30, 30)),
                      institution="police", source="document", reliability="probable",
                      attributes={"order_type": ORDER_TYPE}, links=((order, "related_to"),))
    elif outcome == "refusal":
        day = _after(rng, day, 0, 5)
        story.add("police_refusal", story.day(day), institution="police",
                  source="survivor", reliability="probable",
                  narrative="Officer told her it was a family matter and did not register it.",
                  links=((report, "responds_to"),))
    elif outcome == "reconcile":
        day = _after(rng, day, 0, 3)
        story.add("reconciliation", story.day(day), institution="police",
                  source="survivor", reliability="probable",
                  narrative="Officer urged her to make peace with him for the children's sake.",
                  parties=(("s", "involved"), ("r", "involved")),
                  links=((report, "responds_to"),))
    elif outcome == "case":
        day = _after(rng, day, 1, 10)
        opened = story.add("case_opened", story.day(day), institution="police",
                           source="official_record", reliability="confirmed",
                           narrative="Criminal case registered.",
                           links=((report, "responds_to"),))
        if rng.random() < 0.6:
            day = _after(rng, day, 20, 90)
            charges = story.add("charges_respondent", (day.strftime("%Y-%m"), "", "none",
                                                       "once"),
                                institution="prosecutor", source="document",
                                reliability="confirmed", parties=(("r", "involved"),),
                                links=((opened, "related_to"),), by="lawyer")
            if rng.random() < 0.6:
                day = _after(rng, day, 30, 120)
                story.add("hearing", story.exact(day), institution="court",
                          source="official_record", reliability="confirmed",
                          place=f"{story.place} district court",
                          parties=(("r", "involved"), ("s", "witness")),
                          links=((charges, "related_to"),), by="lawyer")
                if rng.random() < 0.7:
                    day = _after(rng, day, 1, 40)
                    story.add("verdict", story.day(day), institution="court",
                              source="official_record", reliability="confirmed",
                              attributes={"outcome": rng.choice(("convicted", "convicted",
                                                                 "acquitted"))},
                              parties=(("r", "involved"),), links=((charges, "related_to"),),
                              by="lawyer")
    if rng.random() < 0.4:
        day = _after(rng, day, 0, 7)
        service = rng.choice(("shelter", "crisis_centre", "psychologist", "legal_aid"))
        referral = story.add(
            "referral_made", story.day(day),
            institution=rng.choice(("organisation", "police", "social_services")),
            source="staff", reliability="confirmed", attributes={"service": service},
            narrative={"shelter": "Referred to a shelter.",
                       "crisis_centre": "Referred to a crisis centre.",
                       "psychologist": "Referred to a psychologist.",
                       "legal_aid": "Referred for free legal aid."}[service],
            parties=(("s", "involved"),),
        )
        if service == "shelter" and rng.random() < 0.7:
            day = _after(rng, day, 0, 2)
            story.add("shelter_admission", story.day(day), institution="shelter",
                      source="staff", reliability="confirmed",
                      narrative="Admitted to the crisis centre"
                                + (" with the children." if story.children else "."),
                      parties=(("s", "involved"),), links=((referral, "responds_to"),))
        elif rng.random() < 0.5:
            day = _after(rng, day, 1, 10)
            story.add(rng.choice(("referral_accepted", "referral_declined")), story.day(day),
                      institution="organisation", source="staff", reliability="confirmed",
                      links=((referral, "responds_to"),))
    return day


def _case(rng: random.Random, number: int, region: str) -> CaseSpec:
    surname = rng.choice(SURNAMES)
    relationship = _pick(rng, tuple((rel, w) for rel, w, _co in PARTNERS))
    lives_together = dict((rel, co) for rel, _w, co in PARTNERS)[relationship]
    co_resident = lives_together if rng.random() < 0.8 else not lives_together
    survivor_surname = surname if relationship in ("spouse", "ex_spouse", "child") else (
        rng.choice(SURNAMES))
    parties = [
        PartySpec("s", "survivor", f"{rng.choice(FEMALE_NAMES)} {_fem(survivor_surname)}",
                  relationship="self"),
        PartySpec("r", "respondent", f"{rng.choice(MALE_NAMES)} {surname}",
                  relationship=relationship, co_resident=co_resident),
    ]
    year = int(_pick(rng, (("2019", 1), ("2020", 1), ("2021", 2), ("2022", 2), ("2023", 3),
                           ("2024", 4), ("2025", 3))))
    first_day = date(year, rng.randint(1, 9 if year == LATEST.year else 12), rng.randint(1, 28))
    children: list[str] = []
    if relationship != "child":
        for i in range(rng.choice((0, 1, 1, 2, 2, 3))):
            girl = rng.random() < 0.5
            name = rng.choice(FEMALE_NAMES if girl else MALE_NAMES)
            born = str(rng.randint(first_day.year - 15, first_day.year - 1))
            parties.append(PartySpec(f"c{i + 1}", "child",
                                     f"{name} {_fem(surname) if girl else surname}",
                                     relationship="child", co_resident=True,
                                     birth_date=born))
            children.append(f"c{i + 1}")
    if rng.random() < 0.3:
        parties.append(PartySpec("w", "witness",
                                 f"{rng.choice(FEMALE_NAMES)} {_fem(rng.choice(SURNAMES))}",
                                 relationship=rng.choice(("none", "sibling", "parent")),
                                 notes="Neighbour or relative who saw or heard incidents."))

    place = rng.choice(CITIES[region])
    story = _Story(rng, place, children)
    if rng.random() < 0.6:
        pattern = rng.choice(PATTERNS)
        begun = rng.randint(first_day.year - 12, first_day.year - 1)
        story.add(pattern, (str(begun), str(first_day.year), "approximate", "repeated"),
                  narrative=rng.choice(NARRATIVES.get(pattern, ("Over many years.",))),
                  parties=(("r", "perpetrator"), ("s", "victim")))
    elif rng.random() < 0.6:  # the first time, remembered only by its year
        story.add("physical_assault", (str(rng.randint(first_day.year - 6, first_day.year - 1)),
                                       "", "none", "once"),
                  narrative="The first time he hit her; she remembers only the year.",
                  parties=(("r", "perpetrator"), ("s", "victim")))
    if rng.random() < 0.15:
        story.add("property_damage", _unknown_date(), place=place,
                  narrative=NARRATIVES["property_damage"][0],
                  parties=(("r", "perpetrator"), ("s", "victim")))
    day = first_day
    for _episode_number in range(rng.randint(1, 5)):
        if day >= LATEST:
            break
        day = _episode(story, rng, day)
        day = _after(rng, day, 20, 240)
    if rng.random() < 0.3 and day < LATEST:
        story.add("separation", (day.strftime("%Y-%m"), "", "none", "once"),
                  attributes={"type": rng.choice(("divorce", "moved_out"))},
                  parties=(("s", "involved"), ("r", "involved")))
        if children and rng.random() < 0.5:
            story.add("children_arrangements", story.day(_after(rng, day, 10, 60)),
                      institution="court", source="document", reliability="confirmed",
                      narrative="Court decided the children live with their mother.",
                      parties=tuple((c, "involved") for c in children))
    if rng.random() < 0.25:
        story.add("legal_aid", story.day(_after(rng, first_day, 5, 60)),
                  institution="organisation", source="staff", reliability="confirmed",
                  by="lawyer", narrative="Our lawyer took on her representation.",
                  parties=(("s", "involved"),))
    events = story.events
    if len(events) < 3:
        events.append(EventSpec(f"e{len(events) + 1}", "psych_assessment",
                                start=_after(rng, first_day, 10, 40).strftime("%Y-%m"),
                                source="staff", reliability="confirmed",
                                institution="organisation",
                                narrative="First consultation with our psychologist.",
                                parties=(("s", "involved"),)))
    while len(events) < 3:
        events.append(EventSpec(f"e{len(events) + 1}", "threat_to_kill", recurrence="repeated",
                                narrative=NARRATIVES["threat_to_kill"][0],
                                parties=(("r", "perpetrator"), ("s", "victim"))))
    # A correction now and then: a survivor remembers the day better, or a record arrives.
    vague = [e for e in events if e.kind in PHYSICAL and e.qualifier == "before"]
    if vague and rng.random() < 0.6:
        original = vague[0]
        events.append(EventSpec(
            original.key, original.kind, start=original.start, qualifier="none",
            place=original.place, narrative=original.narrative, parties=original.parties,
            links=original.links, source="document", reliability="confirmed",
            corrects=original.key,
            reason="The medical record confirms the date; source upgraded to document.",
        ))
    return CaseSpec(
        reference=f"DEMO-{number:04d}", region=region, parties=tuple(parties),
        events=tuple(events[:25]), supervised=rng.random() < 0.75,
        closed=rng.random() < 0.25,
    )


def _unknown_date() -> tuple[str, str, str, str]:
    """An event whose date nobody knows."""
    return ("", "", "none", "once")


def specs(seed: int = SEED, count: int = COUNT) -> list[CaseSpec]:
    rng = random.Random(seed)
    others = [r for r in KZ_NAMES if r != "KZ-27"]
    west = count // 2 + 1
    regions = ["KZ-27"] * west + [rng.choice(others) for _ in range(count - west)]
    rng.shuffle(regions)
    return [_case(rng, number, region) for number, region in enumerate(regions, start=1)]
