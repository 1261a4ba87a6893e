"""Checks on user input that need no database: names, usernames, titles, message text."""

from __future__ import annotations

import re

from steppe.domain import limits
from steppe.domain.entities import Entity, utf16_len, validate_entities
from steppe.domain.errors import bad_request

_USERNAME = re.compile(r"[a-z0-9_]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_line(value: str, max_len: int, error: str, *, allow_empty: bool = False) -> str:
    value = value.strip()
    if (not value and not allow_empty) or len(value) > max_len or "\n" in value:
        raise bad_request(error)
    if _CONTROL.search(value):
        raise bad_request(error)
    return value


def first_name(value: str) -> str:
    return clean_line(value, limits.NAME_MAX, "FIRSTNAME_INVALID")


def last_name(value: str) -> str:
    return clean_line(value, limits.NAME_MAX, "LASTNAME_INVALID", allow_empty=True)


def bio(value: str) -> str:
    value = value.strip()
    if len(value) > limits.BIO_MAX or _CONTROL.search(value):
        raise bad_request("ABOUT_TOO_LONG")
    return value


def chat_title(value: str) -> str:
    return clean_line(value, limits.CHAT_TITLE_MAX, "CHAT_TITLE_EMPTY")


def username(value: str) -> str:
    """5–32 of a–z 0–9 _, compared case-insensitively; returns the value as written."""
    value = value.strip().lstrip("@")
    lowered = value.lower()
    if not limits.USERNAME_MIN <= len(value) <= limits.USERNAME_MAX:
        raise bad_request("USERNAME_INVALID")
    if not _USERNAME.fullmatch(lowered) or lowered[0].isdigit() or lowered[0] == "_":
        raise bad_request("USERNAME_INVALID")
    if lowered.endswith("_") or "__" in lowered:
        raise bad_request("USERNAME_INVALID")
    return value


def message_text(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    if not text.strip():
        raise bad_request("MESSAGE_EMPTY")
    if utf16_len(text) > limits.MESSAGE_MAX_CHARS:
        raise bad_request("MESSAGE_TOO_LONG")
    if _CONTROL.search(text.replace("\t", "")):
        raise bad_request("MESSAGE_INVALID", "control characters")
    return text, validate_entities(text, entities)


def caption(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """A media message's text: up to 1024 characters, and it may be empty."""
    if not text.strip():
        if entities:
            raise bad_request("ENTITY_BOUNDS_INVALID", "an empty caption has no entities")
        return "", []
    if utf16_len(text) > limits.CAPTION_MAX_CHARS:
        raise bad_request("MEDIA_CAPTION_TOO_LONG")
    if _CONTROL.search(text.replace("\t", "")):
        raise bad_request("MESSAGE_INVALID", "control characters")
    return text, validate_entities(text, entities)


def message_body(text: str, entities: list[Entity], *, has_media: bool
                 ) -> tuple[str, list[Entity]]:
    """A message's text, or a media message's caption."""
    return caption(text, entities) if has_media else message_text(text, entities)


def password(value: str) -> str:
    if not value or len(value) > limits.PASSWORD_MAX:
        raise bad_request("PASSWORD_INVALID")
    return value
