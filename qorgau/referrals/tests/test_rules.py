"""The pure referral rules: which moves are allowed, and which providers match a need."""

from __future__ import annotations

from qorgau.referrals import rules
from qorgau.referrals.rules import Need, Provider


def test_the_workflow_moves_forward_only():
    assert rules.check_transition("made", "accepted") is None
    assert rules.check_transition("accepted", "started") is None
    assert rules.check_transition("started", "completed") is None
    assert rules.check_transition("made", "started").code == "not_next"
    assert rules.check_transition("accepted", "declined").code == "not_next"
    assert rules.check_transition("completed", "withdrawn").code == "terminal"
    assert rules.check_transition("declined", "accepted").code == "terminal"
    assert rules.check_transition("made", "flying").code == "unknown"


def test_declining_and_withdrawing_need_a_reason():
    assert rules.check_transition("made", "declined", "  ").code == "reason"
    assert rules.check_transition("made", "declined", "No places") is None
    for state in ("made", "accepted", "started"):
        assert rules.check_transition(state, "withdrawn").code == "reason"
        assert rules.check_transition(state, "withdrawn", "She changed her mind") is None


def test_next_states():
    assert rules.next_states("made") == ["accepted", "declined", "withdrawn"]
    assert rules.next_states("completed") == []


SHELTER = frozenset({"shelter", "psychological"})


def test_matching_region_capacity_and_eligibility():
    providers = [
        Provider(1, "kz-west", SHELTER, accepts_children=True, boys_max_age=12,
                 places_available=3),
        Provider(2, "kz-west", SHELTER, accepts_children=True, places_available=0),  # full
        Provider(3, "kz-west", SHELTER, accepts_children=True),  # places not known
        Provider(4, "kz-almaty", SHELTER, accepts_children=True, places_available=9),
        Provider(5, "kz-west", SHELTER, accepts_children=False, places_available=5),
        Provider(6, "kz-west", frozenset({"legal"}), places_available=5),
        Provider(7, "kz-west", SHELTER, places_available=5, active=False),
        Provider(8, "nationwide", frozenset({"psychological"})),
    ]
    found = rules.match(providers, Need("shelter", "kz-west"))
    assert [m.provider for m in found] == [1, 5, 3]  # those that fit, then the doubtful
    assert found[-1].doubts == ("places available not known",)
    with_children = rules.match(providers, Need("shelter", "kz-west", with_children=True))
    assert [m.provider for m in with_children] == [1, 3]
    boy_of_14 = rules.match(providers, Need("shelter", "kz-west", with_children=True,
                                            oldest_boy=14))
    assert boy_of_14 == []
    boy_of_9 = rules.match(providers, Need("shelter", "kz-west", with_children=True,
                                           oldest_boy=9))
    assert [m.provider for m in boy_of_9] == [1]
    # Capacity only matters for shelter; nationwide services match every region.
    psych = rules.match(providers, Need("psychological", "kz-almaty"))
    assert [m.provider for m in psych] == [4, 8]
    assert rules.match(providers, Need("shelter", "kz-west", accessible=True)) == []


def test_a_provider_answers_but_does_not_record_her_withdrawal():
    assert rules.next_states("made", provider=True) == ["accepted", "declined"]
    assert rules.next_states("started", provider=True) == ["completed"]
    assert rules.check_provider_move("made", "accepted") is None
    assert rules.check_provider_move("made", "declined", "").code == "reason"
    assert rules.check_provider_move("made", "withdrawn", "She moved").code == "not_provider"
    assert rules.check_provider_move("completed", "started").code == "terminal"


def test_every_move_has_its_timeline_event():
    assert set(rules.EVENT_KINDS) == set(rules.STATES)
