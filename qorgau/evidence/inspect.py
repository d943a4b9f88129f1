"""What an uploaded file really is, and what it says about itself. Pure: no Django.

The media type is sniffed from the bytes, never taken from the name. Executables are refused;
so are files whose content contradicts the type they claim, polyglots (a file that is two
things at once), and archives that would expand past a bound. Metadata (EXIF, PDF info) is
read as found and never rewritten.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import filetype


def gettext_noop(message: str) -> str:
    return message


class Rejected(ValueError):
    """A file refused, with a plain reason (an English msgid) and its parameters."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


ALLOWED = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/tiff",
    "image/bmp", "application/pdf", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/x-wav",
    "audio/amr", "audio/aac", "video/mp4", "video/quicktime", "video/webm", "video/3gpp",
    "text/plain",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text", "application/zip",
}
EXECUTABLE = {
    "application/x-executable", "application/x-msdownload", "application/x-mach-binary",
    "application/x-elf", "application/x-sharedlib", "application/vnd.android.package-archive",
    "application/x-dosexec", "application/wasm",
}
ARCHIVES_REFUSED = {
    "application/x-rar-compressed", "application/x-7z-compressed", "application/gzip",
    "application/x-bzip2", "application/x-xz", "application/x-tar", "application/zstd",
    "application/x-lzip", "application/x-compress",
}
ZIP_BASED = {
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
}
# A claimed type (from the browser or the extension) is compatible with a sniffed one when
# they share this family.
EXTENSIONS = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
    ".webp": "image/webp", ".heic": "image/heic", ".tif": "image/tiff", ".tiff": "image/tiff",
    ".bmp": "image/bmp", ".pdf": "application/pdf", ".mp3": "audio/mpeg", ".m4a": "audio/mp4",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".wav": "audio/x-wav", ".amr": "audio/amr",
    ".aac": "audio/aac", ".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
    ".3gp": "video/3gpp", ".txt": "text/plain",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text", ".zip": "application/zip",
}
MAX_ZIP_MEMBERS = 10_000
SCRIPT_START = re.compile(rb"^\s*(#!|<\?php|<script|@echo off)", re.IGNORECASE)
_NAME_BAD = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class Inspection:
    media_type: str
    metadata: dict[str, Any] = field(default_factory=dict)
    captured_at: str = ""  # as the file claims it (EXIF DateTimeOriginal, PDF CreationDate)


def check_name(name: str) -> str:
    """The original file name as given, if it is safe to keep; never used as a path."""
    if not name or len(name) > 255 or _NAME_BAD.search(name):
        raise Rejected(gettext_noop("The file name is empty, too long or has control "
                                    "characters."))
    parts = re.split(r"[/\\]", name)
    if len(parts) > 1 or name in (".", "..") or ".." in parts:
        raise Rejected(gettext_noop("The file name must not contain a path (%(name)s)."),
                       name=name[:80])
    return name


def _family(media_type: str) -> str:
    if media_type in ZIP_BASED:
        return "zip"
    return media_type.split("/")[0] if media_type.startswith(("image/", "audio/", "video/")) \
        else media_type


