"""Regions a case can belong to (first-level divisions), by jurisdiction. Pure: no Django."""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    return message


_ = gettext_noop

KZ_REGIONS: dict[str, str] = {
    "kz-abai": _("Abai Region"),
    "kz-akmola": _("Akmola Region"),
    "kz-aktobe": _("Aktobe Region"),
    "kz-almaty-region": _("Almaty Region"),
    "kz-atyrau": _("Atyrau Region"),
    "kz-east": _("East Kazakhstan Region"),
    "kz-jambyl": _("Jambyl Region"),
    "kz-jetisu": _("Jetisu Region"),
    "kz-karaganda": _("Karaganda Region"),
    "kz-kostanay": _("Kostanay Region"),
    "kz-kyzylorda": _("Kyzylorda Region"),
    "kz-mangystau": _("Mangystau Region"),
    "kz-north": _("North Kazakhstan Region"),
    "kz-pavlodar": _("Pavlodar Region"),
    "kz-turkistan": _("Turkistan Region"),
    "kz-ulytau": _("Ulytau Region"),
    "kz-west": _("West Kazakhstan Region"),
    "kz-astana": _("Astana (city)"),
    "kz-almaty": _("Almaty (city)"),
    "kz-shymkent": _("Shymkent (city)"),
}

PROFILES: dict[str, str] = {
    "kz": _("Kazakhstan"),
    "kg": _("Kyrgyzstan"),
    "gb-eng": _("England and Wales"),
    "intl": _("International standards only"),
}
