"""Client methods for search and for the operator's statistics.

Search: `messages.search` (one chat), `messages.searchGlobal` (every chat of the caller),
`contacts.searchDirectory` (public accounts, bots, and later public groups and channels).
Statistics (operators only, everyone else gets 403 OPERATOR_REQUIRED): `stats.getRole`,
`stats.getReport`, `stats.getActiveUsers`, `stats.getMauHistory`, `stats.getDailyActive`,
`stats.getMessageStats`; `stats.getBroadcastStats` for a channel's admins.
"""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.api.hub import Hub
from steppe.api.registry import Call, Empty, Registry
from steppe.domain.search import Filters
from steppe.services.chats import Peer
from steppe.services.container import Services


class _P(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of these parameter structs: unknown fields are refused."""


class SearchChat(_P):
    peer: Peer
    q: str
    from_id: int | None = None
    min_date: int = 0
    max_date: int = 0
    has_media: bool | None = None
    offset_id: int = 0
    limit: int = 20


class SearchGlobal(_P):
    q: str
    from_id: int | None = None
    min_date: int = 0
    max_date: int = 0
    chat_kind: str | None = None
    has_media: bool | None = None
    offset_date: int = 0
    offset_chat_id: int = 0
    offset_id: int = 0
    limit: int = 20


class SearchDirectory(_P):
    q: str
    limit: int = 20


class MonthParams(_P):
    month: str
    countries: list[str] | None = None


class MonthOnly(_P):
    month: str


class HistoryParams(_P):
    from_month: str
    to_month: str
    countries: list[str] | None = None


class DailyParams(_P):
    month: str
    country: str | None = None


class ChannelParams(_P):
    chat_id: int
    days: int = 30
    posts: int = 50


def register(r: Registry, s: Services, hub: Hub) -> None:
    # ---- search ------------------------------------------------------------------------------
    @r.method("messages.search", SearchChat)
    async def search_chat(c: Call, p: SearchChat) -> Any:
        """Messages of one chat containing every word of `q` (parts of words too, any script),
        newest first, each with `highlights` (UTF-16 offset and length of the matched parts).
        Filters: `from_id`, `min_date`/`max_date`, `has_media`. Next page: `next_offset`."""
        f = Filters(sender_id=p.from_id, min_date=p.min_date, max_date=p.max_date,
                    has_media=p.has_media)
        return await s.search.in_chat(c.user_id, p.peer, p.q, f, p.offset_id, p.limit)

    @r.method("messages.searchGlobal", SearchGlobal)
    async def search_global(c: Call, p: SearchGlobal) -> Any:
        """Like messages.search across every chat the caller is in now (a word of 3+
        characters needed). Also filters by `chat_kind`; pages by (date, chat, id)."""
        f = Filters(sender_id=p.from_id, min_date=p.min_date, max_date=p.max_date,
                    chat_kind=p.chat_kind, has_media=p.has_media)
        return await s.search.everywhere(c.user_id, p.q, f,
                                         (p.offset_date, p.offset_chat_id, p.offset_id), p.limit)

    @r.method("contacts.searchDirectory", SearchDirectory)
    async def search_directory(c: Call, p: SearchDirectory) -> Any:
        """Public accounts and bots whose username or a word of whose name starts with `q`
        (your contacts by name first); public groups and channels once they have usernames."""
        return await s.search.directory(c.user_id, p.q, p.limit)

    # ---- statistics --------------------------------------------------------------------------
    @r.method("stats.getRole", Empty)
    async def get_role(c: Call, p: Empty) -> Any:
        """Whether the caller is an operator (the web client shows the operator page then)."""
        return {"operator": await s.stats.is_operator(c.user_id)}

    @r.method("stats.getReport", MonthParams)
    async def get_report(c: Call, p: MonthParams) -> Any:
        """Everything `steppe admin stats` prints for a month (YYYY-MM): per country MAU, MAU a
        year earlier, growth %, average DAU, DAU/MAU, sign-ups; messages per day by chat kind."""
        return await s.stats.report(c.user_id, p.month, p.countries)

    @r.method("stats.getActiveUsers", MonthParams)
    async def get_active_users(c: Call, p: MonthParams) -> Any:
        """The growth table of stats.getReport without the messages."""
        report = await s.stats.report(c.user_id, p.month, p.countries)
        report.pop("messages")
        return report

    @r.method("stats.getMauHistory", HistoryParams)
    async def get_mau_history(c: Call, p: HistoryParams) -> Any:
        """MAU per country for each month from..to (at most 120 months), for a chart."""
        return await s.stats.mau_history(c.user_id, p.from_month, p.to_month, p.countries)

    @r.method("stats.getDailyActive", DailyParams)
    async def get_daily_active(c: Call, p: DailyParams) -> Any:
        """Active users and sign-ups per day of a month, per country."""
        return await s.stats.daily(c.user_id, p.month, p.country)

    @r.method("stats.getMessageStats", MonthOnly)
    async def get_message_stats(c: Call, p: MonthOnly) -> Any:
        """Messages per day by chat kind for a month."""
        report = await s.stats.report(c.user_id, p.month)
        return {"month": report["month"], **report["messages"]}

    @r.method("stats.getBroadcastStats", ChannelParams)
    async def get_broadcast_stats(c: Call, p: ChannelParams) -> Any:
        """A supergroup's or channel's statistics for its admins: subscribers at the end of each
        of the last `days` days (joined, left), views and forwards of the newest `posts` posts."""
        return await s.stats.channel(c.user_id, p.chat_id, p.days, p.posts)
