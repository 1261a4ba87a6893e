"""Sending, editing, deleting, pinning and reading messages."""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from steppe.domain import access, limits, validate
from steppe.domain.entities import Entity, with_detected
from steppe.domain.errors import RpcError, bad_request
from steppe.domain.models import Chat, Draft, Forward, Member, Message
from steppe.domain.updates import Typing, encode
from steppe.services.chats import ChatService, Peer
from steppe.services.core import Core

TYPING_ACTIONS = frozenset({"typing", "cancel", "record_voice", "upload_photo", "upload_document",
                            "choose_sticker", "record_video"})


def _check_ids(ids: list[int], most: int) -> list[int]:
    ids = list(dict.fromkeys(ids))
    if not ids or len(ids) > most or any(i <= 0 or i >= 2**53 for i in ids):
        raise bad_request("MESSAGE_ID_INVALID")
    return ids


_BARE = Draft()


def _plain(draft: Draft) -> bool:
    """Only text, entities, random_id and silent: no reply, schedule, thread or whatever a
    later field adds (each of those takes the full path)."""
    return msgspec.structs.replace(draft, text="", entities=[], random_id=None,
                                   silent=False) == _BARE


class Extension(Protocol):
    """Supergroups and channels (services/channel_messages.py): their own rules for sending,
    editing, deleting, pinning and reading, and what a message of any chat may carry besides
    its text (a schedule date, a thread, a poll). Wired by services/container.py."""

    def owns(self, chat: Chat) -> bool: ...
    async def store(self, actor: int, chat: Chat, member: Member, template: Message,
                    random_id: int | None) -> Message: ...
    async def post_plain(self, actor: int, template: Message, random_id: int | None
                         ) -> Message | None: ...
    async def edit(self, actor: int, chat: Chat, msg: Message, text: str,
                   entities: list[Entity]) -> Message: ...
    async def delete(self, actor: int, chat: Chat, found: list[Message]) -> list[int]: ...
    async def pin(self, actor: int, chat: Chat, msg: Message, pinned: bool) -> None: ...
    async def read(self, actor: int, chat: Chat, max_id: int) -> int: ...
    async def store_media(self, actor: int, chat: Chat, templates: list[Message],
                          random_ids: list[int | None], photos: list[Any]) -> list[Message]: ...


