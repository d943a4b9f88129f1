"""Regions a case can belong to, and the jurisdiction profiles. Pure: no Django.

A region is an ISO 3166-2 code of a first-level subdivision (one without a parent) of any
country, from pycountry's copy of the ISO data: "KZ-27" (West Kazakhstan), "AT-9" (Vienna),
"GB-ENG". A country that ISO does not subdivide is its own region ("VA").

Cases opened before regions were ISO codes carry "kz-west" and the like. Those rows are
never rewritten: the case's ledger entry digested the code as it was, and `qorgau verify`
re-derives that digest from the row. So the old codes stay valid aliases: `canonical()`
maps them to ISO, and everything that compares or counts regions goes through it.
See docs/regions.md.
"""

from __future__ import annotations

import gettext
import json
import os
from functools import cache

import pycountry


def gettext_noop(message: str) -> str:
    return message


_ = gettext_noop

# Kazakhstan's regions in our own words (en, ru, kk), in the order we list them: regions,
# then the cities of republican significance. The ISO codes are those of ISO 3166-2:KZ since
# its 2023 update (numeric, with Abai KZ-10, Jetisu KZ-33 and Ulytau KZ-62 of 2022); this
# table does not depend on which pycountry is installed (a test compares the two).
KZ_NAMES: dict[str, tuple[str, str, str]] = {
    "KZ-10": ("Abai Region", "область Абай", "Абай облысы"),
    "KZ-11": ("Akmola Region", "Акмолинская область", "Ақмола облысы"),
    "KZ-15": ("Aktobe Region", "Актюбинская область", "Ақтөбе облысы"),
    "KZ-19": ("Almaty Region", "Алматинская область", "Алматы облысы"),
    "KZ-23": ("Atyrau Region", "Атырауская область", "Атырау облысы"),
    "KZ-63": ("East Kazakhstan Region", "Восточно-Казахстанская область",
              "Шығыс Қазақстан облысы"),
    "KZ-31": ("Jambyl Region", "Жамбылская область", "Жамбыл облысы"),
    "KZ-33": ("Jetisu Region", "область Жетісу", "Жетісу облысы"),
    "KZ-35": ("Karaganda Region", "Карагандинская область", "Қарағанды облысы"),
    "KZ-39": ("Kostanay Region", "Костанайская область", "Қостанай облысы"),
    "KZ-43": ("Kyzylorda Region", "Кызылординская область", "Қызылорда облысы"),
    "KZ-47": ("Mangystau Region", "Мангистауская область", "Маңғыстау облысы"),
    "KZ-59": ("North Kazakhstan Region", "Северо-Казахстанская область",
              "Солтүстік Қазақстан облысы"),
    "KZ-55": ("Pavlodar Region", "Павлодарская область", "Павлодар облысы"),
    "KZ-61": ("Turkistan Region", "Туркестанская область", "Түркістан облысы"),
    "KZ-62": ("Ulytau Region", "область Ұлытау", "Ұлытау облысы"),
    "KZ-27": ("West Kazakhstan Region", "Западно-Казахстанская область",
              "Батыс Қазақстан облысы"),
    "KZ-71": ("Astana (city)", "г. Астана", "Астана қаласы"),
    "KZ-75": ("Almaty (city)", "г. Алматы", "Алматы қаласы"),
    "KZ-79": ("Shymkent (city)", "г. Шымкент", "Шымкент қаласы"),
}

# The codes Qorgau stored before regions were ISO codes; rows keep them (see above).
LEGACY_KZ: dict[str, str] = {
    "kz-abai": "KZ-10", "kz-akmola": "KZ-11", "kz-aktobe": "KZ-15",
    "kz-almaty-region": "KZ-19", "kz-atyrau": "KZ-23", "kz-east": "KZ-63",
    "kz-jambyl": "KZ-31", "kz-jetisu": "KZ-33", "kz-karaganda": "KZ-35",
    "kz-kostanay": "KZ-39", "kz-kyzylorda": "KZ-43", "kz-mangystau": "KZ-47",
    "kz-north": "KZ-59", "kz-pavlodar": "KZ-55", "kz-turkistan": "KZ-61",
    "kz-ulytau": "KZ-62", "kz-west": "KZ-27", "kz-astana": "KZ-71", "kz-almaty": "KZ-75",
    "kz-shymkent": "KZ-79",
}

