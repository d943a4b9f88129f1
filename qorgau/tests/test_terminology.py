"""One terminology (terminology/glossary.yaml, docs/glossary.md): the check fails on every
forbidden variant and passes on the shipped texts; the risk screen, the court-bundle index,
a hearing record and the complaint letter show the corrected terms in Russian and Kazakh."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import polib  # type: ignore[import-untyped]
import pytest
import yaml
from django.conf import settings
from django.urls import reverse
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_terminology", ROOT / "scripts" / "check_terminology.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


check_terminology = _script()
VARIANTS = check_terminology.load_glossary(ROOT / check_terminology.GLOSSARY)


def _write_sources(root: Path, language: str, text: str) -> dict[str, Path]:
    """A small repository holding `text` once in each kind of file the check reads."""
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Some English", msgstr=text))
    files = {
        "catalogue": root / "locale" / language / "LC_MESSAGES" / "django.po",
        "profile": root / "profiles" / "tiny.yaml",
        "instrument": root / "instruments" / "tiny.yaml",
        "letter": root / "profiles" / "letters" / f"tiny.{language}.txt",
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(files["catalogue"]))
    document = {"id": "tiny", "rules": [{"id": "r1", "title": {"en": "x", language: text}}]}
    files["profile"].write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    files["instrument"].write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    files["letter"].write_text(f"Title\n{text}\n", "utf-8")
    return files


def test_the_glossary_is_big_enough_and_every_variant_has_a_reason():
    data = yaml.safe_load((ROOT / "terminology" / "glossary.yaml").read_text("utf-8"))
    assert len(data["terms"]) >= 45
    assert {v.language for v in VARIANTS} == {"ru", "kk"}
    for variant in VARIANTS:
        assert variant.preferred.strip() and variant.reason.strip(), variant.term
    documented = (ROOT / "docs" / "glossary.md").read_text("utf-8")
    for term in data["terms"]:
        assert f"`{term['id']}`" in documented, term["id"]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v.language}-{v.term}-{v.shown}")
def test_check_fails_on_each_forbidden_variant(tmp_path, capsys, variant):
    files = _write_sources(tmp_path, variant.language, variant.example)
    problems = check_terminology.check(tmp_path, [variant])
    flagged = {p.file for p in problems}
    for path in files.values():
        relative = path.relative_to(tmp_path).as_posix()
        assert (relative in flagged) == variant.applies_to(relative), relative
    assert flagged  # every variant applies at least to the catalogue

    glossary = ROOT / check_terminology.GLOSSARY
    assert check_terminology.main(["--root", str(tmp_path), "--glossary", str(glossary)]) == 1
    out = capsys.readouterr().out
    assert f"locale/{variant.language}/LC_MESSAGES/django.po: msgid 'Some English'" in out
    assert variant.preferred in out and "forbidden" in out


def test_a_variant_in_the_other_language_is_not_flagged(tmp_path):
    for variant in VARIANTS:
        other = "kk" if variant.language == "ru" else "ru"
        _write_sources(tmp_path, other, variant.example)
        assert check_terminology.check(tmp_path, [variant]) == [], variant.term


@pytest.mark.parametrize(("language", "text"), [
    ("kk", "Жоюды кері қайтару мүмкін емес."),          # "cannot be undone", not "revoke"
    ("kk", "Келісімді кері қайтарып алу"),              # revoke, as the law says
    ("ru", "Домашний арест"),                             # a measure, not a police arrest
    ("ru", "административный арест до 10 суток"),        # a sanction (CAO art. 50)
    ("ru", "вердикт присяжных заседателей"),
    ("kk", "құқық бұзушының мінез-құлқына ерекше талаптар"),  # the CAO's own words
    ("ru", "Изменения сохранил(а) кейс-менеджер"),       # "ранил" only as a word
])
def test_legitimate_uses_pass(tmp_path, language, text):
    _write_sources(tmp_path, language, text)
    assert check_terminology.check(tmp_path, VARIANTS) == []


def test_fuzzy_entries_are_not_read(tmp_path):
    _write_sources(tmp_path, "ru", "x")
    path = tmp_path / "locale" / "ru" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(path))
    po.append(polib.POEntry(msgid="New", msgstr="Обидчик", flags=["fuzzy"]))
    po.save(str(path))
    assert check_terminology.check(tmp_path, VARIANTS) == []


def test_shipped_texts_pass(capsys):
    assert check_terminology.check(ROOT, VARIANTS) == []
    assert check_terminology.main([]) == 0
    assert "no forbidden variant" in capsys.readouterr().out


# --- the corrected terms on the rendered pages ---------------------------------------------

CORRECTED: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    # what: language -> (must appear, must not appear)
    "risk screen": {
        "ru": (["Причинял ли он вам вред", "ружьём, пистолетом", "в браке с ним",
                "Следующий вопрос личный"], ["Ранил", "огнестрельным оружием как"]),
        "kk": (["зақым", "мылтықпен", "некеде болсаңыз да", "Келесі сұрақ жеке сұрақ"],
               ["жаралады", "атыс қаруымен"]),
    },
    "safety plan": {
        "ru": (["Как быстро и безопасно уйти из дома", "лицо, совершающее насилие"],
               ["побег", "бидчик", "убежищ"]),
        "kk": (["Үйден қауіпсіз кету жолдары"], ["Қашу қадамдары"]),
    },
    "bundle index": {
        "ru": (["Пакет документов для суда"], ["задним числом", "Судебный пакет",
                                               "своевременно", "бидчик"]),
        "kk": (["сотқа арналған құжаттар топтамасы"], ["сот құжаттар топтамасы"]),
    },
    "letter": {
        "ru": (["в интересах пострадавшей\n", "просим:"], ["прошу", "Абайская", "бидчик"]),
        "kk": (["зардап шегушінің мүддесінде\n", "сұраймыз."], ["сұраймын"]),
    },
}


def _assert_terms(what: str, language: str, text: str) -> None:
    present, absent = CORRECTED[what][language]
    for phrase in present:
        assert phrase in text, (what, language, phrase)
    for phrase in absent:
        assert phrase not in text, (what, language, phrase)


@pytest.fixture
def demo(db: None, settings: Any, tmp_path: Path) -> Iterator[Any]:
    from qorgau.cases.models import Case
    from qorgau.demo import reference_case
    from qorgau.demo.loader import load_demo
    from qorgau.evidence import storage

    settings.QORGAU_EVIDENCE_DIR = tmp_path / "evidence"
    storage.evidence_storage.cache_clear()
    load_demo()
    yield Case.objects.get(reference=reference_case.REFERENCE)
    storage.evidence_storage.cache_clear()


def _user(persona: str) -> Any:
    from qorgau.accounts.models import User
    from qorgau.demo.loader import email_for

    return User.objects.get(email=email_for(persona))


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_pages_show_the_corrected_terms(client, demo, language, monkeypatch):
    from qorgau.bundles import build
    from qorgau.bundles import services as bundles
    from qorgau.consent.models import ConsentGrant
    from qorgau.duties import services as duties

    caseworker = _user("caseworker")
    client.force_login(caseworker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = client.get(reverse("risk:assess", args=[demo.reference, "qorgau-open"]))
    assert page.status_code == 200
    _assert_terms("risk screen", language, page.content.decode())

    from qorgau.risk.views import SafetyPlanForm

    with translation.override(language):  # the plan's form, as its page renders it
        _assert_terms("safety plan", language, str(SafetyPlanForm()))

    # The bundle's index, as rendered before it becomes a PDF.
    rendered: list[str] = []

    def keep(template: str, context: Any = None, *args: Any, **kwargs: Any) -> str:
        html = render(template, context, *args, **kwargs)
        if template == "bundles/index_pdf.html":
            rendered.append(html)
        return html

    render = build.render_to_string
    monkeypatch.setattr(build, "render_to_string", keep)
    grant = ConsentGrant.objects.get(case=demo, purpose="court")
    bundle = bundles.request_bundle(demo, _user("lawyer"), language, sees_restricted=True,
                                    grant_id=grant.pk)
    assert bundle.status == "done", bundle.message
    (index,) = rendered
    _assert_terms("bundle index", language, index)
    if language == "ru":
        assert "внесено позднее (ретроспективно)" in index or "во время событий" in index

    letter = duties.draft_letter(demo, caseworker, "police_inaction", language)
    _assert_terms("letter", language, "\n".join((
        letter.addressee_block, letter.applicant_block, letter.title, letter.body)))


@pytest.mark.parametrize(("language", "person", "institution"), [
    ("ru", "Прокурор", "Прокуратура"), ("kk", "Прокурор", "Прокуратура")])
def test_a_substituted_prosecutor_is_a_person(language, person, institution):
    """A hearing record's "Substituted: prosecutor" names the person, not the office."""
    from qorgau.cases import taxonomy
    from qorgau.cases.templatetags.qorgau_cases import event_attributes, institution_label

    with translation.override(language):
        rows = dict(event_attributes(SimpleNamespace(attributes={"substitution": "prosecutor"})))
        assert list(rows.values()) == [person]
        assert institution_label("prosecutor") == institution
        assert translation.gettext(taxonomy.BY_ID["arrest"].label) in (
            "Задержание (подозреваемого)", "Күдікті ретінде ұстау")


def test_new_regions_have_their_official_russian_names():
    from qorgau.cases import regions

    assert [regions.label(code, "ru") for code in ("KZ-10", "KZ-33", "KZ-62")] == [
        "область Абай", "область Жетісу", "область Ұлытау"]
