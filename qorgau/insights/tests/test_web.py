"""The dashboard, its downloads and the report, for each kind of viewer; and the
suppression attacked through what a monitor can download."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from qorgau.accounts.models import Organisation
from qorgau.accounts.services import add_member, create_user, enrol_totp
from qorgau.cases import services
from qorgau.conftest import PASSWORD, TOTP_SECRET, make_event
from qorgau.insights import publication
from qorgau.insights.suppression import ALL, Published
from qorgau.insights.tests.test_suppression import assert_nothing_recovered


@pytest.fixture
def figures(org, other_org, alice, frank):
    """Org (shares aggregates): 6 orders in West, 2 in Almaty (2024-Q1); the other
    organisation (does not share): 7 in West, 9 in Astana."""
    org.shares_aggregates = True
    org.save()
    with time_machine.travel("2024-12-31 12:00 +05:00", tick=False):
        for region, n in (("KZ-27", 6), ("KZ-75", 2)):
            for _ in range(n):
                case = services.create_case(org, alice, region=region)
                make_event(case, alice, kind="order_issued", start="2024-02-01")
        for region, n in (("KZ-27", 7), ("KZ-71", 9)):
            for _ in range(n):
                case = services.create_case(other_org, frank, region=region)
                make_event(case, frank, kind="order_issued", start="2024-02-01")


def _monitor_of(organisation: Organisation, email: str):
    user = create_user(email, PASSWORD)
    add_member(user, organisation, "monitor")
    enrol_totp(user, TOTP_SECRET)
    return user


def _csv(client, metric="orders_issued", **params):
    response = client.get(reverse("insights:download", args=[metric, "csv"]), params)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_a_supervisor_sees_the_organisations_exact_figures(client, carol, figures):
    client.force_login(carol)
    html = client.get(reverse("insights:dashboard"), {"year": "2024"}).content.decode()
    assert "Exact figures" in html
    rows = {(r["region"], r["period"], r["key"]): r["count"] for r in _csv(client)}
    assert rows[("KZ-75", "2024-Q1", "all")] == "2"
    assert rows[("KZ-27", "2024-Q1", "all")] == "6"
    assert rows[(ALL, ALL, "all")] == "8"  # the other organisation is not theirs


def test_a_monitor_sees_sharing_organisations_with_small_counts_hidden(client, erin, figures):
    client.force_login(erin)
    page = client.get(reverse("insights:dashboard"), {"year": "2024"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Anonymised figures" in html and "<svg" in html
    rows = {(r["region"], r["period"], r["key"]): r for r in _csv(client, year="2024")}
    almaty = rows[("KZ-75", "2024-Q1", "all")]
    assert almaty["count"] == "" and almaty["suppressed"] == "hidden"
    # 6 + 2 = 8 overall, but West's 6 and the total would give Almaty's 2 away: one of
    # them is hidden too.
    assert "" in (rows[("KZ-27", "2024-Q1", "all")]["count"], rows[(ALL, ALL, "all")]["count"])
    for row in rows.values():
        assert row["count"] == "" or int(row["count"]) == 0 or int(row["count"]) >= 5
    # The organisation that does not share is not counted (7 more in West).
    shown = [int(r["count"]) for r in rows.values() if r["count"]]
    assert max(shown, default=0) <= 8


def test_a_monitor_of_another_organisation_sees_the_coalition(client, other_org, figures):
    client.force_login(_monitor_of(other_org, "mona@other.test"))
    rows = {(r["region"], r["period"], r["key"]): r["count"] for r in _csv(client)}
    # own organisation (7 in West) + the sharing one (6 + 2); Almaty's 2 is hidden, and
    # Astana's 9 (the smallest beside it) with it
    assert rows[("KZ-27", "2024-Q1", "all")] == "13"
    assert rows[("KZ-75", "2024-Q1", "all")] == rows[("KZ-71", "2024-Q1", "all")] == ""
    assert rows[(ALL, ALL, "all")] == "24"


def test_caseworkers_and_lawyers_do_not_see_the_figures(client, alice, bob, dave, figures):
    for user in (alice, bob, dave):
        client.force_login(user)
        assert client.get(reverse("insights:dashboard")).status_code == 404
        assert client.get(reverse("insights:download",
                                  args=["orders_issued", "csv"])).status_code == 404


def test_unknown_metric_or_format_is_404(client, carol, figures):
    client.force_login(carol)
    assert client.get(reverse("insights:download", args=["nope", "csv"])).status_code == 404
    assert client.get(reverse("insights:download",
                              args=["orders_issued", "exe"])).status_code == 404


def test_xlsx_holds_the_same_cells(client, erin, figures):
    client.force_login(erin)
    response = client.get(reverse("insights:download", args=["orders_issued", "xlsx"]),
                          {"year": "2024"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("metric", "country", "region", "period", "key", "count", "suppressed")
    as_csv = _csv(client, year="2024")
    assert len(rows) - 1 == len(as_csv)
    hidden = {(r[2], r[3], r[4]) for r in rows[1:] if r[6] == "hidden"}
    assert hidden == {(r["region"], r["period"], r["key"]) for r in as_csv if r["suppressed"]}


def test_everything_a_monitor_can_download_does_not_give_a_hidden_count_away(
        client, erin, org, alice, figures):
    """The attack: every CSV the monitor can get (each region filter, each bearer filter),
    pooled, then solved for the hidden cells with linear programming."""
    with time_machine.travel("2024-12-31 12:00 +05:00", tick=False):
        for region, n in (("KZ-23", 3), ("KZ-71", 9), ("KZ-27", 1)):
            for _ in range(n):
                case = services.create_case(org, alice, region=region)
                make_event(case, alice, kind="order_issued", start="2024-05-01")
                make_event(case, alice, kind="police_report", start="2024-05-02")
    client.force_login(erin)
    for metric in ("orders_issued", "obligations_by_bearer"):
        seen: dict = {}
        for region in (ALL, "KZ-27", "KZ-75"):
            for bearer in (ALL, "police"):
                for r in _csv(client, metric, year="2024", region=region, bearer=bearer):
                    seen[(r["region"], r["period"], r["key"])] = r["count"]
        scope = publication.Scope((org.pk,), suppressed=True)
        published = publication.cube(scope, metric, "kz", 2024)
        exact = publication.cube(publication.Scope((org.pk,), False), metric, "kz", 2024)
        assert {c: (None if v == "" else int(v)) for c, v in seen.items()} == published.cells
        truth = {c: v or 0 for c, v in exact.cells.items()}
        assert any(v is None for v in published.cells.values())
        assert_nothing_recovered(Published(published.dims, published.k, published.cells),
                                 truth)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
@pytest.mark.parametrize("language, title", [
    ("ru", "Отчёт о подотчётности"), ("kk", "Есептілік туралы есеп"),
    ("en", "Accountability report")])
def test_report_pdf_in_three_languages(client, erin, figures, tmp_path, language, title):
    client.force_login(erin)
    response = client.get(reverse("insights:report"), {"year": "2024", "lang": language})
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert title in text
    assert "2024" in text
