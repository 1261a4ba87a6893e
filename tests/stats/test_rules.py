"""The pure rules of the analytics: months, countries, growth, and the activity mark."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steppe.domain import stats as dst
from steppe.domain.errors import RpcError


def test_months() -> None:
    assert dst.parse_month(" 2026-10 ") == 202610
    for bad in ("2026-00", "2026-13", "2026-1", "20261", "1969-12", "", "2026-10-01"):
        with pytest.raises(RpcError) as info:
            dst.parse_month(bad)
        assert info.value.type == "MONTH_INVALID"
    assert dst.add_months(202601, -1) == 202512 and dst.add_months(202611, 14) == 202801
    assert dst.year_ago(202610) == 202510
    assert len(dst.days_in(202402)) == 29 and dst.day_str(dst.days_in(202610).start) == "2026-10-01"
    assert dst.month_of_day(dst.days_in(202612).stop - 1) == 202612
    assert dst.months_between(202511, 202602) == [202511, 202512, 202601, 202602]


def test_countries_and_figures() -> None:
    assert dst.parse_country("kz") == "KZ" and dst.country_name("KZ") == "Kazakhstan"
    for bad in ("XX", "KAZ", "", "k"):
        with pytest.raises(RpcError) as info:
            dst.parse_country(bad)
        assert info.value.type == "COUNTRY_INVALID"
    assert dst.growth_pct(12_500_000, 10_000_000) == 25.0 and dst.growth_pct(5, 0) is None
    assert dst.headline("KZ", 12_500_000, 25.0) == (
        "12.5 million monthly users in Kazakhstan, up 25 % on last year")
    assert dst.headline("RU", 2_000_000, -3.5).endswith("down 3.5 % on last year")
    with pytest.raises(RpcError) as info:
        dst.check_operator(False)
    assert (info.value.code, info.value.type) == (403, "OPERATOR_REQUIRED")


@given(st.lists(st.integers(20_400, 20_520), min_size=1, max_size=40), st.randoms())
def test_each_day_and_month_counted_once(days: list[int], rnd: object) -> None:
    """Whatever the order (within LATE_MAX days of the newest), each day and each month is new
    exactly once — the same as keeping every (user, day) forever."""
    last, bits, newest = 0, 0, -1
    seen_days: set[int] = set()
    seen_months: set[int] = set()
    for day in days:
        late = newest - day > dst.LATE_MAX
        last, bits, new_day, new_month = dst.mark_day(last, bits, day)
        newest = max(newest, day)
        if late:
            assert not new_day and not new_month
            continue
        assert new_day == (day not in seen_days)
        assert new_month == (dst.month_of_day(day) not in seen_months)
        seen_days.add(day)
        seen_months.add(dst.month_of_day(day))
        assert 0 <= bits < 2**63
