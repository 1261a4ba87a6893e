"""Supergroups and channels: settings, participants and their rights, joining and leaving, the
admin log, the fast path that fills a channel for tests and benchmarks.

Joins and leaves are account events of the user who joins or leaves (plus, in a supergroup, a
service message); nothing here writes a row per subscriber except the membership itself.
"""

from __future__ import annotations

from typing import Any

import msgspec

from steppe.domain import channels as ch
from steppe.domain import updates as up
from steppe.domain.channels import ChatInfo, Participant, RightsRow
from steppe.domain.errors import bad_request
from steppe.domain.models import Action, Chat, Member
from steppe.store import rows
from steppe.store.chats import _add_member, _chat, _member, _service
from steppe.store.db import Database, Db, IntegrityError, SqliteDatabase
from steppe.store.rows import CHAT_COLUMNS
from steppe.store.store import Emitted, Out, _chat_event, _user_event

SETTINGS_COLUMNS = ("chat_id, about, username, signatures, slowmode, forum, linked_chat_id,"
                    " default_banned, reactions, reactions_limit, migrated_from,"
                    " migrated_from_max_id, migrated_to")
RIGHTS_COLUMNS = "admin_rights, rank, promoted_by, banned_rights, until_date, kicked_by"
_reactions = msgspec.json.Decoder(list[str])
_enc = msgspec.json.Encoder()


def info_of(row: Any, chat_id: int) -> ChatInfo:
    if row is None:
        return ChatInfo(chat_id=chat_id)
    return ChatInfo(
        chat_id=row[0], about=row[1], username=row[2], signatures=bool(row[3]),
        slowmode_seconds=row[4], forum=bool(row[5]), linked_chat_id=row[6],
        default_banned_rights=ch.banned_rights(row[7]),
        available_reactions=_reactions.decode(row[8]) if row[8] else None,
        reactions_limit=row[9], migrated_from_chat_id=row[10], migrated_from_max_id=row[11],
        migrated_to=row[12])


async def _info(db: Db, chat_id: int) -> ChatInfo:
    row = await db.fetchrow(f"SELECT {SETTINGS_COLUMNS} FROM chat_settings WHERE chat_id = $1",
                            chat_id)
    return info_of(row, chat_id)


async def _rights(db: Db, chat_id: int, user_id: int) -> RightsRow | None:
    row = await db.fetchrow(f"SELECT {RIGHTS_COLUMNS} FROM chat_participants"
                            " WHERE chat_id = $1 AND user_id = $2", chat_id, user_id)
    return RightsRow(*row) if row else None


async def _participant(db: Db, chat_id: int, user_id: int, now: int) -> Participant:
    member = await _member(db, chat_id, user_id)
    is_bot = bool(await db.fetchval("SELECT is_bot FROM users WHERE id = $1", user_id))
    return ch.make_participant(user_id, member, await _rights(db, chat_id, user_id), now,
                               is_bot=is_bot)


async def _log(db: Db, chat_id: int, actor: int, now: int, action: str, **data: Any) -> None:
    """One entry of the admin log: who did what, and when."""
    await db.execute("INSERT INTO admin_log (chat_id, user_id, date, action, data)"
                     " VALUES ($1, $2, $3, $4, $5)", chat_id, actor, now, action,
                     _enc.encode(data).decode())


async def _info_event(db: Db, chat_id: int, now: int) -> Emitted:
    info = await _info(db, chat_id)
    chat = await _chat(db, chat_id)
    title = chat.title if chat else ""
    ev, _ = await _chat_event(db, chat_id, now,
                              lambda p: up.ChatInfoChanged(chat_id, p, now, info, title))
    return ev


async def _rights_event(db: Db, chat_id: int, user_id: int, now: int) -> Emitted:
    p = await _participant(db, chat_id, user_id, now)
    return await _user_event(db, user_id, lambda s: up.ChatRights(s, now, chat_id, p))


