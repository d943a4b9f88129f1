"""`verify --duties` derives every case's duties again and compares them with the stored
obligations: an obligation's status edited in the database (breached -> met, hiding a
police breach until the next recompute) is caught and named (issue 28)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qorgau.conftest import make_event
from qorgau.duties import engine, verification
from qorgau.duties.models import Obligation


def test_an_edited_obligation_status_is_caught(case, alice, capsys):
    report = make_event(case, alice, kind="police_report", start="2024-03-01")
    breached = Obligation.objects.filter(case=case, status=engine.BREACHED).first()
    assert breached is not None, "a police report with no answer breaches a duty"
    assert list(verification.verify_duties()) == []
    call_command("verify", "--duties")
    assert "0 cases differ" in capsys.readouterr().out

    Obligation.objects.filter(pk=breached.pk).update(status=engine.MET)  # the tampering
    found = list(verification.verify_duties())
    assert len(found) == 1 and found[0][0] == case.reference
    assert (f"{breached.rule_id} on event #{report.number}: stored met, derived breached"
            in found[0][1])
    with pytest.raises(CommandError, match="1 other problems"):
        call_command("verify", "--duties")
    assert f"case {case.reference}: STORED DUTIES DIFFER" in capsys.readouterr().err
    call_command("verify")  # without the flag the duties are not derived (fast path)

    # a deleted obligation is caught too
    Obligation.objects.filter(pk=breached.pk).delete()
    [(reference, differences)] = verification.verify_duties()
    assert f"{breached.rule_id} on event #{report.number}: derived (breached) but not " \
        "stored" in differences
