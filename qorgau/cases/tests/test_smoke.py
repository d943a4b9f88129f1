from qorgau.cases.models import Case, Event
from qorgau.conftest import make_event


def test_case_visible_only_to_members(case, alice, bob, carol, dave, erin, frank):
    assert set(Case.objects.visible_to(alice)) == {case}
    assert set(Case.objects.visible_to(bob)) == {case}
    assert set(Case.objects.visible_to(carol)) == {case}
    for outsider in (dave, erin, frank):
        assert not Case.objects.visible_to(outsider).exists()


def test_event_numbers_per_case(case, alice):
    make_event(case, alice)
    make_event(case, alice)
    assert list(Event.objects.filter(case=case).values_list("number", flat=True)) == [1, 2]
