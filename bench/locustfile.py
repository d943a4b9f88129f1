"""Caseworkers on loopback for bench/http_load.py (which starts gunicorn and this file).

Read from the environment that http_load.py sets:
    QORGAU_LOAD_PLAN     JSON: the accounts (email, password, TOTP secret, their cases),
                         the stages (baseline, then the caseworker steps) and their seconds
    QORGAU_LOAD_RECORDS  where every request is written at the end (JSON), for the figures;
                         beside it, NAME.started when the first stage starts

Requests go to http://127.0.0.1:PORT as a TLS proxy would pass them on (X-Forwarded-Proto:
https, a Referer on posts), so the server runs with its production settings. Every page
must answer 200 (a redirect, e.g. to the login page, is a failure) and every form post a
302 to where the form leads (its page again with errors is a failure).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from datetime import date
from http.cookiejar import DefaultCookiePolicy
from typing import Any

from locust import FastHttpUser, LoadTestShape, between, events, task
from webform import LOGIN, Forms, multipart, totp

PLAN = json.loads(open(os.environ["QORGAU_LOAD_PLAN"]).read())  # noqa: SIM115
PROXY = {"X-Forwarded-Proto": "https"}
ACCOUNTS = itertools.count()
CLIENTS = itertools.count(1)  # each user's own address, as the TLS proxy reports it
CODE_MARGIN = 5  # seconds: a code typed later than this before its 30 s end may arrive late
STARTED = [0.0]
RECORDS: list[tuple[float, str, float, int, str]] = []  # done at (s), name, ms, failed, error


# Send the Secure cookies (__Host-sessionid, __Host-csrftoken) over loopback's plain HTTP:
# the browser's side of the TLS proxy that X-Forwarded-Proto stands for.
BEHIND_THE_PROXY = DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))


class Client(FastHttpUser):
    abstract = True
    wait_time = between(0.2, 0.8)

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(BEHIND_THE_PROXY)
        n = next(CLIENTS)
        self.proxy = {**PROXY, "X-Forwarded-For": f"10.8.{n // 250}.{n % 250 + 1}"}

    def _get(self, path: str, name: str) -> Any:
        with self.client.get(path, name=name, headers=self.proxy, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{name}: HTTP {response.status_code}")
            return response


class Visitor(Client):
    """The baseline: what any visitor costs, a static file (whitenoise) and the login
    page (the whole middleware stack and a template, no database work of its own)."""

    @task
    def static_file(self) -> None:
        self._get("/static/css/qorgau.css", "baseline: static file")

    @task
    def login_page(self) -> None:
        self._get("/accounts/login/", "baseline: login page")


class Caseworker(Client):
    """A caseworker on her own cases: lists, case pages, Needs action, duties and risk,
    a timeline event recorded through the form, now and then an exhibit uploaded."""

    def on_start(self) -> None:
        super().on_start()
        self.account = PLAN["accounts"][next(ACCOUNTS) % len(PLAN["accounts"])]
        self.cases = self.account["cases"]
        page = self._get("/accounts/login/", f"{LOGIN}: page")
        self._post("/accounts/login/", page, "login", {
            "login": self.account["email"], "password": self.account["password"]},
            "/accounts/2fa/authenticate/", f"{LOGIN}: password")
        page = self._get("/accounts/2fa/authenticate/", f"{LOGIN}: second factor page")
        left = 30 - time.time() % 30
        if left < CODE_MARGIN:  # as a person does when the app's code is about to change
            time.sleep(left + 0.1)
        self._post("/accounts/2fa/authenticate/", page, "code",
                   {"code": totp(self.account["totp_secret"])}, "/today/",
                   f"{LOGIN}: second factor")

    def _case(self) -> str:
        return str(random.choice(self.cases))

    def _post(self, path: str, page: Any, field: str, values: dict[str, str],
              expect: str, name: str) -> None:
        """Submit the page's form that has `field`, as a browser would, with `values`."""
        try:
            fields = Forms(page.text or "").having(field)
        except KeyError as exc:
            events.request.fire(request_type="POST", name=name, response_time=0,
                                response_length=0, exception=exc, context={})
            return
        fields.update(values)
        self._send(path, name, expect, data=fields)

    def _send(self, path: str, name: str, expect: str, **kwargs: Any) -> None:
        with self.client.post(path, name=name, allow_redirects=False, catch_response=True,
                              headers={**self.proxy,
                                       "Referer": f"https://{self._host()}{path}",
                                       **kwargs.pop("headers", {})},
                              **kwargs) as response:
            where = response.headers.get("Location", "") if response.headers else ""
            if response.status_code != 302 or not where.startswith(expect):
                response.failure(f"{name}: HTTP {response.status_code} to {where!r}")

    def _host(self) -> str:
        return (self.host or "").split("://", 1)[-1].rstrip("/")

    @task(15)
    def case_list(self) -> None:
        self._get("/cases/", "case list")

    @task(20)
    def case_page(self) -> None:
        self._get(f"/cases/{self._case()}/", "case page")

    @task(10)
    def needs_action(self) -> None:
        self._get("/needs-action/", "Needs action")

    @task(5)
    def duties(self) -> None:
        self._get(f"/cases/{self._case()}/duties/", "duties page")

    @task(5)
    def risk(self) -> None:
        self._get(f"/cases/{self._case()}/risk/", "risk page")

    @task(5)
    def record_event(self) -> None:
        ref = self._case()
        path = f"/cases/{ref}/events/new/"
        page = self._get(path, "event form")
        if page.status_code == 200:
            self._post(path, page, "kind", {
                "kind": "police_report", "when_start": date.today().isoformat(),
                "source": "survivor", "reliability": "probable", "institution": "police",
                "narrative": "She reported the threat to the district police by phone."},
                f"/cases/{ref}/", "event create (POST)")

    @task(1)
    def upload_exhibit(self) -> None:
        ref = self._case()
        path = f"/cases/{ref}/evidence/"
        page = self._get(path, "evidence list")
        if page.status_code != 200:
            return
        try:
            fields = Forms(page.text or "").having("csrfmiddlewaretoken")
        except KeyError:
            fields = {}
        fields = {"csrfmiddlewaretoken": fields.get("csrfmiddlewaretoken", ""),
                  "title": "Photo of the message", "description": "", "captured_at": ""}
        body, boundary = multipart(fields, "file", "message.txt",
                                    f"He wrote: you will regret it. {uuid.uuid4()}\n".encode())
        self._send(path, "evidence upload (POST)", f"/cases/{ref}/evidence/", data=body,
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


class Steps(LoadTestShape):
    """The stages of PLAN in order: the baseline's visitors, then each step of caseworkers
    (users already logged in stay; the new ones log in during the step's warm-up)."""

    def tick(self) -> tuple[int, float, list[type]] | None:
        run_time = self.get_run_time()
        stage = stage_at(run_time)
        if stage is None:
            return None
        spec = PLAN["stages"][stage]
        user = Visitor if spec["kind"] == "baseline" else Caseworker
        if stage and PLAN["stages"][stage - 1]["kind"] != spec["kind"] and (
                run_time - stage_start(stage) < 2):
            return 0, 100, [user]  # locust does not swap user classes: stop them all first
        return spec["users"], spec["users"], [user]


def stage_start(stage: int) -> float:
    return sum(s["warmup"] + s["measure"] for s in PLAN["stages"][:stage])


def stage_at(seconds: float) -> int | None:
    for i in range(len(PLAN["stages"])):
        if seconds < stage_start(i + 1):
            return i
    return None


@events.test_start.add_listener
def _started(**_kwargs: Any) -> None:
    STARTED[0] = time.monotonic()
    open(os.environ["QORGAU_LOAD_RECORDS"] + ".started", "w").close()  # noqa: SIM115


@events.request.add_listener
def _record(name: str, response_time: float, exception: Any = None, **_kwargs: Any) -> None:
    RECORDS.append((round(time.monotonic() - STARTED[0], 3), name, round(response_time, 2),
                    int(exception is not None), str(exception)[:200] if exception else ""))


@events.quitting.add_listener
def _write(**_kwargs: Any) -> None:
    with open(os.environ["QORGAU_LOAD_RECORDS"], "w") as fh:
        json.dump(RECORDS, fh)
