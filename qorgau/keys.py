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


def _ed25519_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode().strip()


def load_signing_key(env: dict[str, str], mode: str, data_dir: Path) -> str:
    """The instance's Ed25519 signing key (PKCS#8 PEM): checkpoints and court bundles."""
    raw = env.get("QORGAU_SIGNING_KEY", "").replace("\\n", "\n").strip()
    if not raw and mode == "development":
        raw = _read_or_create(data_dir / "signing_key.pem", _ed25519_pem())
    if not raw and mode == "test":
        raw = _ed25519_pem()
    if not raw:
        raise ConfigurationError(
            "QORGAU_SIGNING_KEY is not set. It holds the instance's Ed25519 signing key "
            "(PKCS#8 PEM); generate one with `qorgau generate-key --signing`. Production "
            "never uses a default key."
        )
    if "BEGIN PRIVATE KEY" not in raw:
        raise ConfigurationError("QORGAU_SIGNING_KEY must be a PKCS#8 PEM private key.")
    return raw


def _age_identity() -> str:
    import pyrage

    return str(pyrage.x25519.Identity.generate())


def new_age_identity() -> str:
    """A new age X25519 identity (AGE-SECRET-KEY-1...)."""
    return _age_identity()


def new_signing_key_pem() -> str:
    """A new Ed25519 private key as PKCS#8 PEM."""
    return _ed25519_pem()


def load_evidence_keys(env: dict[str, str], mode: str, data_dir: Path) -> list[str]:
    """age X25519 identities for evidence at rest, newest first (comma-separated)."""
    raw = env.get("QORGAU_EVIDENCE_KEYS", "").strip()
    if not raw and mode == "development":
        raw = _read_or_create(data_dir / "evidence_keys", _age_identity())
    if not raw and mode == "test":
        raw = _age_identity()
    if not raw:
        raise ConfigurationError(
            "QORGAU_EVIDENCE_KEYS is not set. It holds the age identities that encrypt "
            "evidence at rest, newest first; generate one with `qorgau generate-key "
            "--evidence`. Production never uses a default key."
        )
    return _age_list(raw, "AGE-SECRET-KEY-1", "QORGAU_EVIDENCE_KEYS", "age secret keys")


def load_backup_recipients(env: dict[str, str], mode: str, data_dir: Path) -> list[str]:
    """age public keys (age1...) that backups are encrypted to (comma-separated).

    Development: the public half of an identity generated into the data folder
    (`backup_identity`); test: an ephemeral one; production: required. The identity that
    opens backups should not live on the server (see docs/operations.md).
    """
    raw = env.get("QORGAU_BACKUP_RECIPIENTS", "").strip()
    if not raw and mode == "development":
        identity = read_identities(_read_or_create(data_dir / "backup_identity",
                                                   _age_identity()))[0]
        raw = age_public_key(identity)
    if not raw and mode == "test":
        raw = age_public_key(_age_identity())
    if not raw:
        raise ConfigurationError(
            "QORGAU_BACKUP_RECIPIENTS is not set. It holds the age public keys (age1...) that "
            "backups are encrypted to; generate a key pair with `qorgau generate-key --backup` "
            "and keep the secret half off the server. Production never uses a default key."
        )
    return _age_list(raw, "age1", "QORGAU_BACKUP_RECIPIENTS", "age public keys")


def _age_list(raw: str, prefix: str, name: str, what: str) -> list[str]:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not all(k.startswith(prefix) for k in keys):
        raise ConfigurationError(f"{name} must be {what} ({prefix}...), comma-separated.")
    return keys


def age_public_key(identity: str) -> str:
    import pyrage

    return str(pyrage.x25519.Identity.from_str(identity).to_public())


def read_identities(text: str) -> list[str]:
    """age secret keys from an identity file's text (comments and blank lines skipped)."""
    keys = [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]
    if not keys or not all(k.startswith("AGE-SECRET-KEY-1") for k in keys):
        raise ConfigurationError("an age identity file holds AGE-SECRET-KEY-1... lines")
    return keys


WRAPPED_KEYS_FILE = "wrapped_keys.json"
PLAIN_KEY_FILES = ("data_keys", "evidence_keys", "signing_key.pem")
KEY_VARIABLES = ("QORGAU_DATA_KEYS", "QORGAU_EVIDENCE_KEYS", "QORGAU_SIGNING_KEY")


def load_key_custody(env: dict[str, str], data_dir: Path) -> str:
    """Where the data, evidence and signing keys are held: "server" (the default: the
    environment, or the data folder in development), "trustees" (wrapped in the data
    folder under a key split among trustees) or "pkcs11" (wrapped the same way, the key
    also sealed by a key in a hardware security module; see docs/security.md)."""
    custody = env.get("QORGAU_KEY_CUSTODY", "").strip() or "server"
    if custody not in ("server", "trustees", "pkcs11"):
        raise ConfigurationError("QORGAU_KEY_CUSTODY must be server, trustees or pkcs11.")
    wrapped = data_dir / WRAPPED_KEYS_FILE
    if custody == "server":
        if wrapped.exists():
            raise ConfigurationError(
                f"The keys in {wrapped} are wrapped for trustees: set QORGAU_KEY_CUSTODY="
                "trustees or pkcs11 (or move the file away to go back to keys on the server).")
        return custody
    if not wrapped.exists():
        raise ConfigurationError(
            f"QORGAU_KEY_CUSTODY is {custody} but {wrapped} does not exist: wrap the keys "
            "first with `qorgau wrap-keys`.")
    in_env = [name for name in KEY_VARIABLES if env.get(name, "").strip()]
    if in_env:
        raise ConfigurationError(
            f"QORGAU_KEY_CUSTODY is {custody}, so {', '.join(in_env)} must not be set: "
            "remove the keys from the environment (the wrapped keys replace them).")
    on_disk = [name for name in PLAIN_KEY_FILES if (data_dir / name).exists()]
    if on_disk:
        raise ConfigurationError(
            f"QORGAU_KEY_CUSTODY is {custody}, but the data folder still holds "
            f"{', '.join(on_disk)}: remove them (the wrapped keys replace them).")
    if custody == "pkcs11":
        load_pkcs11(env)
    return custody


PKCS11_KEY_LABEL = "qorgau-kek"


def load_pkcs11(env: dict[str, str]) -> dict[str, str]:
    """Where the hardware security module is (QORGAU_KEY_CUSTODY=pkcs11): the PKCS#11
    library, the token's label, the label of the AES key in it, and (optional) a file
    holding the token's PIN, readable by the service only. Empty values when unset."""
    config = {
        "module": env.get("QORGAU_PKCS11_MODULE", "").strip(),
        "token": env.get("QORGAU_PKCS11_TOKEN", "").strip(),
        "key": env.get("QORGAU_PKCS11_KEY", "").strip() or PKCS11_KEY_LABEL,
        "pin_file": env.get("QORGAU_PKCS11_PIN_FILE", "").strip(),
    }
    if env.get("QORGAU_KEY_CUSTODY", "").strip() == "pkcs11":
        missing = [name for name, key in (("QORGAU_PKCS11_MODULE", "module"),
                                          ("QORGAU_PKCS11_TOKEN", "token")) if not config[key]]
        if missing:
            raise ConfigurationError(
                f"QORGAU_KEY_CUSTODY is pkcs11, so {' and '.join(missing)} must be set "
                "(the PKCS#11 library of the hardware security module, and its token's label).")
    return config
