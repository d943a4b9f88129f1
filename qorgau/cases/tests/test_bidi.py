"""Bidirectional control characters (issue 28, finding 8) are removed as text is recorded,
so a name or narrative cannot display as something else."""

from __future__ import annotations

from django.urls import reverse

from qorgau.cases import services
from qorgau.cases.models import Event, Party
from qorgau.conftest import make_event

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def test_bidi_controls_are_removed_from_names_and_narratives(client, case, alice):
    party = services.add_party(case, alice, role="survivor",
                               full_name="Gulnar \u202eilaktieS\u202c",
                               notes="Lives \u2067upstairs\u2069")
    event = make_event(case, alice, narrative="He \u202ehit\u202c her. \u200fDone\u200e",
                       place="Kitchen\u202e")
    party.refresh_from_db()
    event.refresh_from_db()
    assert party.full_name == "Gulnar ilaktieS" and party.notes == "Lives upstairs"
    assert event.narrative == "He hit her. Done" and event.place == "Kitchen"
    fixed = services.update_party(party, alice, full_name="\u202dGulnar\u202c Seitkali")
    assert fixed.full_name == "Gulnar Seitkali"
    client.force_login(alice)
    page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert "Gulnar Seitkali" in page
    assert not any(c in page for c in CONTROLS)
    assert not any(c in p.full_name + p.notes for p in Party.objects.all() for c in CONTROLS)
    assert not any(c in e.narrative for e in Event.objects.all() for c in CONTROLS)
