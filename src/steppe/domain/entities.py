"""Message formatting entities with Telegram's semantics.

Offsets and lengths count UTF-16 code units, as Telegram's do: a character outside the Basic
Multilingual Plane (most emoji) counts two. Everything here is pure and raises `RpcError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import accumulate
from urllib.parse import urlsplit

import msgspec

from steppe.domain.errors import bad_request

ENTITY_TYPES: frozenset[str] = frozenset({
    "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number",
    "bold", "italic", "underline", "strikethrough", "spoiler", "blockquote",
    "expandable_blockquote", "code", "pre", "text_link", "text_mention", "custom_emoji",
})

MAX_ENTITIES = 100
MAX_URL_LENGTH = 2048
LINK_SCHEMES = frozenset({"http", "https", "tg", "mailto"})
CODE_TYPES = frozenset({"code", "pre"})
# Explicit entities of these types keep detected ones out of their range.
_SHIELDING_TYPES = frozenset({
    "code", "pre", "text_link", "text_mention", "custom_emoji",
    "url", "email", "mention", "hashtag", "cashtag", "bot_command", "phone_number",
})


class Entity(msgspec.Struct, omit_defaults=True):
    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    user_id: int | None = None
    custom_emoji_id: str | None = None

    @property
    def end(self) -> int:
        return self.offset + self.length


# --- UTF-16 arithmetic -----------------------------------------------------------------------

def _units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def utf16_len(text: str) -> int:
    """Length of `text` in UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _utf16_prefix(text: str) -> list[int]:
    """`prefix[i]` is the UTF-16 offset of `text[i]`; the last item is the total length."""
    if text.isascii():
        return list(range(len(text) + 1))
    return list(accumulate(map(_units, text), initial=0))


def slice_utf16(text: str, offset: int, length: int) -> str:
    """The part of `text` an entity at (`offset`, `length`) in UTF-16 units covers."""
    raw = text.encode("utf-16-le", "surrogatepass")
    return raw[2 * offset: 2 * (offset + length)].decode("utf-16-le", "surrogatepass")


def _sort_key(entity: Entity) -> tuple[int, int]:
    return (entity.offset, -entity.length)


def _overlaps(a: Entity, b: Entity) -> bool:
    return a.offset < b.end and b.offset < a.end


# --- validation ------------------------------------------------------------------------------

def _check_bounds(entity: Entity, total: int, boundaries: set[int]) -> None:
    offset, length = entity.offset, entity.length
    if not isinstance(offset, int) or not isinstance(length, int):
        raise bad_request("ENTITY_BOUNDS_INVALID", "offset and length must be integers")
    if offset < 0 or length <= 0 or offset + length > total:
        raise bad_request("ENTITY_BOUNDS_INVALID", f"entity {offset}+{length} outside text")
    if offset not in boundaries or offset + length not in boundaries:
        raise bad_request("ENTITY_BOUNDS_INVALID", "entity splits a surrogate pair")


def _valid_link(url: str | None) -> bool:
    if not url or len(url) > MAX_URL_LENGTH or any(ch.isspace() for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in LINK_SCHEMES:
        return False
    if scheme in ("http", "https"):
        return bool(parts.netloc)
    return len(url) > len(scheme) + 1


def _check_attributes(entity: Entity) -> None:
    if entity.type not in ENTITY_TYPES:
        raise bad_request("ENTITY_TYPE_INVALID", f"unknown entity type {entity.type!r}")
    if entity.type == "text_link" and not _valid_link(entity.url):
        raise bad_request("ENTITY_URL_INVALID", "text_link needs an http, https, tg or mailto url")
    if entity.type == "text_mention" and entity.user_id is None:
        raise bad_request("ENTITY_MENTION_USER_INVALID", "text_mention needs a user_id")
    if entity.language is not None and entity.type != "pre":
        raise bad_request("ENTITY_LANGUAGE_INVALID", "only pre entities carry a language")


def _check_nesting(ordered: list[Entity]) -> None:
    """Entities may nest but never cross; code/pre may not overlap one another at all."""
    open_stack: list[Entity] = []
    open_code: list[Entity] = []
    for entity in ordered:
        while open_stack and open_stack[-1].end <= entity.offset:
            open_stack.pop()
        if open_stack and entity.end > open_stack[-1].end:
            raise bad_request("ENTITY_BOUNDS_INVALID", "entities cross each other")
        open_stack.append(entity)
        if entity.type in CODE_TYPES:
            if any(_overlaps(entity, other) for other in open_code):
                raise bad_request("ENTITY_BOUNDS_INVALID", "code and pre entities overlap")
            open_code.append(entity)


def validate_entities(text: str, entities: list[Entity]) -> list[Entity]:
    """Check `entities` against `text` and return them sorted by (offset, -length)."""
    if len(entities) > MAX_ENTITIES:
        raise bad_request("ENTITIES_TOO_LONG", f"at most {MAX_ENTITIES} entities")
    if not entities:
        return []
    prefix = _utf16_prefix(text)
    boundaries = set(prefix)
    for entity in entities:
        _check_attributes(entity)
        _check_bounds(entity, prefix[-1], boundaries)
    ordered = sorted(entities, key=_sort_key)
    _check_nesting(ordered)
    return ordered


# --- detection -------------------------------------------------------------------------------

_COMMON_TLDS = frozenset({
    "com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "app",
    "dev", "io", "ai", "co", "me", "tv", "fm", "ly", "to", "gg", "cc", "xyz", "site", "online",
    "store", "tech", "blog", "news", "shop", "club", "live", "space", "cloud", "page", "link",
    "top", "wiki", "kz", "ru", "ua", "by", "uz", "kg", "tj", "tm", "az", "am", "ge", "md",
    "mn", "cn", "jp", "kr", "in", "id", "th", "vn", "my", "sg", "ph", "hk", "tw", "pk", "ir",
    "tr", "il", "ae", "sa", "uk", "de", "fr", "it", "es", "pt", "nl", "be", "ch", "at", "se",
    "no", "fi", "dk", "pl", "cz", "sk", "hu", "ro", "bg", "gr", "rs", "hr", "si", "lt", "lv",
    "ee", "ie", "is", "lu", "us", "ca", "mx", "br", "ar", "cl", "pe", "au", "nz", "za", "ng",
    "eg", "ke", "eu", "su",
})

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(
        r"(?<![\w.%+\-])[A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*"
        r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w\-])"
    )),
    ("url", re.compile(
        r"(?<![\w@./:\-])(?P<scheme>https?://)?"
        r"(?P<host>(?:[^\W_](?:[\w\-]*[^\W_])?\.)+(?P<tld>[^\W\d_]{2,24})"
        r"|(?:\d{1,3}\.){3}\d{1,3}|localhost)"
        r"(?::\d{1,5})?(?![\w\-])(?P<rest>[/?#][^\s<>\"]*)?",
        re.IGNORECASE,
    )),
    ("bot_command", re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{5,32})?(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#(?=\w*[^\W\d])\w+")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{1,8}(?![\w$])")),
)

