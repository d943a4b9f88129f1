"""The HTTP load bench (bench/http_load.py, bench/locustfile.py): its caseworkers log in and
submit the real forms as a browser would, and its figures are cut as documented."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.test import Client
from django.urls import reverse

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import http_load  # noqa: E402
import webform  # noqa: E402

from qorgau.cases.models import Case, Event  # noqa: E402
from qorgau.conftest import PASSWORD, TOTP_SECRET, totp_code  # noqa: E402
from qorgau.evidence.models import Exhibit  # noqa: E402


def test_the_code_is_the_authenticator_apps():
    for at in (0, 59, 1_700_000_000, 1_700_000_029, 1_700_000_030):
        assert webform.totp(TOTP_SECRET, at) == totp_code(at)


def test_login_through_both_forms(db, alice):
    client = Client()
    page = client.get(reverse("account_login"))
    fields = webform.Forms(page.content.decode()).having("login")
    fields.update(login=alice.email, password=PASSWORD)
    response = client.post(reverse("account_login"), fields)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    page = client.get(reverse("mfa_authenticate"))
    fields = webform.Forms(page.content.decode()).having("code")
    fields["code"] = webform.totp(TOTP_SECRET)
    response = client.post(reverse("mfa_authenticate"), fields)
    assert response.status_code == 302 and response["Location"] == reverse("duties:today")
    assert client.get(reverse("cases:list")).status_code == 200


def test_the_event_form_as_it_stands_records_an_event(db, alice, case: Case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    path = reverse("cases:event_new", args=[case.reference])
    fields = webform.Forms(client.get(path).content.decode()).having("kind")
    assert fields["csrfmiddlewaretoken"]
    fields.update(kind="police_report", when_start="2026-11-01", source="survivor",
                  reliability="probable", institution="police", narrative="By phone.")
    before = Event.objects.filter(case=case).count()
    response = client.post(path, fields)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("cases:detail", args=[case.reference]))
    assert Event.objects.filter(case=case).count() == before + 1


def test_the_upload_is_a_browsers(db, alice, case: Case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    path = reverse("evidence:list", args=[case.reference])
    token = webform.Forms(client.get(path).content.decode()).having("csrfmiddlewaretoken")
    body, boundary = webform.multipart(
        {"csrfmiddlewaretoken": token["csrfmiddlewaretoken"], "title": "A message"},
        "file", "message.txt", b"He wrote: you will regret it.\n")
    response = client.post(path, body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 302, response.content[:500]
    assert Exhibit.objects.filter(case=case).count() == 1


def test_forms_send_what_a_browser_sends():
    page = """<form><input name="a" value="1"><input type="checkbox" name="b">
      <input type="checkbox" name="c" value="x" checked><select name="d"><option value="p">
      <option value="q" selected></select><select name="e"><option value="first"></select>
      <textarea name="f">text</textarea><input type="submit" name="go" value="Go"></form>
      <form><input name="other" value="2"></form>"""
    assert webform.Forms(page).having("a") == {"a": "1", "c": "x", "d": "q", "e": "first",
                                                "f": "text"}
    assert webform.Forms(page).having("other") == {"other": "2"}


def _stage(kind: str = "caseworkers", users: int = 2) -> http_load.Stage:
    return http_load.Stage(kind, users, warmup=10, measure=20)


def test_figures_leave_out_the_warmup_and_the_logins_but_count_every_error():
    stages = [_stage("baseline", 4), _stage()]
    records = [
        [5.0, "baseline: static file", 999.0, 0, ""],  # warm-up: not timed
        *[[10.0 + i / 2, "baseline: static file", float(i + 1), 0, ""] for i in range(20)],
        [31.0, "login: password", 500.0, 1, "login: password: HTTP 403"],  # counted
        *[[40.0 + i / 2, "case page", 100.0 + i, 0, ""] for i in range(19)],
        [49.9, "case list", 1000.0, 1, "case list: HTTP 500"],
        [60.0, "case page", 5.0, 0, ""],  # after the last stage
    ]
    base, step = http_load.summarise(records, stages)
    assert (base.requests, base.rps, base.p50, base.p95, base.errors) == (20, 1.0, 11, 19, 0)
    assert step.requests == 20 and step.rps == 1.0
    assert step.p50 == 110 and step.p95 == 118  # nearest rank: the 19th of 20
    assert step.errors == 2
    assert dict(step.messages) == {"login: password: HTTP 403": 1, "case list: HTTP 500": 1}
    assert set(step.by_name) == {"case page", "case list"}


def test_cpu_is_counted_to_the_process_group_that_used_it():
    """The bench's CPU accounting: a process group that burns half a second of CPU is
    counted as the server's, and the machine's busy time rises with it."""
    import os
    import subprocess

    burn = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass"
    before = http_load.cpu_ticks(-1, -1)
    child = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep(0.3)\n{burn}"],
                             start_new_session=True)
    try:
        time.sleep(0.1)
        mid = http_load.cpu_ticks(child.pid, -1)
        child.wait(timeout=30)
    finally:
        child.kill()
    hz = os.sysconf("SC_CLK_TCK")
    assert mid["gunicorn"] < 0.2 * hz  # still asleep
    # a finished child is gone from /proc: read the group while it still burns instead
    child = subprocess.Popen([sys.executable, "-c", f"{burn}\ntime.sleep(5)"],
                             start_new_session=True)
    try:
        time.sleep(1.5)
        after = http_load.cpu_ticks(-1, child.pid)
    finally:
        child.kill()
        child.wait()
    assert after["locust"] >= 0.4 * hz
    assert after["gunicorn"] == 0
    assert after["machine busy"] - before["machine busy"] >= 0.4 * hz
