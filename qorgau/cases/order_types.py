"""Order types as a jurisdiction profile lists them (`order_types`: an id and a title in
en/ru/kk each), and typed text matched against them. Pure: no Django.

A caseworker types "защитное предписание", an importer's file says "Police protective order",
a form offers the profile's list: all of them are stored as the same id (kz.protective_order),
so that the profile's rules, which name order types by id, see the order. Text that matches no
listed type is kept as typed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

LANGUAGES = ("en", "ru", "kk")


def normalise(text: str) -> str:
    """Case-, width-, whitespace- and punctuation-insensitive form of `text`: letters and
    digits only, words separated by one space ("Защитное  предписание." -> "защитное
    предписание"; "kz.protective_order" -> "kz protective order"); ё counts as е."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


def _names(order_type: Mapping[str, Any]) -> Iterable[str]:
    yield str(order_type.get("id", ""))
    title = order_type.get("title")
    if isinstance(title, Mapping):
        yield from (str(value) for value in title.values() if value)
    elif isinstance(title, str):
        yield title


def match(text: str, order_types: Iterable[Mapping[str, Any]]) -> str | None:
    """The id of the order type that `text` names (its id, or its title in any language);
    None if it names none of them."""
    wanted = normalise(text)
    if not wanted:
        return None
    for order_type in order_types:
        if any(normalise(name) == wanted for name in _names(order_type)):
            return str(order_type["id"])
    return None


def canonical(text: str, order_types: Iterable[Mapping[str, Any]]) -> str:
    """What to store for a typed order type: the id it names, or the text as typed
    (trimmed)."""
    return match(text, order_types) or text.strip()


def title(order_type: Mapping[str, Any], language: str) -> str:
    """The order type's title in `language` (English, then any, then its id)."""
    titles = order_type.get("title")
    if isinstance(titles, Mapping):
        base = language.split("-")[0].lower()
        for key in (base, "en", *LANGUAGES):
            if titles.get(key):
                return str(titles[key])
    return str(order_type.get("id", ""))


def choices(order_types: Iterable[Mapping[str, Any]], language: str) -> list[tuple[str, str]]:
    """(id, title in `language`) for a select, in the profile's order."""
    return [(str(o["id"]), title(o, language)) for o in order_types]
