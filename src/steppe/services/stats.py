"""The operator's analytics: noting activity cheaply, flushing it in batches, and the reports.

`note_active` runs inside every authorized request (AuthService.resolve): it only touches an
in-memory set, so a user costs one set lookup per request and one queued item per day. `flush`
(every few seconds, from the app's housekeeping) writes the queued user-days and the queued
message counts in a few transactions.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

from steppe.domain import access
from steppe.domain import stats as dst
from steppe.domain.errors import bad_request
from steppe.domain.models import User
from steppe.services.core import Core
from steppe.store.channels import ChannelStore
from steppe.store.stats import StatsStore

FLUSH_CHUNK = 2000
HISTORY_MAX_MONTHS = 120
CHANNEL_DAYS_MAX = 365
CHANNEL_POSTS_MAX = 100


class StatsService:
    def __init__(self, core: Core):
        self.core = core
        self.store = StatsStore(core.store.database)
        self._channels = ChannelStore(core.store.database)
        self._day = -1
        self._today: set[int] = set()
        self._pending: list[tuple[int, int]] = []
        self._flushing = asyncio.Lock()

    # ---- counting ----------------------------------------------------------------------------

    def note_active(self, user_id: int, now: int) -> None:
        """A user made an authorized request: remember it once per day, in memory only."""
        day = now // dst.DAY
        if day != self._day:
            self._day, self._today = day, set()
        if user_id not in self._today:
            self._today.add(user_id)
            self._pending.append((user_id, day))

    async def flush(self) -> None:
        """Write the queued activity and message counts (a failed batch is queued again). One
        flush at a time: a caller returns once everything queued before it is written."""
        async with self._flushing:
            pending, self._pending = self._pending, []
            for i in range(0, len(pending), FLUSH_CHUNK):
                try:
                    await self.store.record_activity(pending[i:i + FLUSH_CHUNK])
                except Exception:
                    self._pending[:0] = pending[i:]
                    raise
            await self.store.drain_messages()

    # ---- the operator role -------------------------------------------------------------------

    async def require_operator(self, actor: int) -> None:
        dst.check_operator(await self.store.is_operator(actor))

    async def is_operator(self, actor: int) -> bool:
        return await self.store.is_operator(actor)

    async def find_user(self, who: str) -> User:
        """A user named by id or by phone number (`steppe admin operator grant ...`)."""
        from steppe.domain.phone import normalize_phone

        who = who.strip()
        if who.isdigit() and not who.startswith("+"):
            found = await self.core.store.get_users([int(who)])
            if int(who) in found:
                return found[int(who)]
        try:
            phone, _ = normalize_phone(who)
        except Exception:  # noqa: BLE001 - reported below as one clear error
            raise bad_request("USER_ID_INVALID", f"no user with id or phone {who[:32]!r}") from None
        user = await self.core.store.user_by_phone(phone)
        if user is None:
            raise bad_request("USER_ID_INVALID", f"no user with id or phone {who[:32]!r}")
        return user

    async def set_operator(self, who: str, operator: bool) -> tuple[User, bool]:
        user = await self.find_user(who)
        return user, await self.store.set_operator(user.id, operator, self.core.clock.now())

    async def operators(self) -> list[dict[str, Any]]:
        return [{"user_id": u, "phone": p, "first_name": n, "granted": g}
                for u, p, n, g in await self.store.operators()]

    # ---- reports (actor None: the CLI, which the operator runs on the server itself) ---------

    async def _check(self, actor: int | None) -> None:
        if actor is not None:
            await self.require_operator(actor)

    def _counted_days(self, month: int) -> range:
        """The month's days up to today (all of them for a past month)."""
        days = dst.days_in(month)
        today = dst.day_of(self.core.clock.now())
        return range(days.start, min(days.stop, today + 1))

    async def report(self, actor: int | None, month_raw: str,
                     countries: list[str] | None = None) -> dict[str, Any]:
        """Per country: MAU, the same month a year earlier and the growth; average DAU and
        DAU/MAU; sign-ups. Then messages per day by chat kind."""
        started = time.perf_counter()
        await self._check(actor)
        month = dst.parse_month(month_raw)
        only = {dst.parse_country(c) for c in countries} if countries else None
        ago = dst.year_ago(month)
        days = self._counted_days(month)
        mau: dict[str, int] = defaultdict(int)
        mau_ago: dict[str, int] = defaultdict(int)
        for m, country, active in await self.store.monthly(ago, month):
            if m == month:
                mau[country] += active
            elif m == ago:
                mau_ago[country] += active
        dau_sum: dict[str, int] = defaultdict(int)
        signups: dict[str, int] = defaultdict(int)
        month_days = dst.days_in(month)
        for day, country, active, new in await self.store.daily(month_days.start,
                                                                 month_days.stop - 1):
            if day in days:
                dau_sum[country] += active
            signups[country] += new
        names = sorted(set(mau) | set(mau_ago) | set(signups) | set(dau_sum))
        names = [c for c in names if only is None or c in only]
        rows = [self._row(c, mau[c], mau_ago[c], dau_sum[c], len(days), signups[c]) for c in names]
        rows.sort(key=lambda r: (-r["mau"], r["country"]))
        total = self._row("ALL", sum(mau[c] for c in names), sum(mau_ago[c] for c in names),
                          sum(dau_sum[c] for c in names), len(days), sum(signups[c] for c in names))
        top = rows[0] if rows and rows[0]["mau"] else None
        return {
            "month": dst.month_str(month), "year_ago": dst.month_str(ago), "days": len(days),
            "countries": rows, "total": total,
            "headline": dst.headline(top["country"], top["mau"], top["growth_pct"]) if top else "",
            "messages": await self._messages(month, days),
            "query_ms": round((time.perf_counter() - started) * 1000, 2),
        }

    @staticmethod
    def _row(country: str, mau: int, ago: int, dau_sum: int, days: int, signups: int
             ) -> dict[str, Any]:
        dau = round(dau_sum / days) if days else 0
        return {"country": country, "name": "All countries" if country == "ALL"
                else dst.country_name(country), "mau": mau, "mau_year_ago": ago,
                "growth_pct": dst.growth_pct(mau, ago), "dau": dau, "dau_mau": dst.ratio(dau, mau),
                "signups": signups}

    async def _messages(self, month: int, days: range) -> dict[str, Any]:
        month_days = dst.days_in(month)
        per_day: dict[int, dict[str, int]] = {d: {} for d in month_days}
        kinds: set[str] = set()
        for day, kind, count in await self.store.messages(month_days.start, month_days.stop - 1):
            per_day[day][kind] = per_day[day].get(kind, 0) + count
            kinds.add(kind)
        totals = {k: sum(per_day[d].get(k, 0) for d in month_days) for k in sorted(kinds)}
        counted = {k: sum(per_day[d].get(k, 0) for d in days) for k in sorted(kinds)}
        return {
            "per_day": {k: round(v / len(days)) if days else 0 for k, v in counted.items()},
            "total": totals,
            "days": [{"date": dst.day_str(d), **per_day[d]} for d in month_days],
        }

    async def mau_history(self, actor: int | None, first_raw: str, last_raw: str,
                          countries: list[str] | None = None) -> dict[str, Any]:
        """MAU per country for each month first..last (for the operator page's chart)."""
        await self._check(actor)
        first, last = dst.parse_month(first_raw), dst.parse_month(last_raw)
        months = dst.months_between(first, last)
        if not months or len(months) > HISTORY_MAX_MONTHS:
            raise bad_request("MONTH_RANGE_INVALID",
                              f"from must not be after to, at most {HISTORY_MAX_MONTHS} months")
        only = {dst.parse_country(c) for c in countries} if countries else None
        index = {m: i for i, m in enumerate(months)}
        series: dict[str, list[int]] = {}
        for m, country, active in await self.store.monthly(first, last):
            if only is None or country in only:
                series.setdefault(country, [0] * len(months))[index[m]] += active
        total = [sum(s[i] for s in series.values()) for i in range(len(months))]
        ordered = dict(sorted(series.items(), key=lambda kv: (-kv[1][-1], kv[0])))
        return {"months": [dst.month_str(m) for m in months], "countries": ordered,
                "names": {c: dst.country_name(c) for c in ordered}, "total": total}

    async def daily(self, actor: int | None, month_raw: str, country: str | None = None
                    ) -> dict[str, Any]:
        """Active users and sign-ups per day of a month, per country (or one country)."""
        await self._check(actor)
        month = dst.parse_month(month_raw)
        only = dst.parse_country(country) if country else None
        days = dst.days_in(month)
        active: dict[str, list[int]] = {}
        signups: dict[str, list[int]] = {}
        for day, c, a, s in await self.store.daily(days.start, days.stop - 1):
            if only is None or c == only:
                active.setdefault(c, [0] * len(days))[day - days.start] += a
                signups.setdefault(c, [0] * len(days))[day - days.start] += s
        return {"month": dst.month_str(month), "days": [dst.day_str(d) for d in days],
                "active": active, "signups": signups}

    # ---- a channel's statistics, for its admins -------------------------------------------------

    async def channel(self, actor: int, chat_id: int, days: int = 30, posts: int = 50
                      ) -> dict[str, Any]:
        """Subscribers at the end of each of the last `days` days (walked back from today's count
        through the joins and leaves of the admin log), and views and forwards of the newest
        `posts` posts. Admins of the supergroup or channel only."""
        if not 1 <= days <= CHANNEL_DAYS_MAX or not 1 <= posts <= CHANNEL_POSTS_MAX:
            raise bad_request("LIMIT_INVALID", f"days 1..{CHANNEL_DAYS_MAX}, posts"
                                               f" 1..{CHANNEL_POSTS_MAX}")
        chat, info, p = await self._channels.context(chat_id, actor, self.core.clock.now())
        p = access.access_channel(chat, p, info)
        access.check_any_admin(p)
        assert chat is not None
        today = dst.day_of(self.core.clock.now())
        first = today - days + 1
        changes = {d: (j, lv) for d, j, lv in await self.store.channel_changes(chat.id, first)}
        series, count = [], chat.member_count
        for day in range(today, first - 1, -1):
            joins, leaves = changes.get(day, (0, 0))
            series.append({"date": dst.day_str(day), "subscribers": count, "joined": joins,
                           "left": leaves})
            count -= joins - leaves
        recent = await self.store.recent_posts(chat.id, posts)
        post_rows = [{"id": m.id, "date": m.date, "views": m.views or 0,
                      "forwards": m.forwards or 0, "text": m.text[:80]} for m in recent]
        n = len(post_rows) or 1
        return {
            "chat_id": chat.id, "kind": chat.kind, "subscribers": chat.member_count,
            "days": series[::-1], "posts": post_rows,
            "mean_views": round(sum(r["views"] for r in post_rows) / n, 1),
            "mean_forwards": round(sum(r["forwards"] for r in post_rows) / n, 1),
        }
