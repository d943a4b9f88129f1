"""The reference case under `kz` shows exactly the obligations of reference-case.md."""

from __future__ import annotations

from collections import Counter

import pytest

from qorgau.cases.models import Case
from qorgau.demo import reference_case
from qorgau.demo.loader import load_demo
from qorgau.duties.models import Obligation

# (rule family, status): how many. reference-case.md lists the first five families; the
# police granting both written requests (met) is on record too.
EXPECTED = Counter({
    ("kz.breach-response", "breached"): 2,      # each reported breach: no response
    ("kz.report-action", "breached"): 3,        # each report: nothing registered or done
    ("intl.referral", "breached"): 3,           # no referral after any report (she did not
                                                # ask: Kazakh law's own duty is on request)
    ("intl.risk-assessment", "breached"): 1,    # none at the first contact (mid-2023)
    ("intl.investigate", "breached"): 3,        # no charges against him for any report
    ("intl.breach-punished", "breached"): 2,    # no sanction for either breach
    ("kz.order-check", "breached"): 2,          # neither order checked within 7 days
    ("kz.order-renewal", "met"): 1,             # second order sought before the first lapsed
    ("kz.order-renewal", "breached"): 1,        # nothing sought before the second lapsed
    ("intl.order-decision", "met"): 2,          # both written requests granted
    ("intl.safety-plan", "pending"): 1,         # the demo's high open-screen result, today
    ("kz.detention-review", "breached"): 1,     # no extension or release on file since 2024
})


@pytest.fixture
def ref(db: None) -> Case:
    load_demo()
    return Case.objects.get(reference=reference_case.REFERENCE)


def test_reference_case_obligations(ref):
    rows = list(Obligation.objects.filter(case=ref).select_related("trigger"))
    assert Counter((o.family, o.status) for o in rows) == EXPECTED
    by_family = {o.family: o for o in rows}
    # The law in force at the time: the 2023 report falls under the 2014 text, the 2024
    # breach reports under the 2023 amendments.
    versions = sorted((o.trigger.when_start, o.rule_id) for o in rows
                      if o.family == "kz.report-action")
    assert versions == [("2023-06", "kz.report-action.2014"),
                        ("2024-01", "kz.report-action.2023"),
                        ("2024-02", "kz.report-action.2023")]
    assert by_family["intl.risk-assessment"].trigger.when_start == "2023-06"
    assert by_family["kz.order-renewal"].duty_bearer == "organisation"
    assert {o.trigger.kind for o in rows if o.family == "kz.breach-response"} == {
        "police_report"}
    # confirmed against the primary text: the Kazakh police duties; the baseline's are not
    confirmed = {o.family for o in rows if o.status == "breached" and o.confirmed}
    assert confirmed == {"kz.report-action", "kz.breach-response", "kz.order-check",
                         "kz.order-renewal", "kz.detention-review"}
    # every breach here rests on nothing being recorded: none on a recorded refusal
    assert {o.grounds for o in rows if o.status == "breached"} == {"on_absence"}
