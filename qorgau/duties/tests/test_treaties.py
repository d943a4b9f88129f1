"""profiles/treaties.yaml and qorgau.duties.treaties: pure, no database."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from qorgau.duties import treaties

PROFILES = Path(__file__).resolve().parents[3] / "profiles"
TREATIES = PROFILES / "treaties.yaml"
UN_CORE = {"cedaw", "op-cedaw", "iccpr", "iccpr-op1"}


@pytest.fixture(scope="module")
def shipped() -> treaties.Treaties:
    return treaties.load(TREATIES)


# -- what binds whom, when ------------------------------------------------------------------


def test_kazakhstan_2024_is_bound_by_the_un_treaties_not_the_european_ones(shipped):
    day = date(2024, 6, 1)
    bound = shipped.binding("KZ", day)
    assert bound >= UN_CORE
    assert "echr" not in bound and "istanbul" not in bound
    assert not shipped.binds("KZ", "istanbul", day)
    assert shipped.not_party("KZ", "istanbul") is not None
    assert shipped.not_party("KZ", "echr") is not None


def test_kyrgyzstan_is_party_to_neither_european_treaty(shipped):
    for year in (2000, 2015, 2025):
        bound = shipped.binding("KG", date(year, 1, 1))
        assert {"echr", "istanbul"}.isdisjoint(bound)
        assert {"cedaw", "iccpr"} <= bound


def test_russia_leaves_the_echr_on_16_september_2022(shipped):
    assert shipped.binds("RU", "echr", date(2022, 9, 15))
    assert not shipped.binds("RU", "echr", date(2022, 9, 17))
    entry = shipped.entry("RU", "echr")
    assert entry is not None and entry.withdrawn == date(2022, 9, 16)
    assert not shipped.binds("RU", "echr", date(1998, 5, 4))
    assert shipped.binds("RU", "echr", date(1998, 5, 5))
    assert shipped.binds("RU", "cedaw", date(2022, 9, 17))


def test_turkey_leaves_the_istanbul_convention_on_1_july_2021(shipped):
    assert shipped.binds("TR", "istanbul", date(2021, 6, 30))
    assert not shipped.binds("TR", "istanbul", date(2021, 7, 1))
    assert not shipped.binds("TR", "istanbul", date(2021, 7, 2))
    assert not shipped.binds("TR", "istanbul", date(2014, 7, 31))
    assert shipped.binds("TR", "istanbul", date(2014, 8, 1))
    assert shipped.binds("TR", "echr", date(2021, 7, 2))


def test_bulgaria_in_1998(shipped):
    bound = shipped.binding("BG", date(1998, 6, 1))
    assert "cedaw" in bound and "echr" in bound
    assert "istanbul" not in bound
    assert "op-cedaw" not in bound  # in force for Bulgaria from 20 Dec 2006
    assert shipped.binds("BG", "op-cedaw", date(2006, 12, 20))
    assert not shipped.binds("BG", "op-cedaw", date(2006, 12, 19))


def test_entry_into_force_follows_each_treaty_rule(shipped):
    # CEDAW art. 27(2): the 30th day after deposit.
    assert shipped.entry("KZ", "cedaw").in_force == date(1998, 9, 25)
    # ICCPR art. 49(2): three months after deposit.
    assert shipped.entry("KZ", "iccpr").in_force == date(2006, 4, 24)
    # Istanbul art. 75(4): first day of the month after three months from deposit.
    assert shipped.entry("RO", "istanbul").in_force == date(2016, 9, 1)
    # Before the treaty's own entry into force, the party waits for it.
    assert shipped.entry("AT", "istanbul").in_force == date(2014, 8, 1)
    assert shipped.entry("BG", "iccpr").in_force == date(1976, 3, 23)


def test_a_new_or_unknown_state_is_bound_by_nothing(shipped):
    for state in ("", None, "ZZ"):
        assert shipped.binding(state, date(2024, 1, 1)) == frozenset()
        assert not shipped.binds(state, "cedaw", date(2024, 1, 1))
        assert shipped.entry(state, "cedaw") is None


def test_state_codes_are_case_insensitive(shipped):
    assert shipped.binding("kz", date(2024, 6, 1)) == shipped.binding("KZ", date(2024, 6, 1))


def test_every_state_in_the_brief_and_the_corpus_is_recorded(shipped):
    wanted = {"KZ", "KG", "RU", "UZ", "TJ", "TM", "AZ", "AM", "GE", "UA", "MD", "BY", "TR",
              "AT", "IT", "ES", "RO", "BG", "HU", "SK", "LT", "GB"}
    corpus = Path(__file__).resolve().parents[3] / "corpus"
    wanted |= {json.loads(p.read_text("utf-8"))["corpus"]["state"]
               for p in corpus.glob("*.json")}
    assert wanted <= set(shipped.states())


# -- basis ----------------------------------------------------------------------------------


def test_basis_splits_binding_from_good_practice(shipped):
    rule = ["istanbul", "cedaw", "cedaw-gr35", "echr", "opuz-v-turkey", "iccpr"]
    basis = shipped.basis_for("KZ", date(2024, 6, 1), rule)
    assert basis.binding == ("cedaw", "iccpr")
    assert basis.interpretations == ("cedaw-gr35",)
    assert basis.good_practice == ("istanbul", "echr", "opuz-v-turkey")
    assert basis.state_known


def test_basis_for_a_date_before_a_treaty_bound(shipped):
    # Kazakhstan before its ICCPR entered into force: the Covenant is good practice only.
    basis = treaties.basis_for(shipped, "KZ", date(2005, 1, 1), ["iccpr", "hrc-gc36", "cedaw"])
    assert basis.binding == ("cedaw",)
    assert basis.good_practice == ("iccpr", "hrc-gc36")


def test_basis_for_an_unknown_state_is_all_good_practice(shipped):
    for state in ("", None):
        basis = shipped.basis_for(state, date(2024, 6, 1), ["cedaw", "cedaw-gr35"])
        assert basis.binding == () and basis.interpretations == ()
        assert basis.good_practice == ("cedaw", "cedaw-gr35")
        assert not basis.state_known


def test_basis_names_an_unknown_instrument(shipped):
    with pytest.raises(treaties.UnknownInstrument, match="no-such-treaty"):
        shipped.basis_for("KZ", date(2024, 6, 1), ["cedaw", "no-such-treaty"])


def test_basis_drops_repeats_keeping_order(shipped):
    basis = shipped.basis_for("AT", date(2024, 6, 1), ["echr", "istanbul", "echr"])
    assert basis.binding == ("echr", "istanbul")


# -- look-ups -------------------------------------------------------------------------------


def test_titles_in_three_languages(shipped):
    cedaw = shipped.instrument("cedaw")
    assert cedaw.title("en").startswith("Convention on the Elimination")
    assert cedaw.title("ru").startswith("Конвенция о ликвидации")
    assert "конвенция" in cedaw.title("kk")
    assert cedaw.title("ru-KZ") == cedaw.title("ru")
    assert cedaw.title("fr") == cedaw.title("en")
    assert shipped.title("opuz-v-turkey", "ru") == "Опуз против Турции"
    assert shipped.state_name("kz", "kk") == "Қазақстан"


def test_interpretations_are_never_treaties(shipped):
    gr35 = shipped.interpretation("cedaw-gr35")
    assert gr35.kind == "interpretation" and gr35.interprets == ("cedaw",)
    with pytest.raises(treaties.UnknownInstrument):
        shipped.instrument("cedaw-gr35")
    for state in shipped.states():
        for entry in shipped.entries[state]:
            assert entry.instrument in shipped.instruments
    ids = [i.id for i in shipped.interpretations_of("cedaw")]
    assert ids[:2] == ["cedaw-gr19", "a-t-v-hungary"]
    assert "cedaw-gr35" in ids
    assert {i.id for i in shipped.interpretations_of("echr")} >= {
        "opuz-v-turkey", "kurt-v-austria", "talpis-v-italy", "volodina-v-russia"}


def test_entry_carries_its_source_and_confirmation(shipped):
    entry = shipped.entry("KZ", "iccpr")
    assert entry.confirmed and entry.source.startswith("https://adilet.zan.kz/")
    unconfirmed = shipped.entry("KG", "cedaw")
    assert not unconfirmed.confirmed and unconfirmed.note
    with pytest.raises(treaties.UnknownInstrument):
        shipped.entry("KZ", "nope")


def test_counts(shipped):
    confirmed, total = shipped.counts()
    assert total == sum(len(e) for e in shipped.entries.values())
    assert 0 < confirmed < total
    assert len(shipped.unconfirmed()) == total - confirmed


def test_cached_reads_the_profiles_directory_once():
    first = treaties.cached(str(PROFILES))
    assert treaties.cached(str(PROFILES)) is first
    assert first.counts() == treaties.load(TREATIES).counts()


# -- validation -----------------------------------------------------------------------------


def test_the_shipped_file_validates(shipped):
    assert shipped.version == 1
    assert set(shipped.instruments) >= {"cedaw", "op-cedaw", "iccpr", "iccpr-op1", "echr",
                                        "istanbul", "belem-do-para", "maputo"}


def _broken(tmp_path: Path, change) -> Path:
    data = yaml.safe_load(TREATIES.read_text("utf-8"))
    change(data)
    path = tmp_path / "treaties.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    shutil.copy(PROFILES / "treaties.schema.json", tmp_path / "treaties.schema.json")
    return path


def _party(data, state, instrument):
    return next(p for p in data["states"][state]["parties"] if p["instrument"] == instrument)


def _fails(path: Path, where: str, reason: str) -> None:
    with pytest.raises(treaties.TreatiesError) as caught:
        treaties.load(path)
    assert caught.value.file == "treaties.yaml"
    assert caught.value.path == where, str(caught.value)
    assert reason in caught.value.reason, str(caught.value)


def test_unknown_instrument_in_a_state(tmp_path):
    def change(data):
        data["states"]["KZ"]["parties"][0]["instrument"] = "cedaw-gr35"
    _fails(_broken(tmp_path, change), "states.KZ.parties[0].instrument",
           "unknown instrument 'cedaw-gr35'")


def test_unknown_instrument_interpreted(tmp_path):
    def change(data):
        data["interpretations"][0]["interprets"] = ["cedaw", "nope"]
    _fails(_broken(tmp_path, change), "interpretations[0].interprets[1]",
           "unknown instrument 'nope'")


def test_withdrawn_before_in_force(tmp_path):
    def change(data):
        _party(data, "RU", "echr")["withdrawn"] = "1998-01-01"
    path = _broken(tmp_path, change)
    with pytest.raises(treaties.TreatiesError, match=r"withdrawn \(1998-01-01\) on or before"):
        treaties.load(path)


def test_a_date_that_does_not_exist(tmp_path):
    def change(data):
        _party(data, "KZ", "iccpr")["in_force"] = "2006-02-30"
    with pytest.raises(treaties.TreatiesError, match=r"states\.KZ\.parties\[\d\]\.in_force"):
        treaties.load(_broken(tmp_path, change))


def test_a_date_that_does_not_follow_the_treaty_rule(tmp_path):
    def change(data):
        _party(data, "KZ", "cedaw")["in_force"] = "1998-08-26"
    _fails(_broken(tmp_path, change), "states.KZ.parties[0].in_force",
           "deposited 1998-08-26, so in force 1998-09-25 by art. 27(2)")


def test_a_protocol_without_its_treaty(tmp_path):
    def change(data):
        parties = data["states"]["KZ"]["parties"]
        data["states"]["KZ"]["parties"] = [p for p in parties if p["instrument"] != "iccpr"]
    with pytest.raises(treaties.TreatiesError, match="must be bound by iccpr"):
        treaties.load(_broken(tmp_path, change))


def test_unconfirmed_needs_a_note(tmp_path):
    def change(data):
        del _party(data, "KG", "cedaw")["note"]
    with pytest.raises(treaties.TreatiesError, match="'note' is a required property"):
        treaties.load(_broken(tmp_path, change))


def test_duplicate_ids_and_listed_twice(tmp_path):
    def twice(data):
        data["instruments"].append(dict(data["instruments"][0]))
    _fails(_broken(tmp_path, twice), "instruments[9].id", "'cedaw' is used twice")

    def listed_twice(data):
        data["states"]["KZ"]["parties"].append(dict(data["states"]["KZ"]["parties"][0]))
    with pytest.raises(treaties.TreatiesError, match="cedaw is listed twice"):
        treaties.load(_broken(tmp_path, listed_twice))


def test_party_and_not_party_at_once(tmp_path):
    def change(data):
        data["states"]["KZ"]["not_party"].append({"instrument": "cedaw", "note": "x"})
    with pytest.raises(treaties.TreatiesError, match="cedaw is also listed as a party"):
        treaties.load(_broken(tmp_path, change))


def test_schema_errors_name_the_path(tmp_path):
    def change(data):
        data["states"]["kz"] = data["states"].pop("KZ")
    with pytest.raises(treaties.TreatiesError, match="does not match"):
        treaties.load(_broken(tmp_path, change))

    def bad_kind(data):
        data["interpretations"][0]["kind"] = "treaty"
    _fails(_broken(tmp_path, bad_kind), "interpretations[0].kind", "'interpretation' was expected")


def test_not_yaml_and_missing_file(tmp_path):
    path = tmp_path / "treaties.yaml"
    path.write_text("instruments: [\n", "utf-8")
    with pytest.raises(treaties.TreatiesError, match=r"treaties.yaml: line \d+: not valid YAML"):
        treaties.load(path, PROFILES / "treaties.schema.json")
    with pytest.raises(treaties.TreatiesError, match="cannot read the file"):
        treaties.load(tmp_path / "missing.yaml", PROFILES / "treaties.schema.json")
    path.write_text("- a list\n", "utf-8")
    with pytest.raises(treaties.TreatiesError, match="must be a mapping"):
        treaties.load(path, PROFILES / "treaties.schema.json")
