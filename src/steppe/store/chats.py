"""Chats, members, messages and the update logs."""

from __future__ import annotations

import msgspec

from steppe.domain import updates as up
from steppe.domain.errors import bad_request
from steppe.domain.models import Action, Chat, Dialog, Member, Message, User
from steppe.store import rows
from steppe.store.db import Database, Db, IntegrityError, SqliteDatabase
from steppe.store.files import link_message_files
from steppe.store.rows import CHAT_COLUMNS, MEMBER_COLUMNS, MESSAGE_COLUMNS, USER_COLUMNS
from steppe.store.store import (
    Emitted,
    Out,
    _log_chat_event,
    _next_pts,
    _user_event,
)

LIVE = "deleted = 0"
_N_CHAT, _N_MEMBER = CHAT_COLUMNS.count(",") + 1, MEMBER_COLUMNS.count(",") + 1
_PRIVATE_WITH = (
    f"SELECT {rows.prefixed('c', CHAT_COLUMNS)}, {rows.prefixed('m', MEMBER_COLUMNS)},"
    f" {rows.prefixed('u', USER_COLUMNS)} FROM chats c"
    " JOIN members m ON m.chat_id = c.id AND m.user_id = $3 JOIN users u ON u.id = $4"
    " WHERE c.user_a = $1 AND c.user_b = $2")


def chat_lock(database: Database) -> str | None:
    """The statement a send runs first on PostgreSQL: it locks the chat's row before the
    sender's membership or rights are read, so a removal committing meanwhile is either wholly
    before the read or waits for the send (an UPDATE that waited for the row would recheck only
    that row). None on SQLite, whose writes never overlap."""
    return None if isinstance(database, SqliteDatabase) else (
        "SELECT 1 FROM chats WHERE id = $1 FOR UPDATE")


async def _chat(db: Db, chat_id: int) -> Chat | None:
    row = await db.fetchrow(f"SELECT {CHAT_COLUMNS} FROM chats WHERE id = $1", chat_id)
    return rows.chat(row) if row else None


async def _member(db: Db, chat_id: int, user_id: int) -> Member | None:
    row = await db.fetchrow(
        f"SELECT {MEMBER_COLUMNS} FROM members WHERE chat_id = $1 AND user_id = $2",
        chat_id, user_id)
    return rows.member(row) if row else None


async def _message(db: Db, chat_id: int, msg_id: int) -> Message | None:
    row = await db.fetchrow(
        f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 AND id = $2 AND {LIVE}",
        chat_id, msg_id)
    return rows.message(row) if row else None


async def _soft_delete(db: Db, chat_id: int, ids: list[int]) -> list[int]:
    """Delete for everyone: the row stays (its random_id keeps retries idempotent), its content
    goes. Returns the ids that were live."""
    gone = []
    for msg_id in ids:
        n = await db.execute(
            "UPDATE messages SET deleted = 1, text = '', entities = NULL, fwd = NULL"
            " WHERE chat_id = $1 AND id = $2 AND deleted = 0", chat_id, msg_id)
        if n:
            gone.append(msg_id)
    return gone


async def _insert_message(db: Db, msg: Message, random_id: int | None) -> None:
    await db.execute(
        "INSERT INTO messages (chat_id, id, sender_id, date, text, entities, reply_to, fwd,"
        " action, random_id, extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        msg.chat_id, msg.id, msg.sender_id, msg.date, msg.text, rows.json_text(msg.entities),
        msg.reply_to, rows.json_text(msg.fwd_from), rows.json_text(msg.action), random_id,
        rows.message_extra(msg))
    await link_message_files(db, msg)  # the files a media message shows (issue 6)


async def _append(db: Db, template: Message, random_id: int | None = None
                  ) -> tuple[Message, Emitted]:
    """Store `template` as the chat's next message (its id and pts taken now) and log the event.
    A `random_id` the sender used before raises RANDOM_ID_DUPLICATE (the unique index on
    (sender_id, random_id) is the check), which undoes the whole write."""
    got = await _append_as(db, template, random_id, None)
    assert got is not None
    return got