_TRAILING_PUNCTUATION = ".,;:!?)\"'"
# Every pattern above needs one of these: an e-mail or a mention "@", a link "." (its host) or
# ":" (a scheme before "localhost"), a command "/", a hashtag "#", a cashtag "$". A text with
# none of them (most messages) has nothing to detect.
_MAY_HOLD_ENTITY = re.compile(r"[.:/@#$]")


def _trim_url(url: str) -> str:
    """Drop trailing punctuation, keeping a closing parenthesis that balances an opening one."""
    while url and url[-1] in _TRAILING_PUNCTUATION:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _url_span(match: re.Match[str]) -> tuple[int, int] | None:
    host, tld = match.group("host"), match.group("tld")
    if match.group("scheme") is None and (tld is None or tld.lower() not in _COMMON_TLDS):
        return None
    if tld is None and host[0].isdigit() and any(int(p) > 255 for p in host.split(".")):
        return None
    text = _trim_url(match.group(0))
    return match.start(), match.start() + len(text)


def _candidates(text: str) -> Iterable[tuple[str, int, int]]:
    """(type, start, end) spans in Python string indices, in priority order."""
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if kind == "url":
                span = _url_span(match)
                if span is not None:
                    yield kind, span[0], span[1]
            else:
                yield kind, match.start(), match.end()


def detect_entities(text: str) -> list[Entity]:
    """Entities a Telegram server finds in plain text by itself; never overlapping, sorted."""
    if _MAY_HOLD_ENTITY.search(text) is None:
        return []
    prefix = _utf16_prefix(text)
    found: list[Entity] = []
    for kind, start, end in _candidates(text):
        if end <= start:
            continue
        entity = Entity(type=kind, offset=prefix[start], length=prefix[end] - prefix[start])
        if not any(_overlaps(entity, other) for other in found):
            found.append(entity)
    return sorted(found, key=_sort_key)


# --- merging ---------------------------------------------------------------------------------

def _crosses(a: Entity, b: Entity) -> bool:
    """True when `a` and `b` overlap without one containing the other."""
    if not _overlaps(a, b):
        return False
    nested = (a.offset <= b.offset and b.end <= a.end) or (b.offset <= a.offset and a.end <= b.end)
    return not nested


def merge_entities(explicit: list[Entity], detected: list[Entity]) -> list[Entity]:
    """Explicit entities plus detected ones they leave room for, sorted by (offset, -length).

    A detected entity is dropped when it overlaps an explicit code, pre, link, mention or other
    auto-detectable entity, or when it would cross any explicit entity (which would make the
    merged list invalid).
    """
    shields = [e for e in explicit if e.type in _SHIELDING_TYPES]
    kept = [
        d for d in detected
        if not any(_overlaps(d, s) for s in shields)
        and not any(_crosses(d, e) for e in explicit)
    ]
    return sorted([*explicit, *kept], key=_sort_key)


AUTO_TYPES = frozenset({"url", "mention", "hashtag", "bot_command", "email"})


def with_detected(text: str, explicit: list[Entity]) -> list[Entity]:
    """What every message carries: its explicit entities plus the links, mentions, hashtags,
    commands and e-mail addresses the server finds in the text and they leave room for."""
    if not text:
        return list(explicit)
    found = [e for e in detect_entities(text) if e.type in AUTO_TYPES]
    if not found:
        return list(explicit)
    merged = merge_entities(list(explicit), found)
    if len(merged) > MAX_ENTITIES:  # the explicit ones first, then what fits
        kept = [e for e in merged if e not in explicit][:max(0, MAX_ENTITIES - len(explicit))]
        merged = sorted([*explicit, *kept], key=_sort_key)
    return merged
