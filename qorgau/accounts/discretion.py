"""Discreet mode: what changes on screen, and when a page is discreet.

A page is discreet when the signed-in person belongs to a discreet organisation
(`Organisation.discreet`, switched by its administrators on the organisation settings
page). Before login (the login, second-factor and password pages) a page is discreet when
the installation is (`QORGAU_DISCREET_LOGIN`) or the device is: a non-identifying cookie
set after a discreet organisation's member logged in on it, kept by the quick exit, so a
shared phone keeps a neutral login page.

On a discreet page:

- the product is "Notes" (title, header, icon), and "Qorgau" appears nowhere: templates
  ask for the neutral wording, and `DiscreetMiddleware` replaces any "Qorgau" left in an
  HTML page (a text of another app) as a backstop;
- the words someone looking over her shoulder would notice are swapped for neutral ones:
  the short list in NEUTRAL, chosen in templates with `{% neutral "Quick exit" %}`
  (library `qorgau_discreet`), which also swaps a label already translated
  (`{% neutral party.get_role_display %}`) and a role in brackets after a name ("Name
  (Respondent (abuser))", the event form's party labels);
- lists (the case list) show no names, only the reference and initials. A case's own pages
  (timeline, parties, event form) still show names: only the people assigned to the case
  open them, one case at a time, to work on it.

Each neutral wording is a msgid of its own, translated like any other.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_noop, pgettext

# The sensitive msgid -> its neutral msgid. Keep it short: words on the page chrome and the
# party roles, not the content of a case.
NEUTRAL: dict[str, str] = {
    gettext_noop("Quick exit"): gettext_noop("Close"),
    gettext_noop("Survivor"): gettext_noop("Person"),
    gettext_noop("Respondent (abuser)"): gettext_noop("Contact"),
    gettext_noop("Victim"): gettext_noop("Person"),
    gettext_noop("Perpetrator"): gettext_noop("Contact"),
    gettext_noop("Parties"): gettext_noop("Contacts"),
    gettext_noop(
        "Everyone who works in Qorgau logs in with a password and a code from an "
        "authenticator app on their phone. Scan the picture with the app (or type the "
        "secret into it), then enter the code it shows."): gettext_noop(
        "Everyone logs in with a password and a code from an authenticator app on their "
        "phone. Scan the picture with the app (or type the secret into it), then enter the "
        "code it shows."),
}

PRODUCT_NAME = "Qorgau"

# The device cookie: its name and value say nothing about the service.
DEVICE_COOKIE = "ui"
DEVICE_VALUE = "plain"
DEVICE_COOKIE_AGE = 2 * 365 * 24 * 3600


def neutral_product_name() -> str:
    return pgettext("discreet product name", "Notes")


def product_name(discreet: bool) -> str:
    return neutral_product_name() if discreet else PRODUCT_NAME


def device_is_discreet(request: Any) -> bool:
    return bool(request.COOKIES.get(DEVICE_COOKIE) == DEVICE_VALUE)


def login_is_discreet(request: Any) -> bool:
    """Before login: the installation or this device asks for a neutral page."""
    return bool(settings.QORGAU_DISCREET_LOGIN) or device_is_discreet(request)


def neutral(text: Any, discreet: bool) -> str:
    """`text` (a msgid, or a label already translated) translated, and on a discreet page
    its neutral wording; a role in brackets at the end of a label is swapped too."""
    if not discreet:
        return gettext(str(text)) if isinstance(text, str) else str(text)
    text = str(text)
    for sensitive, plain in NEUTRAL.items():
        if text == sensitive or text == gettext(sensitive):
            return gettext(plain)
    for sensitive, plain in NEUTRAL.items():
        bracketed = f"({gettext(sensitive)})"
        if text.endswith(bracketed):
            return f"{text[:-len(bracketed)]}({gettext(plain)})"
    return gettext(text)


def initials(name: str) -> str:
    """"Zhanar Testbayeva" -> "Z. T." (a list on a discreet page names no one)."""
    return " ".join(f"{word[0]}." for word in str(name).split() if word[:1].isalpha())
