"""The key-encryption key sealed by a hardware security module, through PKCS#11
(QORGAU_KEY_CUSTODY=pkcs11; docs/security.md).

The wrapped keys file is the trustees' one (the keys under AES-256-GCM with a 32-byte KEK,
the KEK split among trustees for recovery) with one more field: the KEK sealed with
AES-GCM by a non-extractable AES-256 key inside the token (CKA_SENSITIVE, not
CKA_EXTRACTABLE: the token encrypts and decrypts with it but never hands it out). A process
opens the keys by asking the token to unseal the KEK, which needs the token's PIN.

A process opens the keys by itself only when a PIN file is configured and no panic lock
happened since a person last entered the PIN (`qorgau unlock --hsm`): the lock generation
at which she did is kept in `hsm_opened_at` in the data folder (no lock yet counts as 0).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings

from qorgau.trustees import InstanceKeys, unwrap

log = logging.getLogger(__name__)
OPENED_AT_FILE = "hsm_opened_at"
AAD = b"qorgau-hsm-sealed-kek-v1"


class HsmError(RuntimeError):
    """The token cannot be reached, the PIN is wrong, or the key is not there; in plain
    words for the person at the command line."""


def _config() -> dict[str, str]:
    return dict(getattr(settings, "QORGAU_PKCS11", {}) or {})


def library_path() -> str:
    return _config().get("module", "")


@contextmanager
def session(pin: str, rw: bool = False) -> Iterator[Any]:
    """A logged-in session on the configured token."""
    import pkcs11
    from pkcs11 import exceptions as pk

    config = _config()
    if not config.get("module") or not config.get("token"):
        raise HsmError("QORGAU_PKCS11_MODULE and QORGAU_PKCS11_TOKEN must be set.")
    try:
        lib = pkcs11.lib(config["module"])
        token = lib.get_token(token_label=config["token"])
    except pk.NoSuchToken as exc:
        raise HsmError(f"The hardware security module has no token {config['token']!r}.") \
            from exc
    except RuntimeError as exc:  # the library cannot be loaded, or the module fails
        raise HsmError(f"The PKCS#11 library {config['module']} cannot be used: {exc}") \
            from exc
    try:
        opened = token.open(user_pin=pin, rw=rw)
    except (pk.PinIncorrect, pk.PinLenRange, pk.ArgumentsBad) as exc:
        raise HsmError("The PIN of the hardware security module is wrong.") from exc
    except pk.PinLocked as exc:
        raise HsmError("The token's PIN is locked (too many wrong PINs).") from exc
    except pk.PKCS11Error as exc:
        raise HsmError(f"Cannot log in to the hardware security module: {exc!r}") from exc
    with opened as s:
        yield s


def _key(s: Any, create: bool = False) -> Any:
    from pkcs11 import Attribute, KeyType, MechanismFlag, ObjectClass
    from pkcs11 import exceptions as pk

    label = _config().get("key") or "qorgau-kek"
    try:
        return s.get_key(object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES,
                         label=label)
    except pk.NoSuchKey:
        if not create:
            raise HsmError(f"The token holds no AES key labelled {label!r}.") from None
    except pk.MultipleObjectsReturned:
        raise HsmError(f"The token holds more than one key labelled {label!r}.") from None
    log.warning("generating the non-extractable AES-256 key %r in the token", label)
    return s.generate_key(
        KeyType.AES, 256, label=label, store=True,
        capabilities=MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT,
        template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
                  Attribute.PRIVATE: True, Attribute.TOKEN: True})


def seal(document: str, kek: bytes, pin: str) -> str:
    """The wrapped keys document with the KEK sealed by the token's key (made there, not
    extractable, if the token has none by that label yet)."""
    from pkcs11 import Mechanism
    from pkcs11.mechanisms import GCMParams

    nonce = os.urandom(12)
    with session(pin, rw=True) as s:
        key = _key(s, create=True)
        sealed = key.encrypt(kek, mechanism=Mechanism.AES_GCM,
                             mechanism_param=GCMParams(nonce, AAD))
        label = key.label
    obj = json.loads(document)
    obj["hsm"] = {"mechanism": "CKM_AES_GCM", "key": label,
                  "nonce": base64.b64encode(nonce).decode("ascii"),
                  "sealed_kek": base64.b64encode(bytes(sealed)).decode("ascii")}
    return json.dumps(obj, indent=1) + "\n"


def sealed(document: str) -> bool:
    try:
        return "hsm" in json.loads(document)
    except ValueError:
        return False


def unseal_kek(document: str, pin: str) -> bytes:
    from pkcs11 import Mechanism
    from pkcs11 import exceptions as pk
    from pkcs11.mechanisms import GCMParams

    try:
        part = json.loads(document)["hsm"]
        nonce = base64.b64decode(part["nonce"])
        sealed_kek = base64.b64decode(part["sealed_kek"])
    except (ValueError, KeyError, TypeError) as exc:
        raise HsmError("The wrapped keys file holds no key sealed by a hardware security "
                       "module: wrap the keys with `qorgau wrap-keys --hsm`.") from exc
    with session(pin) as s:
        key = _key(s)
        try:
            return bytes(key.decrypt(sealed_kek, mechanism=Mechanism.AES_GCM,
                                     mechanism_param=GCMParams(nonce, AAD)))
        except pk.PKCS11Error as exc:
            raise HsmError("The token's key does not open this instance's keys (another "
                           "key by the same label?).") from exc


def open_keys(pin: str) -> InstanceKeys:
    """The instance's keys, unwrapped with the KEK the token unseals."""
    from qorgau.operations.custody import wrapped_document

    document = wrapped_document()
    return unwrap(document, unseal_kek(document, pin))


