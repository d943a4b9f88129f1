"""The lock files (requirements/*.txt) that `make run`, `make test` and CI install from
agree with pyproject.toml: every declared dependency is pinned there, at a version its
specifier allows, and every pin carries hashes (pip installs with --require-hashes)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pins(lock: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of each pinned package."""
    found: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            found[current] = (match.group(2), [])
        elif current and "--hash=sha256:" in line:
            found[current][1].append(line.strip().removesuffix("\\").strip())
    return found


def declared(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(text) for text in project["dependencies"]]
    if extra:
        found += [Requirement(text) for text in project["optional-dependencies"][extra]]
    return found


@pytest.mark.parametrize("extra", [None, "dev", "bench"])
def test_every_dependency_is_pinned_with_hashes_at_an_allowed_version(extra):
    lock = pins(ROOT / "requirements" / f"{extra or 'run'}.txt")
    assert lock, "the lock file has no pins"
    for name, (version, hashes) in lock.items():
        assert hashes, f"{name}=={version} has no hash"
    for requirement in declared(extra):
        if requirement.marker and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement} is declared but not in the lock"
        version = lock[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{requirement} is declared but the lock pins {version}")


def test_a_pin_outside_the_specifier_is_caught(tmp_path):
    lock = tmp_path / "run.txt"
    lock.write_text("django==4.2.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    [requirement] = [r for r in declared(None) if r.name.lower() == "django"]
    assert not requirement.specifier.contains(pins(lock)["django"][0])
