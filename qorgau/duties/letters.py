"""The offices complaint letters are addressed to (profiles/letters/addressees.yaml).

Pure: no Django. `load` checks the file and raises AddresseeError with the place and the
reason; `check_profiles` calls it at start-up, so a broken file stops the server rather
than a letter. See docs/letters.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from qorgau.cases import regions

LANGUAGES = ("en", "ru", "kk")
FILE = Path("letters") / "addressees.yaml"


class AddresseeError(ValueError):
    def __init__(self, where: str, reason: str):
        super().__init__(f"{FILE} {where}: {reason}")


@dataclass(frozen=True)
class Office:
    """Whom a letter is written to: the line at its top (`to`) and the office's name."""

    to: dict[str, str]
    office: dict[str, str]

    def line(self, language: str) -> str:
        return self.to.get(language) or self.to["en"]

    def name(self, language: str) -> str:
        return self.office.get(language) or self.office["en"]


@dataclass(frozen=True)
class Addressees:
    fallback: dict[str, Office]  # bearer -> office
    defaults: dict[tuple[str, str], Office]  # (profile, bearer) -> office
    regional: dict[tuple[str, str, str], Office]  # (profile, bearer, region) -> office

    def office(self, profile: str, bearer: str, region: str) -> Office | None:
        """The office for a case of `profile` in `region` (ISO 3166-2, or a legacy code),
        the profile's default, the generic fallback; None if the file names none."""
        region = regions.canonical(region) if region else ""
        return (self.regional.get((profile, bearer, region))
                or self.defaults.get((profile, bearer)) or self.fallback.get(bearer))


def _office(where: str, data: Any) -> Office:
    if not isinstance(data, dict) or set(data) != {"to", "office"}:
        raise AddresseeError(where, "needs exactly 'to' and 'office'")
    found = {}
    for key in ("to", "office"):
        texts = data[key]
        if not isinstance(texts, dict) or set(texts) != set(LANGUAGES) or not all(
                isinstance(t, str) and t.strip() for t in texts.values()):
            raise AddresseeError(f"{where}.{key}", "needs a text in en, ru and kk")
        found[key] = {lang: texts[lang].strip() for lang in LANGUAGES}
    return Office(found["to"], found["office"])


def parse(data: Any, bearers: dict[str, frozenset[str]] | None = None) -> Addressees:
    """The file's content, checked. `bearers`: each profile's duty bearers, to check the
    names against (None: not checked)."""
    if not isinstance(data, dict) or not set(data) <= {"fallback", "profiles"}:
        raise AddresseeError("", "has only 'fallback' and 'profiles'")
    fallback = {bearer: _office(f"fallback.{bearer}", office)
                for bearer, office in (data.get("fallback") or {}).items()}
    defaults: dict[tuple[str, str], Office] = {}
    regional: dict[tuple[str, str, str], Office] = {}
    for profile, by_bearer in (data.get("profiles") or {}).items():
        if bearers is not None and profile not in bearers:
            raise AddresseeError(f"profiles.{profile}", "no such profile")
        for bearer, entry in (by_bearer or {}).items():
            where = f"profiles.{profile}.{bearer}"
            if bearers is not None and bearer not in bearers[profile]:
                raise AddresseeError(where, f"the profile has no duty bearer {bearer!r}")
            if not isinstance(entry, dict) or not set(entry) <= {"default", "regions"}:
                raise AddresseeError(where, "has only 'default' and 'regions'")
            if entry.get("default"):
                defaults[(profile, bearer)] = _office(f"{where}.default", entry["default"])
            for region, office in (entry.get("regions") or {}).items():
                if regions.canonical(region) != region or not regions.is_region(region):
                    raise AddresseeError(f"{where}.regions.{region}",
                                         "not an ISO 3166-2 region code")
                regional[(profile, bearer, region)] = _office(f"{where}.regions.{region}",
                                                              office)
    return Addressees(fallback, defaults, regional)


def load(directory: Path, bearers: dict[str, frozenset[str]] | None = None) -> Addressees:
    path = directory / FILE
    if not path.is_file():
        return Addressees({}, {}, {})
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise AddresseeError("", f"is not YAML: {exc}") from exc
    return parse(data, bearers)


@cache
def cached(directory: str) -> Addressees:
    return load(Path(directory))
