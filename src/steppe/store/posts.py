"""Messages in supergroups and channels: a post (one message row, one event row, the chat row,
whatever the number of subscribers), reply threads and comments, read marks as account events,
deletions, counters kept on the message (views, forwards, replies), pins, forum topics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from steppe.domain import access
from steppe.domain import updates as up
from steppe.domain.channels import ChatInfo, ForumTopic, RightsRow
from steppe.domain.markup import Poll
from steppe.domain.models import Action, Chat, Forward, Member, Message, Replies
from steppe.store import rows
from steppe.store.channels import RIGHTS_COLUMNS, SETTINGS_COLUMNS, _log, info_of
from steppe.store.chats import _append, _append_as, _soft_delete, chat_lock
from steppe.store.db import Database, Db
from steppe.store.rows import CHAT_COLUMNS, MEMBER_COLUMNS, MESSAGE_COLUMNS
from steppe.store.store import Emitted, Out, _chat_event, _user_event

TOPIC_COLUMNS = "chat_id, id, title, creator_id, date, icon_color, closed, pinned, hidden"


_N_CHAT, _N_SETTINGS, _N_MEMBER, _N_RIGHTS = (
    len(c.split(",")) for c in (CHAT_COLUMNS, SETTINGS_COLUMNS, MEMBER_COLUMNS, RIGHTS_COLUMNS))
# The chat, its settings, the sender's membership and rights row and whether it is a bot, in
# one statement (LEFT JOINs: a missing settings, membership or rights row reads as NULLs).
_SENDER_CONTEXT = (
    f"SELECT {rows.prefixed('c', CHAT_COLUMNS)}, {rows.prefixed('s', SETTINGS_COLUMNS)},"
    f" {rows.prefixed('m', MEMBER_COLUMNS)}, p.user_id, {rows.prefixed('p', RIGHTS_COLUMNS)},"
    " u.is_bot"
    " FROM chats c LEFT JOIN chat_settings s ON s.chat_id = c.id"
    " LEFT JOIN members m ON m.chat_id = c.id AND m.user_id = $2"
    " LEFT JOIN chat_participants p ON p.chat_id = c.id AND p.user_id = $2"
    " LEFT JOIN users u ON u.id = $2 WHERE c.id = $1")

# What a send's checks read of the sender in a supergroup or channel, and of the chat's settings:
# read when the send is planned and again by its write (the chat's row locked first on
# PostgreSQL); any difference means a change came between them and the send is planned again.
_STANDING = (
    f"SELECT {rows.prefixed('s', SETTINGS_COLUMNS)}, {rows.prefixed('m', MEMBER_COLUMNS)},"
    f" p.user_id, {rows.prefixed('p', RIGHTS_COLUMNS)}"
    " FROM chats c LEFT JOIN chat_settings s ON s.chat_id = c.id"
    " LEFT JOIN members m ON m.chat_id = c.id AND m.user_id = $2"
    " LEFT JOIN chat_participants p ON p.chat_id = c.id AND p.user_id = $2 WHERE c.id = $1")


class StandingChanged(Exception):
    """The sender's membership or rights, or the chat's settings, changed between a send's
    checks and its write: nothing was written; check again."""


# Given the chat, its settings, the sender's membership (None: not in it), rights row and whether
# the sender is a bot: the message to append, or None to write nothing.
Decide = Callable[[Chat, ChatInfo, Member | None, RightsRow | None, bool], Message | None]
_poll = msgspec.json.Encoder()
CAS_TRIES = 8


@dataclass
class Plan:
    """What storing one message in a supergroup or channel involves besides appending it."""

    template: Message
    random_id: int | None = None
    slowmode: Callable[[int | None], int] | None = None  # last sent date -> seconds to wait
    thread_id: int | None = None  # the thread (topic, reply thread) the message joins
    count_reply: bool = False  # bump the thread root's reply count (and its channel post's)
    discussion_group: int | None = None  # a channel post: copy it here for comments
    forwarded_from: tuple[int, int] | None = None  # a channel post forwarded: count it there
    new_poll: Poll | None = None  # a new poll, as its creator made it
    scheduled_id: int | None = None  # delivering this scheduled message
    scheduled_sender: int = 0
    sender: int | None = None  # who sends: their standing is checked again by the write
    standing: tuple[Any, ...] | None = None  # a big chat's `_STANDING` row when checked


def public_poll(poll: Poll) -> Poll:
    """A poll as every member sees it: the quiz answer only once it is closed."""
    if poll.is_closed:
        return poll
    return msgspec.structs.replace(poll, correct_option_id=None, explanation=None)


async def _rewrite(db: Db, chat_id: int, msg_id: int, change: Callable[[Message], Message]
                   ) -> Message | None:
    """Read-modify-write a live message's fields beyond the base columns, as compare-and-swap
    on its `extra` JSON (PostgreSQL's concurrent writers retry; SQLite never needs to)."""
    for _ in range(CAS_TRIES):
        row = await db.fetchrow(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1"
                                " AND id = $2 AND deleted = 0", chat_id, msg_id)
        if row is None:
            return None
        msg = change(rows.message(row))
        n = await db.execute("UPDATE messages SET extra = $3 WHERE chat_id = $1 AND id = $2"
                             " AND coalesce(extra, '') = $4", chat_id, msg_id,
                             rows.message_extra(msg), row[11] or "")
        if n:
            return msg
    raise RuntimeError(f"message {chat_id}/{msg_id} kept changing")


def _replies(delta: int, msg_id: int) -> Callable[[Message], Message]:
    def change(m: Message) -> Message:
        r = m.replies or Replies()
        top = max(r.max_id or 0, msg_id) if delta > 0 else r.max_id
        return msgspec.structs.replace(m, replies=msgspec.structs.replace(
            r, count=max(0, r.count + delta), max_id=top))

    return change


async def _count_reply(db: Db, chat_id: int, root: int, msg_id: int, delta: int) -> None:
    """A reply joined (+1) or left (-1) the thread of `root`; a channel post with its copy as
    the root counts its comments too."""
    await _rewrite(db, chat_id, root, _replies(delta, msg_id))
    post = await db.fetchrow("SELECT channel_id, post_id FROM discussions WHERE group_id = $1"
                             " AND group_msg_id = $2", chat_id, root)
    if post is not None:
        await _rewrite(db, post[0], post[1], _replies(delta, msg_id))


def _topic(r: Any) -> ForumTopic:
    return ForumTopic(chat_id=r[0], id=r[1], title=r[2], creator_id=r[3], date=r[4],
                      icon_color=r[5], closed=bool(r[6]), pinned=bool(r[7]), hidden=bool(r[8]))


async def _get_topic(db: Db, chat_id: int, topic_id: int) -> ForumTopic | None:
    row = await db.fetchrow(f"SELECT {TOPIC_COLUMNS} FROM forum_topics WHERE chat_id = $1"
                            " AND id = $2", chat_id, topic_id)
    return _topic(row) if row else None


class PostStore:
    def __init__(self, database: Database):
        self.database = database
        self._lock_chat = chat_lock(database)

    # ---- posting -----------------------------------------------------------------------------

    async def post_checked(self, chat_id: int, sender_id: int, decide: Decide,
                           random_id: int | None) -> tuple[Message, Out] | None:
        """Append the message `decide` makes of what the sender is in the chat at the write,
        read by the write itself (one statement, no read before it): None, and nothing written,
        when `decide` says None. A taken `random_id` raises RANDOM_ID_DUPLICATE."""

        async def op(db: Db) -> tuple[Message, Out] | None:
            if self._lock_chat is not None:
                await db.execute(self._lock_chat, chat_id)
            row = await db.fetchrow(_SENDER_CONTEXT, chat_id, sender_id)
            if row is None:
                return None
            r = tuple(row)
            i = _N_CHAT
            chat = rows.chat(r[:i])
            info = info_of(r[i:i + _N_SETTINGS] if r[i] is not None else None, chat_id)
            i += _N_SETTINGS
            member = rows.member(r[i:i + _N_MEMBER]) if r[i] is not None else None
            i += _N_MEMBER  # then p.user_id (NULL: no rights row), the rights, u.is_bot
            rights = RightsRow(*r[i + 1:i + 1 + _N_RIGHTS]) if r[i] is not None else None
            template = decide(chat, info, member, rights, bool(r[i + 1 + _N_RIGHTS]))
            if template is None:
                return None
            msg, ev = await _append(db, template, random_id)
            return msg, [ev]

        return await self.database.write(op)

    async def standing(self, chat_id: int, user_id: int) -> tuple[Any, ...] | None:
        """What a send's checks depend on (`_STANDING`), to compare with at the write."""

        async def op(db: Db) -> tuple[Any, ...] | None:
            row = await db.fetchrow(_STANDING, chat_id, user_id)
            return tuple(row) if row else None

        return await self.database.read(op)

    async def post(self, plan: Plan) -> tuple[Message | None, Out]:
        """Store one message as `plan` says; None when a scheduled message was already sent."""

        async def op(db: Db) -> tuple[Message | None, Out]:
            return await self._post(db, plan)

        return await self.database.write(op)

    async def post_many(self, plans: list[Plan], photos: list[tuple[Any, list[Any]]], owner: int
                        ) -> tuple[list[Message], Out]:
        """Store media messages (an album, or one) with their new photos in one transaction
        (`photos`: (domain.media.Photo, [store.files.StoredFile]) pairs)."""
        from steppe.store.files import _insert_photo

        async def op(db: Db) -> tuple[list[Message], Out]:
            found = [await db.fetchrow(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE"
                                       " sender_id = $1 AND random_id = $2",
                                       p.template.sender_id, p.random_id)
                     for p in plans if p.random_id is not None]
            if found and all(found):  # a retried send: what was stored then
                return [rows.message(r) for r in found], []
            for photo, files in photos:
                await _insert_photo(db, photo, owner, files)
            sent: list[Message] = []
            out: Out = []
            for plan in plans:
                msg, got = await self._post(db, plan)
                assert msg is not None
                sent.append(msg)
                out += got
            return sent, out

        return await self.database.write(op)

    async def _post(self, db: Db, plan: Plan) -> tuple[Message | None, Out]:
        t = plan.template
        out: Out = []
        if plan.sender is not None and self._lock_chat is not None:
            await db.execute(self._lock_chat, t.chat_id)
        if plan.scheduled_id is not None:
            if not await db.execute("DELETE FROM scheduled_messages WHERE id = $1",
                                    plan.scheduled_id):
                return None, []
            out.append(await _user_event(db, plan.scheduled_sender, lambda s: up.DeleteScheduled(
                s, t.date, t.chat_id, [plan.scheduled_id or 0], sent=True)))
        if plan.random_id is not None:
            row = await db.fetchrow(f"SELECT {MESSAGE_COLUMNS} FROM messages"
                                    " WHERE sender_id = $1 AND random_id = $2",
                                    t.sender_id, plan.random_id)
            if row:
                return rows.message(row), []
        if plan.standing is not None:
            row = await db.fetchrow(_STANDING, t.chat_id, plan.sender)
            if (tuple(row) if row else None) != plan.standing:
                raise StandingChanged()
        if plan.slowmode is not None:
            last = await db.fetchval("SELECT date FROM messages WHERE chat_id = $1"
                                     " AND sender_id = $2 ORDER BY id DESC LIMIT 1",
                                     t.chat_id, t.sender_id)
            access.check_slowmode(plan.slowmode(last))
        if plan.sender is not None and plan.standing is None:  # a basic chat: still in it?
            got = await _append_as(db, t, plan.random_id, plan.sender)
            if got is None:
                raise StandingChanged()
            msg, ev = got
        else:
            msg, ev = await _append(db, t, plan.random_id)
        out.append(ev)
        await self._extras(db, plan, msg)
        if plan.discussion_group is not None:
            out.append(await self._copy_to_discussion(db, msg, plan.discussion_group))
        return msg, out

    @staticmethod
    async def _extras(db: Db, plan: Plan, msg: Message) -> None:
        if plan.thread_id is not None:
            await db.execute("INSERT INTO message_threads (chat_id, thread_id, msg_id)"
                             " VALUES ($1, $2, $3)", msg.chat_id, plan.thread_id, msg.id)
            if plan.count_reply:
                await _count_reply(db, msg.chat_id, plan.thread_id, msg.id, +1)
        if plan.new_poll is not None:
            await db.execute("INSERT INTO polls (id, creator_id, poll, date) VALUES ($1, $2, $3,"
                             " $4)", plan.new_poll.id, plan.template.sender_id,
                             _poll.encode(plan.new_poll).decode(), msg.date)
        if msg.poll is not None:
            await db.execute("INSERT INTO poll_messages (poll_id, chat_id, msg_id) VALUES ($1, $2,"
                             " $3) ON CONFLICT DO NOTHING", msg.poll.id, msg.chat_id, msg.id)
        if plan.forwarded_from is not None:
            await _rewrite(db, *plan.forwarded_from,
                           lambda m: msgspec.structs.replace(m, forwards=(m.forwards or 0) + 1))

    @staticmethod
    async def _copy_to_discussion(db: Db, post: Message, group: int) -> Emitted:
        copy = msgspec.structs.replace(
            post, chat_id=group, id=0, views=None, forwards=None, replies=Replies(),
            fwd_from=Forward(from_user_id=post.sender_id, date=post.date,
                             from_chat_id=post.chat_id, from_msg_id=post.id))
        sent, ev = await _append(db, copy)
        await db.execute("INSERT INTO discussions (channel_id, post_id, group_id, group_msg_id)"
                         " VALUES ($1, $2, $3, $4)", post.chat_id, post.id, group, sent.id)
        if sent.poll is not None:
            await db.execute("INSERT INTO poll_messages (poll_id, chat_id, msg_id) VALUES ($1, $2,"
                             " $3) ON CONFLICT DO NOTHING", sent.poll.id, group, sent.id)
        return ev

    async def post_poll(self, msg: Message, now: int) -> None:
        """Adopt a poll a message got another way (a bot's): its votes are counted from now."""
        assert msg.poll is not None

        async def op(db: Db) -> None:
            await db.execute("INSERT INTO polls (id, creator_id, poll, date) VALUES ($1, $2, $3,"
                             " $4) ON CONFLICT DO NOTHING", msg.poll.id, msg.sender_id,
                             _poll.encode(msg.poll).decode(), now)
            await db.execute("INSERT INTO poll_messages (poll_id, chat_id, msg_id) VALUES ($1, $2,"
                             " $3) ON CONFLICT DO NOTHING", msg.poll.id, msg.chat_id, msg.id)

        await self.database.write(op)

    # ---- reading, deleting, counters ---------------------------------------------------------

    async def read(self, chat_id: int, user_id: int, max_id: int, now: int
                   ) -> tuple[Out, bool]:
        """Move the user's read mark (an account event); True when it passed everyone's."""

        async def op(db: Db) -> tuple[Out, bool]:
            top = await db.fetchval("SELECT read_inbox_max_id FROM members WHERE chat_id = $1"
                                    " ORDER BY read_inbox_max_id DESC LIMIT 1", chat_id)
            n = await db.execute("UPDATE members SET read_inbox_max_id = $3 WHERE chat_id = $1"
                                 " AND user_id = $2 AND read_inbox_max_id < $3",
                                 chat_id, user_id, max_id)
            if not n:
                return [], False
            ev = await _user_event(db, user_id,
                                   lambda s: up.ReadChannelInbox(s, now, chat_id, max_id))
            return [ev], max_id > (top or 0)

        return await self.database.write(op)

    async def delete(self, chat_id: int, ids: list[int], actor: int, now: int,
                     logged: list[Message]) -> Out:
        """Delete for everyone; replies leave their thread's count; deleting others' messages
        goes to the admin log with what was deleted."""

        async def op(db: Db) -> Out:
            gone = await _soft_delete(db, chat_id, ids)
            for msg_id in gone:
                for (thread_id,) in await db.fetch("SELECT thread_id FROM message_threads"
                                                   " WHERE chat_id = $1 AND msg_id = $2",
                                                   chat_id, msg_id):
                    await db.execute("DELETE FROM message_threads WHERE chat_id = $1"
                                     " AND thread_id = $2 AND msg_id = $3", chat_id, thread_id,
                                     msg_id)
                    await _count_reply(db, chat_id, thread_id, msg_id, -1)
            for m in logged:
                if m.id in gone:
                    await _log(db, chat_id, actor, now, "delete", message=msgspec.to_builtins(m))
            if not gone:
                return []
            ev, _ = await _chat_event(db, chat_id, now,
                                      lambda p: up.DeleteMessages(chat_id, p, now, gone))
            return [ev]

        return await self.database.write(op)

    async def add_views(self, counts: dict[tuple[int, int], int]) -> None:
        """Store views counted since the last flush: one row write per viewed message."""

        async def op(db: Db) -> None:
            for (chat_id, msg_id), n in sorted(counts.items()):
                await _rewrite(db, chat_id, msg_id,
                               lambda m, n=n: msgspec.structs.replace(m, views=(m.views or 0) + n))

        await self.database.write(op)

    async def discussion_of(self, channel_id: int, post_id: int) -> tuple[int, int] | None:
        async def op(db: Db) -> tuple[int, int] | None:
            row = await db.fetchrow("SELECT group_id, group_msg_id FROM discussions"
                                    " WHERE channel_id = $1 AND post_id = $2", channel_id, post_id)
            return (row[0], row[1]) if row else None

        return await self.database.read(op)

    async def thread_of(self, chat_id: int, msg_id: int) -> int | None:
        async def op(db: Db) -> int | None:
            return await db.fetchval(  # type: ignore[no-any-return]
                "SELECT thread_id FROM message_threads WHERE chat_id = $1 AND msg_id = $2",
                chat_id, msg_id)

        return await self.database.read(op)

    async def thread(self, chat_id: int, thread_id: int, offset_id: int, limit: int
                     ) -> list[Message]:
        """A thread's messages older than `offset_id` (0: the newest), newest first."""
        cols = ", ".join("m." + c.strip() for c in MESSAGE_COLUMNS.split(","))

        async def op(db: Db) -> list[Message]:
            found = await db.fetch(
                f"SELECT {cols} FROM message_threads t JOIN messages m ON m.chat_id = t.chat_id"
                " AND m.id = t.msg_id WHERE t.chat_id = $1 AND t.thread_id = $2 AND t.msg_id < $3"
                " AND m.deleted = 0 ORDER BY t.msg_id DESC LIMIT $4", chat_id, thread_id,
                offset_id or 2**62, limit)
            return [rows.message(r) for r in found]

        return await self.database.read(op)

    async def pinned(self, chat_id: int, limit: int) -> list[Message]:
        """Pinned messages, the most recent first."""

        async def op(db: Db) -> list[Message]:
            found = await db.fetch(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1"
                                   " AND pinned != 0 AND deleted = 0 ORDER BY id DESC LIMIT $2",
                                   chat_id, limit)
            return [rows.message(r) for r in found]

        return await self.database.read(op)

    async def unpin_all(self, chat_id: int, actor: int, now: int) -> Out:
        async def op(db: Db) -> Out:
            ids = [r[0] for r in await db.fetch(
                "SELECT id FROM messages WHERE chat_id = $1 AND pinned != 0 AND deleted = 0"
                " ORDER BY id", chat_id)]
            out: Out = []
            for msg_id in ids:
                await db.execute("UPDATE messages SET pinned = 0 WHERE chat_id = $1 AND id = $2",
                                 chat_id, msg_id)
                ev, _ = await _chat_event(db, chat_id, now,
                                          lambda p, i=msg_id: up.PinMessage(chat_id, p, now, i,
                                                                            False))
                out.append(ev)
            if ids:
                await _log(db, chat_id, actor, now, "pin", ids=ids, pinned=False)
            return out

        return await self.database.write(op)

    async def log_pin(self, chat_id: int, actor: int, msg_id: int, pinned: bool, now: int) -> None:
        async def op(db: Db) -> None:
            await _log(db, chat_id, actor, now, "pin", ids=[msg_id], pinned=pinned)

        await self.database.write(op)

    async def log_edit(self, chat_id: int, actor: int, prev: Message, now: int) -> None:
        async def op(db: Db) -> None:
            await _log(db, chat_id, actor, now, "edit", message=msgspec.to_builtins(prev))

        await self.database.write(op)

    # ---- forum topics ------------------------------------------------------------------------

    async def topic(self, chat_id: int, topic_id: int) -> ForumTopic | None:
        async def op(db: Db) -> ForumTopic | None:
            return await _get_topic(db, chat_id, topic_id)

        return await self.database.read(op)

    async def topics(self, chat_id: int, offset_id: int, limit: int) -> list[ForumTopic]:
        """Pinned topics first (in pin order), then the newest."""

        async def op(db: Db) -> list[ForumTopic]:
            found = await db.fetch(
                f"SELECT {TOPIC_COLUMNS} FROM forum_topics WHERE chat_id = $1 AND id < $2"
                " ORDER BY pinned DESC, id DESC LIMIT $3", chat_id, offset_id or 2**62, limit)
            return [_topic(r) for r in found]

        return await self.database.read(op)

    async def create_topic(self, chat_id: int, actor: int, title: str, icon_color: int, now: int
                           ) -> tuple[ForumTopic, Out]:
        async def op(db: Db) -> tuple[ForumTopic, Out]:
            action = Action("topic_create", title=title, icon_color=icon_color)
            msg, ev = await _append(db, Message(chat_id=chat_id, id=0, sender_id=actor, date=now,
                                                action=action))
            topic = ForumTopic(chat_id=chat_id, id=msg.id, title=title, creator_id=actor,
                               date=now, icon_color=icon_color)
            await db.execute(f"INSERT INTO forum_topics ({TOPIC_COLUMNS}) VALUES ($1, $2, $3, $4,"
                             " $5, $6, 0, 0, 0)", chat_id, topic.id, title, actor, now, icon_color)
            await _log(db, chat_id, actor, now, "topic", op="create", topic_id=topic.id,
                       title=title)
            changed, _ = await _chat_event(db, chat_id, now,
                                           lambda p: up.ForumTopicChanged(chat_id, p, now, topic))
            return topic, [ev, changed]

        return await self.database.write(op)

    async def edit_topic(self, chat_id: int, topic_id: int, actor: int, now: int, *,
                         title: str | None, closed: bool | None, hidden: bool | None,
                         pinned: bool | None) -> tuple[ForumTopic, Out]:
        async def op(db: Db) -> tuple[ForumTopic, Out]:
            out: Out = []
            if title is not None:
                await db.execute("UPDATE forum_topics SET title = $3 WHERE chat_id = $1"
                                 " AND id = $2", chat_id, topic_id, title)
            if closed is not None or hidden is not None:
                await db.execute(
                    "UPDATE forum_topics SET closed = coalesce($3, closed),"
                    " hidden = coalesce($4, hidden) WHERE chat_id = $1 AND id = $2", chat_id,
                    topic_id, None if closed is None else int(closed),
                    None if hidden is None else int(hidden))
            if pinned is not None:
                order = 0
                if pinned:
                    order = 1 + await db.fetchval("SELECT coalesce(max(pinned), 0) FROM"
                                                  " forum_topics WHERE chat_id = $1", chat_id)
                await db.execute("UPDATE forum_topics SET pinned = $3 WHERE chat_id = $1"
                                 " AND id = $2", chat_id, topic_id, order)
            topic = await _get_topic(db, chat_id, topic_id)
            assert topic is not None
            if title is not None or closed is not None:
                note, ev = await _append(db, Message(
                    chat_id=chat_id, id=0, sender_id=actor, date=now, thread_id=topic_id,
                    action=Action("topic_edit", title=title, closed=closed)))
                await db.execute("INSERT INTO message_threads (chat_id, thread_id, msg_id)"
                                 " VALUES ($1, $2, $3)", chat_id, topic_id, note.id)
                out.append(ev)
            await _log(db, chat_id, actor, now, "topic", op="edit", topic_id=topic_id,
                       title=title, closed=closed, hidden=hidden, pinned=pinned)
            changed, _ = await _chat_event(db, chat_id, now,
                                           lambda p: up.ForumTopicChanged(chat_id, p, now, topic))
            return topic, [*out, changed]

        return await self.database.write(op)
