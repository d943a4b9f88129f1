"""A killed backup leaves its `.partial` file; the next backup removes it."""

from __future__ import annotations

import os
import time

import pyrage
import pytest

from qorgau.operations.backup import remove_stale_partials, write_backup


def test_stale_partials_are_removed_and_a_running_ones_kept(tmp_path):
    stale = tmp_path / ".qorgau-2026-12-06.tar.age.k3j2h1.partial"
    running = tmp_path / ".qorgau-2026-12-07.tar.age.a8b7c6.partial"
    archive = tmp_path / "qorgau-2026-12-05.tar.age"
    for path in (stale, running, archive):
        path.write_bytes(b"age")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    os.utime(archive, (old, old))
    assert remove_stale_partials(tmp_path) == [stale]
    assert not stale.exists() and running.exists() and archive.exists()


@pytest.mark.django_db
def test_the_next_backup_removes_what_a_killed_one_left(tmp_path):
    """A backup killed with SIGKILL leaves `.NAME.XXXX.partial` (its cleanup never runs); the
    next backup into the same folder removes it and writes its own archive whole."""
    left = tmp_path / ".qorgau-2026-12-06.tar.age.k3j2h1.partial"
    left.write_bytes(b"half an archive")
    old = time.time() - 2 * 3600
    os.utime(left, (old, old))
    target = tmp_path / "qorgau-2026-12-07.tar.age"
    write_backup(target, [str(pyrage.x25519.Identity.generate().to_public())])
    assert not left.exists() and target.stat().st_size > 0
    assert list(tmp_path.glob(".*.partial")) == []
