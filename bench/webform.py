"""What a browser and an authenticator app do, for bench/locustfile.py: submit a page's
form as it stands, upload a file, show the current TOTP code. Plain Python (no locust,
no Django), so the tests can hold it to the real pages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
import uuid
from html.parser import HTMLParser

LOGIN = "login"  # the logins' requests are named so: not the workload (bench/http_load.py)


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238: what the caseworker's authenticator app shows now (SHA-1, 6 digits, 30 s)."""
    key = base64.b32decode(secret)
    counter = struct.pack(">Q", int(at or time.time()) // 30)
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class Forms(HTMLParser):
    """The named fields of every form on a page, with the values a browser would send
    unchanged (checked boxes, selected options, textarea text)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        if not self.forms:
            return
        fields, name = self.forms[-1], a.get("name", "")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            fields[name] = a.get("value", "on" if a.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            if self._select not in fields or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            fields[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1][self._textarea] += data

    def having(self, field: str) -> dict[str, str]:
        """The form with this field (KeyError if the page has none)."""
        for fields in self.forms:
            if field in fields:
                return dict(fields)
        raise KeyError(f"no form with a field {field!r}")


def multipart(fields: dict[str, str], name: str, filename: str,
               content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             .encode() for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                 f'filename="{filename}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
                 + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary
