"""Scheduled messages: listing, editing, cancelling, sending early, and the background delivery
that sends each at its time (on the injected clock), also after a restart."""

from __future__ import annotations

import asyncio
import logging

import msgspec

from steppe.domain import access, limits, validate
from steppe.domain import channels as ch
from steppe.domain.entities import Entity
from steppe.domain.errors import bad_request
from steppe.domain.models import Chat, Message
from steppe.services.channel_messages import ChannelMessages, Messages
from steppe.services.chats import Peer
from steppe.store.scheduled import Scheduled

log = logging.getLogger(__name__)
BATCH = 100


class ScheduledService:
    def __init__(self, messages: ChannelMessages):
        self.messages = messages
        self.core = messages.core
        self.store = messages.scheduled
        self.wake = asyncio.Event()

    async def _chat(self, actor: int, peer: Peer) -> tuple[Chat, ch.Participant | None]:
        chat = await self.messages.readable(actor, peer, preview=False)
        if chat.kind == "channel":
            return chat, (await self.messages.ctx(actor, chat)).p
        return chat, None

    async def _mine(self, actor: int, peer: Peer, ids: list[int]) -> tuple[Chat, list[Scheduled]]:
        chat, p = await self._chat(actor, peer)
        if not ids or len(ids) > limits.SCHEDULED_MAX:
            raise bad_request("MESSAGE_ID_INVALID")
        found = [s for s in await self.store.get(list(dict.fromkeys(ids))) if s.chat_id == chat.id]
        if len(found) != len(set(ids)):
            raise bad_request("MESSAGE_ID_INVALID")
        for item in found:
            access.check_scheduled(chat, p, item.sender_id, actor)
        return chat, found

    async def history(self, actor: int, peer: Peer) -> Messages:
        """What waits to be sent: one's own, or in a channel every admin's who may post."""
        chat, p = await self._chat(actor, peer)
        shared = chat.kind == "channel" and p is not None and access.has_right(p, "post_messages")
        items = await self.store.for_chat(chat.id, None if shared else actor, limits.SCHEDULED_MAX)
        msgs = [s.view() for s in items]
        return Messages(messages=msgs, users=await self.messages.users_of(actor, msgs))

    async def edit(self, actor: int, peer: Peer, sched_id: int, text: str | None,
                   entities: list[Entity] | None, schedule_date: int | None) -> Message:
        _, (item,) = await self._mine(actor, peer, [sched_id])
        template = item.template
        if text is not None:
            body, ents = validate.message_body(text, entities or [],
                                               has_media=template.media is not None)
            template = msgspec.structs.replace(template, text=body, entities=ents)
        when = item.schedule_date
        if schedule_date is not None:
            ch.check_schedule_date(schedule_date, self.core.clock.now())
            when = schedule_date
        changed = item._replace(template=template, schedule_date=when)
        if changed == item:
            raise bad_request("MESSAGE_NOT_MODIFIED")
        self.core.publish(await self.store.edit(changed, actor, self.core.clock.now()))
        self.wake.set()
        return changed.view()

    async def delete(self, actor: int, peer: Peer, ids: list[int]) -> None:
        chat, found = await self._mine(actor, peer, ids)
        self.core.publish(await self.store.delete(chat.id, [s.id for s in found], actor,
                                                  self.core.clock.now()))

    async def send_now(self, actor: int, peer: Peer, ids: list[int]) -> list[Message]:
        _, found = await self._mine(actor, peer, ids)
        sent = []
        for item in found:
            msg = await self.messages.deliver(item)
            if msg is not None:
                sent.append(msg)
        return sent

    # ---- delivery ----------------------------------------------------------------------------

    async def tick(self) -> int:
        """Send every message whose time has come; returns how many went out."""
        sent = 0
        while True:
            due = await self.store.due(self.core.clock.now(), BATCH)
            for item in due:
                if await self.messages.deliver(item) is not None:
                    sent += 1
            if len(due) < BATCH:
                return sent

    async def run(self, interval: float = 1.0) -> None:
        """Deliver due messages every `interval` seconds, or sooner when woken."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduled delivery failed")
            self.wake.clear()
            try:
                await asyncio.wait_for(self.wake.wait(), interval)
            except TimeoutError:
                pass
