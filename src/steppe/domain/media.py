"""Files and media as messages carry them, and the pure rules around them: file names, MIME types
(declared, and sniffed from magic bytes), photo size plans, upload part arithmetic, HTTP byte
ranges and how a file is served. No I/O; every refusal is an `RpcError`.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Literal

import msgspec

from steppe.domain import limits
from steppe.domain.errors import bad_request

# ---- what messages and profiles carry --------------------------------------------------------


class PhotoSize(msgspec.Struct, omit_defaults=True):
    type: str  # s 90 | m 320 | x 800 | y 1280 px (profile photos: a 160 | b 320 | c 640)
    w: int
    h: int
    size: int
    file_id: str


class Photo(msgspec.Struct, omit_defaults=True):
    id: int
    date: int
    sizes: list[PhotoSize]


class Document(msgspec.Struct, omit_defaults=True):
    """Any file; video, audio, voice and animation are documents with attributes."""

    file_id: str
    name: str
    size: int
    mime_type: str
    kind: str  # document | video | audio | voice | animation
    duration: int | None = None
    w: int | None = None
    h: int | None = None
    performer: str | None = None
    title: str | None = None
    supports_streaming: bool = False


class MediaBase(msgspec.Struct, tag_field="type", omit_defaults=True):
    pass


class MediaPhoto(MediaBase, tag="photo"):
    photo: Photo


class MediaDocument(MediaBase, tag="document"):
    document: Document


Media = MediaPhoto | MediaDocument

MediaKind = Literal["photo", "document", "video", "audio", "voice", "animation"]
DOCUMENT_KINDS = frozenset({"document", "video", "audio", "voice", "animation"})


class InputMedia(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """What a sender attaches: a finished upload's file id (or a file it may already see) and the
    attributes the client declares."""

    type: MediaKind
    file_id: str
    duration: int | None = None
    w: int | None = None
    h: int | None = None
    performer: str | None = None
    title: str | None = None
    supports_streaming: bool = False


def photo_file_ids(photo: Photo | None) -> list[str]:
    return [s.file_id for s in photo.sizes] if photo is not None else []


def media_file_ids(media: Media | None) -> list[str]:
    if isinstance(media, MediaPhoto):
        return photo_file_ids(media.photo)
    if isinstance(media, MediaDocument):
        return [media.document.file_id]
    return []


# ---- input checks -----------------------------------------------------------------------------

_NAME_FORBIDDEN = re.compile(r"[/\\\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_ATTR_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def file_name(value: str) -> str:
    """A file's name as shown and offered for saving: no path separators, no control or
    direction-override characters, not `.` or `..`, at most 255 bytes. Empty is allowed."""
    name = value.strip()
    if _NAME_FORBIDDEN.search(name) or name in (".", ".."):
        raise bad_request("FILE_NAME_INVALID", "no path separators or control characters")
    if len(name.encode()) > limits.FILE_NAME_MAX:
        raise bad_request("FILE_NAME_INVALID", f"at most {limits.FILE_NAME_MAX} bytes")
    return name


def mime_type(value: str) -> str:
    """A declared MIME type, lower-cased and without parameters; empty means octet-stream."""
    value = value.split(";", 1)[0].strip().lower()
    if not value:
        return "application/octet-stream"
    if not _MIME.fullmatch(value):
        raise bad_request("MIME_TYPE_INVALID")
    return value


def _attr_text(value: str | None, most: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > most or _ATTR_CONTROL.search(value):
        raise bad_request("MEDIA_ATTRIBUTE_INVALID", f"performer and title: at most {most} chars")
    return value or None


def _attr_int(value: int | None, most: int) -> int | None:
    if value is not None and not 0 <= value <= most:
        raise bad_request("MEDIA_ATTRIBUTE_INVALID", "duration, w and h must be in range")
    return value


def document_attributes(m: InputMedia) -> dict[str, object]:
    """The attributes a client may declare for its kind of document, checked."""
    if m.type == "photo":
        raise bad_request("MEDIA_INVALID", "a photo is not a document")
    visual = m.type in ("video", "animation")
    if not visual and (m.w is not None or m.h is not None):
        raise bad_request("MEDIA_ATTRIBUTE_INVALID", "w and h are for video and animation")
    if m.type != "audio" and (m.performer is not None or m.title is not None):
        raise bad_request("MEDIA_ATTRIBUTE_INVALID", "performer and title are for audio")
    if m.type == "document" and m.duration is not None:
        raise bad_request("MEDIA_ATTRIBUTE_INVALID", "a plain document has no duration")
    return {
        "kind": m.type,
        "duration": _attr_int(m.duration, limits.MEDIA_DURATION_MAX),
        "w": _attr_int(m.w, limits.MEDIA_SIDE_MAX),
        "h": _attr_int(m.h, limits.MEDIA_SIDE_MAX),
        "performer": _attr_text(m.performer, limits.MEDIA_TITLE_MAX),
        "title": _attr_text(m.title, limits.MEDIA_TITLE_MAX),
        "supports_streaming": m.supports_streaming and m.type == "video",
    }


def check_album(kinds: list[str]) -> None:
    """2–10 items: photos and videos mixed, or only documents, or only audio."""
    if not limits.ALBUM_MIN <= len(kinds) <= limits.ALBUM_MAX:
        raise bad_request("MEDIA_INVALID", f"an album holds {limits.ALBUM_MIN}–{limits.ALBUM_MAX}"
                                           " items")
    kinds_set = set(kinds)
    if not (kinds_set <= {"photo", "video"} or kinds_set == {"document"} or kinds_set == {"audio"}):
        raise bad_request("MEDIA_INVALID", "an album mixes photos and videos, or holds only"
                                           " documents, or only audio")


# ---- sniffing ---------------------------------------------------------------------------------

# (offset, magic, MIME type); the first match wins.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"Rar!\x1a\x07", "application/vnd.rar"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (0, b"\xff\xf3", "audio/mpeg"),
    (0, b"\xff\xf2", "audio/mpeg"),
    (0, b"\x1a\x45\xdf\xa3", "video/webm"),
    (0, b"\x7fELF", "application/x-executable"),
    (0, b"MZ", "application/vnd.microsoft.portable-executable"),
)
# A sniffed container type, and the declared types that agree with it (the declared one is kept).
_FAMILIES: dict[str, frozenset[str]] = {
    "application/zip": frozenset({
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
        "application/epub+zip", "application/java-archive",
        "application/vnd.android.package-archive", "application/x-zip-compressed",
    }),
    "audio/ogg": frozenset({"video/ogg", "audio/opus", "application/ogg"}),
    "video/webm": frozenset({"audio/webm", "video/x-matroska", "audio/x-matroska"}),
    "video/mp4": frozenset({"audio/mp4", "audio/m4a", "audio/x-m4a", "video/x-m4v"}),
    "audio/wav": frozenset({"audio/x-wav", "audio/wave", "audio/vnd.wave"}),
    "application/gzip": frozenset({"application/x-gzip", "application/x-tar"}),
}


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes of a file show, when they show one."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        return "audio/mp4" if brand in (b"M4A ", b"M4B ") else "video/mp4"
    if head[:4] == b"RIFF":
        return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(
            head[8:12])
    for offset, magic, mime in _MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return mime
    return None


def effective_mime(declared: str, sniffed: str | None) -> str:
    """What the file is: the sniffed type, unless the declared one is a kind of it."""
    if sniffed is None or declared == sniffed or declared in _FAMILIES.get(sniffed, ()):
        return declared
    return sniffed


# ---- serving ----------------------------------------------------------------------------------

INLINE_TYPES = frozenset({
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
    "video/mp4", "video/webm", "video/quicktime", "video/ogg",
    "audio/mpeg", "audio/ogg", "audio/mp4", "audio/wav", "audio/webm", "audio/flac", "audio/opus",
})
# Types a browser would run as a page or script: served as opaque bytes.
ACTIVE_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
    "text/javascript", "application/javascript", "application/x-javascript", "text/css",
    "application/x-shockwave-flash", "text/xsl",
})


def served_type(mime: str) -> tuple[str, bool]:
    """The Content-Type to send and whether the browser may show it inline."""
    if mime in INLINE_TYPES:
        return mime, True
    if mime in ACTIVE_TYPES or mime.endswith(("+xml", "/xml")):
        return "application/octet-stream", False
    return mime, False


def content_disposition(name: str, inline: bool) -> str:
    """RFC 6266: an ASCII fallback name and the UTF-8 one, neither able to break the header."""
    name = name or "file"
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%;' else "_" for c in name)
    encoded = urllib.parse.quote(name, safe="")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


class RangeNotSatisfiable(Exception):
    pass


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One byte range `[start, end)` of a file of `size` bytes, or None for the whole file.

    A malformed or multi-part Range header is ignored (RFC 9110 allows it); a well-formed range
    that starts past the end raises `RangeNotSatisfiable` (416).
    """
    if not header:
        return None
    m = _RANGE.fullmatch(header.strip().replace(" ", ""))
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            raise RangeNotSatisfiable()
        return max(0, size - suffix), size
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable()
    end = min(int(last) + 1, size) if last else size
    return start, end


