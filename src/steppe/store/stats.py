"""The analytics tables of migration 006: activity marks, pre-aggregated counts, operators.

Statistics queries read only the aggregate tables (a few rows per day and country), so their cost
does not grow with users or messages. Writes arrive in batches from the stats service's flush.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from steppe.domain import stats as dst
from steppe.domain.models import Message
from steppe.store import rows
from steppe.store.db import Database, Db, SqliteDatabase
from steppe.store.rows import MESSAGE_COLUMNS

_ADD_DAILY = ("INSERT INTO stats_daily (day, country, active, signups) VALUES ($1, $2, $3, $4)"
              " ON CONFLICT (day, country) DO UPDATE SET active = stats_daily.active + $3,"
              " signups = stats_daily.signups + $4")
_ADD_MONTHLY = ("INSERT INTO stats_monthly (month, country, active) VALUES ($1, $2, $3)"
                " ON CONFLICT (month, country) DO UPDATE SET active = stats_monthly.active + $3")
_ADD_MESSAGES = ("INSERT INTO stats_messages (day, kind, count) VALUES ($1, $2, $3)"
                 " ON CONFLICT (day, kind) DO UPDATE SET count = stats_messages.count + $3")


class StatsStore:
    def __init__(self, database: Database):
        self.database = database
        # PostgreSQL: nodes flush concurrently, so a user's mark is read under a row lock.
        self._lock = "" if isinstance(database, SqliteDatabase) else " FOR UPDATE"

    # ---- live counting -----------------------------------------------------------------------

    async def record_activity(self, items: Sequence[tuple[int, int]]) -> int:
        """Count (user_id, day) activity: each user once per day and once per month, by country.
        Bots and unknown users are skipped. Returns how many user-days were new."""
        by_user: dict[int, list[int]] = defaultdict(list)
        for user_id, day in items:
            by_user[user_id].append(day)

        async def op(db: Db) -> int:
            daily: Counter[tuple[int, str]] = Counter()
            monthly: Counter[tuple[int, str]] = Counter()
            for user_id, days in by_user.items():
                await self._mark(db, user_id, sorted(set(days)), daily, monthly)
            await db.executemany(_ADD_DAILY, [(d, c, n, 0) for (d, c), n in sorted(daily.items())
                                              if n])
            await db.executemany(_ADD_MONTHLY, [(m, c, n) for (m, c), n in sorted(monthly.items())
                                                if n])
            return sum(daily.values())

        return await self.database.write(op)

    async def _mark(self, db: Db, user_id: int, days: list[int], daily: Counter[tuple[int, str]],
                    monthly: Counter[tuple[int, str]]) -> None:
        user = await db.fetchrow("SELECT country, is_bot FROM users WHERE id = $1", user_id)
        if user is None or user[1] or not user[0]:  # unknown, a bot, or no country
            return
        country = user[0]
        await db.execute("INSERT INTO user_activity (user_id, last_day, days) VALUES ($1, 0, 0)"
                         " ON CONFLICT (user_id) DO NOTHING", user_id)
        mark = await db.fetchrow(
            f"SELECT last_day, days FROM user_activity WHERE user_id = $1{self._lock}", user_id)
        last_day, bits = mark[0], mark[1]
        changed = False
        for day in days:
            last_day, bits, new_day, new_month = dst.mark_day(last_day, bits, day)
            changed |= new_day
            daily[(day, country)] += new_day
            monthly[(dst.month_of_day(day), country)] += new_month
        if changed:
            await db.execute("UPDATE user_activity SET last_day = $2, days = $3 WHERE user_id = $1",
                             user_id, last_day, bits)

    async def drain_messages(self) -> int:
        """Move the queued new messages into the per-day, per-kind counts; returns how many."""

        async def op(db: Db) -> int:
            queued = await db.fetch("DELETE FROM stats_message_queue RETURNING day, kind")
            counts = Counter((r[0], r[1]) for r in queued)
            await db.executemany(_ADD_MESSAGES, [(d, k, n) for (d, k), n in sorted(counts.items())])
            return len(queued)

        return await self.database.write(op)

    # ---- operators ---------------------------------------------------------------------------

    async def set_operator(self, user_id: int, operator: bool, now: int) -> bool:
        """Grant or revoke the role; False when nothing changed."""

        async def op(db: Db) -> bool:
            if operator:
                n = await db.execute("INSERT INTO operators (user_id, granted) VALUES ($1, $2)"
                                     " ON CONFLICT (user_id) DO NOTHING", user_id, now)
            else:
                n = await db.execute("DELETE FROM operators WHERE user_id = $1", user_id)
            return n == 1

        return await self.database.write(op)

    async def is_operator(self, user_id: int) -> bool:
        async def op(db: Db) -> bool:
            return await db.fetchval("SELECT 1 FROM operators WHERE user_id = $1", user_id) is not None

        return await self.database.read(op)

    async def operators(self) -> list[tuple[int, str, str, int]]:
        """(user id, phone, first name, granted) of every operator."""

        async def op(db: Db) -> list[tuple[int, str, str, int]]:
            found = await db.fetch(
                "SELECT o.user_id, u.phone, u.first_name, o.granted FROM operators o"
                " JOIN users u ON u.id = o.user_id ORDER BY o.user_id")
            return [(r[0], r[1] or "", r[2], r[3]) for r in found]

        return await self.database.read(op)

    # ---- reading the aggregates --------------------------------------------------------------

    async def monthly(self, first: int, last: int) -> list[tuple[int, str, int]]:
        """(month, country, active users) for months first..last."""

        async def op(db: Db) -> list[tuple[int, str, int]]:
            found = await db.fetch("SELECT month, country, active FROM stats_monthly"
                                   " WHERE month >= $1 AND month <= $2", first, last)
            return [(r[0], r[1], r[2]) for r in found]

        return await self.database.read(op)

    async def daily(self, first_day: int, last_day: int) -> list[tuple[int, str, int, int]]:
        """(day, country, active users, sign-ups) for days first_day..last_day."""

        async def op(db: Db) -> list[tuple[int, str, int, int]]:
            found = await db.fetch("SELECT day, country, active, signups FROM stats_daily"
                                   " WHERE day >= $1 AND day <= $2", first_day, last_day)
            return [(r[0], r[1], r[2], r[3]) for r in found]

        return await self.database.read(op)

    async def messages(self, first_day: int, last_day: int) -> list[tuple[int, str, int]]:
        """(day, chat kind, messages) for days first_day..last_day."""

        async def op(db: Db) -> list[tuple[int, str, int]]:
            found = await db.fetch("SELECT day, kind, count FROM stats_messages"
                                   " WHERE day >= $1 AND day <= $2", first_day, last_day)
            return [(r[0], r[1], r[2]) for r in found]

        return await self.database.read(op)

    # ---- a channel's own statistics ----------------------------------------------------------

    async def channel_changes(self, chat_id: int, since_day: int) -> list[tuple[int, int, int]]:
        """(day, joins, leaves) of a supergroup or channel from `since_day` on."""

        async def op(db: Db) -> list[tuple[int, int, int]]:
            found = await db.fetch("SELECT day, joins, leaves FROM stats_channel_daily"
                                   " WHERE chat_id = $1 AND day >= $2 ORDER BY day",
                                   chat_id, since_day)
            return [(r[0], r[1], r[2]) for r in found]

        return await self.database.read(op)

    async def recent_posts(self, chat_id: int, limit: int) -> list[Message]:
        """The newest live posts of a channel, with their view and forward counters."""

        async def op(db: Db) -> list[Message]:
            found = await db.fetch(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 AND deleted = 0"
                " AND action IS NULL ORDER BY id DESC LIMIT $2", chat_id, limit)
            return [rows.message(r) for r in found]

        return await self.database.read(op)

    # ---- bulk writes for `steppe admin simulate` ---------------------------------------------

    async def activity_exists(self, first_month: int, last_month: int) -> bool:
        async def op(db: Db) -> bool:
            return await db.fetchval(
                "SELECT 1 FROM stats_monthly WHERE month >= $1 AND month <= $2 AND active > 0"
                " LIMIT 1", first_month, last_month) is not None

        return await self.database.read(op)

    async def insert_users(self, users: Sequence[tuple[str, str, str, int]]) -> None:
        """Accounts (phone, country, first name, created) in one transaction; a phone number that
        is already taken is skipped. The sign-up trigger counts them per day and country."""

        async def op(db: Db) -> None:
            await db.executemany(
                "INSERT INTO users (phone, country, first_name, created, last_seen)"
                " VALUES ($1, $2, $3, $4, $4) ON CONFLICT (phone) DO NOTHING", users)

        await self.database.write(op)

    async def add_counts(self, daily: Sequence[tuple[int, str, int, int]],
                         monthly: Sequence[tuple[int, str, int]],
                         messages: Sequence[tuple[int, str, int]]) -> None:
        """Add to the aggregates: (day, country, active, signups), (month, country, active),
        (day, kind, messages)."""

        async def op(db: Db) -> None:
            await db.executemany(_ADD_DAILY, daily)
            await db.executemany(_ADD_MONTHLY, monthly)
            await db.executemany(_ADD_MESSAGES, messages)

        await self.database.write(op)
