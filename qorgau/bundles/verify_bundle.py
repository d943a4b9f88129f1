#!/usr/bin/env python3
"""Verify a Qorgau court bundle with nothing but Python's standard library.

    python3 verify_bundle.py BUNDLE.zip        (or the folder it was unpacked into)

Checks, in order, and names the first thing that fails:
  1. the Ed25519 signature of manifest.json by instance-public-key.pem;
  2. the Ed25519 signature of SHA256SUMS, and that it lists exactly the manifest's files;
  3. the SHA-256 of every file against the manifest; no file missing, none added;
  4. the case ledger chain in the manifest: every entry's hash and its link to the one before;
  5. that every exhibit and event in the manifest has its ledger entry in that chain.
It does not check that the public key is really the organisation's: compare its fingerprint
(printed below) with the one the organisation publishes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zipfile
from pathlib import Path

# --- Ed25519 verification (RFC 8032, section 6 reference code) ------------------------------
_P = 2**255 - 19
_Q = 2**252 + 27742317777372353535851937790883648493


def _inv(x: int) -> int:
    return pow(x, _P - 2, _P)


_D = -121665 * _inv(121666) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _add(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, ...]:
    x1 = (a[1] - a[0]) * (b[1] - b[0]) % _P
    y1 = (a[1] + a[0]) * (b[1] + b[0]) % _P
    c = 2 * a[3] * b[3] * _D % _P
    d = 2 * a[2] * b[2] % _P
    e, f, g, h = y1 - x1, d - c, d + c, y1 + x1
    return (e * f, g * h, f * g, e * h)


def _mul(s: int, point: tuple[int, ...]) -> tuple[int, ...]:
    result: tuple[int, ...] = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)  # type: ignore[arg-type]
        point = _add(point, point)  # type: ignore[arg-type]
        s >>= 1
    return result


def _equal(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * _inv(_D * y * y + 1)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


_GY = 4 * _inv(5) % _P
_GX = _recover_x(_GY, 0) or 0
_G = (_GX, _GY, 1, _GX * _GY % _P)


def _decompress(data: bytes) -> tuple[int, ...] | None:
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    a = _decompress(public)
    r = _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % _Q
    return _equal(_mul(s, _G), _add(r, _mul(h, a)))  # type: ignore[arg-type]


_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def public_key_from_pem(pem: bytes) -> bytes:
    body = b"".join(line for line in pem.splitlines() if line and not line.startswith(b"-----"))
    der = base64.b64decode(body)
    if not der.startswith(_SPKI_PREFIX) or len(der) != len(_SPKI_PREFIX) + 32:
        raise ValueError("instance-public-key.pem is not an Ed25519 public key")
    return der[len(_SPKI_PREFIX):]


# --- the bundle -----------------------------------------------------------------------------


class Failure(Exception):
    pass


def canonical(obj: object) -> bytes:
    """RFC 8785 for what ledger headers hold (strings and integers)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def read_files(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {str(p.relative_to(path)).replace("\\", "/"): p.read_bytes()
                for p in sorted(path.rglob("*")) if p.is_file()}
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()
                if not info.is_dir()}


UNSIGNED = {"manifest.json", "manifest.json.sig", "SHA256SUMS", "SHA256SUMS.sig"}


def verify(files: dict[str, bytes]) -> list[str]:
    """Lines of what was checked; raises Failure naming the first thing that fails."""
    done: list[str] = []
    for name in ("manifest.json", "manifest.json.sig", "instance-public-key.pem", "SHA256SUMS",
                 "SHA256SUMS.sig"):
        if name not in files:
            raise Failure(f"{name}: missing from the bundle")
    try:
        public = public_key_from_pem(files["instance-public-key.pem"])
    except ValueError as exc:
        raise Failure(f"instance-public-key.pem: {exc}") from exc
    done.append("public key fingerprint (SHA-256 of instance-public-key.pem): "
                + hashlib.sha256(files["instance-public-key.pem"]).hexdigest())
    if not ed25519_verify(public, files["manifest.json"], files["manifest.json.sig"]):
        raise Failure("manifest.json: the signature does not match (manifest.json.sig)")
    done.append("manifest.json: signature OK")
    if not ed25519_verify(public, files["SHA256SUMS"], files["SHA256SUMS.sig"]):
        raise Failure("SHA256SUMS: the signature does not match (SHA256SUMS.sig)")
    done.append("SHA256SUMS: signature OK")
    try:
        manifest = json.loads(files["manifest.json"])
    except ValueError as exc:
        raise Failure(f"manifest.json: not valid JSON ({exc})") from exc
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    sums = {}
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, _sep, name = line.partition("  ")
        sums[name] = digest
    if sums != listed:
        raise Failure("SHA256SUMS: does not list the same files and hashes as manifest.json")
    for name in sorted(set(files) - UNSIGNED):
        if name not in listed:
            raise Failure(f"{name}: in the bundle but not in the manifest")
    for name, digest in sorted(listed.items()):
        if name not in files:
            raise Failure(f"{name}: listed in the manifest but missing")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise Failure(f"{name}: SHA-256 does not match the manifest")
    done.append(f"{len(listed)} files: SHA-256 OK")
    ledger = manifest["ledger"]
    previous = "0" * 64
    seen: set[str] = set()
    for i, entry in enumerate(ledger["entries"], start=1):
        header = {k: entry[k] for k in ("case", "seq", "at", "actor", "action", "subject",
                                        "payload_digest", "prev_hash")}
        if entry["seq"] != i or entry["prev_hash"] != previous:
            raise Failure(f"manifest.json: ledger entry {entry['seq']} does not follow "
                          f"entry {i - 1}")
        if hashlib.sha256(canonical(header)).hexdigest() != entry["hash"]:
            raise Failure(f"manifest.json: ledger entry {entry['seq']} does not match its hash")
        previous = entry["hash"]
        seen.add(entry["subject"])
    if ledger["entries"] and (ledger["head"]["seq"], ledger["head"]["hash"]) != (
            ledger["entries"][-1]["seq"], previous):
        raise Failure("manifest.json: the ledger head is not the last entry of the chain")
    done.append(f"ledger chain of {len(ledger['entries'])} entries OK, head "
                f"{ledger['head']['seq']} {ledger['head']['hash']}")
    for kind in ("exhibits", "events"):
        for item in manifest[kind]:
            if item["ledger_subject"] not in seen:
                raise Failure(f"manifest.json: {kind[:-1]} {item['number']} has no entry in "
                              f"the ledger chain")
    done.append(f"{len(manifest['events'])} events and {len(manifest['exhibits'])} exhibits: "
                "on the ledger")
    return done


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    try:
        for line in verify(read_files(Path(argv[1]))):
            print("OK  " + line)
    except Failure as exc:
        print(f"FAILED  {exc}")
        return 1
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        print(f"FAILED  the bundle cannot be read: {exc}")
        return 1
    print("VERIFIED")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
