"""The text of a narrative from what a person hands in: plain text, DOCX, or a PDF with a text
layer. Pure: no Django. Anything else is refused with a plain reason (an English msgid with
its parameters, translated by the caller), before anything is stored.
"""

from __future__ import annotations

import io
import zipfile

from qorgau.evidence import inspect

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
TEXT = "text/plain"
# A PDF whose pages yield fewer letters than this holds no usable text layer (a scan).
MIN_LETTERS = 20


def gettext_noop(message: str) -> str:
    return message


class Unreadable(ValueError):
    """The file cannot give a narrative's text: a plain reason (msgid) and its parameters."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def kind_of(data: bytes, name: str) -> str:
    """text/plain, DOCX or PDF as the bytes show it; Unreadable for anything else."""
    media_type = inspect.sniff(data[:8192], data[-65536:])
    named_docx = name.lower().endswith(".docx")
    if media_type == DOCX or (named_docx and media_type == "application/zip"):
        return DOCX
    if named_docx:
        raise Unreadable(gettext_noop("The file is named as a Word document (DOCX) but it is "
                                      "not one; nothing was stored."))
    if media_type in (PDF, TEXT):
        return media_type
    if media_type in ("application/msword", "application/x-ole-storage"):
        raise Unreadable(gettext_noop("This is an old Word document (.doc); save it as DOCX "
                                      "or PDF and upload that; nothing was stored."))
    if media_type == "application/octet-stream":
        raise Unreadable(gettext_noop("The file is not text (it looks like binary data, or "
                                      "text in an encoding other than UTF-8); upload plain "
                                      "UTF-8 text, a Word document (DOCX) or a PDF; nothing "
                                      "was stored."))
    raise Unreadable(gettext_noop("This kind of file (%(type)s) cannot be read as a "
                                  "narrative; upload plain text, a Word document (DOCX) or a "
                                  "PDF; nothing was stored."), type=media_type)


def _plain(data: bytes) -> str:
    if b"\x00" in data:
        raise Unreadable(gettext_noop("The file is not text (it holds binary data); nothing "
                                      "was stored."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(gettext_noop("The file is not UTF-8 text; save it as UTF-8 (or as a "
                                      "DOCX or PDF) and upload it again; nothing was "
                                      "stored.")) from exc


def _docx(data: bytes) -> str:
    import docx  # python-docx, already used for letters
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise Unreadable(gettext_noop("The file is named as a Word document (DOCX) but it "
                                      "cannot be read as one; nothing was stored.")) from exc
    except Exception as exc:  # noqa: BLE001 -- a damaged package fails in many ways
        raise Unreadable(gettext_noop("The Word document (DOCX) is damaged and cannot be "
                                      "read; nothing was stored.")) from exc
    paragraphs = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            paragraphs.append(" ".join(cell.text for cell in row.cells))
    return "\n\n".join(p for p in paragraphs if p.strip())


def _pdf(data: bytes) -> str:
    import pypdf
    from pypdf.errors import PyPdfError

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Unreadable(gettext_noop("The PDF is protected with a password; upload a copy "
                                          "without one; nothing was stored."))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Unreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise Unreadable(gettext_noop("The PDF is damaged and cannot be read; nothing was "
                                      "stored.")) from exc
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if sum(1 for c in text if c.isalpha()) < MIN_LETTERS:
        raise Unreadable(gettext_noop("This PDF has no text layer: it is a scan or a photo of "
                                      "pages, and Qorgau does not read images (no OCR). Upload "
                                      "the document as text or DOCX, or type it in; nothing "
                                      "was stored."))
    return text


def text_of(data: bytes, name: str) -> tuple[str, str]:
    """(the text, its media type) of an uploaded file; Unreadable with the reason."""
    media_type = kind_of(data, name)
    if media_type == DOCX:
        return _docx(data), media_type
    if media_type == PDF:
        return _pdf(data), media_type
    return _plain(data), media_type