async def _append_as(db: Db, template: Message, random_id: int | None, member: int | None
                     ) -> tuple[Message, Emitted] | None:
    """`_append`; with `member`, only into a basic chat (private or group) that user is in now,
    checked by the statement that takes the pts: None, and nothing written, otherwise."""
    got = await _append_at(db, template, random_id, member)
    return None if got is None else (got[0], got[1])


async def _append_at(db: Db, template: Message, random_id: int | None, member: int | None
                     ) -> tuple[Message, Emitted, int] | None:
    """`_append_as`, with the pts the message took."""
    chat_id, now = template.chat_id, template.date
    taken = await _next_pts(db, chat_id, now, True, member)
    if taken is None:
        return None
    pts, msg_id = taken
    msg = msgspec.structs.replace(template, id=msg_id)
    ev = await _log_chat_event(db, chat_id, pts, up.NewMessage(chat_id, pts, now, msg))
    try:
        await _insert_message(db, msg, random_id)
    except IntegrityError as exc:
        if exc.on("random"):  # messages_random: (sender_id, random_id)
            raise bad_request("RANDOM_ID_DUPLICATE") from exc
        raise
    return msg, ev, pts


async def _service(db: Db, chat_id: int, actor: int, now: int, action: Action) -> Emitted:
    """A service message: what happened to the chat, shown in its history."""
    _, ev = await _append(db, Message(chat_id=chat_id, id=0, sender_id=actor, date=now,
                                      action=action))
    return ev


async def _add_member(db: Db, chat: Chat, user_id: int, role: str, inviter: int, now: int,
                      pts_before: int) -> Out:
    await db.execute(
        "INSERT INTO members (chat_id, user_id, role, inviter_id, joined) VALUES ($1,$2,$3,$4,$5)",
        chat.id, user_id, role, inviter, now)
    ev = await _user_event(db, user_id, lambda s: up.JoinChat(s, now, chat, pts_before))
    return [ev, Emitted("join", user_id, "", chat.id)]


async def _member_chats(db: Db, user_id: int) -> dict[int, int]:
    found = await db.fetch("SELECT c.id, c.pts FROM members m JOIN chats c ON c.id = m.chat_id"
                           " WHERE m.user_id = $1", user_id)
    return {r[0]: r[1] for r in found}


async def _private_chat_ids(db: Db, user_id: int, limit: int) -> list[int]:
    found = await db.fetch(
        "SELECT c.id FROM members m JOIN chats c ON c.id = m.chat_id WHERE m.user_id = $1"
        " AND c.kind = 'private' AND c.user_a != c.user_b ORDER BY c.last_date DESC LIMIT $2",
        user_id, limit)
    return [r[0] for r in found]


