"""The instance's signing key: raw Ed25519 signatures, and a self-signed certificate for PAdES."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID
from django.conf import settings

from qorgau.fields import require_key


@cache
def private_key() -> Ed25519PrivateKey:
    require_key(settings.QORGAU_SIGNING_KEY)
    key = serialization.load_pem_private_key(settings.QORGAU_SIGNING_KEY.encode(), None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("QORGAU_SIGNING_KEY is not an Ed25519 key")
    return key


def public_pem() -> bytes:
    return private_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint() -> str:
    return hashlib.sha256(public_pem()).hexdigest()


def sign(data: bytes) -> bytes:
    return private_key().sign(data)


@cache
def certificate() -> x509.Certificate:
    """A self-signed certificate for the instance key (the fingerprint is the trust anchor)."""
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Qorgau instance"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Qorgau signing key {fingerprint()[:16]}"),
    ])
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private_key().public_key())
        .serial_number(int(fingerprint()[:30], 16))
        .not_valid_before(start).not_valid_after(start + dt.timedelta(days=365 * 30))
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private_key(), algorithm=None)
    )


def certificate_pem() -> bytes:
    return certificate().public_bytes(serialization.Encoding.PEM)


def sign_pdf(pdf: bytes, reason: str) -> bytes:
    """PAdES B-B (B-T when QORGAU_TSA_URL names a time-stamp authority) with pyHanko."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = asn1_x509.Certificate.load(certificate().public_bytes(serialization.Encoding.DER))
    key = asn1_keys.PrivateKeyInfo.load(private_key().private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    signer = signers.SimpleSigner(signing_cert=cert, signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs([cert]))
    tsa_url = getattr(settings, "QORGAU_TSA_URL", "")
    meta = signers.PdfSignatureMetadata(
        field_name="QorgauBundleSignature", reason=reason, md_algorithm="sha512",
        subfilter=fields.SigSeedSubFilter.PADES)
    out = io.BytesIO()

    def sign() -> None:
        signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer,
                         timestamper=timestamps.HTTPTimeStamper(tsa_url) if tsa_url else None,
                         output=out)

    # pyHanko runs its own event loop (asyncio.run), which cannot start inside a running
    # one (an ASGI server, a browser-driving test): then it signs in a thread of its own.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        sign()
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(sign).result()
    return out.getvalue()

