"""Fail when a user-facing string lacks a Russian or Kazakh translation.

Re-extracts every string into a temporary copy of locale/ (merged with the existing
catalogues), then checks that each entry is translated, not fuzzy, and that the committed
.mo files match the .po files. A translation call inside an f-string is refused: xgettext
does not look inside f-strings, so its words would silently leave the catalogues.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ru", "kk")


TRANSLATING = {"_", "gettext", "gettext_lazy", "gettext_noop", "pgettext", "pgettext_lazy",
               "ngettext", "ngettext_lazy", "npgettext"}


def calls_in_fstrings(root: Path) -> list[str]:
    """Translation calls of literal words written inside an f-string, which makemessages
    cannot see."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for inner in ast.walk(node):
                name = getattr(getattr(inner, "func", None), "id", None)
                literal = isinstance(inner, ast.Call) and any(
                    isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    for arg in inner.args)  # a variable's words are extracted where written
                if literal and name in TRANSLATING:
                    found.append(f"{path.relative_to(root.parent)}:{inner.lineno}: {name}() "
                                 "inside an f-string (makemessages cannot see it)")
    return found


def main() -> int:
    problems: list[str] = calls_in_fstrings(ROOT / "qorgau")
    with tempfile.TemporaryDirectory() as tmp:
        # makemessages writes next to the sources it reads (the project's locale/), so it
        # runs on a copy of the sources: the real catalogues are never touched.
        work = Path(tmp)
        locale = work / "locale"
        shutil.copytree(ROOT / "locale", locale)
        shutil.copytree(ROOT / "qorgau", work / "qorgau",
                        ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "manage.py", work / "manage.py")
        env = {**os.environ, "QORGAU_ENV": "test", "QORGAU_LOCALE_DIR": str(locale),
               "QORGAU_DATA_DIR": str(work / "data"),
               "QORGAU_PROFILES_DIR": str(ROOT / "profiles"),
               "QORGAU_INSTRUMENTS_DIR": str(ROOT / "instruments")}
        cmd = [sys.executable, "manage.py", "makemessages", "--no-obsolete",
               "--ignore", "data/*", *[arg for lang in LANGUAGES for arg in ("-l", lang)]]
        subprocess.run(cmd, cwd=work, env=env, check=True, capture_output=True)
        for lang in LANGUAGES:
            fresh = polib.pofile(str(locale / lang / "LC_MESSAGES" / "django.po"))
            for entry in fresh:
                if entry.obsolete:
                    continue
                missing = not entry.translated() or "fuzzy" in entry.flags
                if missing:
                    problems.append(f"{lang}: untranslated: {entry.msgid!r}")
    for lang in LANGUAGES:
        po = polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))
        mo_path = ROOT / "locale" / lang / "LC_MESSAGES" / "django.mo"
        if not mo_path.exists():
            problems.append(f"{lang}: django.mo missing (run `make messages`)")
            continue
        mo = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(mo_path))}
        for entry in po.translated_entries():
            if (entry.msgctxt, entry.msgid) not in mo:
                problems.append(f"{lang}: django.mo is stale (run `make messages`)")
                break
    for line in problems[:50]:
        print(line)
    if problems:
        print(f"{len(problems)} translation problems")
        return 1
    print("translations complete for " + ", ".join(LANGUAGES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
