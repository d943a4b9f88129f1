"""Shared test personas (healthchecks style).

alice: caseworker who opened the case · bob: lawyer on the case · carol: supervisor on the
case · dave: caseworker in the same organisation, not on the case · erin: monitor in the
same organisation · frank: caseworker in another organisation.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from allauth.account.authentication import get_authentication_records
from django.apps import apps
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from qorgau.accounts import allauth_bridge
from qorgau.accounts.models import Organisation, OrganisationEntry, User
from qorgau.accounts.services import add_member, create_user, enrol_totp
from qorgau.cases import services
from qorgau.cases.models import Case, Checkpoint, Event, LedgerEntry, Party

PASSWORD = "correct horse battery staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32; every persona's authenticator app


def totp_code(at: float | None = None, secret: str = TOTP_SECRET) -> str:
    """The six digits a persona's authenticator app shows now (or at `at`). Now: with
    under 5 s of the code's 30 left, the next code, as a person would wait for it (on a
    busy machine a code read at second 28 reaches the server after it expired)."""
    if at is None:
        left = 30 - time.time() % 30
        if left < 5:
            time.sleep(left + 0.1)
    return allauth_bridge.totp_code(secret, at or None)


def _full_login(sender: object, request: Any, user: User, **kwargs: object) -> None:
    """`client.force_login` stands for a whole login, password and second factor, as
    allauth records it in the session (re-authentication windows start from it)."""
    if not get_authentication_records(request, user):
        allauth_bridge.record_login(request, user, method="password")
        allauth_bridge.record_login(request, user, method="mfa", type="totp")


def log_in_with_code(client: Any, user: User) -> Any:
    """A whole login through allauth's pages: password, then the authenticator's code."""
    response = client.post(reverse("account_login"),
                           {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse(
        "mfa_authenticate"), response
    return client.post(reverse("mfa_authenticate"), {"code": totp_code()})


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and used one-time codes start empty for every test."""
    cache.clear()


@pytest.fixture(autouse=True)
def _force_login_is_a_full_login() -> Iterator[None]:
    user_logged_in.connect(_full_login, dispatch_uid="qorgau-tests-full-login")
    yield
    user_logged_in.disconnect(dispatch_uid="qorgau-tests-full-login")


@pytest.fixture
def org(db: None) -> Organisation:
    return Organisation.objects.create(name="Test Crisis Centre", slug="tcc", region="kz-west")


@pytest.fixture
def other_org(db: None) -> Organisation:
    return Organisation.objects.create(name="Other Centre", slug="other", region="kz-almaty")


def _person(email: str, org: Organisation, role: str) -> User:
    user = create_user(email, PASSWORD, display_name=email.split("@")[0].title())
    add_member(user, org, role)
    enrol_totp(user, TOTP_SECRET)
    return user


@pytest.fixture
def alice(org: Organisation) -> User:
    return _person("alice@tcc.test", org, "caseworker")


@pytest.fixture
def bob(org: Organisation) -> User:
    return _person("bob@tcc.test", org, "lawyer")


@pytest.fixture
def carol(org: Organisation) -> User:
    return _person("carol@tcc.test", org, "supervisor")


@pytest.fixture
def dave(org: Organisation) -> User:
    return _person("dave@tcc.test", org, "caseworker")


@pytest.fixture
def erin(org: Organisation) -> User:
    return _person("erin@tcc.test", org, "monitor")


@pytest.fixture
def frank(other_org: Organisation) -> User:
    return _person("frank@other.test", other_org, "caseworker")


@pytest.fixture
def case(org: Organisation, alice: User, bob: User, carol: User) -> Case:
    case = services.create_case(org, alice, region="kz-west")
    services.assign(case, bob, alice)
    services.assign(case, carol, alice)
    return case


@pytest.fixture
def survivor(case: Case, alice: User) -> Party:
    return services.add_party(case, alice, role="survivor", relationship="self",
                              full_name="Zhanar Testbayeva")


@pytest.fixture
def respondent(case: Case, alice: User) -> Party:
    return services.add_party(case, alice, role="respondent", relationship="ex_spouse",
                              co_resident=True, full_name="Marat Testbayev")


def make_event(case: Case, by: User, kind: str = "physical_assault", start: str = "2024-01-05",
               **extra: object) -> Event:
    data = services.EventInput(
        kind=kind, span=services.parse_span(start), source="survivor",
        reliability="probable", narrative=str(extra.pop("narrative", "")),
    )
    for name, value in extra.items():
        setattr(data, name, value)
    return services.record_event(case, by, data)


