"""Search queries: validation, terms, filters and the matched parts of a text. No I/O.

A query is split on whitespace into terms; a message matches when it contains every term as a
substring, case-insensitively, in any script. Terms of 3 characters or more go to the trigram
index; shorter ones are checked with LIKE on the candidates (or, when every term is short, on one
chat's messages only: a search across all chats needs at least one term of 3 characters).
"""

from __future__ import annotations

import itertools
import re

import msgspec

from steppe.domain.entities import utf16_len
from steppe.domain.errors import bad_request

QUERY_MAX = 256
TERMS_MAX = 8
INDEXED_MIN = 3  # the trigram index cannot answer a shorter term
PAGE_MAX = 100
DIRECTORY_MAX = 50
CHAT_KINDS = ("private", "group", "supergroup", "channel")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Highlight(msgspec.Struct):
    """A matched part of a message's text, in UTF-16 code units like entities."""

    offset: int
    length: int


class Query(msgspec.Struct, frozen=True):
    text: str
    terms: tuple[str, ...]

    @property
    def indexed(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) >= INDEXED_MIN)

    @property
    def short(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) < INDEXED_MIN)


class Filters(msgspec.Struct, frozen=True):
    sender_id: int | None = None
    min_date: int = 0
    max_date: int = 0
    chat_kind: str | None = None
    has_media: bool | None = None


def parse_query(raw: str) -> Query:
    """A clean query or SEARCH_QUERY_EMPTY / SEARCH_QUERY_TOO_LONG / SEARCH_QUERY_INVALID."""
    text = " ".join(raw.split())
    if not text:
        raise bad_request("SEARCH_QUERY_EMPTY", "type something to search for")
    if len(raw) > QUERY_MAX * 4 or len(text) > QUERY_MAX:
        raise bad_request("SEARCH_QUERY_TOO_LONG", f"at most {QUERY_MAX} characters")
    if _CONTROL.search(text):
        raise bad_request("SEARCH_QUERY_INVALID", "control characters")
    terms = tuple(dict.fromkeys(text.split(" ")))
    if len(terms) > TERMS_MAX:
        raise bad_request("SEARCH_QUERY_TOO_LONG", f"at most {TERMS_MAX} words")
    return Query(text=text, terms=terms)


def require_indexed(query: Query) -> None:
    """A search over all chats needs a term the index can answer."""
    if not query.indexed:
        raise bad_request("SEARCH_QUERY_TOO_SHORT",
                          f"searching all chats needs a word of {INDEXED_MIN} characters or more")


def check_filters(f: Filters) -> Filters:
    if f.min_date < 0 or f.max_date < 0 or (f.max_date and f.min_date > f.max_date):
        raise bad_request("DATE_RANGE_INVALID", "min_date must not be after max_date")
    if f.chat_kind is not None and f.chat_kind not in CHAT_KINDS:
        raise bad_request("CHAT_KIND_INVALID", f"one of {', '.join(CHAT_KINDS)}")
    if f.sender_id is not None and not 0 < f.sender_id < 2**53:
        raise bad_request("FROM_ID_INVALID")
    return f


def page_limit(limit: int) -> int:
    return max(1, min(limit, PAGE_MAX))


def chat_token(chat_id: int) -> str:
    """What the index holds in its `chat` column: delimited, so `<12>` never matches `<123>`."""
    return f"<{chat_id}>"


def fts_match(terms: tuple[str, ...], chat_id: int | None = None, column: str = "text") -> str:
    """An FTS5 query: every term a quoted string in `column` (so no character is an operator),
    ANDed; with `chat_id`, only that chat's messages."""
    parts = [f'{column} : "' + t.replace('"', '""') + '"' for t in terms]
    if chat_id is not None:
        parts.append(f'chat : "{chat_token(chat_id)}"')
    return " AND ".join(parts)


def like_pattern(term: str) -> str:
    """`%term%` for `LIKE ... ESCAPE '\\'`."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def case_variants(term: str) -> list[str]:
    """Every upper/lower spelling of a short term, so a case-sensitive LIKE (PostgreSQL; SQLite
    beyond ASCII) still finds it case-insensitively. At most 2**len(term) spellings."""
    choices = []
    for ch in term:
        lo, up = ch.lower(), ch.upper()
        options = {ch}
        if len(lo) == 1:
            options.add(lo)
        if len(up) == 1:
            options.add(up)
        choices.append(sorted(options))
    return ["".join(p) for p in itertools.product(*choices)]


def _fold(text: str) -> str:
    """Lower case one character for one, so offsets in the folded text are offsets in `text`."""
    return "".join(lo if len(lo := ch.lower()) == 1 else ch for ch in text)


def highlights(text: str, terms: tuple[str, ...]) -> list[Highlight]:
    """Where the terms occur in `text` (case-insensitively), merged, in UTF-16 units."""
    folded = _fold(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        needle = _fold(term)
        start = folded.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out = []
    for a, b in merged:
        offset = utf16_len(text[:a])
        out.append(Highlight(offset=offset, length=utf16_len(text[a:b])))
    return out


def name_matches(name: str, prefix: str) -> bool:
    """Whether some word of `name` (or the whole of it) starts with `prefix`, ignoring case."""
    name, prefix = _fold(name), _fold(prefix)
    return name.startswith(prefix) or any(w.startswith(prefix) for w in name.split())
