from qorgau.cases import taxonomy


def test_kind_ids_are_unique_stable_identifiers():
    ids = [k.id for k in taxonomy.KINDS]
    assert len(ids) == len(set(ids))
    assert all(i.isidentifier() and i == i.lower() for i in ids)


def test_every_abuse_kind_maps_to_one_gbvims_core_type():
    assert len(taxonomy.GBVIMS_TYPES) == 6
    for kind in taxonomy.KINDS:
        assert kind.group in taxonomy.GROUPS
        if kind.group == "abuse":
            assert kind.gbvims in taxonomy.GBVIMS_TYPES, kind.id
        else:
            assert kind.gbvims is None, kind.id


def test_restricted_kinds():
    assert {"self_harm"} == taxonomy.RESTRICTED


def test_design_taxonomy_is_covered():
    needed = {
        "strangulation", "burn_scald", "threat_to_kill", "threat_children", "coercive_control",
        "economic_abuse", "expulsion", "stalking", "abuse_in_pregnancy", "police_report",
        "police_refusal", "order_requested", "order_issued", "order_refused", "order_extended",
        "order_expired", "order_breached", "breach_response", "charges_respondent",
        "reconciliation", "complaint_official", "prosecutor_response", "medical_exam",
        "psych_assessment", "shelter_admission", "referral_made", "referral_accepted",
        "referral_declined", "legal_aid", "arrest", "detention_ordered", "detention_extended",
        "release", "indictment", "hearing", "jury_selected", "jury_dismissed", "mistrial",
        "verdict", "sentence", "appeal", "international_complaint", "self_harm", "separation",
        "moving_house", "children_arrangements",
    }
    assert needed <= set(taxonomy.BY_ID)
