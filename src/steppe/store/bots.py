"""Bots: accounts and tokens, update queues and the cursors that feed them, command menus,
BotFather's conversations, and the message edits bots make. (Bans and restrictions are the
channel services' own state: store/channels.py.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from steppe.domain import bots
from steppe.domain import updates as up
from steppe.domain.bots import Bot, PendingUpdate
from steppe.domain.errors import bad_request
from steppe.domain.media import Photo
from steppe.domain.models import Message, User
from steppe.store import rows
from steppe.store.chats import _message
from steppe.store.db import Database, Db, IntegrityError
from steppe.store.files import StoredFile, _insert_photo, link_message_files
from steppe.store.rows import USER_COLUMNS
from steppe.store.store import Out, _chat_event

BOT_COLUMNS = ("user_id, owner_id, token_hash, description, privacy, inline_placeholder,"
               " allowed_updates, webhook_url, webhook_secret, webhook_max_connections,"
               " webhook_error_date, webhook_error, user_seq, created")
BOT_FIELDS = frozenset({"description", "privacy", "inline_placeholder", "allowed_updates",
                        "webhook_url", "webhook_secret", "webhook_max_connections",
                        "webhook_error_date", "webhook_error", "token_hash"})
_list = msgspec.json.Decoder(list[str])
_N_BOT = BOT_COLUMNS.count(",") + 1
_WITH_USER = (f"SELECT {rows.prefixed('b', BOT_COLUMNS)}, {rows.prefixed('u', USER_COLUMNS)}"
              " FROM bots b JOIN users u ON u.id = b.user_id WHERE b.user_id = $1")


def _bot(row: Any) -> Bot:
    return Bot(user_id=row[0], owner_id=row[1], token_hash=row[2], description=row[3],
               privacy=bool(row[4]), inline_placeholder=row[5],
               allowed_updates=_list.decode(row[6]) if row[6] is not None else None,
               webhook_url=row[7], webhook_secret=row[8], webhook_max_connections=row[9],
               webhook_error_date=row[10], webhook_error=row[11], user_seq=row[12],
               created=row[13])


async def _enqueue(db: Db, bot_id: int, items: Sequence[tuple[str, int, str]], expires: int
                   ) -> int:
    """Append updates (kind, chat id, payload) to the bot's queue with the next update ids."""
    if not items:
        return 0
    last = await db.fetchval(
        "UPDATE bots SET next_update_id = next_update_id + $2 WHERE user_id = $1"
        " RETURNING next_update_id", bot_id, len(items))
    if last is None:
        return 0
    first = last - len(items)
    await db.executemany(
        "INSERT INTO bot_updates (bot_id, update_id, kind, chat_id, payload, expires)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [(bot_id, first + i, kind, chat_id, payload, expires)
         for i, (kind, chat_id, payload) in enumerate(items)])
    return len(items)


async def pass_private(db: Db, bot_id: int, msg: Message, pts: int, expires: int) -> bool | None:
    """In the write of a message to a bot's private chat, the feed's step for it: when the bot's
    cursor of the chat stands just before it (the feed has done everything earlier), move the
    cursor over it and queue what the feed would: a "message" update for a user's message when
    the bot's allowed_updates let one through, nothing for the bot's own. True when an update was
    queued, False when none was, None when the cursor stands elsewhere (the feed takes the step
    as usual)."""
    moved = await db.execute(
        "UPDATE bot_cursors SET pts = $3 WHERE bot_id = $1 AND chat_id = $2 AND pts = $4",
        bot_id, msg.chat_id, pts, pts - 1)
    if not moved:
        return None
    if msg.sender_id == bot_id or msg.action is not None:
        return False
    allowed = await db.fetchval("SELECT allowed_updates FROM bots WHERE user_id = $1", bot_id)
    if not bots.allowed("message", _list.decode(allowed) if allowed is not None else None):
        return False
    payload = '{"message":' + up.encode(msg).decode() + "}"
    return await _enqueue(db, bot_id, [("message", msg.chat_id, payload)], expires) > 0