class MessageService:
    def __init__(self, core: Core, chats: ChatService):
        self.core = core
        self.chats = chats
        self.ext: Extension | None = None

    def _extended(self, chat: Chat) -> bool:
        return self.ext is not None and self.ext.owns(chat)

    async def _store(self, actor: int, chat: Chat, member: Member, template: Message,
                     random_id: int | None) -> Message:
        if self.ext is not None:
            return await self.ext.store(actor, chat, member, template, random_id)
        sent = await self.core.send_as_member(template, random_id)  # the membership checked again
        if sent is None:
            access.access_chat(chat, None)  # no longer in the chat: its refusal
        assert sent is not None
        return sent

    async def send(self, actor: int, peer: Peer, draft: Draft) -> Message:
        """Check and store a new message; a retried `random_id` returns the stored one, whatever
        else the retry says and whatever changed since (the sender may have left the chat)."""
        try:
            return await self._send(actor, peer, draft)
        except RpcError:
            if draft.random_id is not None:
                done = await self.core.messages.by_random_id(actor, draft.random_id)
                if done is not None:
                    return done
            raise

    async def _send(self, actor: int, peer: Peer, draft: Draft) -> Message:
        text, entities = validate.message_text(draft.text, draft.entities)
        entities = with_detected(text, entities)  # links, mentions, /commands: for every client
        if _plain(draft):
            # A plain message to a chat seen before: membership, rights and the chat's kind are
            # checked by the write itself, and a taken random_id by its unique index; anything
            # else (a chat not seen yet, a refusal) takes the full path below.
            hints = self.chats.hints
            basic = hints.basic_chat_id(actor, peer)
            big = hints.big_chat_id(peer) if basic is None and self.ext is not None else None
            if basic is not None or big is not None:
                template = Message(chat_id=basic or big or 0, id=0, sender_id=actor,
                                   date=self.core.clock.now(), text=text, entities=entities,
                                   silent=draft.silent)  # all that a plain draft holds
                if big is not None and self.ext is not None:
                    done = await self.ext.post_plain(actor, template, draft.random_id)
                    if done is not None:
                        return done
                elif (sent := await self.core.send_as_member(template, draft.random_id)):
                    return sent
        if draft.random_id is not None:
            done = await self.core.messages.by_random_id(actor, draft.random_id)
            if done is not None:
                return done
        # A reply needs a chat that exists already: a refused send must not start a chat.
        chat, member = await self.chats.access(actor, peer, create=draft.reply_to is None)
        if not self._extended(chat):
            access.check_send(chat, member)
        reply_to = draft.reply_to
        if reply_to is not None and not await self.core.chats.get_messages(chat.id, [reply_to]):
            raise bad_request("REPLY_MESSAGE_INVALID")
        fields = msgspec.structs.asdict(draft)
        fields.pop("random_id")
        fields.update(text=text, entities=entities)
        template = Message(chat_id=chat.id, id=0, sender_id=actor, date=self.core.clock.now(),
                           **fields)
        return await self._store(actor, chat, member, template, draft.random_id)

    async def forward(self, actor: int, from_peer: Peer, ids: list[int], to_peer: Peer,
                      random_ids: list[int] | None) -> list[Message]:
        ids = _check_ids(ids, limits.FORWARD_MAX)
        if random_ids is not None and len(random_ids) != len(ids):
            raise bad_request("RANDOM_ID_INVALID", "one random_id per message")
        source, _ = await self.chats.access(actor, from_peer)
        originals = await self.core.chats.get_messages(source.id, ids, viewer=actor)
        if len(originals) != len(ids):
            raise bad_request("MESSAGE_ID_INVALID")
        if any(orig.action is not None for orig in originals):
            raise bad_request("MESSAGE_ID_INVALID", "service messages cannot be forwarded")
        target, member = await self.chats.access(actor, to_peer, create=True)
        if not self._extended(target):
            access.check_send(target, member)
        sent = []
        now = self.core.clock.now()
        for i, orig in enumerate(originals):
            origin = orig.fwd_from or Forward(
                from_user_id=orig.sender_id, date=orig.date,
                from_chat_id=source.id if source.kind != "private" else None,
                from_msg_id=orig.id if source.kind != "private" else None)
            rid = random_ids[i] if random_ids else None
            copy = msgspec.structs.replace(orig, chat_id=target.id, id=0, sender_id=actor, date=now,
                                           reply_to=None, fwd_from=origin, edit_date=None,
                                           pinned=False)
            sent.append(await self._store(actor, target, member, copy, rid))
        return sent

    async def _own_message(self, actor: int, peer: Peer, msg_id: int):  # type: ignore[no-untyped-def]
        chat, member = await self.chats.access(actor, peer)
        found = await self.core.chats.get_messages(chat.id, _check_ids([msg_id], 1))
        if not found:
            raise bad_request("MESSAGE_ID_INVALID")
        return chat, member, found[0]

    async def edit(self, actor: int, peer: Peer, msg_id: int, text: str, entities: list[Entity]
                   ) -> Message:
        chat, member, msg = await self._own_message(actor, peer, msg_id)
        entities = with_detected(text, entities)
        if self.ext is not None and self._extended(chat):
            return await self.ext.edit(actor, chat, msg, text, entities)
        access.check_edit(chat, member, msg, self.core.clock.now())
        text, entities = validate.message_body(text, entities, has_media=msg.media is not None)
        if text == msg.text and entities == msg.entities:
            raise bad_request("MESSAGE_NOT_MODIFIED")
        edited, out = await self.core.messages.edit(chat.id, msg_id, text, entities,
                                                    self.core.clock.now())
        self.core.publish(out)
        return edited

    async def delete(self, actor: int, peer: Peer, ids: list[int], revoke: bool) -> list[int]:
        ids = _check_ids(ids, limits.DELETE_MAX)
        chat, member = await self.chats.access(actor, peer)
        found = await self.core.chats.get_messages(chat.id, ids)
        if self.ext is not None and self._extended(chat):
            return await self.ext.delete(actor, chat, found)
        now = self.core.clock.now()
        if not revoke:
            out = await self.core.messages.delete_for_me(actor, chat.id, [m.id for m in found], now)
            self.core.publish(out)
            return [m.id for m in found]
        for msg in found:
            access.check_delete_for_all(chat, member, msg)
        if found:
            self.core.publish(await self.core.messages.delete(chat.id, [m.id for m in found], now))
        return [m.id for m in found]

    async def pin(self, actor: int, peer: Peer, msg_id: int, pinned: bool) -> None:
        chat, member, msg = await self._own_message(actor, peer, msg_id)
        if self.ext is not None and self._extended(chat):
            return await self.ext.pin(actor, chat, msg, pinned)
        access.check_pin(chat, member)
        if msg.action is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        self.core.publish(await self.core.messages.pin(chat.id, msg_id, pinned,
                                                       self.core.clock.now()))

    async def read(self, actor: int, peer: Peer, max_id: int) -> int:
        chat, _ = await self.chats.access(actor, peer)
        if max_id < 0 or max_id >= 2**53:
            raise bad_request("MESSAGE_ID_INVALID")
        if self.ext is not None and self._extended(chat):
            return await self.ext.read(actor, chat, max_id)
        upto = min(max_id or chat.top_msg_id, chat.top_msg_id)
        self.core.publish(await self.core.messages.read(chat.id, actor, upto,
                                                        self.core.clock.now()))
        return upto

    async def history(self, actor: int, peer: Peer, offset_id: int, direction: str, limit: int
                      ) -> list[Message]:
        """A page of history, newest first: older than `offset_id` (0: the latest), newer than
        it, or `around` it (the message itself, half the page older and half newer)."""
        chat, _ = await self.chats.access(actor, peer)
        if offset_id < 0 or offset_id >= 2**53:
            raise bad_request("MESSAGE_ID_INVALID")
        limit = max(1, min(limit, limits.HISTORY_PAGE_MAX))
        if direction != "around":
            return await self.core.chats.history(chat.id, actor, offset_id, direction == "newer",
                                                 limit)
        newer = await self.core.chats.history(chat.id, actor, offset_id - 1, True, limit // 2)
        older = await self.core.chats.history(chat.id, actor, offset_id, False,
                                              limit - len(newer))
        return newer + older

    async def get(self, actor: int, peer: Peer, ids: list[int]) -> list[Message]:
        chat, _ = await self.chats.access(actor, peer)
        return await self.core.chats.get_messages(chat.id, _check_ids(ids, limits.HISTORY_PAGE_MAX),
                                                  viewer=actor)

    async def typing(self, actor: int, peer: Peer, action: str) -> None:
        if action not in TYPING_ACTIONS:
            raise bad_request("SEND_MESSAGE_TYPE_INVALID")
        chat, _ = await self.chats.access(actor, peer)
        if chat.kind == "channel":
            return  # subscribers are not told who of the admins is writing a post
        self.core.publish_ephemeral(f"e.{chat.id}", encode(Typing(chat.id, actor, action)))