def sniff(head: bytes, tail: bytes) -> str:
    """The media type from the first and last bytes of the file."""
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if head[:2] == b"MZ" or head[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xce"):
        return "application/x-executable"
    if SCRIPT_START.match(head):
        return "application/x-script"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "application/octet-stream"
    if b"\x00" in head:
        return "application/octet-stream"
    return "text/plain"


def _is_polyglot(media_type: str, head: bytes, tail: bytes) -> bool:
    if media_type in ZIP_BASED:
        return b"%PDF-" in head[:1024]
    if b"PK\x05\x06" in tail and media_type != "text/plain":
        return True  # a ZIP directory at the end of something that is not a ZIP
    if media_type.startswith("image/") and b"%PDF-" in head[:1024]:
        return True
    return media_type == "application/pdf" and (head[:2] == b"MZ" or b"PK\x03\x04" in head[:4])


def _check_zip(fh: BinaryIO, max_expanded: int) -> None:
    try:
        with zipfile.ZipFile(fh) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise Rejected(gettext_noop("The archive holds too many files."))
            total = 0
            for member in members:
                name = member.filename
                if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name) \
                        or re.match(r"^[A-Za-z]:", name):
                    raise Rejected(gettext_noop("The archive contains a file with a path "
                                                "outside it (%(name)s)."), name=name[:80])
                total += member.file_size
                if total > max_expanded:
                    raise Rejected(gettext_noop(
                        "The archive would expand to more than %(limit)s MB."),
                        limit=max_expanded // (1024 * 1024))
    except zipfile.BadZipFile as exc:
        raise Rejected(gettext_noop("The file claims to be an archive but is damaged.")) \
            from exc


def claimed_type(name: str, content_type: str) -> str:
    by_name = EXTENSIONS.get(os.path.splitext(name)[1].lower(), "")
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type in ("", "application/octet-stream"):
        return by_name
    return content_type


def inspect(fh: BinaryIO, size: int, name: str, content_type: str,
            max_expanded: int) -> Inspection:
    """Sniff, check and read the metadata of a whole file (seekable)."""
    fh.seek(0)
    head = fh.read(8192)
    fh.seek(max(0, size - 65536))
    tail = fh.read(65536)
    fh.seek(0)
    media_type = sniff(head, tail)
    if media_type in EXECUTABLE or media_type == "application/x-script":
        raise Rejected(gettext_noop("Executable files and scripts are not accepted as "
                                    "evidence."))
    if media_type in ARCHIVES_REFUSED:
        raise Rejected(gettext_noop("Compressed archives of this kind are not accepted; "
                                    "upload the files themselves, or a ZIP."))
    if media_type not in ALLOWED:
        raise Rejected(gettext_noop("This kind of file (%(type)s) is not accepted as "
                                    "evidence."), type=media_type)
    claim = claimed_type(name, content_type)
    if claim and _family(claim) != _family(media_type):
        raise Rejected(gettext_noop(
            "The file says it is %(claimed)s but its content is %(actual)s."),
            claimed=claim, actual=media_type)
    if _is_polyglot(media_type, head, tail):
        raise Rejected(gettext_noop("The file is two kinds of file at once; it is refused."))
    if media_type in ZIP_BASED:
        _check_zip(fh, max_expanded)
        fh.seek(0)
    found = Inspection(media_type)
    if media_type.startswith("image/"):
        _image_metadata(fh, found)
    elif media_type == "application/pdf":
        _pdf_metadata(fh, found)
    fh.seek(0)
    return found


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    if isinstance(value, tuple | list):
        return [_text(v) for v in value]
    return str(value)


def _image_metadata(fh: BinaryIO, found: Inspection) -> None:
    from PIL import ExifTags, Image, UnidentifiedImageError

    try:
        with Image.open(fh) as image:
            found.metadata["width"], found.metadata["height"] = image.size
            exif = image.getexif()
            tags: dict[str, Any] = {}
            for tag, value in exif.items():
                tags[ExifTags.TAGS.get(tag, str(tag))] = _text(value)
            for ifd_id in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo):
                for tag, value in exif.get_ifd(ifd_id).items():
                    names: Mapping[int, str] = (ExifTags.GPSTAGS if ifd_id == ExifTags.IFD.GPSInfo
                                                else ExifTags.TAGS)
                    tags[names.get(tag, str(tag))] = _text(value)
            if tags:
                found.metadata["exif"] = tags
            original = tags.get("DateTimeOriginal") or tags.get("DateTime")
            if isinstance(original, str) and re.match(r"^\d{4}:\d{2}:\d{2} \d{2}:\d{2}", original):
                found.captured_at = original[:10].replace(":", "-") + "T" + original[11:16]
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise Rejected(gettext_noop("The image cannot be read: it is damaged or not what "
                                    "it claims.")) from exc


def _pdf_metadata(fh: BinaryIO, found: Inspection) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(fh)
        found.metadata["pages"] = len(reader.pages)
        info: Mapping[str, Any] = reader.metadata or {}
        found.metadata["info"] = {str(k): _text(v) for k, v in info.items()}
        created = str(info.get("/CreationDate", ""))
        match = re.match(r"^D:(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?", created)
        if match:
            y, m, d, hh, mm = match.groups()
            found.captured_at = f"{y}-{m}-{d}" + (f"T{hh}:{mm}" if hh and mm else "")
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise Rejected(gettext_noop("The PDF cannot be read: it is damaged or not what "
                                    "it claims.")) from exc
