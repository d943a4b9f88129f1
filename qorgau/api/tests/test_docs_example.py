"""The worked example of docs/api.md runs against a live server: its Python block in this
process, its curl block with bash. If the doc's code breaks, this fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pytest_django.live_server_helper import LiveServer

from qorgau.accounts.models import User
from qorgau.cases.models import Case

DOC = Path(__file__).resolve().parents[3] / "docs" / "api.md"


def _block(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.S)
    assert len(blocks) == 1, f"docs/api.md should have one {language} block"
    return blocks[0]


@pytest.fixture
def env(committed_db, live_server: LiveServer, alice: User, token_for, monkeypatch):
    monkeypatch.setenv("QORGAU_URL", live_server.url)
    monkeypatch.setenv("QORGAU_TOKEN", token_for(alice, ["read", "write"]))
    return alice


def _breached(alice: User) -> list[str]:
    case = Case.objects.get(created_by=alice)
    return list(case.obligations.filter(rule_id="kz.breach-response")
                .values_list("status", flat=True))


def test_the_python_example_runs(env, capsys):
    exec(compile(_block("python"), str(DOC), "exec"), {"__name__": "docs_example"})  # noqa: S102
    out = capsys.readouterr().out
    assert "Respond to the reported breach of the protective order" in out
    assert _breached(env) == ["breached"]


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")),
                    reason="the curl example needs curl and jq")
def test_the_curl_example_runs(env):
    result = subprocess.run(["bash", "-c", _block("sh")], capture_output=True, text=True,
                            env=dict(os.environ), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Respond to the reported breach of the protective order" in result.stdout
    assert _breached(env) == ["breached"]
