"""Profiles: the shipped ones pass `check-profiles`; a broken one is named precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from qorgau.cases.regions import PROFILES as CASE_PROFILES
from qorgau.duties import profiles

SHIPPED_DIR = Path(__file__).resolve().parents[3] / "profiles"


def test_check_profiles_passes_for_the_shipped_profiles(capsys):
    call_command("check-profiles")
    out = capsys.readouterr().out
    for pid in ("intl", "kz", "gb-eng", "kg", "ru", "uz"):
        assert f"{pid}: " in out
    assert "OK: 6 profiles" in out
    # the confirmed share of kz's own rules and order types, against the primary texts
    kz = next(line for line in out.splitlines() if line.startswith("kz: "))
    confirmed, total = kz.split("order types: ")[1].split(" confirmed")[0].split("/")
    assert int(confirmed) / int(total) >= 0.8, kz


def test_every_case_profile_has_a_file():
    assert set(CASE_PROFILES) == set(profiles.available(SHIPPED_DIR))


def test_every_rule_cites_a_source_and_says_whether_it_is_confirmed():
    for profile in profiles.load_all(SHIPPED_DIR).values():
        for rule in profile.rules:
            assert rule.url.startswith(("https://", "http://")), rule.id
            assert rule.source in profile.sources, rule.id
            if not rule.confirmed:
                assert rule.unconfirmed and all(rule.unconfirmed[lang]
                                                 for lang in ("en", "ru", "kk")), rule.id


def test_what_law_and_risk_marks_unconfirmed_stays_unconfirmed():
    kz = profiles.load("kz", SHIPPED_DIR)
    # The 2009-2014 wording of the law was not read; the prosecutor's term depends on the
    # procedure the complaint falls under.
    assert not kz.rule("kz.referral").confirmed
    assert not kz.rule("kz.report-action.2009").confirmed
    assert not kz.rule("kz.complaint-answer").confirmed
    # GR 35 paragraph numbers are unconfirmed.
    assert not kz.rule("intl.risk-assessment").confirmed
    # every confirmed rule rests on a check that quotes the primary text
    for rule in kz.rules:
        if rule.confirmed:
            assert any(c.result == "confirmed" and c.quote for c in rule.checks), rule.id


def test_kz_has_the_periods_of_its_law():
    kz = profiles.load("kz", SHIPPED_DIR)
    versions = [kz.rule(f"kz.report-action.{year}")
                for year in (2009, 2014, 2023, 2024, 2026)]
    assert [str(r.effective_from) for r in versions] == [
        "2009-12-04", "2014-07-05", "2023-07-01", "2024-06-16", "2026-03-02"]
    assert [str(r.effective_to) for r in versions] == [
        "2014-07-04", "2023-06-30", "2024-06-15", "2026-03-01", "None"]
    assert {r.family for r in versions} == {"kz.report-action"}


def test_extension_overrides_the_baseline():
    kz = profiles.load("kz", SHIPPED_DIR)
    ids = {r.id for r in kz.rules}
    assert "intl.breach-sanction" not in ids and "kz.breach-response" in ids
    assert "intl.risk-assessment" in ids  # inherited as it is
    assert kz.rule("intl.risk-assessment").profile == "intl"


def _broken(tmp_path: Path, change) -> Path:
    folder = tmp_path / "profiles"
    shutil.copytree(SHIPPED_DIR, folder)
    path = folder / "kz.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return folder


BREAKAGES = [
    (lambda d: d["rules"][3].update(deadline="three days"), "rules[3].deadline",
     "does not match"),
    (lambda d: d["rules"][0]["trigger"].update(kinds=["police_repot"]),
     "rules[0].trigger.kinds", "unknown event kind 'police_repot'"),
    (lambda d: d["rules"][1].update(duty_bearer="army"), "rules[1].duty_bearer",
     "unknown duty bearer 'army'"),
    (lambda d: d["rules"][2]["title"].pop("kk"), "rules[2].title", "'kk' is a required"),
    (lambda d: d["rules"][0].pop("unconfirmed"), "rules[0]", "'unconfirmed' is a required"),
    (lambda d: [c.update(result="partly", note="only in part")
                for c in d["rules"][1]["checks"]], "rules[1].confirmed",
     "confirmed only with a check that confirms it"),
    (lambda d: d["rules"][4]["basis"].update(url="adilet.zan.kz"), "rules[4].basis.url",
     "does not match"),
    (lambda d: d["rules"][4].update(overrides=["intl.nothing"]), "rules[4].overrides[0]",
     "not a rule of the profile this one extends"),
    (lambda d: d["rules"][0]["escalation"].update(template="missing_letter"),
     "rules[0].escalation.template", "no letter template 'missing_letter'"),
    (lambda d: d["rules"][0]["effective"].update({"from": "2020-01-01", "to": "2019-01-01"}),
     "rules[0].effective", "ends before it starts"),
    (lambda d: d["rules"].append(dict(d["rules"][0])), "rules[-1].id", "used twice"),
    (lambda d: d.update(surprise=True), "(top)", "Additional properties"),
]


@pytest.mark.parametrize(("change", "path", "reason"), BREAKAGES)
def test_check_profiles_names_file_path_and_reason(tmp_path, change, path, reason):
    folder = _broken(tmp_path, change)
    if path.startswith("rules[-1]"):  # the appended rule: its index is the last one
        count = len(yaml.safe_load((folder / "kz.yaml").read_text("utf-8"))["rules"])
        path = path.replace("-1", str(count - 1))
    with pytest.raises(CommandError) as info:
        call_command("check-profiles", dir=str(folder))
    message = str(info.value)
    assert "kz.yaml" in message and path in message and reason in message, message


def test_invalid_yaml_is_named_with_its_line(tmp_path):
    folder = tmp_path / "profiles"
    shutil.copytree(SHIPPED_DIR, folder)
    (folder / "kg.yaml").write_text("id: kg\ntitle: [unclosed\n", "utf-8")
    with pytest.raises(CommandError, match=r"kg\.yaml: line \d+: not valid YAML"):
        call_command("check-profiles", dir=str(folder))


def test_circular_extension_is_refused(tmp_path):
    folder = _broken(tmp_path, lambda d: None)
    intl = folder / "intl.yaml"
    data = yaml.safe_load(intl.read_text("utf-8"))
    data["extends"] = "kz"
    intl.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(profiles.ProfileError, match="circle"):
        profiles.load("kz", folder)


def test_deadline_parsing():
    assert profiles.parse_deadline("PT48H").total_seconds() == 48 * 3600
    assert profiles.parse_deadline("P2W").days == 14
    assert profiles.parse_deadline("undetermined") is None
    with pytest.raises(ValueError):
        profiles.parse_deadline("P1M")