async def _join(db: Db, chat_id: int, user_id: int, inviter: int, now: int, how: str,
                link: str | None = None) -> Out:
    """Add a member: an account event for them, and in a supergroup a service message."""
    await db.execute("UPDATE chats SET member_count = member_count + 1 WHERE id = $1", chat_id)
    chat = await _chat(db, chat_id)
    assert chat is not None
    # The history before joining counts as read, as in Telegram: unread starts from now.
    await db.execute(
        "INSERT INTO members (chat_id, user_id, role, inviter_id, joined, read_inbox_max_id)"
        " VALUES ($1, $2, 'member', $3, $4, $5)", chat_id, user_id, inviter, now, chat.top_msg_id)
    out = [await _user_event(db, user_id, lambda s: up.JoinChat(s, now, chat, chat.pts)),
           Emitted("join", user_id, "", chat_id)]
    await db.execute("DELETE FROM join_requests WHERE chat_id = $1 AND user_id = $2",
                     chat_id, user_id)
    if link is not None:
        await db.execute("INSERT INTO invite_importers (link, user_id, date) VALUES ($1, $2, $3)"
                         " ON CONFLICT DO NOTHING", link, user_id, now)
    await _log(db, chat_id, user_id, now, "join", how=how, inviter_id=inviter, link=link)
    if chat.kind == "supergroup":
        kind = "chat_add_user" if how == "invite" else "chat_joined_by_link"
        if how == "username":
            kind = "chat_join"
        out.append(await _service(db, chat_id, inviter if how == "invite" else user_id, now,
                                  Action(kind, user_ids=[user_id])))
    return out


async def _leave(db: Db, chat: Chat, user_id: int, actor: int, now: int,
                 migrated_to: int | None = None) -> Out:
    """Remove a member (a ban or a restriction stays; admin rights go)."""
    gone = await db.execute("DELETE FROM members WHERE chat_id = $1 AND user_id = $2",
                            chat.id, user_id)
    if not gone:
        return []
    await db.execute("DELETE FROM chat_participants WHERE chat_id = $1 AND user_id = $2"
                     " AND banned_rights = 0", chat.id, user_id)
    await db.execute("UPDATE chats SET member_count = member_count - 1 WHERE id = $1", chat.id)
    out: Out = []
    if chat.kind == "supergroup":
        out.append(await _service(db, chat.id, actor, now,
                                  Action("chat_delete_user", user_ids=[user_id])))
    if chat.kind in ch.BIG_KINDS:
        await _log(db, chat.id, actor, now, "leave", user_id=user_id)
    out.append(await _user_event(db, user_id,
                                 lambda s: up.LeaveChat(s, now, chat.id, migrated_to)))
    out.append(Emitted("leave", user_id, "", chat.id))
    return out