def pin_from_file() -> str | None:
    path = _config().get("pin_file")
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise HsmError(f"Cannot read the PIN file {path}: {exc.strerror}") from exc


def ask_pin(from_file: bool = True) -> str:
    """The token's PIN: from QORGAU_PKCS11_PIN_FILE (unless a person must enter it), else
    asked at the terminal (or one line of standard input)."""
    import getpass
    import sys

    pin = pin_from_file() if from_file else None
    if pin is None:
        pin = (getpass.getpass("PIN of the hardware security module: ") if sys.stdin.isatty()
               else sys.stdin.readline().strip())
    if not pin:
        raise HsmError("The PIN of the hardware security module is needed.")
    return pin


def _opened_at_path() -> Path:
    return Path(settings.DATA_DIR) / OPENED_AT_FILE


def person_opened_at() -> int:
    """The lock generation at which a person last entered the PIN (0: never locked)."""
    try:
        return int(_opened_at_path().read_text().strip() or 0)
    except FileNotFoundError:
        return 0
    except ValueError:
        return -1


def allow_automatic_opening() -> None:
    """A person entered the PIN: processes with the PIN file may open the keys again,
    until the next panic lock."""
    from qorgau.operations.custody import generation

    path = _opened_at_path()
    tmp = path.with_name(f".{OPENED_AT_FILE}.{os.getpid()}")
    tmp.write_text(f"{generation()}\n")
    os.replace(tmp, path)


_failed_at: int | None = None  # the lock generation at which opening with the PIN file failed


def open_automatically() -> InstanceKeys | None:
    """The keys, opened with the PIN file, when that is allowed (no panic lock since a
    person last entered the PIN); None otherwise. A failure is logged and not retried
    under the same lock generation (a token locks after a few wrong PINs)."""
    global _failed_at
    from qorgau.operations.custody import generation
    from qorgau.trustees import ShareError

    current = generation()
    if not _config().get("pin_file") or person_opened_at() != current or _failed_at == current:
        return None
    try:
        pin = pin_from_file()
        assert pin is not None
        return open_keys(pin)
    except (HsmError, ShareError, OSError) as exc:
        _failed_at = current
        log.error("the keys could not be opened through the hardware security module: %s",
                  exc)
        return None
