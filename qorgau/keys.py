"""Where secrets come from: environment first, then (development only) the data folder.

Pure: no Django, so settings can call it before Django starts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from qorgau.crypto import generate_key, parse_keys


class ConfigurationError(RuntimeError):
    pass


def _read_or_create(path: Path, make: str) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(make + "\n")
    return make


def load_secret_key(env: dict[str, str], mode: str, data_dir: Path) -> str:
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    if mode == "development":
        return _read_or_create(data_dir / "secret_key", secrets.token_urlsafe(50))
    if mode == "test":
        return secrets.token_urlsafe(50)
    raise ConfigurationError(
        "SECRET_KEY is not set. Set it in the environment (production never uses a default)."
    )


def load_data_keys(env: dict[str, str], mode: str, data_dir: Path) -> list[str]:
    raw = env.get("QORGAU_DATA_KEYS", "")
    if not raw and mode == "development":
        raw = _read_or_create(data_dir / "data_keys", generate_key())
    if not raw and mode == "test":
        raw = generate_key()
    if not raw:
        raise ConfigurationError(
            "QORGAU_DATA_KEYS is not set. It holds the field-encryption keys, newest first; "
            "generate one with `qorgau generate-key`. Production never uses a default key."
        )
    try:
        return parse_keys(raw)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc
