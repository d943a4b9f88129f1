"""Discreet mode that protects (issue 26, 7): neutral words, no names on lists, a neutral
login page on a discreet installation or device, switched by the organisation's
administrators on its settings page, the switch recorded."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from qorgau.accounts import discretion
from qorgau.accounts.models import Organisation, OrganisationEntry
from qorgau.conftest import log_in_with_code, make_event

BACKSTOP = "qorgau.accounts.middleware.DiscreetMiddleware"
SURVIVOR = "Zhanar Testbayeva"


def _render(source: str, discreet: bool, **context: object) -> str:
    template = Template("{% load qorgau_discreet %}" + source)
    return template.render(Context({"discreet": discreet, **context}))


def test_the_tag_picks_the_neutral_msgid_only_when_discreet():
    assert _render('{% neutral "Quick exit" %}', False) == "Quick exit"
    assert _render('{% neutral "Quick exit" %}', True) == "Close"
    assert _render("{% neutral role %}", True, role="Respondent (abuser)") == "Contact"
    assert _render("{% neutral role %}", True, role="Survivor") == "Person"
    assert _render("{% neutral role %}", True, role="Witness") == "Witness"
    # A party's label on the event form: the role in brackets after the name.
    assert (_render("{% neutral label %}", True, label="Marat T. (Respondent (abuser))")
            == "Marat T. (Contact)")
    assert (_render("{% neutral label %}", False, label="Marat T. (Respondent (abuser))")
            == "Marat T. (Respondent (abuser))")
    assert _render("{{ name|initials }}", True, name=SURVIVOR) == "Z. T."
    with translation.override("ru"):
        # A label already translated is recognised too (the neutral msgids fall back to
        # English until they are translated).
        role = translation.gettext("Respondent (abuser)")
        assert role != "Respondent (abuser)"
        assert _render("{% neutral role %}", False, role=role) == role
        assert _render("{% neutral role %}", True, role=role) == translation.gettext("Contact")


def _sample_pages(case) -> dict[str, str]:
    ref = case.reference
    return {"today": reverse("duties:today"), "case list": reverse("cases:list"),
            "case page": reverse("cases:detail", args=[ref]),
            "parties": reverse("cases:parties", args=[ref]),
            "event form": reverse("cases:event_new", args=[ref])}


@pytest.fixture
def story(case, alice, survivor, respondent):
    make_event(case, alice)
    return case


def _discreet(org: Organisation) -> None:
    org.discreet = True
    org.save(update_fields=["discreet"])


@pytest.mark.parametrize("backstop", [True, False], ids=["backstop", "templates-alone"])
def test_a_discreet_organisation_sees_no_product_name_and_no_names_on_lists(
        client, settings, org, alice, story, backstop):
    if not backstop:  # the templates choose the neutral words themselves
        settings.MIDDLEWARE = [m for m in django_settings.MIDDLEWARE if m != BACKSTOP]
    _discreet(org)
    client.force_login(alice)
    for name, url in _sample_pages(story).items():
        response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert "Qorgau" not in html, name
        assert "<title>Notes</title>" in html and "img/notes.svg" in html, name
        assert ">Close</button>" in html and "Quick exit" not in html, name
        assert "Respondent (abuser)" not in html and "Survivor<" not in html, name
    listing = client.get(reverse("cases:list")).content.decode()
    assert SURVIVOR not in listing and "Z. T." in listing and ">Person</th>" in listing
    page = client.get(reverse("cases:detail", args=[story.reference])).content.decode()
    # The case page still names the people, to the caseworker assigned to the case.
    assert SURVIVOR in page and "Contact:" in page and "Person:" in page
    assert "<h2>Contacts</h2>" in page
    form = client.get(reverse("cases:event_new", args=[story.reference])).content.decode()
    assert "Marat Testbayev (Contact)" in form


def test_without_discreet_mode_nothing_changes(client, alice, story):
    client.force_login(alice)
    listing = client.get(reverse("cases:list")).content.decode()
    assert "Qorgau" in listing and "Quick exit" in listing and SURVIVOR in listing
    assert "Z. T." not in listing
    page = client.get(reverse("cases:detail", args=[story.reference])).content.decode()
    assert "Respondent (abuser):" in page and "<h2>Parties</h2>" in page
    form = client.get(reverse("cases:event_new", args=[story.reference])).content.decode()
    assert "Marat Testbayev (Respondent (abuser))" in form
    assert discretion.DEVICE_COOKIE not in client.cookies


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_no_product_name_in_russian_and_kazakh(client, org, alice, story, language):
    _discreet(org)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(alice)
    for name, url in _sample_pages(story).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert f'lang="{language}"' in response.content.decode()
        assert "Qorgau" not in response.content.decode(), (language, name)
    assert SURVIVOR not in client.get(reverse("cases:list")).content.decode()
    client.post(reverse("account_logout"))  # the device cookie stays (client.logout drops it)
    assert "Qorgau" not in client.get(reverse("account_login")).content.decode()


# --- the login page ------------------------------------------------------------------------

def test_the_login_page_names_the_product_unless_the_installation_is_discreet(client,
                                                                              settings):
    assert "Qorgau" in client.get(reverse("account_login")).content.decode()
    settings.QORGAU_DISCREET_LOGIN = True
    for language in ("en", "ru", "kk"):
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
        html = client.get(reverse("account_login")).content.decode()
        assert "Qorgau" not in html, language
        assert "img/notes.svg" in html


def test_a_discreet_members_device_keeps_a_neutral_login(client, org, alice):
    _discreet(org)
    response = log_in_with_code(client, alice)
    assert response.status_code == 302
    cookie = response.cookies[discretion.DEVICE_COOKIE]
    assert cookie.value == discretion.DEVICE_VALUE and cookie["httponly"]
    assert "qorgau" not in (cookie.key + cookie.value).lower()  # says nothing
    client.post(reverse("account_logout"))
    html = client.get(reverse("account_login")).content.decode()
    assert "Qorgau" not in html and "<title>Notes</title>" in html
    # The second step of a login on this device is neutral too.
    client.post(reverse("account_login"), {"login": alice.email,
                                           "password": "correct horse battery staple"})
    assert "Qorgau" not in client.get(reverse("mfa_authenticate")).content.decode()


def test_a_member_of_an_ordinary_organisation_leaves_no_mark(client, alice):
    response = log_in_with_code(client, alice)
    assert discretion.DEVICE_COOKIE not in response.cookies
    client.get(reverse("cases:list"))
    assert discretion.DEVICE_COOKIE not in client.cookies


def test_the_device_is_marked_when_her_organisation_becomes_discreet(client, org, alice):
    client.force_login(alice)
    _discreet(org)
    response = client.get(reverse("cases:list"))
    assert response.cookies[discretion.DEVICE_COOKIE].value == discretion.DEVICE_VALUE


def test_quick_exit_on_a_discreet_device_keeps_only_the_neutral_login(client, org, alice):
    _discreet(org)
    client.force_login(alice)
    client.get(reverse("cases:list"))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "ru"
    response = client.post(reverse("quick_exit"))
    assert response.status_code == 302
    assert "cookies" not in response["Clear-Site-Data"]
    assert "cache" in response["Clear-Site-Data"] and "storage" in response["Clear-Site-Data"]
    for name in (django_settings.SESSION_COOKIE_NAME, django_settings.LANGUAGE_COOKIE_NAME):
        assert response.cookies[name]["max-age"] == 0, name
    assert discretion.DEVICE_COOKIE not in response.cookies
    assert client.get(reverse("cases:list")).status_code == 302  # the session is over
    assert "Qorgau" not in client.get(reverse("account_login")).content.decode()


# --- the switch ----------------------------------------------------------------------------

def _url(org: Organisation) -> str:
    return reverse("accounts:organisation", args=[org.slug])


def test_an_administrator_switches_discreet_mode_and_it_is_recorded(client, org, personas):
    admin = personas["admin"]
    client.force_login(admin)
    assert reverse("accounts:organisation_home") in client.get(
        reverse("cases:list")).content.decode()
    assert client.get(reverse("accounts:organisation_home"))["Location"] == _url(org)
    page = client.get(_url(org))
    assert page.status_code == 200 and "Discreet mode" in page.content.decode()
    response = client.post(_url(org), {"discreet": "on"})
    assert response.status_code == 302 and response["Location"] == _url(org)
    org.refresh_from_db()
    assert org.discreet
    settings_changes = OrganisationEntry.objects.filter(organisation=org,
                                                        action="setting.set")
    change = settings_changes.get()
    assert (change.actor, change.detail) == (admin, {"setting": "discreet", "old": False,
                                                     "new": True})
    html = client.get(_url(org)).content.decode()
    assert "Discreet mode is on" in html and "discreet mode switched on" in html
    assert "Qorgau" not in html
    client.post(_url(org), {"discreet": "on"})  # nothing to change, nothing recorded
    assert settings_changes.count() == 1
    client.post(_url(org), {})
    org.refresh_from_db()
    assert not org.discreet
    assert [e.detail["new"] for e in settings_changes.order_by("seq")] == [True, False]


@pytest.mark.parametrize("persona", ["caseworker", "supervisor", "monitor",
                                     "unassigned_lawyer"])
def test_other_members_may_not_switch_it(client, org, personas, persona):
    client.force_login(personas[persona])
    assert reverse("accounts:organisation_home") not in client.get(
        reverse("cases:list")).content.decode()
    assert client.get(reverse("accounts:organisation_home")).status_code == 403
    assert client.get(_url(org)).status_code == 403
    response = client.post(_url(org), {"discreet": "on"})
    assert response.status_code == 403
    assert "Only the organisation's administrators" in response.content.decode()
    org.refresh_from_db()
    assert not org.discreet and not OrganisationEntry.objects.filter(action="setting.set").exists()


def test_outsiders_get_404_and_anonymous_the_login(client, org, other_org, personas):
    client.force_login(personas["other_org"])
    assert client.post(_url(org), {"discreet": "on"}).status_code == 404
    assert client.get(reverse("accounts:organisation", args=["no-such"])).status_code == 404
    client.logout()
    response = client.post(_url(org), {"discreet": "on"})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    org.refresh_from_db()
    assert not org.discreet


def test_the_service_refuses_a_non_administrator(org, alice):
    from qorgau.accounts import services

    with pytest.raises(services.NotAllowed):
        services.set_discreet(org, True, by=alice)
    org.refresh_from_db()
    assert not org.discreet