# ISO 3166-2:KZ before its 2023 update (letters), still found in other systems' data: read
# on input, never stored.
FORMER_ISO_KZ: dict[str, str] = {
    "KZ-AKM": "KZ-11", "KZ-AKT": "KZ-15", "KZ-ALM": "KZ-19", "KZ-ATY": "KZ-23",
    "KZ-VOS": "KZ-63", "KZ-ZHA": "KZ-31", "KZ-KAR": "KZ-35", "KZ-KUS": "KZ-39",
    "KZ-KZY": "KZ-43", "KZ-MAN": "KZ-47", "KZ-SEV": "KZ-59", "KZ-PAV": "KZ-55",
    "KZ-YUZ": "KZ-61", "KZ-ZAP": "KZ-27", "KZ-AST": "KZ-71", "KZ-ALA": "KZ-75",
    "KZ-SHY": "KZ-79",
}

PROFILES: dict[str, str] = {
    "kz": _("Kazakhstan"),
    "kg": _("Kyrgyzstan"),
    "ru": _("Russia"),
    "uz": _("Uzbekistan"),
    "gb-eng": _("England and Wales"),
    "intl": _("International standards only"),
}

# Each profile's `jurisdiction:` (profiles/<id>.yaml; a test keeps the two in step).
INTERNATIONAL = "international"
PROFILE_JURISDICTIONS: dict[str, str] = {
    "kz": "KZ", "kg": "KG", "ru": "RU", "uz": "UZ", "gb-eng": "GB-ENG", "intl": INTERNATIONAL,
}
# A jurisdiction narrower than a country covers these regions: England and Wales are one
# legal jurisdiction (Scotland and Northern Ireland have their own law).
JURISDICTION_REGIONS: dict[str, tuple[str, ...]] = {"GB-ENG": ("GB-ENG", "GB-WLS")}

LANGUAGES = ("en", "ru", "kk")
# A case known only to its country (a judgment that does not name the region).
UNKNOWN_REGION = {"en": "region not known", "ru": "регион не известен", "kk": "өңірі белгісіз"}


def _language(language: str) -> str:
    return language.replace("_", "-").split("-")[0].lower()


@cache
def _top_level() -> dict[str, dict[str, str]]:
    """Country -> {code: English name} of its first-level subdivisions (ISO's own names).
    Read from pycountry's data file, not `pycountry.subdivisions`: that keeps all 5,000
    subdivisions and their indexes in every worker (2 MB more, measured) for the few
    hundred used here."""
    found: dict[str, dict[str, str]] = {}
    path = os.path.join(pycountry.DATABASE_DIR, "iso3166-2.json")
    with open(path, encoding="utf-8") as data:
        for sub in json.load(data)["3166-2"]:
            if "parent" not in sub:
                code = sub["code"].upper()
                found.setdefault(code.split("-")[0], {})[code] = sub["name"]
    for country in pycountry.countries:
        found.setdefault(country.alpha_2, {})
    found["KZ"] = {code: names[0] for code, names in KZ_NAMES.items()}
    return found


@cache
def _catalogue(domain: str, language: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language],
                               fallback=True)


def canonical(code: str) -> str:
    """The ISO code of a region however it was written ("kz-west", "KZ-ZAP", "kz-27" ->
    "KZ-27"); an unknown code is returned as it came (is_region tells)."""
    value = (code or "").strip()
    if value.lower() in LEGACY_KZ:
        return LEGACY_KZ[value.lower()]
    upper = value.upper()
    if upper in FORMER_ISO_KZ:
        return FORMER_ISO_KZ[upper]
    return upper if _iso_region(upper) else value


def _iso_region(code: str) -> bool:
    """A first-level subdivision, or the country's own code: a case whose region within the
    country is not known (a monitoring case from a judgment that does not say)."""
    country = code.split("-")[0]
    regions = _top_level().get(country)
    if regions is None:
        return False
    return code == country or code in regions


def is_region(code: str) -> bool:
    """A region a case may have: a first-level ISO 3166-2 code, a country's own code when
    ISO does not subdivide it, or a code Qorgau stored before (kz-west, KZ-ZAP)."""
    if not isinstance(code, str) or not code:
        return False
    if code.lower() in LEGACY_KZ or code.upper() in FORMER_ISO_KZ:
        return True
    return _iso_region(code.strip().upper())


def aliases(code: str) -> list[str]:
    """Every spelling under which the region may be stored (for a database filter)."""
    iso = canonical(code)
    return [iso, *sorted(old for old, new in LEGACY_KZ.items() if new == iso)]


