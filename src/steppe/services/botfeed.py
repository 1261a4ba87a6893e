"""Each bot's update queue, fed from committed events.

A bot is a member of the chats it is in, so everything it may see is already in two logs: its own
account events (which chats it joined, at which pts) and each chat's event log. The feed keeps a
cursor per (bot, chat) and per bot account; woken by the bus, it reads the logs past the cursors,
turns the events the bot may see into queued updates, and moves the cursor in the same
transaction (compare-and-set), so nothing is lost when a bus message is, and nothing is queued
twice when two workers race. Updates get increasing ids per bot and are kept 24 hours.

A message to a bot's private chat usually needs no step of the feed: when the bot's cursor of
the chat stands just before it, the message's own write moves the cursor and queues the update
(`store.bots.pass_private`; `to_pass` names the bot), and its events tell every node's feed to
skip the chat's event (`bu.<bot>` with "<chat> <pts> <queued>", published first). The cursor
moves only from where it stands, so whichever of the two gets there first takes the step.

What no log shows the feed is told of by the services' hooks: a user's standing in a supergroup
or channel changed (chat_member, my_chat_member), a join request was filed (chat_join_request),
someone voted in a bot's public poll (poll_answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from steppe.domain import access, bots
from steppe.domain import channels as ch
from steppe.domain.bots import Bot
from steppe.domain.channels import JoinRequest, Participant
from steppe.domain.markup import Poll
from steppe.domain.models import Chat, Member, Message, User
from steppe.services.core import Core
from steppe.store.bots import BotStore

log = logging.getLogger(__name__)
BATCH = 100
Item = tuple[str, int, str]  # kind, chat id, payload
Internal = Callable[[str, dict[str, Any]], Awaitable[None]]
_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder()


STEPS_AT_ONCE = 64
# A chat's events that can give its bots nothing (bots' own messages: no bot sees what a bot
# says) move no cursor at once: the next event that may, or this many in a row, does, reading
# past them in one step.
LAG_AT_MOST = 32
# The chat events `_convert` may turn into an update; it turns every other kind into nothing.
_MAY_GIVE = frozenset({"new_message", "edit_message", "message_reactions", "message_poll"})


class _Sent(msgspec.Struct):
    sender_id: int = 0
    action: Any = None


class _Event(msgspec.Struct):
    """What the bus's copy of a chat event says of whether a bot could get anything from it."""
    type: str = ""
    pts: int = 0
    message: _Sent | None = None


_peek = msgspec.json.Decoder(_Event)
PASSED_KEPT = 65536  # chats whose step a message's own write took, remembered until its event


def _nothing_for(bot_ids: set[int], ev: _Event) -> bool:
    """Whether `_convert` surely gives every bot nothing for this event: a bot's message or edit
    (not a service message), or a kind no bot gets."""
    if ev.type not in _MAY_GIVE:
        return True
    return ev.type in ("new_message", "edit_message") and ev.message is not None \
        and ev.message.sender_id in bot_ids and ev.message.action is None