class ChatStore:
    def __init__(self, database: Database):
        self.database = database

    # ---- reads -------------------------------------------------------------------------------

    async def chat_and_member(self, chat_id: int, user_id: int
                              ) -> tuple[Chat | None, Member | None]:
        async def op(db: Db) -> tuple[Chat | None, Member | None]:
            member = await _member(db, chat_id, user_id)
            return (await _chat(db, chat_id) if member else None), member

        return await self.database.read(op)

    async def member(self, chat_id: int, user_id: int) -> Member | None:
        async def op(db: Db) -> Member | None:
            return await _member(db, chat_id, user_id)

        return await self.database.read(op)

    async def get_chat(self, chat_id: int) -> Chat | None:
        async def op(db: Db) -> Chat | None:
            return await _chat(db, chat_id)

        return await self.database.read(op)

    async def private_with(self, user_id: int, peer_id: int
                           ) -> tuple[Chat, Member, User] | None:
        """The private chat of two users, the first one's membership and the second one's
        account, in one statement; None when any of them is missing."""
        lo, hi = min(user_id, peer_id), max(user_id, peer_id)

        async def op(db: Db) -> tuple[Chat, Member, User] | None:
            row = await db.fetchrow(_PRIVATE_WITH, lo, hi, user_id, peer_id)
            if row is None:
                return None
            r = tuple(row)
            return (rows.chat(r[:_N_CHAT]), rows.member(r[_N_CHAT:_N_CHAT + _N_MEMBER]),
                    rows.user(r[_N_CHAT + _N_MEMBER:]))

        return await self.database.read(op)

    async def private_chat_id(self, a: int, b: int) -> int | None:
        lo, hi = min(a, b), max(a, b)

        async def op(db: Db) -> int | None:
            return await db.fetchval("SELECT id FROM chats WHERE user_a = $1 AND user_b = $2", lo, hi)

        return await self.database.read(op)

    async def members(self, chat_id: int) -> list[Member]:
        async def op(db: Db) -> list[Member]:
            found = await db.fetch(
                f"SELECT {MEMBER_COLUMNS} FROM members WHERE chat_id = $1 ORDER BY joined, user_id",
                chat_id)
            return [rows.member(r) for r in found]

        return await self.database.read(op)

    async def member_chats(self, user_id: int) -> dict[int, int]:
        """Every chat the user is in, with its current pts: the one pass a difference makes."""

        async def op(db: Db) -> dict[int, int]:
            return await _member_chats(db, user_id)

        return await self.database.read(op)

    async def private_chat_ids(self, user_id: int, limit: int) -> list[int]:
        """The user's private chats with someone else, most recently active first."""

        async def op(db: Db) -> list[int]:
            return await _private_chat_ids(db, user_id, limit)

        return await self.database.read(op)

    async def session(self, user_id: int, peers: int
                      ) -> tuple[dict[int, int], list[int], User | None]:
        """What a connection binding to a user reads, in one read (one pooled connection on
        PostgreSQL): `member_chats`, `private_chat_ids` (at most `peers`) and the user."""

        async def op(db: Db) -> tuple[dict[int, int], list[int], User | None]:
            chats = await _member_chats(db, user_id)
            private = await _private_chat_ids(db, user_id, peers)
            row = await db.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
            return chats, private, rows.user(row) if row else None

        return await self.database.read(op)

    async def get_messages(self, chat_id: int, ids: list[int], viewer: int = 0) -> list[Message]:
        """Live messages by id; with a `viewer`, without those they deleted for themselves."""

        async def op(db: Db) -> list[Message]:
            out = []
            for msg_id in ids:
                msg = await _message(db, chat_id, msg_id)
                if msg and viewer and await db.fetchval(
                        "SELECT 1 FROM hidden_messages WHERE user_id = $1 AND chat_id = $2"
                        " AND msg_id = $3", viewer, chat_id, msg_id):
                    continue
                if msg:
                    out.append(msg)
            return out

        return await self.database.read(op)

    async def history(self, chat_id: int, user_id: int, offset_id: int, newer: bool, limit: int
                      ) -> list[Message]:
        """Messages older than `offset_id` (0: the newest), or newer than it; newest first."""
        hidden = ("NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = $4"
                  " AND h.chat_id = m.chat_id AND h.msg_id = m.id)")
        if newer:
            sql = (f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE chat_id = $1 AND id > $2"
                   f" AND {LIVE} AND {hidden} ORDER BY id ASC LIMIT $3")
        else:
            sql = (f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE chat_id = $1 AND id < $2"
                   f" AND {LIVE} AND {hidden} ORDER BY id DESC LIMIT $3")
        upper = offset_id if offset_id > 0 or newer else 2**62

        async def op(db: Db) -> list[Message]:
            found = [rows.message(r) for r in await db.fetch(sql, chat_id, upper, limit, user_id)]
            return found[::-1] if newer else found

        return await self.database.read(op)

    async def dialogs(self, user_id: int, offset_date: int, offset_chat: int, limit: int,
                      *, pinned_only: bool = False) -> list[Dialog]:
        cols = ", ".join("c." + c.strip() for c in CHAT_COLUMNS.split(","))
        where = "m.pinned > 0" if pinned_only else "m.pinned = 0 AND (c.last_date, c.id) < ($3, $4)"
        page = () if pinned_only else (offset_date, offset_chat)  # every $n must be used (PostgreSQL)
        order = "m.pinned DESC" if pinned_only else "c.last_date DESC, c.id DESC"

        async def op(db: Db) -> list[Dialog]:
            found = await db.fetch(
                f"SELECT {cols}, m.read_inbox_max_id, m.pinned, m.role FROM members m"
                f" JOIN chats c ON c.id = m.chat_id WHERE m.user_id = $1 AND {where}"
                f" ORDER BY {order} LIMIT $2", user_id, limit, *page)
            return [await self._dialog(db, user_id, r) for r in found]

        return await self.database.read(op)

    async def dialog(self, user_id: int, chat_id: int) -> Dialog | None:
        cols = ", ".join("c." + c.strip() for c in CHAT_COLUMNS.split(","))

        async def op(db: Db) -> Dialog | None:
            row = await db.fetchrow(
                f"SELECT {cols}, m.read_inbox_max_id, m.pinned, m.role FROM members m"
                " JOIN chats c ON c.id = m.chat_id WHERE m.user_id = $1 AND m.chat_id = $2",
                user_id, chat_id)
            return await self._dialog(db, user_id, row) if row else None

        return await self.database.read(op)

    @staticmethod
    async def _dialog(db: Db, user_id: int, row: object) -> Dialog:
        chat = rows.chat(row)
        read_in, pinned = row[10], row[11]  # type: ignore[index]
        top = await db.fetchrow(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m WHERE chat_id = $1 AND {LIVE}"
            " AND NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = $2"
            " AND h.chat_id = m.chat_id AND h.msg_id = m.id) ORDER BY id DESC LIMIT 1",
            chat.id, user_id)
        # A channel's posts are its admins' own: never unread for them.
        own = -chat.id if chat.kind == "channel" and row[12] in ("creator", "admin") else user_id  # type: ignore[index]
        unread = await db.fetchval(
            f"SELECT count(*) FROM messages m WHERE chat_id = $1 AND id > $2 AND sender_id != $3"
            f" AND sender_id != $4 AND {LIVE} AND NOT EXISTS (SELECT 1 FROM hidden_messages h"
            " WHERE h.user_id = $3 AND h.chat_id = m.chat_id AND h.msg_id = m.id)",
            chat.id, read_in, user_id, own)
        read_out = await db.fetchval(
            "SELECT max(read_inbox_max_id) FROM members WHERE chat_id = $1 AND user_id != $2",
            chat.id, user_id)
        peer = None
        if chat.kind == "private":
            peer = next((u for u in chat.user_ids if u != user_id), user_id)
        return Dialog(chat=chat, top_message=rows.message(top) if top else None,
                      unread_count=unread, read_inbox_max_id=read_in,
                      read_outbox_max_id=read_out or 0, pinned=bool(pinned), peer_user_id=peer)

    async def chat_events(self, chat_id: int, after_pts: int, limit: int) -> list[str]:
        async def op(db: Db) -> list[str]:
            found = await db.fetch(
                "SELECT payload FROM chat_events WHERE chat_id = $1 AND pts > $2"
                " ORDER BY pts LIMIT $3", chat_id, after_pts, limit)
            return [r[0] for r in found]

        return await self.database.read(op)

    async def user_events(self, user_id: int, after_seq: int, limit: int) -> list[str]:
        async def op(db: Db) -> list[str]:
            found = await db.fetch(
                "SELECT payload FROM user_events WHERE user_id = $1 AND seq > $2"
                " ORDER BY seq LIMIT $3", user_id, after_seq, limit)
            return [r[0] for r in found]

        return await self.database.read(op)

    # ---- writes ------------------------------------------------------------------------------

    async def create_private(self, a: int, b: int, now: int) -> tuple[Chat, Out]:
        lo, hi = min(a, b), max(a, b)

        async def op(db: Db) -> tuple[Chat, Out]:
            existing = await db.fetchval(
                "SELECT id FROM chats WHERE user_a = $1 AND user_b = $2", lo, hi)
            if existing:
                chat = await _chat(db, existing)
                assert chat is not None
                return chat, []
            row = await db.fetchrow(
                "INSERT INTO chats (kind, creator_id, user_a, user_b, last_date, member_count,"
                " created) VALUES ('private', $1, $2, $3, $4, $5, $4)"
                f" ON CONFLICT (user_a, user_b) DO NOTHING RETURNING {CHAT_COLUMNS}",
                a, lo, hi, now, 1 if lo == hi else 2)
            if row is None:  # another node created it a moment ago
                row = await db.fetchrow(
                    f"SELECT {CHAT_COLUMNS} FROM chats WHERE user_a = $1 AND user_b = $2", lo, hi)
                return rows.chat(row), []
            chat = rows.chat(row)
            out: Out = []
            for user_id in dict.fromkeys((lo, hi)):
                out += await _add_member(db, chat, user_id, "member", a, now, 0)
            return chat, out

        return await self.database.write(op)

    async def create_group(self, creator: int, title: str, member_ids: list[int], now: int
                           ) -> tuple[Chat, Out]:
        async def op(db: Db) -> tuple[Chat, Out]:
            row = await db.fetchrow(
                "INSERT INTO chats (kind, title, creator_id, last_date, member_count, created)"
                f" VALUES ('group', $1, $2, $3, $4, $3) RETURNING {CHAT_COLUMNS}",
                title, creator, now, 1 + len(member_ids))
            chat = rows.chat(row)
            out: Out = []
            out += await _add_member(db, chat, creator, "creator", creator, now, 0)
            for user_id in member_ids:
                out += await _add_member(db, chat, user_id, "member", creator, now, 0)
            action = Action("chat_create", title=title, user_ids=[creator, *member_ids])
            out.append(await _service(db, chat.id, creator, now, action))
            fresh = await _chat(db, chat.id)
            assert fresh is not None
            return fresh, out

        return await self.database.write(op)

    async def add_members(self, chat_id: int, actor: int, user_ids: list[int], now: int) -> Out:
        async def op(db: Db) -> Out:
            chat = await _chat(db, chat_id)
            assert chat is not None
            out: Out = []
            for user_id in user_ids:
                if await _member(db, chat_id, user_id):
                    raise bad_request("USER_ALREADY_PARTICIPANT")
                out += await _add_member(db, chat, user_id, "member", actor, now, chat.pts)
            await db.execute("UPDATE chats SET member_count = member_count + $2 WHERE id = $1",
                             chat_id, len(user_ids))
            action = Action("chat_add_user", user_ids=user_ids)
            return [*out, await _service(db, chat_id, actor, now, action)]

        return await self.database.write(op)

    async def remove_member(self, chat_id: int, actor: int, user_id: int, now: int) -> Out:
        async def op(db: Db) -> Out:
            action = Action("chat_delete_user", user_ids=[user_id])
            ev = await _service(db, chat_id, actor, now, action)
            await db.execute("DELETE FROM members WHERE chat_id = $1 AND user_id = $2",
                             chat_id, user_id)
            await db.execute("UPDATE chats SET member_count = member_count - 1 WHERE id = $1",
                             chat_id)
            left = await _user_event(db, user_id, lambda s: up.LeaveChat(s, now, chat_id))
            return [ev, left, Emitted("leave", user_id, "", chat_id)]

        return await self.database.write(op)

    async def rename(self, chat_id: int, actor: int, title: str, now: int) -> Out:
        async def op(db: Db) -> Out:
            await db.execute("UPDATE chats SET title = $2 WHERE id = $1", chat_id, title)
            return [await _service(db, chat_id, actor, now, Action("chat_edit_title", title=title))]

        return await self.database.write(op)

    async def set_dialog_pinned(self, user_id: int, chat_id: int, pinned: bool, now: int) -> Out:
        async def op(db: Db) -> Out:
            order = 0
            if pinned:
                order = 1 + (await db.fetchval(
                    "SELECT coalesce(max(pinned), 0) FROM members WHERE user_id = $1", user_id))
            await db.execute("UPDATE members SET pinned = $3 WHERE chat_id = $1 AND user_id = $2",
                             chat_id, user_id, order)
            return [await _user_event(db, user_id,
                                      lambda s: up.DialogPinned(s, now, chat_id, pinned))]

        return await self.database.write(op)
