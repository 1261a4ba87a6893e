"""Messages in supergroups and channels: the `Extension` services/messages.py hands them to.

Posting checks the member's rights and slow mode, signs channel posts, puts replies in their
thread (comments under a post's copy in the discussion group, forum topics) and copies a post
to that group; editing, deleting, pinning and reading follow the same rights. Scheduled messages
(every chat kind), views, reply threads and the preview of public channels live here too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from steppe.domain import access, limits, validate
from steppe.domain import channels as ch
from steppe.domain.entities import Entity, detect_entities
from steppe.domain.errors import RpcError, bad_request
from steppe.domain.models import Chat, Member, Message, Replies, User
from steppe.domain.updates import ReadChannelOutbox, encode
from steppe.services.channels import ChannelService, Ctx
from steppe.services.chats import ChatService, Peer
from steppe.services.core import Core
from steppe.services.views import ViewCounter
from steppe.store.posts import Plan, PostStore, StandingChanged, public_poll
from steppe.store.scheduled import Scheduled, ScheduledStore

T = TypeVar("T")
LINKS = frozenset({"url", "text_link", "email"})
PLAN_TRIES = 3  # a send planned again when its sender or chat changed before its write


class Thread(msgspec.Struct, omit_defaults=True):
    """A reply thread: where its messages live, its root, a page of them (newest first)."""

    chat_id: int
    messages: list[Message]
    users: list[User]
    root: Message | None = None
    count: int = 0


class MessageViews(msgspec.Struct):
    id: int
    views: int
    forwards: int
    replies: int


class Messages(msgspec.Struct):
    messages: list[Message]
    users: list[User]


def content_of(msg: Message) -> frozenset[str]:
    """What a message holds, as the member rights name it."""
    kinds = set()
    if msg.poll is not None:
        kinds.add("poll")
        if not msg.poll.is_anonymous:
            kinds.add("public_poll")
    if any(getattr(msg, f) is not None for f in ("media", "location", "venue", "contact", "dice")):
        kinds.add("media")
    if any(e.type in LINKS for e in [*msg.entities, *detect_entities(msg.text)]):
        kinds.add("link")
    return frozenset(kinds)


def forwarded(t: Message) -> Message:
    """A forwarded copy starts its own counters, thread and signature."""
    return msgspec.structs.replace(t, views=None, forwards=None, replies=None, reactions=[],
                                   thread_id=None, post_author=None, from_scheduled=False,
                                   schedule_date=None)


class ChannelMessages:
    def __init__(self, core: Core, chats: ChatService, channels: ChannelService):
        self.core = core
        self.chats = chats
        self.channels = channels
        self.posts = PostStore(core.store.database)
        self.scheduled = ScheduledStore(core.store.database)
        self.views = ViewCounter(self.posts)

    def now(self) -> int:
        return self.core.clock.now()

    def owns(self, chat: Chat) -> bool:
        return chat.kind in ch.BIG_KINDS

    async def ctx(self, actor: int, chat: Chat) -> Ctx:
        return await self.channels.ctx(actor, chat.id)

    async def readable(self, actor: int, peer: Peer, *, preview: bool = True) -> Chat:
        """A chat the actor may read: theirs, or a public supergroup or channel."""
        if peer.chat_id is not None:
            chat = await self.core.chats.get_chat(peer.chat_id)
            if chat is not None and chat.kind in ch.BIG_KINDS:
                return (await self.channels.ctx(actor, peer, preview=preview)).chat
        chat, _ = await self.chats.access(actor, peer)
        return chat

    # ---- sending -----------------------------------------------------------------------------

    async def store(self, actor: int, chat: Chat, member: Member, template: Message,
                    random_id: int | None) -> Message:
        """Store a message checked for its basic chat, or about to be checked here."""
        if template.fwd_from is not None:
            template = forwarded(template)
        if template.schedule_date is not None:
            return await self._schedule(actor, chat, template, random_id)
        msg = await self._post(actor, chat, template, random_id)
        assert msg is not None
        return msg

    async def post_plain(self, actor: int, template: Message, random_id: int | None
                         ) -> Message | None:
        """A plain message (text, entities, silent) to a supergroup or channel that asks for
        nothing more: no signature, no discussion group, no slow mode, no topics. The sender's
        membership and rights are read and checked by the write itself; None, and nothing
        written, sends the message the full way, which also gives any refusal its error."""
        content = content_of(template)
        now = template.date

        def decide(chat: Chat, info: ch.ChatInfo, member: Member | None,
                   rights: ch.RightsRow | None, is_bot: bool) -> Message | None:
            if chat.kind not in ch.BIG_KINDS or member is None:
                return None
            if (info.signatures or info.linked_chat_id if chat.kind == "channel"
                    else info.forum or info.slowmode_seconds):
                return None
            p = ch.make_participant(actor, member, rights, now, is_bot=is_bot)
            try:
                access.access_channel(chat, p, info)
                access.check_post(chat, info, p, content)
            except RpcError:
                return None
            if chat.kind == "channel":  # a post is the channel's, and counts its views
                return msgspec.structs.replace(template, sender_id=-chat.id, views=0)
            return template

        try:
            got = await self.posts.post_checked(template.chat_id, actor, decide, random_id)
        except RpcError as err:
            if err.type != "RANDOM_ID_DUPLICATE" or random_id is None:
                raise
            # sent before (or meanwhile, by another node): what was stored then
            for sender in (actor, -template.chat_id):
                stored = await self.core.messages.by_random_id(sender, random_id)
                if stored is not None:
                    return stored
            raise
        if got is None:
            return None
        self.core.publish(got[1])
        return got[0]

    async def store_media(self, actor: int, chat: Chat, templates: list[Message],
                          random_ids: list[int | None], photos: list[tuple[Any, list[Any]]]
                          ) -> list[Message]:
        """Store media messages (one, or an album) with the photos made for them, checked by
        the same rights as any message (services/media.py sends supergroup and channel media
        through here)."""
        async def once() -> list[Message]:
            plans = []
            for i, (template, rid) in enumerate(zip(templates, random_ids, strict=True)):
                if template.fwd_from is not None:
                    template = forwarded(template)
                plan = await self._plan(actor, chat, template, rid)
                if i:
                    plan.slowmode = None  # an album is one send
                plans.append(plan)
            sent, out = await self.posts.post_many(plans, photos, actor)
            self.core.publish(out)
            return sent

        return await self._replanning(actor, chat, once)

    async def _plan(self, actor: int, chat: Chat, template: Message, random_id: int | None,
                    *, scheduled: bool = False) -> Plan:
        now = self.now()
        new_poll = template.poll if template.poll is not None and template.fwd_from is None else None
        if new_poll is not None:
            template = msgspec.structs.replace(template, poll=public_poll(new_poll))
        plan = Plan(template, random_id, new_poll=new_poll,
                    forwarded_from=await self._source(template), sender=actor)
        if chat.kind not in ch.BIG_KINDS:
            if template.thread_id is not None:
                raise bad_request("TOPIC_ID_INVALID")
            return plan
        # Read before the checks' own read: a change after it shows at the write, whenever it
        # came (PostStore._post compares; StandingChanged plans the send again).
        plan.standing = await self.posts.standing(chat.id, actor)
        _, info, p = await self.channels.store.context(chat.id, actor, now)
        access.check_post(chat, info, p, content_of(template))
        if chat.kind == "channel":
            access.check_topic(info, p, None, template.thread_id)
            author = None
            if info.signatures:
                user = (await self.core.store.get_users([actor]))[actor]
                author = f"{user.first_name} {user.last_name}".strip()
            linked = info.linked_chat_id
            plan.template = msgspec.structs.replace(
                template, sender_id=-chat.id, post_author=author, views=0,
                replies=Replies(chat_id=linked) if linked else None)
            plan.discussion_group = linked
            return plan
        plan.thread_id, plan.count_reply = await self._thread(chat, info, p, template)
        plan.template = msgspec.structs.replace(template, thread_id=plan.thread_id)
        if info.slowmode_seconds and not scheduled:
            plan.slowmode = lambda last: access.slowmode_wait(chat, info, p, last, now)
        return plan

    async def _thread(self, chat: Chat, info: ch.ChatInfo, p: ch.Participant, t: Message
                      ) -> tuple[int | None, bool]:
        """The thread a supergroup message joins: a forum topic, or the root of the replies."""
        reply = t.reply_to
        if info.forum:
            tid = t.thread_id
            if tid is None and reply is not None:
                tid = await self.posts.thread_of(chat.id, reply)
                if tid is None and await self.posts.topic(chat.id, reply) is not None:
                    tid = reply
            topic = await self.posts.topic(chat.id, tid) if tid is not None else None
            access.check_topic(info, p, topic, tid)
            return tid, False
        access.check_topic(info, p, None, t.thread_id)
        if reply is None:
            return None, False
        return (await self.posts.thread_of(chat.id, reply)) or reply, True

    async def _source(self, t: Message) -> tuple[int, int] | None:
        """The channel post a forward copies, whose forward counter it bumps."""
        fwd = t.fwd_from
        if fwd is None or fwd.from_chat_id is None or fwd.from_msg_id is None:
            return None
        source = await self.core.chats.get_chat(fwd.from_chat_id)
        return (source.id, fwd.from_msg_id) if source and source.kind == "channel" else None

    async def _post(self, actor: int, chat: Chat, template: Message, random_id: int | None,
                    scheduled: Scheduled | None = None) -> Message | None:
        return await self._replanning(
            actor, chat, lambda: self._post_once(actor, chat, template, random_id, scheduled))

    async def _replanning(self, actor: int, chat: Chat, once: Callable[[], Awaitable[T]]) -> T:
        """`once` (plan and write a send) again while a change overtakes it between its checks
        and its write (StandingChanged): the sender's refusal if they left the chat meanwhile
        (as the send's first check would give it now), at most PLAN_TRIES tries."""
        for _ in range(PLAN_TRIES):
            try:
                return await once()
            except StandingChanged:
                _, member = await self.core.chats.chat_and_member(chat.id, actor)
                access.access_chat(chat, member)
        raise bad_request("CHAT_WRITE_FORBIDDEN", "the chat kept changing: send again")

    async def _post_once(self, actor: int, chat: Chat, template: Message, random_id: int | None,
                         scheduled: Scheduled | None) -> Message | None:
        plan = await self._plan(actor, chat, template, random_id, scheduled=scheduled is not None)
        if scheduled is not None:
            plan.scheduled_id, plan.scheduled_sender = scheduled.id, scheduled.sender_id
        plain = plan.new_poll is None and plan.forwarded_from is None and scheduled is None
        if plain and not self.owns(chat):  # a basic chat's ordinary message: the core's own path
            sent = await self.core.send_as_member(plan.template, random_id)  # checked again
            if sent is None:
                access.access_chat(chat, None)  # no longer in the chat: its refusal
            return sent
        msg, out = await self.posts.post(plan)
        self.core.publish(out)
        return msg

    async def _schedule(self, actor: int, chat: Chat, template: Message, random_id: int | None
                        ) -> Message:
        when = template.schedule_date
        assert when is not None
        ch.check_schedule_date(when, self.now())
        template = msgspec.structs.replace(template, schedule_date=None)
        await self._plan(actor, chat, template, None, scheduled=True)  # the rights, checked now
        if await self.scheduled.count(chat.id) >= limits.SCHEDULED_MAX:
            raise bad_request("SCHEDULE_TOO_MUCH")
        item, out = await self.scheduled.add(template, actor, when, random_id, self.now())
        self.core.publish(out)
        return item.view()

    async def deliver(self, item: Scheduled) -> Message | None:
        """Send a scheduled message now, if its sender still may; otherwise drop it."""
        now = self.now()
        chat, member = await self.core.chats.chat_and_member(item.chat_id, item.sender_id)
        template = msgspec.structs.replace(item.template, date=now, from_scheduled=True)
        try:
            if chat is None or member is None:
                raise bad_request("PEER_ID_INVALID")
            if not self.owns(chat):
                access.check_send(chat, member)
            return await self._post(item.sender_id, chat, template, item.random_id, item)
        except RpcError:
            self.core.publish(await self.scheduled.delete(item.chat_id, [item.id],
                                                          item.sender_id, now))
            return None

    # ---- editing, deleting, pinning, reading -------------------------------------------------

    async def edit(self, actor: int, chat: Chat, msg: Message, text: str, entities: list[Entity]
                   ) -> Message:
        c = await self.ctx(actor, chat)
        now = self.now()
        access.check_edit_post(chat, c.p, msg, now)
        text, entities = validate.message_body(text, entities, has_media=msg.media is not None)
        if text == msg.text and entities == msg.entities:
            raise bad_request("MESSAGE_NOT_MODIFIED")
        edited, out = await self.core.messages.edit(chat.id, msg.id, text, entities, now)
        self.core.publish(out)
        if msg.sender_id != actor:
            await self.posts.log_edit(chat.id, actor, msg, now)
        copy = await self.posts.discussion_of(chat.id, msg.id) if chat.kind == "channel" else None
        if copy is not None:  # the post's copy in the discussion group reads the same
            _, out = await self.core.messages.edit(copy[0], copy[1], text, entities, now)
            self.core.publish(out)
        return edited

    async def delete(self, actor: int, chat: Chat, found: list[Message]) -> list[int]:
        c = await self.ctx(actor, chat)
        for msg in found:
            access.check_delete_post(chat, c.p, msg)
        ids = [m.id for m in found]
        if found:
            others = [m for m in found if m.sender_id != actor]
            self.core.publish(await self.posts.delete(chat.id, ids, actor, self.now(), others))
        return ids

    async def pin(self, actor: int, chat: Chat, msg: Message, pinned: bool) -> None:
        c = await self.ctx(actor, chat)
        access.check_can(chat, c.info, c.p, "pin_messages")
        if msg.action is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        out = await self.core.messages.pin(chat.id, msg.id, pinned, self.now())
        self.core.publish(out)
        if out:
            await self.posts.log_pin(chat.id, actor, msg.id, pinned, self.now())

    async def read(self, actor: int, chat: Chat, max_id: int) -> int:
        """A read mark here is an account event of the reader; the members of a supergroup hear
        (ephemerally) when it passes everyone else's, for their outbox."""
        upto = min(max_id or chat.top_msg_id, chat.top_msg_id)
        out, passed = await self.posts.read(chat.id, actor, upto, self.now())
        self.core.publish(out)
        if passed and chat.kind == "supergroup":
            self.core.publish_ephemeral(f"e.{chat.id}",
                                        encode(ReadChannelOutbox(chat.id, actor, upto)))
        return upto

    # ---- reading threads, pins, views, previews ----------------------------------------------

    async def users_of(self, actor: int, msgs: list[Message]) -> list[User]:
        return await self.channels.users.view(actor, sorted({m.sender_id for m in msgs
                                                             if m.sender_id > 0}))

    async def replies(self, actor: int, peer: Peer, msg_id: int, offset_id: int, limit: int
                      ) -> Thread:
        """A post's comments, a message's reply thread, or a forum topic (messages.getReplies)."""
        chat = await self.readable(actor, peer)
        where, root_id = chat.id, msg_id
        if chat.kind == "channel":
            link = await self.posts.discussion_of(chat.id, msg_id)
            if link is None:
                raise bad_request("MSG_ID_INVALID")
            where, root_id = link
        found = await self.core.chats.get_messages(where, [root_id]) if 0 < root_id < 2**53 else []
        if not found:
            raise bad_request("MSG_ID_INVALID")
        root = found[0]
        msgs = await self.posts.thread(where, root_id, max(0, offset_id), max(1, min(limit, 100)))
        count = root.replies.count if root.replies else 0
        return Thread(chat_id=where, messages=msgs, users=await self.users_of(actor, [root, *msgs]),
                      root=root, count=count)

    async def discussion_message(self, actor: int, peer: Peer, msg_id: int) -> Thread:
        """A channel post's copy in its discussion group (messages.getDiscussionMessage)."""
        return await self.replies(actor, peer, msg_id, 0, 1)

    async def preview(self, actor: int, peer: Peer, ids: list[int], offset_id: int, limit: int
                      ) -> Messages:
        """Messages of a supergroup or channel by id, or a page of its history: for members,
        and for anyone not banned when it is public (channels.getMessages)."""
        c = await self.channels.ctx(actor, peer, preview=True)
        if ids:
            if len(ids) > 100 or any(not 0 < i < 2**53 for i in ids):
                raise bad_request("MESSAGE_ID_INVALID")
            msgs = await self.core.chats.get_messages(c.chat.id, list(dict.fromkeys(ids)))
        else:
            msgs = await self.core.chats.history(c.chat.id, actor, max(0, offset_id), False,
                                                 max(1, min(limit, 100)))
        return Messages(messages=msgs, users=await self.users_of(actor, msgs))

    async def pinned(self, actor: int, peer: Peer) -> Messages:
        chat = await self.readable(actor, peer)
        msgs = await self.posts.pinned(chat.id, 100)
        return Messages(messages=msgs, users=await self.users_of(actor, msgs))

    async def unpin_all(self, actor: int, peer: Peer) -> None:
        chat = await self.readable(actor, peer, preview=False)
        if chat.kind in ch.BIG_KINDS:
            c = await self.ctx(actor, chat)
            access.check_can(chat, c.info, c.p, "pin_messages")
        else:
            _, member = await self.chats.access(actor, peer)
            access.check_pin(chat, member)
        self.core.publish(await self.posts.unpin_all(chat.id, actor, self.now()))

    async def get_views(self, actor: int, peer: Peer, ids: list[int], increment: bool
                        ) -> list[MessageViews]:
        """Views, forwards and replies of messages; `increment` counts the actor's view of
        channel posts (once per subscriber, stored in batches)."""
        chat = await self.readable(actor, peer)
        if not ids or len(ids) > 100 or any(not 0 < i < 2**53 for i in ids):
            raise bad_request("MESSAGE_ID_INVALID")
        msgs = await self.core.chats.get_messages(chat.id, list(dict.fromkeys(ids)))
        out = []
        for m in msgs:
            if increment and chat.kind == "channel":
                self.views.view(chat.id, m.id, actor)
            views = (m.views or 0) + self.views.unsaved(chat.id, m.id)
            out.append(MessageViews(id=m.id, views=views, forwards=m.forwards or 0,
                                    replies=m.replies.count if m.replies else 0))
        return out
