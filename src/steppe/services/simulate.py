"""`steppe admin simulate`: accounts with real-looking phone numbers, and a year of activity.

The model, per country with N users and growth g:
- N / (1 + g) users signed up before the end of the month a year before the target month (spread
  over the two years before that), the rest sign up through the twelve months after, a little
  more each month; every account stays monthly active from its sign-up on, so MAU(target) = N and
  MAU(a year earlier) = N / (1 + g): "12.5 million monthly users in Kazakhstan, up 25 %". With a
  decline (g < 0) nobody new signs up and the surplus stops coming back, evenly through the year.
- DAU on a day is a share (`dau_ratio`, lower at weekends, ±2 % noise) of the accounts that exist.
- Messages per day by chat kind are a multiple of DAU.

Accounts are real rows in `users` (written in large transactions; the sign-up trigger counts them
per day and country exactly as it counts live sign-ups). The activity history is written straight
into the aggregate tables (per day and per month, per country), not as per-user activity: the
aggregates are what the statistics read, and per-user history for 12.5 million users over a year
would be billions of rows that nothing reads.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import phonenumbers

from steppe.domain import stats as dst
from steppe.domain.errors import bad_request
from steppe.services.core import Core
from steppe.store.stats import StatsStore

DEFAULT_MIX = {"KZ": 0.70, "RU": 0.12, "UZ": 0.08, "KG": 0.05, "US": 0.05}
MESSAGE_RATES = {"private": 9.0, "group": 2.5, "supergroup": 3.0, "channel": 0.2}
NAMES = {
    "KZ": ["Aigerim", "Nursultan", "Dana", "Yerlan", "Aruzhan", "Daulet", "Madina", "Askar",
           "Zhanna", "Bauyrzhan", "Saule", "Timur", "Aliya", "Arman", "Gulnara", "Nurlan"],
    "RU": ["Anna", "Ivan", "Maria", "Dmitry", "Olga", "Sergey", "Elena", "Alexey"],
    "UZ": ["Dilnoza", "Jasur", "Malika", "Bekzod", "Nigora", "Sardor"],
    "KG": ["Aizada", "Bakyt", "Cholpon", "Emil", "Nurzhan", "Aibek"],
    "CN": ["Wei", "Fang", "Li", "Jing", "Min", "Lei"],
}
FALLBACK_NAMES = ["Alex", "Sam", "Maria", "John", "Sara", "David", "Lena", "Omar"]
HISTORY_MONTHS = 24  # the earlier users' sign-ups spread over the two years before the window


@dataclass
class Plan:
    countries: dict[str, int]
    month: int
    growth_pct: float = 25.0
    dau_ratio: float = 0.5
    accounts: bool = True
    seed: int = 1
    batch: int = 100_000
    growth_by_country: dict[str, float] = field(default_factory=dict)


@dataclass
class Segment:
    """`count` sign-ups spread evenly over [start, start + span) seconds."""

    start: int
    span: int
    count: int

    def before(self, t: int) -> int:
        """How many of these signed up before time t."""
        x = t - self.start
        if x <= 0:
            return 0
        return min(self.count, (x * self.count + self.span - 1) // self.span)

    def times(self) -> Iterator[int]:
        for j in range(self.count):
            yield self.start + (j * self.span) // self.count


@dataclass
class CountryModel:
    """`users` monthly active in the target month. Growth: newcomers sign up through the year.
    Decline: nobody new, and `churn` of the earlier users stop coming, evenly through the year."""

    country: str
    users: int
    segments: list[Segment] = field(default_factory=list)
    churn: int = 0
    year: tuple[int, int] = (0, 1)  # the end of the month a year before, of the target month

    @property
    def accounts(self) -> int:
        return sum(s.count for s in self.segments)

    def before(self, t: int) -> int:
        return sum(s.before(t) for s in self.segments)

    def active(self, t: int) -> int:
        """Accounts signed up before t and still coming back at t."""
        start, end = self.year
        lost = self.churn * min(max(t - start, 0), end - start) // (end - start)
        return self.before(t) - lost


def _ts(month: int) -> int:
    return dst.first_day(month) * dst.DAY


def _split(total: int, weights: list[float]) -> list[int]:
    """`total` into integer parts proportional to `weights` (largest remainder)."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: parts[i] - raw[i])[: total - sum(parts)]:
        parts[i] += 1
    return parts


def model(country: str, users: int, month: int, growth_pct: float) -> CountryModel:
    base = round(users / (1 + growth_pct / 100))
    ago = dst.year_ago(month)
    start = dst.add_months(ago, 1 - HISTORY_MONTHS)
    out = CountryModel(country, users, churn=max(0, base - users),
                       year=(_ts(dst.add_months(ago, 1)), _ts(dst.add_months(month, 1))))
    out.segments.append(Segment(_ts(start), _ts(dst.add_months(ago, 1)) - _ts(start), base))
    months = [dst.add_months(ago, i) for i in range(1, 13)]
    newcomers = _split(max(0, users - base), [1 + 0.04 * i for i in range(12)])
    for m, count in zip(months, newcomers, strict=True):
        out.segments.append(Segment(_ts(m), _ts(dst.add_months(m, 1)) - _ts(m), count))
    return out


def _weekday_factor(day: int) -> float:
    return (1.0, 1.0, 1.0, 1.0, 1.0, 0.93, 0.9)[(dt.date(1970, 1, 1) + dt.timedelta(day)).weekday()]