class BotStore:
    def __init__(self, database: Database):
        self.database = database

    # ---- accounts ----------------------------------------------------------------------------

    async def create_bot(self, owner_id: int, username: str, name: str, token_hash: str,
                         now: int) -> User:
        async def op(db: Db) -> User:
            try:
                row = await db.fetchrow(
                    "INSERT INTO users (phone, country, first_name, last_name, username,"
                    " username_lc, is_bot, created, last_seen) VALUES (NULL, '', $1, '', $2, $3,"
                    f" 1, $4, $4) RETURNING {USER_COLUMNS}", name, username, username.lower(), now)
            except IntegrityError as exc:
                if exc.on("username"):
                    raise bad_request("USERNAME_OCCUPIED") from exc
                raise  # any other rule: a fault of ours, not the owner's choice of name
            user = rows.user(row)
            await db.execute(
                "INSERT INTO bots (user_id, owner_id, token_hash, inline_placeholder, created)"
                " VALUES ($1, $2, $3, 'Search...', $4)",
                user.id, owner_id, token_hash, now)
            return user

        return await self.database.write(op)

    async def get(self, bot_id: int) -> Bot | None:
        async def op(db: Db) -> Bot | None:
            row = await db.fetchrow(f"SELECT {BOT_COLUMNS} FROM bots WHERE user_id = $1", bot_id)
            return _bot(row) if row else None

        return await self.database.read(op)

    async def with_user(self, bot_id: int) -> tuple[Bot, User] | None:
        """The bot and its user account, in one statement (what every Bot API request needs)."""

        async def op(db: Db) -> tuple[Bot, User] | None:
            row = await db.fetchrow(_WITH_USER, bot_id)
            if row is None:
                return None
            r = tuple(row)
            return _bot(r[:_N_BOT]), rows.user(r[_N_BOT:])

        return await self.database.read(op)

    async def by_owner(self, owner_id: int) -> list[Bot]:
        async def op(db: Db) -> list[Bot]:
            found = await db.fetch(
                f"SELECT {BOT_COLUMNS} FROM bots WHERE owner_id = $1 ORDER BY user_id", owner_id)
            return [_bot(r) for r in found]

        return await self.database.read(op)

    async def all_ids(self) -> list[int]:
        async def op(db: Db) -> list[int]:
            return [r[0] for r in await db.fetch("SELECT user_id FROM bots")]

        return await self.database.read(op)

    async def with_webhooks(self) -> list[Bot]:
        async def op(db: Db) -> list[Bot]:
            found = await db.fetch(f"SELECT {BOT_COLUMNS} FROM bots WHERE webhook_url != ''")
            return [_bot(r) for r in found]

        return await self.database.read(op)

    async def update(self, bot_id: int, changes: dict[str, Any]) -> None:
        assert set(changes) <= BOT_FIELDS
        values = {k: (rows.json_text(v) if k == "allowed_updates" and v is not None else v)
                  for k, v in changes.items()}
        if "allowed_updates" in values and changes["allowed_updates"] == []:
            values["allowed_updates"] = "[]"
        for key in ("privacy",):
            if key in values:
                values[key] = int(values[key])
        sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(values))

        async def op(db: Db) -> None:
            await db.execute(f"UPDATE bots SET {sets} WHERE user_id = $1", bot_id, *values.values())

        await self.database.write(op)

    async def delete_bot(self, bot_id: int) -> None:
        async def op(db: Db) -> None:
            for table, col in (("bots", "user_id"), ("bot_commands", "bot_id"),
                               ("bot_updates", "bot_id"), ("bot_cursors", "bot_id")):
                await db.execute(f"DELETE FROM {table} WHERE {col} = $1", bot_id)
            await db.execute(
                "UPDATE users SET username = NULL, username_lc = NULL, bio = '' WHERE id = $1",
                bot_id)

        await self.database.write(op)

    # ---- commands ----------------------------------------------------------------------------

    async def set_commands(self, bot_id: int, scope: str, lang: str, commands: str | None) -> None:
        async def op(db: Db) -> None:
            if commands is None:
                await db.execute("DELETE FROM bot_commands WHERE bot_id = $1 AND scope = $2"
                                 " AND lang = $3", bot_id, scope, lang)
            else:  # an upsert: concurrent writers (several nodes starting) cannot collide
                await db.execute("INSERT INTO bot_commands (bot_id, scope, lang, commands)"
                                 " VALUES ($1, $2, $3, $4) ON CONFLICT (bot_id, scope, lang)"
                                 " DO UPDATE SET commands = excluded.commands",
                                 bot_id, scope, lang, commands)

        await self.database.write(op)

    async def commands(self, bot_id: int, scopes: list[str], lang: str) -> str | None:
        """The commands of the first scope in `scopes` that has any (for `lang`, else for '')."""

        async def op(db: Db) -> str | None:
            for scope in scopes:
                for code in dict.fromkeys((lang, "")):
                    found = await db.fetchval(
                        "SELECT commands FROM bot_commands WHERE bot_id = $1 AND scope = $2"
                        " AND lang = $3", bot_id, scope, code)
                    if found is not None:
                        return str(found)
            return None

        return await self.database.read(op)

    # ---- the feed: cursors and queues --------------------------------------------------------

    async def chats_with_bots(self) -> dict[int, set[int]]:
        async def op(db: Db) -> dict[int, set[int]]:
            out: dict[int, set[int]] = {}
            for r in await db.fetch("SELECT chat_id, bot_id FROM bot_cursors"):
                out.setdefault(r[0], set()).add(r[1])
            return out

        return await self.database.read(op)

    async def private_chats_with_bots(self) -> dict[int, int]:
        """Each private chat a bot has a cursor of, with that bot."""
        async def op(db: Db) -> dict[int, int]:
            found = await db.fetch(
                "SELECT b.chat_id, b.bot_id FROM bot_cursors b JOIN chats c ON c.id = b.chat_id"
                " WHERE c.kind = 'private'")
            return {r[0]: r[1] for r in found}

        return await self.database.read(op)

    async def cursors(self, chat_id: int) -> dict[int, int]:
        async def op(db: Db) -> dict[int, int]:
            found = await db.fetch("SELECT bot_id, pts FROM bot_cursors WHERE chat_id = $1", chat_id)
            return {r[0]: r[1] for r in found}

        return await self.database.read(op)

    async def advance_user(self, bot_id: int, seq_from: int, seq_to: int,
                           joined: dict[int, int], left: list[int],
                           items: list[tuple[str, int, str]], expires: int) -> bool:
        """Move the bot's account cursor on, open cursors for chats it joined, queue updates.
        False when another worker moved the cursor first."""

        async def op(db: Db) -> bool:
            n = await db.execute("UPDATE bots SET user_seq = $3 WHERE user_id = $1 AND user_seq = $2",
                                 bot_id, seq_from, seq_to)
            if not n:
                return False
            for chat_id, pts in joined.items():
                await db.execute(
                    "INSERT INTO bot_cursors (bot_id, chat_id, pts) VALUES ($1, $2, $3)"
                    " ON CONFLICT (bot_id, chat_id) DO NOTHING", bot_id, chat_id, pts)
            for chat_id in left:
                await db.execute("DELETE FROM bot_cursors WHERE bot_id = $1 AND chat_id = $2",
                                 bot_id, chat_id)
            await _enqueue(db, bot_id, items, expires)
            return True

        return await self.database.write(op)

    async def advance_chat(self, bot_id: int, chat_id: int, pts_from: int, pts_to: int,
                           items: list[tuple[str, int, str]], expires: int, *, close: bool
                           ) -> bool:
        async def op(db: Db) -> bool:
            if close:
                n = await db.execute(
                    "DELETE FROM bot_cursors WHERE bot_id = $1 AND chat_id = $2 AND pts = $3",
                    bot_id, chat_id, pts_from)
            else:
                n = await db.execute(
                    "UPDATE bot_cursors SET pts = $4 WHERE bot_id = $1 AND chat_id = $2"
                    " AND pts = $3", bot_id, chat_id, pts_from, pts_to)
            if not n:
                return False
            await _enqueue(db, bot_id, items, expires)
            return True

        return await self.database.write(op)

    async def enqueue(self, bot_id: int, items: list[tuple[str, int, str]], expires: int) -> int:
        async def op(db: Db) -> int:
            return await _enqueue(db, bot_id, items, expires)

        return await self.database.write(op)

    async def pending(self, bot_id: int, offset: int, limit: int, now: int) -> list[PendingUpdate]:
        async def op(db: Db) -> list[PendingUpdate]:
            found = await db.fetch(
                "SELECT update_id, kind, chat_id, payload FROM bot_updates WHERE bot_id = $1"
                " AND update_id >= $2 AND expires >= $3 ORDER BY update_id LIMIT $4",
                bot_id, offset, now, limit)
            return [PendingUpdate(*r) for r in found]

        return await self.database.read(op)

    async def pending_count(self, bot_id: int, now: int) -> int:
        async def op(db: Db) -> int:
            return int(await db.fetchval(
                "SELECT count(*) FROM bot_updates WHERE bot_id = $1 AND expires >= $2",
                bot_id, now))

        return await self.database.read(op)

    async def confirm(self, bot_id: int, before: int) -> None:
        async def op(db: Db) -> None:
            await db.execute("DELETE FROM bot_updates WHERE bot_id = $1 AND update_id < $2",
                             bot_id, before)

        await self.database.write(op)

    async def keep_last(self, bot_id: int, count: int) -> None:
        async def op(db: Db) -> None:
            edge = await db.fetchval(
                "SELECT update_id FROM bot_updates WHERE bot_id = $1 ORDER BY update_id DESC"
                " LIMIT 1 OFFSET $2", bot_id, max(0, count - 1))
            if edge is not None:
                await db.execute("DELETE FROM bot_updates WHERE bot_id = $1 AND update_id < $2",
                                 bot_id, edge)

        await self.database.write(op)

    async def drop_updates(self, bot_id: int) -> None:
        await self.confirm(bot_id, 2**62)

    async def purge_expired(self, now: int) -> None:
        async def op(db: Db) -> None:
            await db.execute("DELETE FROM bot_updates WHERE expires < $1", now)

        await self.database.write(op)

    # ---- basic groups ----------------------------------------------------------------------

    async def set_role(self, chat_id: int, user_id: int, role: str) -> bool:
        async def op(db: Db) -> bool:
            n = await db.execute(
                "UPDATE members SET role = $3 WHERE chat_id = $1 AND user_id = $2"
                " AND role != 'creator'", chat_id, user_id, role)
            return bool(n)

        return await self.database.write(op)

    # ---- BotFather ---------------------------------------------------------------------------

    async def father_state(self, user_id: int) -> tuple[str, str] | None:
        async def op(db: Db) -> tuple[str, str] | None:
            row = await db.fetchrow("SELECT state, data FROM botfather_states WHERE user_id = $1",
                                    user_id)
            return (row[0], row[1]) if row else None

        return await self.database.read(op)

    async def set_father_state(self, user_id: int, state: str | None, data: str = "") -> None:
        async def op(db: Db) -> None:
            await db.execute("DELETE FROM botfather_states WHERE user_id = $1", user_id)
            if state is not None:
                await db.execute(
                    "INSERT INTO botfather_states (user_id, state, data) VALUES ($1, $2, $3)",
                    user_id, state, data)

        await self.database.write(op)

    # ---- messages bots change ----------------------------------------------------------------

    async def rewrite_message(self, msg: Message, now: int, *, edited: bool = True,
                              photos: Sequence[tuple[Photo, list[StoredFile]]] = ()
                              ) -> tuple[Message, Out]:
        """Store `msg` (text, entities, extra fields) over the message with its id; emit the edit.
        New media (editMessageMedia) brings its new photos, and the message shows its new files
        instead of the old ones."""

        async def op(db: Db) -> tuple[Message, Out]:
            for photo, files in photos:
                await _insert_photo(db, photo, msg.sender_id, files)
            before = await _message(db, msg.chat_id, msg.id)
            if before is not None and before.media != msg.media:
                await db.execute("DELETE FROM message_files WHERE chat_id = $1 AND msg_id = $2",
                                 msg.chat_id, msg.id)
                await link_message_files(db, msg)
            await db.execute(
                "UPDATE messages SET text = $3, entities = $4, extra = $5,"
                " edit_date = CASE WHEN $6 = 1 THEN $7 ELSE edit_date END"
                " WHERE chat_id = $1 AND id = $2 AND deleted = 0", msg.chat_id, msg.id, msg.text,
                rows.json_text(msg.entities), rows.message_extra(msg), int(edited), now)
            fresh = await _message(db, msg.chat_id, msg.id)
            if fresh is None:
                raise bad_request("MESSAGE_ID_INVALID")
            ev, _ = await _chat_event(db, msg.chat_id, now,
                                      lambda p: up.EditMessage(msg.chat_id, p, now, fresh))
            return fresh, [ev]

        return await self.database.write(op)

    async def random_id(self, chat_id: int, msg_id: int) -> int | None:
        """The random_id a message was stored with (how a bot knows its own channel posts)."""

        async def op(db: Db) -> int | None:
            return await db.fetchval(  # type: ignore[no-any-return]
                "SELECT random_id FROM messages WHERE chat_id = $1 AND id = $2", chat_id, msg_id)

        return await self.database.read(op)

    async def poll(self, poll_id: str) -> dict[str, Any] | None:
        """A poll as its creator sees it (the quiz answer too), for the creator bot's updates."""

        async def op(db: Db) -> dict[str, Any] | None:
            raw = await db.fetchval("SELECT poll FROM polls WHERE id = $1", poll_id)
            return msgspec.json.decode(raw) if raw else None  # type: ignore[no-any-return]

        return await self.database.read(op)