def country_of(code: str) -> str:
    """The region's country, ISO 3166-1 alpha-2 ("KZ"); "" for a code that is no region."""
    if not is_region(code):
        return ""
    return canonical(code).split("-")[0]


def country_label(country: str, language: str = "en") -> str:
    found = pycountry.countries.get(alpha_2=country.upper()) if country else None
    if found is None:
        return country
    name = getattr(found, "common_name", None) or found.name
    lang = _language(language)
    return name if lang == "en" else _catalogue("iso3166-1", lang).gettext(name)


def label(code: str, language: str = "en") -> str:
    """The region's name in en, ru or kk. Kazakhstan's are ours; other countries' come from
    ISO (its English list holds local names in Latin script) with pycountry's translations
    where it has them (ru: many; kk: none yet, so the ISO name)."""
    iso = canonical(code)
    lang = _language(language)
    if iso in KZ_NAMES:
        names = KZ_NAMES[iso]
        return names[LANGUAGES.index(lang)] if lang in LANGUAGES else names[0]
    if not is_region(iso):
        return code
    country = iso.split("-")[0]
    name = _top_level()[country].get(iso)
    if name is None:  # the country itself
        if _top_level()[country]:
            unknown = UNKNOWN_REGION.get(lang, UNKNOWN_REGION["en"])
            return f"{country_label(country, lang)} ({unknown})"
        return country_label(country, lang)
    return name if lang == "en" else _catalogue("iso3166-2", lang).gettext(name)


def regions_of(country: str, language: str = "en") -> list[tuple[str, str]]:
    """A country's regions as (code, name), Kazakhstan's in our order, others by name."""
    country = (country or "").upper()
    regions = _top_level().get(country)
    if regions is None:
        return []
    if not regions:
        return [(country, country_label(country, language))]
    named = [(code, label(code, language)) for code in regions]
    if country != "KZ":
        named.sort(key=lambda pair: pair[1].casefold())
    return [*named, (country, label(country, language))]


def countries(language: str = "en") -> list[tuple[str, str]]:
    """Every country as (alpha-2, name), by name."""
    return sorted(((c, country_label(c, language)) for c in _top_level()),
                  key=lambda pair: pair[1].casefold())


def jurisdiction_country(jurisdiction: str) -> str:
    """The country of a profile's jurisdiction ("GB-ENG" -> "GB"); "" if international."""
    if not jurisdiction or jurisdiction.lower() in (INTERNATIONAL, "intl"):
        return ""
    return jurisdiction.split("-")[0].upper()


def profile_country(profile: str) -> str:
    """The country of a profile by its id ("kz" -> "KZ"); "" for intl or an unknown id."""
    return jurisdiction_country(PROFILE_JURISDICTIONS.get(profile, ""))


def fits_profile(code: str, profile_jurisdiction: str) -> bool:
    """Whether a case in this region may be under a profile of this jurisdiction: a
    country's profile takes its regions, a narrower jurisdiction (GB-ENG) the regions it
    covers, the international baseline any region."""
    if not is_region(code):
        return False
    country = jurisdiction_country(profile_jurisdiction)
    if not country:
        return True
    jurisdiction = profile_jurisdiction.upper()
    if "-" in jurisdiction:
        return canonical(code) in JURISDICTION_REGIONS.get(jurisdiction, (jurisdiction,))
    return country_of(code) == country


def fits(code: str, profile: str) -> bool:
    """fits_profile for a profile id ("kz", "intl")."""
    return profile in PROFILE_JURISDICTIONS and fits_profile(
        code, PROFILE_JURISDICTIONS[profile])


def grouped(first: list[str], language: str = "en",
            others: bool = False) -> list[tuple[str, list[tuple[str, str]]]]:
    """Regions grouped by country for a select: the countries in `first` in that order
    (duplicates and unknown codes dropped), then, if `others`, every other country."""
    order = list(dict.fromkeys(c.upper() for c in first if c and c.upper() in _top_level()))
    if others:
        order += [c for c, _name in countries(language) if c not in order]
    return [(country_label(c, language), regions_of(c, language)) for c in order]


def all_codes() -> list[str]:
    """Every code is_region accepts as written (ISO codes, then those stored before), for a
    JSON schema's enum."""
    iso = sorted(code for country, found in _top_level().items()
                 for code in (*found, country))
    return [*iso, *LEGACY_KZ, *FORMER_ISO_KZ]