class BotFeed:
    def __init__(self, core: Core, store: BotStore):
        self.core = core
        self.store = store
        self.bot_ids: set[int] = set()
        self.chat_bots: dict[int, set[int]] = {}
        self.internal: dict[int, Internal] = {}
        self.listeners: list[Callable[[int], None]] = []
        self._dirty_bots: set[int] = set()
        self._dirty_chats: set[int] = set()
        self._lag: dict[int, int] = {}  # chat id: events the feed let pass without a step
        self.private: dict[int, int] = {}  # a private chat with a bot: its bot
        self._passed: dict[int, int] = {}  # chat id: the pts whose step its message's write took
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._idle: asyncio.Event | None = None
        core.bus.subscribe(self.on_bus)
        core.bots_to_pass = self.to_pass

    async def start(self) -> None:
        self._wake, self._idle = asyncio.Event(), asyncio.Event()
        self.bot_ids = set(await self.store.all_ids())
        self.chat_bots = await self.store.chats_with_bots()
        self.private = await self.store.private_chats_with_bots()
        self._dirty_bots |= self.bot_ids
        self._dirty_chats |= set(self.chat_bots)
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    async def settled(self) -> None:
        """Wait until every pending wake-up was processed (tests and shutdown)."""
        while self._dirty_bots or self._dirty_chats or (self._idle and not self._idle.is_set()):
            await asyncio.sleep(0.005)

    # ---- wake-ups ----------------------------------------------------------------------------

    def to_pass(self, chat_id: int, sender_id: int) -> tuple[int, ...]:
        """For `Core.bots_to_pass`: the bot of a private chat known here, when the feed's step
        for a message from `sender_id` may be taken by the message's own write (not for an
        internal bot, whose updates the feed hands over itself)."""
        bot_id = self.private.get(chat_id)
        if bot_id is None or bot_id in self.internal or (
                sender_id != bot_id and sender_id in self.bot_ids):
            return ()
        return (bot_id,)

    def on_bus(self, topic: str, data: bytes) -> None:
        kind, _, ident = topic.partition(".")
        if kind == "c":
            chat_id = int(ident)
            in_chat = self.chat_bots.get(chat_id)
            if in_chat:
                try:
                    ev = _peek.decode(data)
                except msgspec.DecodeError:
                    ev = None
                if ev is not None and self._passed.get(chat_id) == ev.pts:
                    del self._passed[chat_id]  # the message's write took the step
                    return
                if ev is not None and _nothing_for(self.bot_ids, ev) \
                        and self._lag.get(chat_id, 0) < LAG_AT_MOST:
                    self._lag[chat_id] = self._lag.get(chat_id, 0) + 1
                    return
                self._mark(chats=chat_id)
        elif kind == "u":
            user_id = int(ident)
            if user_id in self.bot_ids:
                self._mark(bot=user_id)
        elif kind == "bn":
            self.bot_ids.add(int(ident))
        elif kind == "bu":
            if data:  # "<chat> <pts> <queued>": a message's write took the feed's step for it
                chat_id, pts, queued = (int(x) for x in data.split())
                if len(self._passed) >= PASSED_KEPT:
                    self._passed.clear()
                self._passed[chat_id] = pts
                if not queued:
                    return
            for listener in list(self.listeners):
                listener(int(ident))

    def _mark(self, *, bot: int | None = None, chats: int | None = None) -> None:
        if bot is not None:
            self._dirty_bots.add(bot)
        if chats is not None:
            self._dirty_chats.add(chats)
        if self._wake is not None:
            self._wake.set()

    def woke(self, bot_id: int) -> None:
        """Tell listeners (pollers, webhooks) on every node that the bot has new updates."""
        self.core.publish_ephemeral(f"bu.{bot_id}", b"")

    async def _run(self) -> None:
        assert self._wake is not None and self._idle is not None
        while True:
            self._idle.set()
            await self._wake.wait()
            self._wake.clear()
            self._idle.clear()
            # Many bots' or chats' steps at once: their writes share a commit (and its flush
            # to disk) instead of waiting for one each. Each step touches its own cursor.
            while self._dirty_bots or self._dirty_chats:
                if self._dirty_bots:
                    step, dirty = self._account, self._dirty_bots
                else:
                    step, dirty = self._chat, self._dirty_chats
                keys = [dirty.pop() for _ in range(min(len(dirty), STEPS_AT_ONCE))]
                await asyncio.gather(*(self._guard(step, key) for key in keys))

    @staticmethod
    async def _guard(step: Callable[[int], Awaitable[None]], key: int) -> None:
        try:
            await step(key)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("bot feed failed on %s", key)

    # ---- the bot's account log: chats it joined ----------------------------------------------

    async def _account(self, bot_id: int) -> None:
        bot = await self.store.get(bot_id)
        if bot is None:
            self.bot_ids.discard(bot_id)
            return
        payloads = await self.core.chats.user_events(bot_id, bot.user_seq, BATCH)
        if not payloads:
            return
        joined: dict[int, int] = {}
        left: list[int] = []
        private: set[int] = set()
        for payload in payloads:
            ev = _dec.decode(payload)
            if ev.get("type") == "join_chat":
                joined[int(ev["chat"]["id"])] = int(ev.get("pts", 0))
                if ev["chat"].get("kind") == "private":
                    private.add(int(ev["chat"]["id"]))
                if int(ev["chat"]["id"]) in left:
                    left.remove(int(ev["chat"]["id"]))
            elif ev.get("type") == "leave_chat" and ev["chat_id"] not in left:
                # A channel says nothing in its log when a member goes: close the cursor here
                # (other chats close theirs at the service message that removed the bot).
                chat = await self.core.chats.get_chat(int(ev["chat_id"]))
                if chat is not None and chat.kind == "channel":
                    left.append(chat.id)
                    joined.pop(chat.id, None)
        seq_to = bot.user_seq + len(payloads)
        if await self.store.advance_user(bot_id, bot.user_seq, seq_to, joined, left, [], 0):
            for chat_id in left:
                self.chat_bots.get(chat_id, set()).discard(bot_id)
                self.private.pop(chat_id, None)
            for chat_id in joined:
                self.chat_bots.setdefault(chat_id, set()).add(bot_id)
                self._dirty_chats.add(chat_id)
                if chat_id in private:
                    self.private[chat_id] = bot_id
        if len(payloads) == BATCH:
            self._dirty_bots.add(bot_id)

    # ---- a chat's log ------------------------------------------------------------------------

    async def _chat(self, chat_id: int) -> None:
        self._lag.pop(chat_id, None)
        cursors = await self.store.cursors(chat_id)
        if not cursors:
            self.chat_bots.pop(chat_id, None)
            self.private.pop(chat_id, None)
            return
        chat = await self.core.chats.get_chat(chat_id)
        if chat is None:
            return
        if chat.kind == "private" and len(cursors) == 1:
            self.private[chat_id] = next(iter(cursors))
        events = [_dec.decode(p) for p in
                  await self.core.chats.chat_events(chat_id, min(cursors.values()), BATCH)]
        for bot_id, pts in cursors.items():
            mine = [e for e in events if e["pts"] > pts]
            if mine:
                await self._deliver(bot_id, chat, pts, mine)
        if len(events) == BATCH:
            self._dirty_chats.add(chat_id)

    async def _deliver(self, bot_id: int, chat: Chat, pts: int, events: list[dict[str, Any]]
                       ) -> None:
        found = await self.store.with_user(bot_id)
        if found is None:
            return
        bot, me = found
        member = await self.core.chats.member(chat.id, bot_id)
        items: list[Item] = []
        last, close = pts, False
        for ev in events:
            last = ev["pts"]
            got, close = await self._convert(bot, me, chat, member, ev)
            items += got
            if close:
                break
        internal = self.internal.get(bot_id)
        queued = [] if internal else [i for i in items if bots.allowed(i[0], bot.allowed_updates)]
        expires = self.core.clock.now() + bots.UPDATE_TTL
        if not await self.store.advance_chat(bot_id, chat.id, pts, last, queued, expires,
                                             close=close):
            return
        if close:
            self.chat_bots.get(chat.id, set()).discard(bot_id)
            self.private.pop(chat.id, None)
        if internal:
            for kind, _, payload in items:
                try:
                    await internal(kind, _dec.decode(payload))
                except Exception:
                    log.exception("internal bot %s failed", bot_id)
        elif queued:
            self.woke(bot_id)

    async def _convert(self, bot: Bot, me: User, chat: Chat, member: Member | None,
                       ev: dict[str, Any]) -> tuple[list[Item], bool]:
        kind = ev.get("type")
        admin = member is not None and access.is_admin(member)
        if kind == "message_reactions":
            return self._reaction(bot, chat, admin, ev), False
        if kind == "message_poll":
            return await self._poll(bot, chat, ev), False
        if kind not in ("new_message", "edit_message"):
            return [], False
        msg = msgspec.convert(ev["message"], Message)
        if msg.action is not None:
            return self._service(bot, chat, member, msg)
        if msg.sender_id in self.bot_ids or await self._own_post(bot, chat, msg):
            return [], False  # its own, or another bot's: bots never see what bots say
        if chat.kind != "private" and chat.kind != "channel":
            replied = None
            if msg.reply_to is not None and bot.privacy and not admin:
                found = await self.core.chats.get_messages(chat.id, [msg.reply_to])
                replied = found[0].sender_id if found else None
            if not bots.sees_in_group(msg, bot.user_id, me.username or "", privacy=bot.privacy,
                                      admin=admin, replied_sender=replied):
                return [], False
        channel = chat.kind == "channel"
        name = {("new_message", False): "message", ("edit_message", False): "edited_message",
                ("new_message", True): "channel_post",
                ("edit_message", True): "edited_channel_post"}[(kind, channel)]
        return [(name, chat.id, _enc.encode({"message": ev["message"]}).decode())], False

    def _service(self, bot: Bot, chat: Chat, member: Member | None, msg: Message
                 ) -> tuple[list[Item], bool]:
        """Membership changes: my_chat_member for the bot itself, chat_member for others, and
        the service message."""
        action = msg.action
        assert action is not None
        ids = action.user_ids
        payload = _enc.encode({"message": msgspec.to_builtins(msg)}).decode()
        items: list[Item] = []
        if chat.kind in ch.BIG_KINDS:  # standing changes come from the channel services' hook
            if action.type == "chat_delete_user" and bot.user_id in ids:
                return [], True
            if msg.sender_id != bot.user_id:
                items.append(("message", chat.id, payload))
            return items, False
        if action.type in ("chat_create", "chat_add_user"):
            for uid in ids:
                new = "administrator" if uid == bot.user_id and member is not None and \
                    access.is_admin(member) else "member"
                kind = "my_chat_member" if uid == bot.user_id else "chat_member"
                if uid != msg.sender_id or action.type == "chat_add_user":
                    items.append((kind, chat.id, self._member_change(msg, uid, "left", new)))
            if msg.sender_id != bot.user_id and chat.kind != "private":
                items.append(("message", chat.id, payload))
            return items, False
        if action.type == "chat_delete_user":
            if bot.user_id in ids:
                status = "left" if msg.sender_id == bot.user_id else "kicked"
                return [("my_chat_member", chat.id,
                         self._member_change(msg, bot.user_id, "member", status))], True
            items = [("chat_member", chat.id, self._member_change(msg, uid, "member", "left"))
                     for uid in ids]
            if msg.sender_id != bot.user_id:
                items.append(("message", chat.id, payload))
            return items, False
        if msg.sender_id != bot.user_id:
            items.append(("message", chat.id, payload))
        return items, False

    async def _own_post(self, bot: Bot, chat: Chat, msg: Message) -> bool:
        """A channel post the bot made itself (bots never get their own messages)."""
        if chat.kind != "channel" or msg.sender_id != -chat.id:
            return False
        return bots.is_post_of(await self.store.random_id(chat.id, msg.id), bot.user_id)

    @staticmethod
    def _reaction(bot: Bot, chat: Chat, admin: bool, ev: dict[str, Any]) -> list[Item]:
        """message_reaction: a user changed their reactions; for the chat's admin bots (and in
        private chats), never for a bot's own reactions."""
        if ev.get("user_id") == bot.user_id or not (admin or chat.kind == "private"):
            return []
        if chat.kind == "channel":
            return []  # a channel's reactions are anonymous (message_reaction_count)
        payload = {"message_id": ev["id"], "user_id": ev["user_id"], "date": ev["date"],
                   "old": ev.get("old", []), "new": ev.get("chosen", [])}
        return [("message_reaction", chat.id, _enc.encode(payload).decode())]

    async def _poll(self, bot: Bot, chat: Chat, ev: dict[str, Any]) -> list[Item]:
        """poll: the new state of a poll the bot sent (with its answer, even while open)."""
        found = await self.core.chats.get_messages(chat.id, [ev["id"]])
        if not found or not (found[0].sender_id == bot.user_id
                             or await self._own_post(bot, chat, found[0])):
            return []
        poll = await self.store.poll(ev["poll"]["id"]) or ev["poll"]
        return [("poll", chat.id, _enc.encode({"poll": poll}).decode())]

    @staticmethod
    def _member_change(msg: Message, user_id: int, old: str, new: str) -> str:
        return _enc.encode({"actor": msg.sender_id, "user_id": user_id, "old": old, "new": new,
                            "date": msg.date}).decode()

    # ---- updates that come from no chat log --------------------------------------------------

    async def push(self, bot_id: int, kind: str, chat_id: int, payload: dict[str, Any],
                   ttl: int = bots.UPDATE_TTL) -> None:
        """Queue an update that is no chat event (a callback or inline query, a poll answer)."""
        bot = await self.store.get(bot_id)
        if bot is None or not bots.allowed(kind, bot.allowed_updates):
            return
        internal = self.internal.get(bot_id)
        if internal is not None:
            await internal(kind, payload)
            return
        await self.store.enqueue(bot_id, [(kind, chat_id, _enc.encode(payload).decode())],
                                 self.core.clock.now() + ttl)
        self.woke(bot_id)

    # ---- the channel services' hooks ---------------------------------------------------------

    async def _admin_bots(self, chat: Chat, skip: int = 0) -> list[int]:
        """The bots in the chat that are its admins."""
        out = []
        for bot_id in await self.store.cursors(chat.id):
            if bot_id == skip or bot_id not in self.bot_ids:
                continue
            _, member = await self.core.chats.chat_and_member(chat.id, bot_id)
            if member is not None and access.is_admin(member):
                out.append(bot_id)
        return out

    async def member_changed(self, chat: Chat, actor: int, before: Participant,
                             after: Participant) -> None:
        """A user's standing in a supergroup or channel changed: my_chat_member for a bot about
        itself, chat_member for the chat's admin bots."""
        if chat.id not in self.chat_bots and after.user_id not in self.bot_ids:
            return
        payload = {"actor": actor, "user_id": after.user_id, "old": msgspec.to_builtins(before),
                   "new": msgspec.to_builtins(after), "date": self.core.clock.now()}
        if after.user_id in self.bot_ids:
            await self.push(after.user_id, "my_chat_member", chat.id, payload)
        for bot_id in await self._admin_bots(chat, skip=after.user_id):
            await self.push(bot_id, "chat_member", chat.id, payload)

    async def join_request(self, chat: Chat, request: JoinRequest) -> None:
        """chat_join_request, for the admin bots of the chat."""
        if chat.id not in self.chat_bots:
            return
        payload = msgspec.to_builtins(request)
        for bot_id in await self._admin_bots(chat):
            await self.push(bot_id, "chat_join_request", chat.id, payload)

    async def poll_answer(self, poll: Poll, creator: int, voter: int, options: list[int]) -> None:
        """poll_answer: a vote in a public poll a bot sent (to that bot)."""
        if creator not in self.bot_ids or poll.is_anonymous or voter == creator:
            return
        ids = [poll.options[i].persistent_id or str(i) for i in options
               if 0 <= i < len(poll.options)]
        await self.push(creator, "poll_answer", 0, {"poll_id": poll.id, "user_id": voter,
                                                    "option_ids": options,
                                                    "option_persistent_ids": ids})
