"""Seed the fuzzing database: an organisation, a caseworker with a case, a party and an
event, and a token with every scope. Prints `reference token` for scripts/api_fuzz.sh."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
django.setup()

from qorgau.accounts.models import Organisation  # noqa: E402
from qorgau.accounts.services import add_member, create_user  # noqa: E402
from qorgau.api import tokens  # noqa: E402
from qorgau.cases import services  # noqa: E402

org = Organisation.objects.create(name="Fuzz Centre", slug="fuzz", region="kz-west")
user = create_user("fuzz@fuzz.test", None, display_name="Fuzz")
add_member(user, org, "caseworker")
case = services.create_case(org, user, region="kz-west")
party = services.add_party(case, user, role="survivor", relationship="self",
                           full_name="Fuzz Survivor")
services.record_event(case, user, services.EventInput(
    kind="police_report", span=services.parse_span("2024-01-05"), source="survivor",
    reliability="probable", institution="police"))
issued = tokens.create_token(user, "fuzz", ["read", "write", "evidence", "insights"], 1)
print(case.reference, party.pk, issued.secret)
