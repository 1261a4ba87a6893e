"""Reactions on messages of any chat: a per-chat allowed set and per-user limit, counts on the
message, who reacted (where the chat shows it)."""

from __future__ import annotations

import msgspec

from steppe.domain import access, limits
from steppe.domain import channels as ch
from steppe.domain.errors import bad_request
from steppe.domain.models import Chat, ReactionCount, User
from steppe.services.channel_messages import ChannelMessages
from steppe.services.chats import Peer
from steppe.store.reactions import ReactionStore


class MessageReactions(msgspec.Struct):
    id: int
    reactions: list[ReactionCount]
    chosen: list[str]


class Reactor(msgspec.Struct):
    user_id: int
    reaction: str
    date: int


class ReactorsPage(msgspec.Struct, omit_defaults=True):
    reactions: list[Reactor]
    users: list[User]
    next_offset: str | None = None


class ReactionService:
    def __init__(self, messages: ChannelMessages):
        self.messages = messages
        self.core = messages.core
        self.channels = messages.channels
        self.store = ReactionStore(self.core.store.database)

    async def _member_chat(self, actor: int, peer: Peer) -> Chat:
        """Reacting and voting take membership: reading a public chat is not enough."""
        return await self.messages.readable(actor, peer, preview=False)

    async def send(self, actor: int, peer: Peer, msg_id: int, reactions: list[str]
                   ) -> MessageReactions:
        """Set the actor's reactions on a message (messages.sendReaction); [] removes them."""
        chat = await self._member_chat(actor, peer)
        found = await self.core.chats.get_messages(chat.id, [msg_id]) if 0 < msg_id < 2**53 else []
        if not found or found[0].action is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        chosen = list(dict.fromkeys(reactions))
        access.check_react(await self.channels.store.info(chat.id), chosen)
        msg, out = await self.store.react(chat.id, msg_id, actor, chosen, self.core.clock.now())
        self.core.publish(out)
        return MessageReactions(id=msg_id, reactions=(msg or found[0]).reactions, chosen=chosen)

    async def of_messages(self, actor: int, peer: Peer, ids: list[int]) -> list[MessageReactions]:
        """Counts and the actor's own reactions (messages.getMessagesReactions)."""
        chat = await self.messages.readable(actor, peer)
        if not ids or len(ids) > limits.HISTORY_PAGE_MAX:
            raise bad_request("MESSAGE_ID_INVALID")
        msgs = await self.core.chats.get_messages(chat.id, list(dict.fromkeys(ids)))
        mine = await self.store.chosen(chat.id, [m.id for m in msgs], actor)
        return [MessageReactions(id=m.id, reactions=m.reactions, chosen=mine.get(m.id, []))
                for m in msgs]

    async def reactors(self, actor: int, peer: Peer, msg_id: int, reaction: str | None,
                       offset: str, limit: int) -> ReactorsPage:
        """Who reacted, the latest first (messages.getMessageReactionsList)."""
        chat = await self._member_chat(actor, peer)
        access.check_reactors_visible(chat)
        if reaction is not None and reaction not in ch.STANDARD_REACTIONS:
            raise bad_request("REACTION_INVALID")
        after = None
        if offset:
            try:
                date, user, last = offset.split(":", 2)
                after = (int(date), int(user), last)
            except ValueError:
                raise bad_request("OFFSET_INVALID")
        limit = max(1, min(limit, 100))
        rows = await self.store.reactors(chat.id, msg_id, reaction, after, limit)
        page = [Reactor(u, r, d) for u, r, d in rows]
        users = await self.channels.users.view(actor, [r.user_id for r in page])
        end = page[-1] if page else None
        nxt = f"{end.date}:{end.user_id}:{end.reaction}" if end and len(page) == limit else None
        return ReactorsPage(reactions=page, users=users, next_offset=nxt)
