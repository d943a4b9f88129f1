"""One place decides what a reader may see of a case (issue 28): restricted events are
left out through qorgau.cases.policy and the QuerySet methods built on it. This guard reads
the source: no module outside the policy compares kinds with taxonomy.RESTRICTED, reads
`sees_restricted` off a case or checks RESTRICTED_VIEW_ROLES by hand; and every surface
that shows a case (pages, exports, letters, bundles, shares, the API, the counts) goes
through the policy."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the qorgau package
POLICY = {"cases/policy.py", "cases/taxonomy.py", "accounts/models.py"}
BY_HAND = [
    (re.compile(r"\bRESTRICTED\b(?!_)"), "compares kinds with taxonomy.RESTRICTED"),
    (re.compile(r"getattr\(\w+, \"sees_restricted\""), "reads sees_restricted off a case"),
    (re.compile(r"\bRESTRICTED_VIEW_ROLES\b"), "checks the roles that see restricted events"),
    (re.compile(r"\"caseworker\" if sees_restricted"), "fakes a role to filter events"),
]
# Every surface that shows a case, and so must ask the policy (a module that stops asking,
# or a new surface, is a decision to make here).
SURFACES = {
    "cases/access.py": "who reads a case: sets what the reader sees",
    "cases/views.py": "case list, timeline, event pages",
    "cases/forms.py": "the kinds a reader may record",
    "cases/casefile.py": "case-file export",
    "cases/templatetags/qorgau_cases.py": "timeline marks",
    "duties/services.py": "duties page, letters, overdue column, the case page's duties panel "
                          "and summary (page_duties)",
    "duties/today.py": "Today, and Needs action (hide_restricted)",
    "duties/reminders.py": "reminder e-mails",
    "risk/views.py": "risk assessment page",
    "risk/services.py": "risk suggestions from the timeline",
    "bundles/views.py": "court bundle (page)",
    "bundles/build.py": "court bundle contents",
    "consent/shared.py": "read-only share with another organisation",
    "insights/services.py": "accountability counts",
    "insights/case_picture.py": "the case at a glance",
    "insights/views.py": "the case at a glance (page)",
    "api/routers/cases.py": "API: events and links",
    "api/routers/records.py": "API: corrections",
    "api/routers/bundles.py": "API: bundles",
}
ASKS = re.compile(r"\bpolicy\.\w+\(|\.for_reader\(|\.restricted\(\)|\.visible_to_role\(")


def _sources() -> dict[str, str]:
    return {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
            for path in ROOT.rglob("*.py")
            if not {"tests", "migrations", "e2e"} & set(path.relative_to(ROOT).parts)}


def test_no_module_decides_restricted_events_by_hand():
    found = [f"{name}:{n}: {why}"
             for name, text in _sources().items() if name not in POLICY
             for n, line in enumerate(text.splitlines(), 1)
             for pattern, why in BY_HAND if pattern.search(line.split("#")[0])]
    assert found == [], "use qorgau.cases.policy instead:\n" + "\n".join(found)


def test_every_surface_goes_through_the_policy():
    sources = _sources()
    missing = [f"{name} ({what})" for name, what in SURFACES.items()
               if not ASKS.search(sources.get(name, ""))]
    assert missing == [], "these no longer ask qorgau.cases.policy: " + ", ".join(missing)


# What leaves a case does so under the survivor's consent, decided in one place too:
# consent.services.require_grant (rules in the pure consent.rules). Each way out asks it.
WAYS_OUT = {
    "bundles/services.py": "court bundle",
    "duties/services.py": "complaint letter",
    "referrals/services.py": "referral",
    "referrals/letters.py": "referral letter",
    "consent/services.py": "case-file export and read-only share",
    "consent/transfers.py": "transfer to another organisation",
}
GRANT_BY_HAND = re.compile(r"revoked_at|expires_at|ConsentGrant\.objects\.filter\(case=")


def test_every_way_out_of_a_case_asks_for_the_grant():
    sources = _sources()
    missing = [f"{name} ({what})" for name, what in WAYS_OUT.items()
               if "require_grant(" not in sources.get(name, "")]
    assert missing == [], "these no longer ask consent.services.require_grant: " + \
        ", ".join(missing)
    by_hand = [name for name, text in sources.items()
               if not name.startswith(("consent/", "api/")) and name not in {
                   "operations/custody.py", "demo/loader.py", "conftest.py"}
               and GRANT_BY_HAND.search(text)]
    assert by_hand == [], "a consent grant read by hand (ask consent.services): " + \
        ", ".join(by_hand)
