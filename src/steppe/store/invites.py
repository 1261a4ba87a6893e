"""Invite links, join requests, and a basic group's upgrade to a supergroup."""

from __future__ import annotations

from typing import Any

from steppe.domain import channels as ch
from steppe.domain.channels import InviteLink, JoinRequest
from steppe.domain.errors import bad_request
from steppe.domain.models import Action, Chat
from steppe.store import rows
from steppe.store.channels import _join, _leave, _log
from steppe.store.chats import _add_member, _chat, _service
from steppe.store.db import Database, Db
from steppe.store.rows import CHAT_COLUMNS, MEMBER_COLUMNS
from steppe.store.store import Out

LINK_COLUMNS = ("link, chat_id, admin_id, date, title, expire_date, usage_limit, usage, requested,"
                " request_needed, revoked, permanent")


def _link(row: Any) -> InviteLink:
    return InviteLink(link=row[0], chat_id=row[1], admin_id=row[2], date=row[3], title=row[4],
                      expire_date=row[5], usage_limit=row[6], usage=row[7], requested=row[8],
                      request_needed=bool(row[9]), revoked=bool(row[10]), permanent=bool(row[11]))


async def _get_link(db: Db, link: str) -> InviteLink | None:
    row = await db.fetchrow(f"SELECT {LINK_COLUMNS} FROM invite_links WHERE link = $1", link)
    return _link(row) if row else None


