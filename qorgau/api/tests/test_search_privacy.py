"""Finding 4 of issue 28: a survivor's name typed into the case search goes into no URL
(browser history, proxies) and no access-log line; the page and the API search by POST."""

from __future__ import annotations

import datetime
import io
import types

import pytest
from django.urls import reverse
from gunicorn.config import Config
from gunicorn.glogging import Logger

from qorgau.cases import services
from qorgau.logfilter import install, mask

NAME = "Zhanar Testbayeva"  # the survivor fixture's name


@pytest.fixture
def second_case(org, alice):
    other = services.create_case(org, alice, region="kz-almaty")
    services.add_party(other, alice, role="survivor", relationship="self",
                       full_name="Aigul Otherova")
    return other


def access_log_line(request) -> str:
    """What gunicorn's access log (deploy/systemd/qorgau-web.service) writes for a request,
    with the filters qorgau.wsgi installs."""
    install()
    config = Config()
    config.set("accesslog", "-")
    logger = Logger(config)
    out = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.stream = out  # type: ignore[attr-defined]
    meta = request.META
    query = meta.get("QUERY_STRING", "")
    uri = meta["PATH_INFO"] + (f"?{query}" if query else "")
    environ = {"REQUEST_METHOD": request.method, "RAW_URI": uri,
               "PATH_INFO": meta["PATH_INFO"], "QUERY_STRING": query,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    response = types.SimpleNamespace(status="200 OK", sent=1, headers=[], response_length=1)
    wsgi_request = types.SimpleNamespace(headers=[], uri=uri, path=meta["PATH_INFO"],
                                         query=query, method=request.method, version=(1, 1))
    logger.access(response, wsgi_request, environ, datetime.timedelta(seconds=0.01))
    return out.getvalue()


def test_the_case_search_is_a_post_and_the_name_is_in_no_url_or_log(client, alice, case,
                                                                      survivor, second_case):
    client.force_login(alice)
    url = reverse("cases:list")
    page = client.get(url).content.decode()
    assert 'method="post"' in page and 'hx-post="' in page and "hx-push-url" not in page
    response = client.post(url, {"q": NAME.upper()})
    html = response.content.decode()
    assert case.reference in html and second_case.reference not in html
    assert NAME.split()[0].lower() not in response.wsgi_request.get_full_path().lower()
    line = access_log_line(response.wsgi_request)
    assert "POST /cases/" in line and "Zhanar" not in line and "ZHANAR" not in line


def test_a_name_in_an_old_address_is_neither_searched_nor_logged(client, alice, case,
                                                                  survivor, second_case):
    """A bookmark or a typed address with ?q=: the list ignores it (nothing to keep in the
    history as a search) and the access log masks it."""
    client.force_login(alice)
    response = client.get(reverse("cases:list"), {"q": NAME, "status": "open"})
    html = response.content.decode()
    assert case.reference in html and second_case.reference in html  # not filtered by q
    line = access_log_line(response.wsgi_request)
    assert "status=open" in line and "q=[masked]" in line
    assert "Zhanar" not in line and "Testbayeva" not in line


def test_the_api_searches_by_post_and_refuses_a_name_in_the_url(api_as, alice, case,
                                                                 survivor, second_case):
    api = api_as(alice)
    found = api.post("cases/search", {"q": f"  {NAME.lower()} "})
    assert found.status_code == 200
    assert [c["reference"] for c in found.json()["items"]] == [case.reference]
    by_reference = api.post("cases/search", {"q": second_case.reference.lower()}).json()
    assert [c["reference"] for c in by_reference["items"]] == [second_case.reference]
    refused = api.get("cases", {"q": NAME})
    assert refused.status_code == 400 and refused.json()["code"] == "search_by_post"
    assert "POST /api/v1/cases/search" in refused.json()["message"]
    assert "Zhanar" not in access_log_line(refused.wsgi_request)


def test_the_mask_keeps_everything_but_sensitive_values():
    assert mask("GET /cases/?status=open&q=Gulnar+Seitkali&page=2 HTTP/1.1") == (
        "GET /cases/?status=open&q=[masked]&page=2 HTTP/1.1")
    assert mask("/api/v1/x?full_name=A%20B&phone=%2B7700") == (
        "/api/v1/x?full_name=[masked]&phone=[masked]")
    assert mask("/insights/?year=2024&region=KZ-27") == "/insights/?year=2024&region=KZ-27"
    assert mask("/cases/?frequency=1&q=") == "/cases/?frequency=1&q="
