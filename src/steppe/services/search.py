"""Searching messages (one chat, or every chat of the reader) and the public directory."""

from __future__ import annotations

import msgspec

from steppe.domain import search as ds
from steppe.domain.errors import bad_request
from steppe.domain.models import Chat, Message, User
from steppe.services.chats import ChatService, Peer
from steppe.services.core import Core
from steppe.services.users import UserService
from steppe.store.search import SearchStore


class Found(msgspec.Struct):
    message: Message
    highlights: list[ds.Highlight]


class SearchResult(msgspec.Struct):
    """A page of matches, newest first; `next_offset` is passed back for the next page."""

    results: list[Found]
    users: list[User]
    chats: list[Chat]
    next_offset: dict[str, int] | None = None


class PublicChat(msgspec.Struct):
    chat: Chat
    username: str


class DirectoryResult(msgspec.Struct):
    users: list[User]
    chats: list[PublicChat]


class SearchService:
    def __init__(self, core: Core, chats: ChatService, users: UserService):
        self.core = core
        self.chats = chats
        self.users = users
        self.store = SearchStore(core.store.database)

    async def in_chat(self, actor: int, peer: Peer, raw_query: str, filters: ds.Filters,
                      offset_id: int, limit: int) -> SearchResult:
        """messages.search: one chat the actor is in; short (1–2 character) queries work here."""
        query, filters = ds.parse_query(raw_query), ds.check_filters(filters)
        if offset_id < 0 or offset_id >= 2**53:
            raise bad_request("MESSAGE_ID_INVALID")
        chat, _ = await self.chats.access(actor, peer)
        limit = ds.page_limit(limit)
        found = await self.store.messages(actor, query, filters, chat_id=chat.id,
                                          before=(0, 0, offset_id) if offset_id else None,
                                          limit=limit)
        nxt = {"offset_id": found[-1].id} if len(found) == limit else None
        return await self._result(actor, query, found, nxt, [chat])

    async def everywhere(self, actor: int, raw_query: str, filters: ds.Filters,
                         offset: tuple[int, int, int], limit: int) -> SearchResult:
        """messages.searchGlobal: every chat the actor is in now."""
        query, filters = ds.parse_query(raw_query), ds.check_filters(filters)
        ds.require_indexed(query)
        if any(v < 0 or v >= 2**53 for v in offset):
            raise bad_request("OFFSET_INVALID")
        limit = ds.page_limit(limit)
        found = await self.store.messages(actor, query, filters, chat_id=None,
                                          before=offset if offset[0] else None, limit=limit)
        nxt = None
        if len(found) == limit:
            last = found[-1]
            nxt = {"offset_date": last.date, "offset_chat_id": last.chat_id, "offset_id": last.id}
        chats = [c for c in [await self.core.chats.get_chat(i)
                             for i in dict.fromkeys(m.chat_id for m in found)] if c]
        return await self._result(actor, query, found, nxt, chats)

    async def _result(self, actor: int, query: ds.Query, found: list[Message],
                      nxt: dict[str, int] | None, chats: list[Chat]) -> SearchResult:
        user_ids = {m.sender_id for m in found}
        user_ids |= {u for c in chats if c.kind == "private" for u in c.user_ids}
        users = await self.users.view(actor, sorted(user_ids))
        results = [Found(m, ds.highlights(m.text, query.terms)) for m in found]
        return SearchResult(results=results, users=users, chats=chats, next_offset=nxt)

    async def directory(self, actor: int, raw_query: str, limit: int) -> DirectoryResult:
        """Public accounts and bots by username prefix, or by a word of their name (the actor's
        contacts by name too, first); public supergroups and channels by username or title."""
        query = ds.parse_query(raw_query.strip().lstrip("@"))
        prefix = query.text
        limit = max(1, min(limit, ds.DIRECTORY_MAX))
        contacts = [u for u in await self.core.store.contacts(actor)
                    if ds.name_matches(f"{u.first_name} {u.last_name}", prefix)
                    or (u.username or "").lower().startswith(prefix.lower())]
        public = await self.store.directory_users(prefix, limit)
        ids = list(dict.fromkeys([u.id for u in contacts] + [u.id for u in public]))[:limit]
        users = await self.users.view(actor, ids)
        chats = [PublicChat(c, u) for c, u in await self.store.directory_chats(prefix, limit)]
        return DirectoryResult(users=users, chats=chats)
