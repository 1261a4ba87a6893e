"""Phone number normalisation: every number is stored as E.164 with its ISO 3166 region.

Input is always read as international: "77011234567" means +7 701 123 4567, and a leading
"8" (the old trunk prefix in Kazakhstan and Russia) has no special meaning.
"""

from __future__ import annotations

import re

import phonenumbers

from steppe.domain.errors import RpcError, bad_request

MAX_RAW_LENGTH = 32
_ALLOWED = re.compile(r"\+?[0-9\s().\-]+")


def _invalid() -> RpcError:
    return bad_request("PHONE_NUMBER_INVALID", "not a valid phone number")


def _parse(raw: str) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str) or len(raw) > MAX_RAW_LENGTH:
        raise _invalid()
    cleaned = raw.strip()
    if not _ALLOWED.fullmatch(cleaned):
        raise _invalid()
    if not cleaned.startswith("+"):
        cleaned = "+" + cleaned
    try:
        number = phonenumbers.parse(cleaned, None)
    except phonenumbers.NumberParseException:
        raise _invalid() from None
    if not phonenumbers.is_valid_number(number):
        raise _invalid()
    return number


def _region(number: phonenumbers.PhoneNumber) -> str:
    region = phonenumbers.region_code_for_number(number)
    # Non-geographic numbers (+800, +882, ...) report "001", which is no ISO 3166 country.
    if not region or len(region) != 2 or not region.isalpha():
        raise _invalid()
    return region


def normalize_phone(raw: str) -> tuple[str, str]:
    """Return (E.164 number, ISO 3166 alpha-2 region) or raise PHONE_NUMBER_INVALID."""
    number = _parse(raw)
    region = _region(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), region


def country_of(e164: str) -> str:
    """ISO 3166 alpha-2 region of a number; raises PHONE_NUMBER_INVALID when it is not valid."""
    return _region(_parse(e164))