class ChannelStore:
    def __init__(self, database: Database):
        self.database = database
        # PostgreSQL: accounts given their ids by `bulk_users` move the users' id sequence past
        # them (SQLite's next rowid is max + 1 anyway)
        self._id_sequence = None if isinstance(database, SqliteDatabase) else (
            "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))")

    # ---- reads -------------------------------------------------------------------------------

    async def context(self, chat_id: int, user_id: int, now: int
                      ) -> tuple[Chat | None, ChatInfo, Participant]:
        """The chat, its settings and the user as it sees them, in one read."""

        async def op(db: Db) -> tuple[Chat | None, ChatInfo, Participant]:
            return (await _chat(db, chat_id), await _info(db, chat_id),
                    await _participant(db, chat_id, user_id, now))

        return await self.database.read(op)

    async def info(self, chat_id: int) -> ChatInfo:
        async def op(db: Db) -> ChatInfo:
            return await _info(db, chat_id)

        return await self.database.read(op)

    async def participant(self, chat_id: int, user_id: int, now: int) -> Participant:
        async def op(db: Db) -> Participant:
            return await _participant(db, chat_id, user_id, now)

        return await self.database.read(op)

    async def by_username(self, username: str) -> int | None:
        async def op(db: Db) -> int | None:
            return await db.fetchval(  # type: ignore[no-any-return]
                "SELECT chat_id FROM chat_settings WHERE username_lc = $1", username.lower())

        return await self.database.read(op)

    async def participants(self, chat_id: int, filter: str, q: str, offset: int, limit: int,
                           now: int) -> tuple[int, list[Participant]]:
        """A page of participants by `filter` (see domain/channels.PARTICIPANT_FILTERS), and
        how many there are in all."""
        cols = ("u.id, m.role, m.inviter_id, m.joined, p.admin_rights, p.rank, p.promoted_by,"
                " p.banned_rights, p.until_date, p.kicked_by, u.is_bot")
        base = ("FROM members m JOIN users u ON u.id = m.user_id LEFT JOIN chat_participants p"
                " ON p.chat_id = m.chat_id AND p.user_id = m.user_id WHERE m.chat_id = $1")
        args: list[object] = [chat_id]

        def arg(value: object) -> str:
            args.append(value)
            return f"${len(args)}"

        where, order = "", "m.joined DESC, m.user_id DESC"
        if filter == "admins":
            base = ("FROM chat_participants p JOIN members m ON m.chat_id = p.chat_id"
                    " AND m.user_id = p.user_id JOIN users u ON u.id = p.user_id"
                    " WHERE p.chat_id = $1")
            where, order = " AND m.role IN ('creator', 'admin')", "m.joined, m.user_id"
        elif filter == "restricted":
            where = (" AND p.banned_rights != 0 AND (p.banned_rights & 1) = 0"
                     f" AND (p.until_date = 0 OR p.until_date > {arg(now)})")
        elif filter == "banned":
            cols = ("u.id, NULL, 0, 0, p.admin_rights, p.rank, p.promoted_by, p.banned_rights,"
                    " p.until_date, p.kicked_by, u.is_bot")
            base = ("FROM chat_participants p JOIN users u ON u.id = p.user_id"
                    " WHERE p.chat_id = $1")
            where = (" AND (p.banned_rights & 1) = 1"
                     f" AND (p.until_date = 0 OR p.until_date > {arg(now)})")
            order = "p.date DESC, u.id DESC"
        elif filter == "bots":
            where = " AND u.is_bot = 1"
        elif filter == "search":
            like = arg("%" + q.lower().replace("%", "").replace("_", "") + "%")
            where = (f" AND (lower(u.first_name || ' ' || u.last_name) LIKE {like}"
                     f" OR u.username_lc LIKE {like})")
        page = f" LIMIT {arg(limit)} OFFSET {arg(offset)}"
        count_args = args[:-2]

        async def op(db: Db) -> tuple[int, list[Participant]]:
            if filter == "recent":
                total = (await _chat(db, chat_id) or Chat(id=0, kind="")).member_count
            else:
                total = await db.fetchval(f"SELECT count(*) {base}{where}", *count_args)
            found = await db.fetch(f"SELECT {cols} {base}{where} ORDER BY {order}{page}", *args)
            return total, [_participant_row(r, chat_id, now) for r in found]

        return await self.database.read(op)

    async def admin_log(self, chat_id: int, max_id: int, limit: int, actions: list[str],
                        admins: list[int], q: str) -> list[ch.AdminLogEntry]:
        args: list[object] = [chat_id, max_id or 2**62]
        where = ""
        if actions:
            where += f" AND action IN ({', '.join(f'${len(args) + 1 + i}' for i in range(len(actions)))})"
            args += actions
        if admins:
            where += f" AND user_id IN ({', '.join(f'${len(args) + 1 + i}' for i in range(len(admins)))})"
            args += admins
        if q:
            args.append("%" + q.replace("%", "").replace("_", "") + "%")
            where += f" AND data LIKE ${len(args)}"
        args.append(limit)

        async def op(db: Db) -> list[ch.AdminLogEntry]:
            found = await db.fetch(
                "SELECT id, chat_id, user_id, date, action, data FROM admin_log"
                f" WHERE chat_id = $1 AND id < $2{where} ORDER BY id DESC LIMIT ${len(args)}",
                *args)
            return [ch.AdminLogEntry(r[0], r[1], r[2], r[3], r[4], msgspec.json.decode(r[5]))
                    for r in found]

        return await self.database.read(op)

    # ---- creating and settings ---------------------------------------------------------------

    async def create(self, creator: int, kind: str, title: str, about: str, forum: bool,
                     now: int) -> tuple[Chat, Out]:
        defaults = ch.to_bits(ch.DEFAULT_BANNED) if kind == "supergroup" else 0

        async def op(db: Db) -> tuple[Chat, Out]:
            row = await db.fetchrow(
                "INSERT INTO chats (kind, title, creator_id, last_date, member_count, created)"
                f" VALUES ($1, $2, $3, $4, 1, $4) RETURNING {CHAT_COLUMNS}",
                kind, title, creator, now)
            chat = rows.chat(row)
            await db.execute("INSERT INTO chat_settings (chat_id, about, forum, default_banned)"
                             " VALUES ($1, $2, $3, $4)", chat.id, about, int(forum), defaults)
            await db.execute("INSERT INTO chat_participants (chat_id, user_id, admin_rights, date)"
                             " VALUES ($1, $2, $3, $4)", chat.id, creator,
                             ch.to_bits(ch.CREATOR_RIGHTS), now)
            out = await _add_member(db, chat, creator, "creator", creator, now, 0)
            kind_action = "channel_create" if kind == "channel" else "chat_create"
            sender = -chat.id if kind == "channel" else creator
            out.append(await _service(db, chat.id, sender, now,
                                      Action(kind_action, title=title, user_ids=[creator])))
            fresh = await _chat(db, chat.id)
            assert fresh is not None
            return fresh, out

        return await self.database.write(op)

    async def update_settings(self, chat_id: int, actor: int, now: int, changes: dict[str, Any],
                              log: str, **log_data: Any) -> tuple[ChatInfo, Out]:
        """Change settings columns, log it, and tell the chat (one `chat_info` event)."""

        async def op(db: Db) -> tuple[ChatInfo, Out]:
            if changes.get("username_lc") and await db.fetchval(
                    "SELECT count(*) FROM users WHERE username_lc = $1", changes["username_lc"]):
                raise bad_request("USERNAME_OCCUPIED")
            await db.execute("INSERT INTO chat_settings (chat_id) VALUES ($1)"
                             " ON CONFLICT (chat_id) DO NOTHING", chat_id)
            sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(changes))
            try:
                await db.execute(f"UPDATE chat_settings SET {sets} WHERE chat_id = $1",
                                 chat_id, *changes.values())
            except IntegrityError as exc:
                if exc.on("username"):
                    raise bad_request("USERNAME_OCCUPIED") from exc
                raise
            await _log(db, chat_id, actor, now, log, **log_data)
            return await _info(db, chat_id), [await _info_event(db, chat_id, now)]

        return await self.database.write(op)

    async def edit_title(self, chat_id: int, actor: int, title: str, old: str, now: int) -> Out:
        async def op(db: Db) -> Out:
            await db.execute("UPDATE chats SET title = $2 WHERE id = $1", chat_id, title)
            chat = await _chat(db, chat_id)
            assert chat is not None
            await _log(db, chat_id, actor, now, "info", field="title", prev=old, new=title)
            sender = -chat_id if chat.kind == "channel" else actor
            return [await _service(db, chat_id, sender, now,
                                   Action("chat_edit_title", title=title)),
                    await _info_event(db, chat_id, now)]

        return await self.database.write(op)

    # ---- participants ------------------------------------------------------------------------

    async def set_rights(self, chat_id: int, actor: int, target: int, now: int, *,
                         admin: ch.AdminRights | None = None, rank: str = "",
                         banned: ch.BannedRights | None = None, until_date: int = 0,
                         add: bool = False) -> Out:
        """Promote (`admin` with some right), demote (`admin` with none), restrict or ban
        (`banned`), or lift a restriction (`banned` with none). A ban removes the member."""

        async def op(db: Db) -> Out:
            chat = await _chat(db, chat_id)
            assert chat is not None
            out: Out = []
            before = await _participant(db, chat_id, target, now)
            if add and not before.in_chat:
                out += await _join(db, chat_id, target, actor, now, "invite")
            await db.execute("DELETE FROM chat_participants WHERE chat_id = $1 AND user_id = $2",
                             chat_id, target)
            if admin is not None:
                bits = ch.to_bits(admin)
                role = "admin" if bits else "member"
                await db.execute("UPDATE members SET role = $3 WHERE chat_id = $1 AND user_id = $2",
                                 chat_id, target, role)
                if bits:
                    await db.execute(
                        "INSERT INTO chat_participants (chat_id, user_id, admin_rights, rank,"
                        " promoted_by, date) VALUES ($1, $2, $3, $4, $5, $6)",
                        chat_id, target, bits, rank, actor, now)
                await _log(db, chat_id, actor, now, "admin", user_id=target,
                           prev=msgspec.to_builtins(before.admin_rights),
                           new=msgspec.to_builtins(admin), rank=rank)
            else:
                assert banned is not None
                bits = ch.to_bits(banned)
                if bits:
                    await db.execute(
                        "INSERT INTO chat_participants (chat_id, user_id, banned_rights,"
                        " until_date, kicked_by, date) VALUES ($1, $2, $3, $4, $5, $6)",
                        chat_id, target, bits, until_date, actor, now)
                await _log(db, chat_id, actor, now, "ban" if banned.view_messages else "restrict",
                           user_id=target, new=msgspec.to_builtins(banned), until_date=until_date,
                           prev=msgspec.to_builtins(before.banned_rights))
            out.append(await _rights_event(db, chat_id, target, now))
            if banned is not None and banned.view_messages:
                out += await _leave(db, chat, target, actor, now)
            return out

        return await self.database.write(op)

    async def join(self, chat_id: int, user_id: int, inviter: int, now: int, how: str,
                   link: str | None = None) -> Out:
        async def op(db: Db) -> Out:
            if await _member(db, chat_id, user_id):
                raise bad_request("USER_ALREADY_PARTICIPANT")
            return await _join(db, chat_id, user_id, inviter, now, how, link)

        return await self.database.write(op)

    async def leave(self, chat_id: int, user_id: int, actor: int, now: int) -> Out:
        async def op(db: Db) -> Out:
            chat = await _chat(db, chat_id)
            assert chat is not None
            return await _leave(db, chat, user_id, actor, now)

        return await self.database.write(op)

    async def bulk_users(self, count: int, now: int, prefix: str = "Bulk") -> list[int]:
        """Fast path for tests and benchmarks: `count` accounts in one transaction."""

        async def op(db: Db) -> list[int]:
            start = (await db.fetchval("SELECT coalesce(max(id), 0) FROM users")) + 1
            await db.executemany(
                "INSERT INTO users (id, first_name, created, last_seen) VALUES ($1, $2, $3, $3)",
                [(start + i, f"{prefix}{i}", now) for i in range(count)])
            if self._id_sequence is not None:  # the next account made the usual way comes after
                await db.fetchval(self._id_sequence)
            return list(range(start, start + count))

        return await self.database.write(op)

    async def bulk_subscribe(self, chat_id: int, user_ids: list[int], now: int) -> None:
        """Fast path for tests and benchmarks: members with no account events (their devices
        learn of the chat from a fresh state, as after an import)."""

        async def op(db: Db) -> None:
            await db.executemany(
                "INSERT INTO members (chat_id, user_id, role, inviter_id, joined)"
                " VALUES ($1, $2, 'member', $2, $3)", [(chat_id, u, now) for u in user_ids])
            await db.execute("UPDATE chats SET member_count = member_count + $2 WHERE id = $1",
                             chat_id, len(user_ids))

        await self.database.write(op)


def _participant_row(r: Any, chat_id: int, now: int) -> Participant:
    member = Member(chat_id, r[0], r[1], r[2], r[3]) if r[1] is not None else None
    rights = RightsRow(r[4], r[5], r[6], r[7], r[8], r[9]) if r[4] is not None else None
    return ch.make_participant(r[0], member, rights, now, is_bot=bool(r[10]))