# ---- uploads ------------------------------------------------------------------------------------

def check_upload(size: int, part_size: int, max_size: int) -> int:
    """Check a declared upload; returns its number of parts."""
    if size <= 0:
        raise bad_request("FILE_EMPTY", "an empty file cannot be uploaded")
    if size > max_size:
        raise bad_request("FILE_TOO_BIG", f"the limit is {max_size} bytes")
    if not (1024 <= part_size <= limits.UPLOAD_PART_MAX and part_size % 1024 == 0
            and limits.UPLOAD_PART_MAX % part_size == 0):
        raise bad_request("FILE_PART_SIZE_INVALID", "part_size: 1 KiB .. 512 KiB dividing 512 KiB")
    parts = part_count(size, part_size)
    if parts > max(limits.UPLOAD_PARTS_MAX, part_count(max_size, limits.UPLOAD_PART_MAX)):
        raise bad_request("FILE_PARTS_INVALID", "too many parts: use a larger part_size")
    return parts


def part_count(size: int, part_size: int) -> int:
    return -(-size // part_size)


def part_length(size: int, part_size: int, part: int) -> int:
    """How many bytes part number `part` (from 0) must hold."""
    return min(part_size, size - part * part_size)


# ---- photos -------------------------------------------------------------------------------------

PHOTO_BOXES: tuple[tuple[str, int], ...] = (("s", 90), ("m", 320), ("x", 800), ("y", 1280))
PROFILE_BOXES: tuple[tuple[str, int], ...] = (("a", 160), ("b", 320), ("c", 640))


def check_photo_dimensions(w: int, h: int) -> None:
    """Telegram's rules for a photo, and the guard against decompression bombs."""
    if w <= 0 or h <= 0 or w * h > limits.PHOTO_MAX_PIXELS:
        raise bad_request("PHOTO_INVALID_DIMENSIONS", "the image is too large")
    if w + h > limits.PHOTO_MAX_SIDES or max(w, h) > limits.PHOTO_MAX_RATIO * min(w, h):
        raise bad_request("PHOTO_INVALID_DIMENSIONS", "width + height at most 10000, ratio 20")


def size_plan(w: int, h: int, boxes: tuple[tuple[str, int], ...]) -> list[tuple[str, int, int]]:
    """The sizes to make of a `w`×`h` image: each box in turn, never upscaled, stopping at the
    first box the image fits in (that size is then the image's own)."""
    longest = max(w, h)
    out = []
    for kind, box in boxes:
        scale = min(1.0, box / longest)
        out.append((kind, max(1, round(w * scale)), max(1, round(h * scale))))
        if longest <= box:
            break
    return out
