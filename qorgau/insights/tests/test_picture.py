"""The case at a glance, on the reference case and on hand-built ones."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from qorgau.accounts.models import User
from qorgau.cases.models import Case, LedgerEntry
from qorgau.conftest import make_event
from qorgau.demo import reference_case
from qorgau.demo.loader import email_for, load_demo
from qorgau.insights import picture


def test_pure_geometry_ranges_points_and_axis():
    marks = [picture.Mark("abuse", date(2020, 1, 1), date(2020, 12, 31), "incident approx",
                          "2020"),
             picture.Mark("orders", date(2024, 1, 10), date(2024, 2, 9), "order", "order"),
             picture.Mark("orders", date(2024, 1, 20), None, "breach", "breach")]
    drawn = picture.draw(marks, date(2024, 12, 31))
    assert drawn is not None and drawn.start == date(2020, 1, 1)
    approx, order, breach = drawn.shapes
    assert not approx.point and approx.width > 100  # a year-long range is wide
    assert breach.point and order.x < breach.x < order.x + order.width
    assert [t.text for t in drawn.ticks] == ["2020", "2021", "2022", "2023", "2024"]
    assert picture.draw([], date(2024, 1, 1)) is None
    later = picture.draw(marks, date(2024, 12, 31), since=date(2023, 1, 1))
    assert later is not None and len(later.shapes) == 2  # 2020 left out


def test_the_reference_case_picture(client, db):
    load_demo()
    demo = Case.objects.get(reference=reference_case.REFERENCE)
    client.force_login(User.objects.get(email=email_for("caseworker")))
    url = reverse("insights:case_picture", args=[demo.reference])
    html = client.get(url).content.decode()
    assert html.count('class="mark mark--order"') == 2  # two orders, as bars
    assert "mark--breach" in html and "mark--missing" in html
    assert "mark--severe" in html and "mark--proceeding" in html
    assert "mark--risk-high" in html
    assert "no response" in html  # the missing responses say what was owed
    assert LedgerEntry.objects.filter(case=demo, action="case.view",
                                      detail__page="picture").exists()
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<svg" in fragment and "<html" not in fragment


def test_self_harm_is_never_drawn(client, alice, carol, case):
    """Her wellbeing is not part of a picture meant for a judge, whoever looks."""
    make_event(case, alice, kind="self_harm", start="2024-03-01")
    make_event(case, alice, kind="physical_assault", start="2024-03-02")
    url = reverse("insights:case_picture", args=[case.reference])
    for user in (alice, carol):
        client.force_login(user)
        html = client.get(url).content.decode()
        assert "Self-harm" not in html and "Physical assault" in html


def test_the_case_page_loads_the_picture_separately(client, alice, case):
    make_event(case, alice, kind="physical_assault", start="2024-03-02")
    client.force_login(alice)
    html = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert f'hx-get="{reverse("insights:case_picture", args=[case.reference])}"' in html
