"""Password hashing: Argon2id at parameters chosen for a small server (issue 30).

OWASP's Password Storage Cheat Sheet recommends Argon2id with one of five equally strong
configurations, from m=47104 KiB (46 MiB), t=1, p=1 to m=7168 KiB (7 MiB), t=5, p=1;
its minimum is m=19456 KiB (19 MiB), t=2, p=1, which is the one taken here. Django's own
default (m=100 MiB, t=2, p=8) holds 100 MiB for every login: each gunicorn worker that
verifies a password grows by that much for about half a second, so four workers logging
people in at once want 400 MiB next to PostgreSQL on a 2-core, few-GiB server. At 19 MiB a
login costs 19 MiB and about 90 ms of one core (docs/performance.md, "Worker memory").

The algorithm's name is Django's ("argon2"): hashes stored with other parameters (Django's
defaults, before) still verify, since each carries its own, and are re-hashed with these
at the next successful login (Django's `must_update`, called by `check_password`).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher as DjangoArgon2


class Argon2PasswordHasher(DjangoArgon2):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