def aggregates(models: list[CountryModel], plan: Plan
               ) -> tuple[list[tuple[int, str, int, int]], list[tuple[int, str, int]],
                          list[tuple[int, str, int]]]:
    """The rows the simulated year adds: (day, country, active, sign-ups) — sign-ups only when no
    accounts are written —, (month, country, active), (day, kind, messages)."""
    rng = random.Random(plan.seed)
    window = [dst.add_months(dst.year_ago(plan.month), i) for i in range(13)]
    daily, monthly, kinds = [], [], {}
    for cm in models:
        for m in window:
            monthly.append((m, cm.country, cm.active(_ts(dst.add_months(m, 1)))))
        first = min(s.start for s in cm.segments) // dst.DAY
        for day in range(first, dst.days_in(plan.month).stop):
            end = (day + 1) * dst.DAY
            signups = 0 if plan.accounts else cm.before(end) - cm.before(day * dst.DAY)
            active = 0
            if day >= dst.first_day(window[0]):
                share = plan.dau_ratio * _weekday_factor(day) * rng.uniform(0.98, 1.02)
                active = min(cm.active(end), round(cm.active(end) * share))
                for kind, rate in MESSAGE_RATES.items():
                    kinds[(day, kind)] = kinds.get((day, kind), 0) + round(active * rate)
            if active or signups:
                daily.append((day, cm.country, active, signups))
    messages = [(d, k, n) for (d, k), n in sorted(kinds.items())]
    return daily, monthly, messages


# ---- phone numbers -------------------------------------------------------------------------------

def mobile_blocks(region: str) -> tuple[int, list[str], int]:
    """(calling code, national prefixes whose numbers are valid mobile numbers of `region`,
    digits after the prefix), found from phonenumbers' example mobile number and metadata."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise bad_request("COUNTRY_INVALID", f"no mobile numbers known for {region}")
    national = phonenumbers.national_significant_number(example)
    width = len(national)
    plen = max(1, min(4, width - 4))
    rest = width - plen
    blocks = []
    for x in range(10 ** (plen - 1)):
        prefix = national[0] + f"{x:0{plen - 1}d}" if plen > 1 else national[0]
        if all(_is_mobile(example.country_code, prefix + s, region) for s in _samples(rest)):
            blocks.append(prefix)
    if not blocks:
        blocks = [national[:plen]]
    return example.country_code, blocks, rest


def _samples(rest: int) -> list[str]:
    return [f"{v:0{rest}d}" for v in (0, 10**rest // 3, 10**rest // 2, 10**rest * 7 // 9,
                                       10**rest - 1)]


def _is_mobile(cc: int, national: str, region: str) -> bool:
    number = phonenumbers.PhoneNumber(country_code=cc, national_number=int(national))
    if national.startswith("0"):
        number.italian_leading_zero = True
    kind = phonenumbers.number_type(number)
    return (phonenumbers.is_valid_number_for_region(number, region)
            and kind in (phonenumbers.PhoneNumberType.MOBILE,
                         phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE))


def phone_numbers(region: str, count: int) -> Iterator[str]:
    """`count` distinct valid mobile numbers of `region` in E.164, in ascending order, spread
    evenly over the region's mobile ranges."""
    cc, blocks, rest = mobile_blocks(region)
    capacity = len(blocks) * 10**rest
    if count > capacity:
        raise bad_request("USERS_TOO_MUCH", f"{region} has room for {capacity:,} numbers here")
    step = max(1, capacity // max(count, 1))
    size = 10**rest
    for i in range(count):
        index = i * step + step // 2
        yield f"+{cc}{blocks[index // size]}{index % size:0{rest}d}"


# ---- running it ------------------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]


class Simulator:
    def __init__(self, core: Core):
        self.core = core
        self.store = StatsStore(core.store.database)

    async def run(self, plan: Plan, progress: Progress | None = None) -> dict[str, object]:
        window = (dst.year_ago(plan.month), plan.month)
        if await self.store.activity_exists(*window):
            raise bad_request("STATS_NOT_EMPTY", f"activity for {dst.month_str(window[0])} .."
                              f" {dst.month_str(window[1])} is already recorded: simulate into a"
                              " fresh data folder")
        models = [model(c, n, plan.month, plan.growth_by_country.get(c, plan.growth_pct))
                  for c, n in plan.countries.items()]
        written = 0
        if plan.accounts:
            for cm in models:
                written += await self._accounts(cm, plan, progress)
        daily, monthly, messages = aggregates(models, plan)
        await self.store.add_counts(daily, monthly, messages)
        return {"accounts": written, "countries": {cm.country: cm.accounts for cm in models},
                "aggregate_rows": len(daily) + len(monthly) + len(messages)}

    async def _accounts(self, cm: CountryModel, plan: Plan, progress: Progress | None) -> int:
        names = NAMES.get(cm.country, FALLBACK_NAMES)
        phones = phone_numbers(cm.country, cm.accounts)
        times = (t for s in cm.segments for t in s.times())
        batch: list[tuple[str, str, str, int]] = []
        done = 0
        if progress:
            progress(cm.country, 0, cm.accounts)
        for i, (phone, created) in enumerate(zip(phones, times, strict=True)):
            batch.append((phone, cm.country, names[i % len(names)], created))
            if len(batch) >= plan.batch:
                await self.store.insert_users(batch)
                done += len(batch)
                batch = []
                if progress:
                    progress(cm.country, done, cm.accounts)
        if batch:
            await self.store.insert_users(batch)
            done += len(batch)
            if progress:
                progress(cm.country, done, cm.accounts)
        return done
