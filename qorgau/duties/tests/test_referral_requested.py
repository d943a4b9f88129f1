"""She asked to be referred: recorded on the report or on "reported to the police", it starts
the Kazakh police duty to refer her (Law No. 214-IV art. 10(7))."""

from __future__ import annotations

import pytest

from qorgau.cases import services
from qorgau.conftest import make_event
from qorgau.duties.models import Obligation

pytestmark = pytest.mark.django_db


def test_she_asked_to_be_referred_starts_the_police_duty_to_refer(org, alice):
    """Kazakh law (214-IV art. 10(7)) owes a referral on her request: asked on the report, or
    on the incident's "reported to the police", the duty appears; not asked, it does not."""
    case = services.create_case(org, alice, region="KZ-27", profile="kz")
    assault = make_event(case, alice, kind="physical_assault", start="2020-03-01")
    make_event(case, alice, kind="police_report", start="2020-03-02",
               attributes={"mode": "oral"}, links=[(assault, "reports")])
    assert not Obligation.objects.filter(case=case, family="kz.referral").exists()
    make_event(case, alice, kind="physical_assault", start="2020-04-01",
               report=services.ReportInput(to="police", mode="oral",
                                           referral_requested=True))
    duty = Obligation.objects.get(case=case, family="kz.referral")
    assert duty.rule_id == "kz.referral.2014" and duty.status == "breached"
