"""The operator's analytics as pure rules: months, countries, growth, who may see statistics, and
the per-user activity mark that makes daily and monthly active counts exact. No I/O.

Days are UTC days since 1970-01-01 (`unix_time // 86400`); months are `yyyymm` integers.
"""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers

from steppe.domain.countries import NAMES
from steppe.domain.errors import bad_request, forbidden

DAY = 86400
_MONTH = re.compile(r"(\d{4})-(\d{2})")
# The activity mark keeps, per user, the last active day and a bit for each of the 63 days up to
# it. A day that arrives late (another node flushed later) is still counted exactly once if it is
# at most LATE_MAX days older than the newest; an older one is dropped.
WINDOW = 63
LATE_MAX = 32
_MASK = (1 << WINDOW) - 1


# ---- months and days ---------------------------------------------------------------------------

def parse_month(raw: str) -> int:
    """'2026-10' -> 202610, or MONTH_INVALID."""
    m = _MONTH.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if m is None or not 1 <= int(m[2]) <= 12 or not 1970 <= int(m[1]) <= 9999:
        raise bad_request("MONTH_INVALID", "a month is written YYYY-MM, e.g. 2026-10")
    return int(m[1]) * 100 + int(m[2])


def month_str(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def add_months(month: int, n: int) -> int:
    index = (month // 100) * 12 + (month % 100 - 1) + n
    return (index // 12) * 100 + index % 12 + 1


def year_ago(month: int) -> int:
    return month - 100


def day_of(unix: int) -> int:
    return unix // DAY


def month_of_day(day: int) -> int:
    d = dt.date(1970, 1, 1) + dt.timedelta(days=day)
    return d.year * 100 + d.month


def first_day(month: int) -> int:
    return (dt.date(month // 100, month % 100, 1) - dt.date(1970, 1, 1)).days


def days_in(month: int) -> range:
    """The days of a month."""
    return range(first_day(month), first_day(add_months(month, 1)))


def day_str(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def months_between(first: int, last: int) -> list[int]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


# ---- countries ---------------------------------------------------------------------------------

def parse_country(raw: str) -> str:
    """An ISO 3166 alpha-2 code phone numbers are issued for ('kz' -> 'KZ'), or COUNTRY_INVALID."""
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise bad_request("COUNTRY_INVALID", f"unknown country code {raw[:8]!r}: use ISO 3166 "
                                             "alpha-2, e.g. KZ")
    return code


def country_name(code: str) -> str:
    return NAMES.get(code) or code or "unknown"


def growth_pct(now: int, before: int) -> float | None:
    """Growth in percent, one decimal; None when there is nothing to compare with."""
    if before <= 0:
        return None
    return round((now - before) * 100 / before, 1)


def ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 3) if whole > 0 else None


def millions(n: int) -> str:
    """12_500_000 -> '12.5 million'; smaller numbers as they are."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".") + " million"
    if n >= 10_000:
        return f"{n / 1000:.0f} thousand"
    return f"{n:,}"


def headline(country: str, mau: int, growth: float | None) -> str:
    """'12.5 million monthly users in Kazakhstan, up 25 % on last year'."""
    text = f"{millions(mau)} monthly users in {country_name(country)}"
    if growth is None:
        return text
    if growth >= 0:
        return f"{text}, up {growth:g} % on last year"
    return f"{text}, down {-growth:g} % on last year"


# ---- access ------------------------------------------------------------------------------------

def check_operator(is_operator: bool) -> None:
    if not is_operator:
        raise forbidden("OPERATOR_REQUIRED", "statistics are for the service's operators")


# ---- the activity mark -------------------------------------------------------------------------

def mark_day(last_day: int, days: int, day: int) -> tuple[int, int, bool, bool]:
    """Note activity on `day` in a user's mark (last active day, bit i = active on last_day - i).

    Returns the new mark and whether the day, and the month, are new for this user: each is
    counted once however often, and in whatever order, the days arrive within LATE_MAX days.
    """
    if days == 0:
        return day, 1, True, True
    if day > last_day:
        shift = day - last_day
        last_day, days = day, ((days << shift) & _MASK if shift < WINDOW else 0)
        bit = 0
    else:
        bit = last_day - day
        if bit > LATE_MAX:
            return last_day, days, False, False
        if days >> bit & 1:
            return last_day, days, False, False
    month = days_in(month_of_day(day))
    newest = max(0, last_day - (month.stop - 1))  # bits of the month's days in the mark
    oldest = min(WINDOW - 1, last_day - month.start)
    in_month = ((1 << (oldest + 1)) - 1) ^ ((1 << newest) - 1) if oldest >= newest else 0
    return last_day, days | 1 << bit, True, not days & in_month
