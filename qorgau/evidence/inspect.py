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
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

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
MAX_ZIP_MEMBERS = 10_000  # over the archive and every archive inside it
MAX_ZIP_DEPTH = 3  # a ZIP in a ZIP in a ZIP; deeper is refused
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


class _ZipBudget:
    """What the archive and every archive inside it may still hold."""

    def __init__(self, max_expanded: int) -> None:
        self.max_expanded, self.expanded, self.members = max_expanded, 0, 0


def _check_zip(fh: BinaryIO, max_expanded: int) -> None:
    """Paths, member count and expanded size, counted through archives inside the archive
    (a ZIP bomb packed in a ZIP counts in full)."""
    _check_zip_level(fh, _ZipBudget(max_expanded), 1)


def _check_zip_level(fh: BinaryIO | IO[bytes], budget: _ZipBudget, depth: int) -> None:
    try:
        with zipfile.ZipFile(fh) as archive:
            members = archive.infolist()
            budget.members += len(members)
            if budget.members > MAX_ZIP_MEMBERS:
                raise Rejected(gettext_noop("The archive holds too many files."))
            for member in members:
                name = member.filename
                if name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name) \
                        or re.match(r"^[A-Za-z]:", name):
                    raise Rejected(gettext_noop("The archive contains a file with a path "
                                                "outside it (%(name)s)."), name=name[:80])
                budget.expanded += member.file_size
                if budget.expanded > budget.max_expanded:
                    raise Rejected(gettext_noop(
                        "The archive would expand to more than %(limit)s MB."),
                        limit=budget.max_expanded // (1024 * 1024))
            for member in members:
                if member.is_dir() or member.file_size < 22 or member.flag_bits & 0x1:
                    continue  # nothing to open (an encrypted member cannot be opened here)
                # A member is read only up to its declared size (zipfile stops there), and
                # that size is already counted above.
                try:
                    inner = archive.open(member)
                    head = inner.read(4)
                except NotImplementedError:  # a compression zipfile cannot read
                    continue
                with inner:
                    if head not in (b"PK\x03\x04", b"PK\x05\x06"):
                        continue
                    if depth >= MAX_ZIP_DEPTH:
                        raise Rejected(gettext_noop(
                            "The archive holds archives nested too deeply; upload the "
                            "files themselves."))
                    inner.seek(0)
                    _check_zip_level(inner, budget, depth + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as exc:
        raise Rejected(gettext_noop("The file claims to be an archive but is damaged.")) \
            from exc


# Markup that a browser would run: an SVG or HTML file with any of these is refused.
MARKUP = re.compile(rb"<\s*(?:svg|html|!doctype\s+html|body|head|script|iframe|object|embed|"
                    rb"\?xml|xhtml|math)\b", re.IGNORECASE)
ACTIVE = re.compile(  # linear: no unbounded run between two parts
    rb"<\s*(?:script|iframe|object|embed|foreignobject|handler|listener)\b"
    rb"|[\s/\"']on[a-z]+\s*="
    rb"|(?:java|vb)script\s*(?::|&#)|data:text/html",
    re.IGNORECASE)
_TEXT_CHUNK = 1024 * 1024
_TEXT_OVERLAP = 4096


def _check_markup(fh: BinaryIO) -> None:
    """A text file that is HTML or SVG must not hold scripts, event handlers or
    javascript: URLs (opened in a browser they would run)."""
    fh.seek(0)
    markup, carry = False, b""
    while True:
        chunk = fh.read(_TEXT_CHUNK)
        if not chunk:
            break
        window = carry + chunk
        markup = markup or MARKUP.search(window) is not None
        if markup and ACTIVE.search(window):
            raise Rejected(gettext_noop(
                "The file is a web page or SVG image with active content (scripts, event "
                "handlers or javascript: links); it is refused. Upload a screenshot or a "
                "PDF instead."))
        carry = window[-_TEXT_OVERLAP:]
    fh.seek(0)


def _trailing_data(media_type: str, fh: BinaryIO, size: int) -> int:
    """How many bytes follow the image's end (PNG: IEND chunk; JPEG: end-of-image marker,
    further JPEG images after it, as phones write for depth or HDR maps, count as image)."""
    try:
        if media_type == "image/png":
            end = _png_end(fh)
        elif media_type == "image/jpeg":
            end = _jpeg_end(fh, 0, size)
            while end < size:
                fh.seek(end)
                if fh.read(3) != b"\xff\xd8\xff":
                    break
                end = _jpeg_end(fh, end, size)
        else:
            return 0
    except _Truncated:
        return 0  # damaged images are refused when read for their metadata
    fh.seek(end)
    rest = 0
    while True:
        chunk = fh.read(_TEXT_CHUNK)
        if not chunk:
            break
        if chunk.strip(b"\x00"):  # zero padding is harmless; anything else is not
            rest = size - end
            break
    fh.seek(0)
    return rest


class _Truncated(Exception):
    pass


def _png_end(fh: BinaryIO) -> int:
    fh.seek(8)
    position = 8
    while True:
        header = fh.read(8)
        if len(header) < 8:
            raise _Truncated
        length = int.from_bytes(header[:4], "big")
        position += 12 + length
        if header[4:8] == b"IEND":
            return position
        fh.seek(position)


def _jpeg_end(fh: BinaryIO, start: int, size: int) -> int:
    """The offset just past the end-of-image marker of the JPEG starting at `start`."""
    position = start + 2
    while position < size:
        fh.seek(position)
        marker = fh.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            raise _Truncated
        kind = marker[1]
        if kind == 0xFF:  # fill byte
            position += 1
            continue
        if kind == 0xD9:
            return position + 2
        if kind == 0x01 or 0xD0 <= kind <= 0xD7:
            position += 2
            continue
        length = fh.read(2)
        if len(length) < 2:
            raise _Truncated
        position += 2 + int.from_bytes(length, "big")
        if kind == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            position = _after_scan(fh, position)
    raise _Truncated


def _after_scan(fh: BinaryIO, position: int) -> int:
    fh.seek(position)
    carry = b""
    base = position
    while True:
        chunk = fh.read(65536)
        if not chunk:
            raise _Truncated
        data = carry + chunk
        index = 0
        while True:
            index = data.find(b"\xff", index)
            if index < 0 or index + 1 >= len(data):
                break
            following = data[index + 1]
            if following == 0x00 or following == 0xFF or 0xD0 <= following <= 0xD7:
                index += 1 if following == 0xFF else 2
                continue
            return base + index
        keep = 1 if data.endswith(b"\xff") else 0
        base += len(data) - keep
        carry = data[len(data) - keep:]


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
    if media_type == "text/plain":
        _check_markup(fh)
    trailing = _trailing_data(media_type, fh, size)
    if trailing:
        raise Rejected(gettext_noop(
            "The image has %(count)s bytes of other data after its end; it is refused. "
            "Upload the picture as the camera or phone saved it."), count=trailing)
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