class InviteStore:
    def __init__(self, database: Database):
        self.database = database

    async def get(self, link: str) -> InviteLink | None:
        async def op(db: Db) -> InviteLink | None:
            return await _get_link(db, link)

        return await self.database.read(op)

    async def create(self, link: InviteLink) -> InviteLink:
        async def op(db: Db) -> InviteLink:
            if link.permanent:
                await db.execute("UPDATE invite_links SET revoked = 1 WHERE chat_id = $1"
                                 " AND admin_id = $2 AND permanent = 1", link.chat_id, link.admin_id)
            await db.execute(
                f"INSERT INTO invite_links ({LINK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7,"
                " 0, 0, $8, 0, $9)", link.link, link.chat_id, link.admin_id, link.date, link.title,
                link.expire_date, link.usage_limit, int(link.request_needed), int(link.permanent))
            await _log(db, link.chat_id, link.admin_id, link.date, "invite", op="create",
                       link=link.link)
            created = await _get_link(db, link.link)
            assert created is not None
            return created

        return await self.database.write(op)

    async def edit(self, link: str, actor: int, now: int, changes: dict[str, Any]) -> InviteLink:
        async def op(db: Db) -> InviteLink:
            sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(changes))
            await db.execute(f"UPDATE invite_links SET {sets} WHERE link = $1", link,
                             *changes.values())
            edited = await _get_link(db, link)
            assert edited is not None
            await _log(db, edited.chat_id, actor, now, "invite",
                       op="revoke" if changes.get("revoked") else "edit", link=link)
            return edited

        return await self.database.write(op)

    async def delete(self, link: str, actor: int, now: int) -> None:
        async def op(db: Db) -> None:
            found = await _get_link(db, link)
            assert found is not None
            await db.execute("DELETE FROM invite_links WHERE link = $1", link)
            await _log(db, found.chat_id, actor, now, "invite", op="delete", link=link)

        await self.database.write(op)

    async def links(self, chat_id: int, admin_id: int | None, revoked: bool, offset_date: int,
                    limit: int) -> list[InviteLink]:
        async def op(db: Db) -> list[InviteLink]:
            found = await db.fetch(
                f"SELECT {LINK_COLUMNS} FROM invite_links WHERE chat_id = $1"
                " AND (admin_id = $2 OR $3 = 1) AND revoked = $4 AND date < $5"
                " ORDER BY date DESC, link LIMIT $6", chat_id, admin_id or 0,
                int(admin_id is None), int(revoked), offset_date or 2**62, limit)
            return [_link(r) for r in found]

        return await self.database.read(op)

    async def use(self, link: str, user_id: int, now: int, about: str) -> tuple[bool, Out]:
        """Join by `link`, or (when it needs approval) file a request: (requested, events)."""

        async def op(db: Db) -> tuple[bool, Out]:
            found = await _get_link(db, link)
            if found is None:
                raise bad_request("INVITE_HASH_INVALID")
            if not found.usable(now):
                raise bad_request("INVITE_HASH_EXPIRED")
            if found.request_needed:
                n = await db.execute(
                    "INSERT INTO join_requests (chat_id, user_id, link, about, date)"
                    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chat_id, user_id) DO NOTHING",
                    found.chat_id, user_id, link, about, now)
                if n:
                    await db.execute("UPDATE invite_links SET requested = requested + 1"
                                     " WHERE link = $1", link)
                return True, []
            await db.execute("UPDATE invite_links SET usage = usage + 1 WHERE link = $1", link)
            return False, await _join(db, found.chat_id, user_id, found.admin_id, now, "link", link)

        return await self.database.write(op)

    async def requests(self, chat_id: int, link: str | None, offset_date: int, limit: int
                       ) -> list[JoinRequest]:
        async def op(db: Db) -> list[JoinRequest]:
            found = await db.fetch(
                "SELECT chat_id, user_id, date, link, about FROM join_requests WHERE chat_id = $1"
                " AND (link = $2 OR $3 = 1) AND date < $4 ORDER BY date DESC, user_id LIMIT $5",
                chat_id, link or "", int(link is None), offset_date or 2**62, limit)
            return [JoinRequest(*r) for r in found]

        return await self.database.read(op)

    async def importers(self, link: str, offset_date: int, limit: int) -> list[tuple[int, int]]:
        async def op(db: Db) -> list[tuple[int, int]]:
            found = await db.fetch(
                "SELECT user_id, date FROM invite_importers WHERE link = $1 AND date < $2"
                " ORDER BY date DESC, user_id LIMIT $3", link, offset_date or 2**62, limit)
            return [(r[0], r[1]) for r in found]

        return await self.database.read(op)

    async def decide(self, chat_id: int, user_id: int, approve: bool, actor: int, now: int) -> Out:
        """Approve (the user joins) or decline a join request."""

        async def op(db: Db) -> Out:
            link = await db.fetchrow("SELECT link FROM join_requests WHERE chat_id = $1"
                                     " AND user_id = $2", chat_id, user_id)
            if link is None:
                raise bad_request("HIDE_REQUESTER_MISSING")
            await db.execute("DELETE FROM join_requests WHERE chat_id = $1 AND user_id = $2",
                             chat_id, user_id)
            await db.execute("UPDATE invite_links SET requested = requested - 1 WHERE link = $1",
                             link[0])
            await _log(db, chat_id, actor, now, "invite", op="approve" if approve else "decline",
                       user_id=user_id, link=link[0])
            if not approve:
                return []
            await db.execute("UPDATE invite_links SET usage = usage + 1 WHERE link = $1", link[0])
            return await _join(db, chat_id, user_id, actor, now, "request", link[0])

        return await self.database.write(op)

    # ---- upgrading a basic group -------------------------------------------------------------

    async def migrate(self, old_id: int, actor: int, now: int) -> tuple[Chat, Out]:
        """Make a supergroup of a basic group: its history is copied (same ids), its members
        join it with their read marks and admins keep their role; they leave the old group,
        which ends with a service message naming the new one."""

        async def op(db: Db) -> tuple[Chat, Out]:
            old = await _chat(db, old_id)
            assert old is not None
            row = await db.fetchrow(
                "INSERT INTO chats (kind, title, creator_id, top_msg_id, last_date, member_count,"
                " created) VALUES ('supergroup', $1, $2, $3, $4, $5, $6)"
                f" RETURNING {CHAT_COLUMNS}", old.title, old.creator_id, old.top_msg_id,
                old.last_date, old.member_count, now)
            new = rows.chat(row)
            await db.execute(
                "INSERT INTO messages (chat_id, id, sender_id, date, text, entities, reply_to, fwd,"
                " action, edit_date, pinned, deleted, extra) SELECT CAST($1 AS BIGINT), id,"
                " sender_id, date, text, entities, reply_to, fwd, action, edit_date, pinned,"
                " deleted, extra FROM messages"
                " WHERE chat_id = $2", new.id, old_id)
            new_id = "CAST($1 AS BIGINT)"
            for table, cols in (("hidden_messages", f"user_id, {new_id}, msg_id"),
                                ("message_reactions", f"{new_id}, msg_id, user_id, reaction, date"),
                                ("poll_messages", f"poll_id, {new_id}, msg_id"),
                                ("message_files", f"{new_id}, msg_id, file_id")):
                await db.execute(f"INSERT INTO {table} SELECT {cols} FROM {table}"
                                 " WHERE chat_id = $2", new.id, old_id)
            await db.execute(
                "INSERT INTO chat_settings (chat_id, default_banned, migrated_from,"
                " migrated_from_max_id) VALUES ($1, $2, $3, $4)", new.id,
                ch.to_bits(ch.DEFAULT_BANNED), old_id, old.top_msg_id)
            await db.execute("INSERT INTO chat_settings (chat_id, migrated_to) VALUES ($1, $2)"
                             " ON CONFLICT (chat_id) DO UPDATE SET migrated_to = $2", old_id, new.id)
            members = [rows.member(r) for r in await db.fetch(
                f"SELECT {MEMBER_COLUMNS} FROM members WHERE chat_id = $1 ORDER BY joined, user_id",
                old_id)]
            out: Out = []
            for m in members:
                out += await _add_member(db, new, m.user_id, m.role, m.inviter_id, now, 0)
                await db.execute("UPDATE members SET read_inbox_max_id = $3, joined = $4"
                                 " WHERE chat_id = $1 AND user_id = $2", new.id, m.user_id,
                                 m.read_inbox_max_id, m.joined)
                bits = {"creator": ch.CREATOR_RIGHTS, "admin": ch.MIGRATED_ADMIN}.get(m.role)
                if bits is not None:
                    await db.execute(
                        "INSERT INTO chat_participants (chat_id, user_id, admin_rights,"
                        " promoted_by, date) VALUES ($1, $2, $3, $4, $5)",
                        new.id, m.user_id, ch.to_bits(bits), actor, now)
            out.append(await _service(db, new.id, actor, now,
                                      Action("channel_migrate_from", title=old.title,
                                             chat_id=old_id)))
            out.append(await _service(db, old_id, actor, now,
                                      Action("chat_migrate_to", chat_id=new.id)))
            for m in members:
                out += await _leave(db, old, m.user_id, actor, now, migrated_to=new.id)
            await _log(db, new.id, actor, now, "info", field="migrated_from", new=old_id)
            fresh = await _chat(db, new.id)
            assert fresh is not None
            return fresh, out

        return await self.database.write(op)

