"""Record shapes are versioned by addition: entries written before a field existed still verify."""

from __future__ import annotations

import pytest

from qorgau.cases import records, services
from qorgau.cases.models import Case
from qorgau.cases.verification import verify_case

pytestmark = pytest.mark.django_db


def _shape_before_mode(case: Case) -> dict:
    """The case record as written before Case.mode existed (Qorgau 2026.11)."""
    return {"id": case.pk, "organisation": case.organisation_id, "reference": case.reference,
            "profile": case.profile, "region": case.region, "status": case.status,
            "created_by": case.created_by_id}


def test_a_casework_case_keeps_the_shape_written_before_mode(org, alice):
    case = services.create_case(org, alice, region="kz-west")
    assert records.case_record(case) == _shape_before_mode(case)
    assert verify_case(case.pk, case.reference).problem is None


def test_a_monitoring_case_digests_its_mode(org, alice):
    case = services.create_case(org, alice, region="kz-west")
    Case.objects.filter(pk=case.pk).update(mode=Case.Mode.MONITORING)
    case.refresh_from_db()
    assert records.case_record(case) == {**_shape_before_mode(case), "mode": "monitoring"}
    # changed behind the service's back: the ledger notices
    assert verify_case(case.pk, case.reference).problem is not None