# The migrations whose triggers make the ledger and the checkpoints append-only (their
# names start with a digit).
_append_only = importlib.import_module("qorgau.cases.migrations.0002_ledger_append_only")
_checkpoints = importlib.import_module("qorgau.cases.migrations.0005_checkpoint")
_org_ledger = importlib.import_module("qorgau.accounts.migrations.0005_organisationentry")


@pytest.fixture
def committed_db(transactional_db: None) -> Iterator[None]:
    """Data really committed (for other processes and threads). After the test the database
    is flushed; on SQLite that is a DELETE, which the ledger's append-only trigger rejects,
    so the ledgers are emptied first with the triggers lifted for that moment only.
    (PostgreSQL flushes with TRUNCATE, which the row trigger does not see.)"""
    yield
    if connection.vendor != "sqlite":
        return
    with connection.schema_editor() as editor:
        _append_only.down(apps, editor)
        _checkpoints.down(apps, editor)
        _org_ledger.down(apps, editor)
    try:
        LedgerEntry.objects.all().delete()
        Checkpoint.objects.all().delete()
        OrganisationEntry.objects.all().delete()
    finally:
        with connection.schema_editor() as editor:
            _append_only.up(apps, editor)
            _checkpoints.up(apps, editor)
            _org_ledger.up(apps, editor)


def database_url() -> str:
    """The test database as a DATABASE_URL, for a subprocess that must see committed data."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}")


def run_db_worker(settings: Any, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """A real `db_worker --batch` in a subprocess on the test database (committed data),
    with this test's keys and evidence folder: it runs every queued task, then ends."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "QORGAU_ENV": "test", "DATABASE_URL": database_url(),
           "QORGAU_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
           "QORGAU_EVIDENCE_DIR": str(settings.QORGAU_EVIDENCE_DIR),
           "QORGAU_DATA_DIR": str(data_dir),
           "QORGAU_DATA_KEYS": ",".join(settings.QORGAU_DATA_KEYS),
           "QORGAU_EVIDENCE_KEYS": ",".join(settings.QORGAU_EVIDENCE_KEYS),
           "QORGAU_SIGNING_KEY": settings.QORGAU_SIGNING_KEY,
           "SECRET_KEY": settings.SECRET_KEY}
    return subprocess.run(
        [sys.executable, str(root / "manage.py"), "db_worker", "--batch", "--no-reload",
         "--no-startup-delay"], env=env, cwd=root, capture_output=True, text=True,
        timeout=300, check=False)


@pytest.fixture
def personas(org: Organisation, alice: User, carol: User, dave: User, erin: User,
             frank: User) -> dict[str, User | None]:
    """A user for every persona of the authorization matrices (anonymous: None)."""
    lawyer = _person("lena@tcc.test", org, "lawyer")
    admin = _person("adam@tcc.test", org, "admin")
    return {"anonymous": None, "outsider": dave, "other_org": frank, "monitor": erin,
            "unassigned_lawyer": lawyer, "caseworker": alice, "supervisor": carol,
            "admin": admin}


@pytest.fixture
def consent_to(db: None):
    """consent_to(case, by, purpose="transfer", categories=None, **extra): record the
    survivor's written consent, valid 90 days, to a recipient outside Qorgau (or
    `recipient_organisation=`); categories default to what the purpose's use needs."""
    from datetime import timedelta

    from django.utils import timezone

    from qorgau.consent import rules
    from qorgau.consent import services as consent

    needs = {"transfer": rules.EXPORT_CATEGORIES, "court": rules.BUNDLE_CATEGORIES,
             "referral": frozenset(rules.CATEGORIES),
             "complaint": rules.COMPLAINT_CATEGORIES | {"evidence"}}

    def grant(case: Case, by: User, purpose: str = "transfer", categories=None, **extra):
        values: dict[str, Any] = {"manner": "written", "given_on": timezone.localdate(),
                  "expires_at": timezone.now() + timedelta(days=90)}
        if "recipient_organisation" not in extra:
            values["recipient_name"] = "Receiving service"
        values.update(extra)
        return consent.grant_consent(case, by, purpose=purpose,
                                     categories=needs[purpose] if categories is None
                                     else categories, **values)

    return grant
