"""Fail when a Russian or Kazakh text uses a variant the glossary forbids.

Reads the glossary (terminology/glossary.yaml; docs/glossary.md explains it) and searches,
per language, every msgstr (not fuzzy) of locale/{ru,kk}/LC_MESSAGES/django.po, every ru/kk text of
profiles/*.yaml and instruments/*.yaml, and every line of profiles/letters/*.{ru,kk}.txt.
Each forbidden variant found is listed with its file, the entry (msgid, YAML path or line)
and the preferred term; the exit code is then 1.

    python scripts/check_terminology.py [--root DIR] [--glossary FILE]
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polib  # type: ignore[import-untyped]
import yaml

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = Path("terminology") / "glossary.yaml"
LANGUAGES = ("ru", "kk")


@dataclass(frozen=True)
class Variant:
    term: str
    language: str
    regex: re.Pattern[str]
    shown: str  # the pattern or plain text as the glossary gives it
    preferred: str
    reason: str
    example: str
    unless: re.Pattern[str] | None = None
    only: tuple[str, ...] = ()

    def applies_to(self, relative: str) -> bool:
        return not self.only or any(fnmatch.fnmatch(relative, glob) for glob in self.only)

    def find(self, text: str) -> str | None:
        """The forbidden words in `text`, or None."""
        if self.unless is not None and self.unless.search(text):
            return None
        match = self.regex.search(text)
        return match.group(0).strip() if match else None


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str
    variant: Variant
    found: str

    def __str__(self) -> str:
        v = self.variant
        return (f"{self.file}: {self.entry}: forbidden {v.language} variant «{self.found}» "
                f"(glossary term {v.term!r}, {v.shown!r}); use «{v.preferred}»: "
                f"{' '.join(v.reason.split())}")


def load_glossary(path: Path) -> list[Variant]:
    data = yaml.safe_load(path.read_text("utf-8"))
    variants: list[Variant] = []
    for term in data["terms"]:
        for language, listed in (term.get("forbidden") or {}).items():
            if language not in LANGUAGES:
                raise ValueError(f"{path}: term {term['id']!r}: unknown language {language!r}")
            for raw in listed:
                if ("pattern" in raw) == ("text" in raw):
                    raise ValueError(f"{path}: term {term['id']!r}: give a pattern or a text")
                shown = raw.get("pattern") or raw["text"]
                regex = re.compile(raw["pattern"] if "pattern" in raw
                                   else re.escape(raw["text"]), re.MULTILINE)
                unless = re.compile(raw["unless"]) if raw.get("unless") else None
                variant = Variant(term["id"], language, regex, shown, raw["preferred"],
                                  raw["reason"], raw["example"], unless,
                                  tuple(raw.get("only") or ()))
                if variant.find(variant.example) is None:
                    raise ValueError(f"{path}: term {term['id']!r}: the example "
                                     f"{variant.example!r} does not contain {shown!r}")
                variants.append(variant)
    return variants


# --- what is read ------------------------------------------------------------------------

Text = tuple[str, str, str]  # (language, entry, text)


def catalogue_texts(path: Path, language: str) -> Iterator[Text]:
    for entry in polib.pofile(str(path)):
        if entry.obsolete or "fuzzy" in entry.flags:  # neither is shown to anyone
            continue
        where = f"msgid {entry.msgid!r}" + (f" (msgctxt {entry.msgctxt!r})"
                                            if entry.msgctxt else "")
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if text:
                yield language, where, text


def yaml_texts(node: Any, path: str = "") -> Iterator[Text]:
    """Every ru/kk string in a YAML document, with its path (list items by their id)."""
    if isinstance(node, dict):
        for key, value in node.items():
            at = f"{path}.{key}" if path else str(key)
            if key in LANGUAGES and isinstance(value, str):
                yield str(key), at, value
            else:
                yield from yaml_texts(value, at)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            name = value.get("id") if isinstance(value, dict) else None
            yield from yaml_texts(value, f"{path}[{name if name else i}]")


def letter_texts(path: Path, language: str) -> Iterator[Text]:
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        yield language, f"line {number}", line


def sources(root: Path) -> Iterator[tuple[str, Iterator[Text]]]:
    for language in LANGUAGES:
        po = root / "locale" / language / "LC_MESSAGES" / "django.po"
        if po.exists():
            yield po.relative_to(root).as_posix(), catalogue_texts(po, language)
    for folder in ("profiles", "instruments"):
        for path in sorted((root / folder).glob("*.yaml")):
            data = yaml.safe_load(path.read_text("utf-8"))
            yield path.relative_to(root).as_posix(), yaml_texts(data)
    for path in sorted((root / "profiles" / "letters").glob("*.txt")):
        language = path.suffixes[-2].lstrip(".") if len(path.suffixes) >= 2 else ""
        if language in LANGUAGES:
            yield path.relative_to(root).as_posix(), letter_texts(path, language)


def check(root: Path, variants: list[Variant]) -> list[Problem]:
    problems: list[Problem] = []
    for relative, texts in sources(root):
        applicable = [v for v in variants if v.applies_to(relative)]
        for language, entry, text in texts:
            for variant in applicable:
                if variant.language != language:
                    continue
                found = variant.find(text)
                if found is not None:
                    problems.append(Problem(relative, entry, variant, found))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the repository (locale/, profiles/, instruments/)")
    parser.add_argument("--glossary", type=Path, default=None,
                        help="the glossary (default: ROOT/terminology/glossary.yaml)")
    args = parser.parse_args(argv)
    variants = load_glossary(args.glossary or args.root / GLOSSARY)
    problems = check(args.root, variants)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} forbidden terms (see docs/glossary.md)")
        return 1
    print(f"terminology: no forbidden variant ({len(variants)} checked) in ru, kk")
    return 0


if __name__ == "__main__":
    sys.exit(main())
