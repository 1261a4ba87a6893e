"""Message writes: send, edit, delete, pin, read marks."""

from __future__ import annotations

from collections.abc import Sequence

from steppe.domain import updates as up
from steppe.domain.entities import Entity
from steppe.domain.errors import RpcError
from steppe.domain.models import Message
from steppe.store import rows
from steppe.store.bots import pass_private
from steppe.store.chats import _append, _append_at, _message, _soft_delete, chat_lock
from steppe.store.db import Database, Db, Op
from steppe.store.rows import MESSAGE_COLUMNS
from steppe.store.store import Emitted, Out, _chat_event, _user_event


class MessageStore:
    def __init__(self, database: Database):
        self.database = database
        self._lock_chat = chat_lock(database)

    async def by_random_id(self, sender_id: int, random_id: int) -> Message | None:
        async def op(db: Db) -> Message | None:
            row = await db.fetchrow(
                f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE sender_id = $1 AND random_id = $2",
                sender_id, random_id)
            return rows.message(row) if row else None

        return await self.database.read(op)

    async def send(self, template: Message, random_id: int | None) -> tuple[Message, Out]:
        """Append `template` (id 0) as the chat's next message; a known random_id returns the
        message already stored and emits nothing."""

        async def op(db: Db) -> tuple[Message, Out]:
            msg, ev = await _append(db, template, random_id)
            return msg, [ev]

        sent = await self._idempotent(op, template.sender_id, random_id)
        assert sent is not None
        return sent

    async def send_as_member(self, template: Message, random_id: int | None,
                             bots: Sequence[int] = (), expires: int = 0
                             ) -> tuple[Message, Out] | None:
        """`send` into a private chat or basic group, the sender's membership checked by the
        same statement that takes the pts, so it holds at the commit: None (nothing written)
        when the chat is not a basic one or the sender is not in it now.

        `bots`: the bot of a private chat, whose feed step for the message is taken in the same
        write when its cursor allows (`pass_private`, its updates kept until `expires`); each
        bot that it was taken for gets a "bot" event ahead of the chat's, saying so."""

        async def op(db: Db) -> tuple[Message, Out] | None:
            if self._lock_chat is not None:
                await db.execute(self._lock_chat, template.chat_id)
            got = await _append_at(db, template, random_id, template.sender_id)
            if got is None:
                return None
            msg, ev, pts = got
            out = []
            for bot_id in bots:
                passed = await pass_private(db, bot_id, msg, pts, expires)
                if passed is not None:
                    out.append(Emitted("bot", bot_id, f"{msg.chat_id} {pts} {int(passed)}"))
            out.append(ev)
            return msg, out

        return await self._idempotent(op, template.sender_id, random_id)

    async def _idempotent(self, op: Op[tuple[Message, Out] | None], sender_id: int,
                          random_id: int | None) -> tuple[Message, Out] | None:
        """Run a send; when its random_id is taken (the unique index refused the row, and the
        write was undone), the message stored with it, emitting nothing."""
        try:
            return await self.database.write(op)
        except RpcError as err:
            if err.type != "RANDOM_ID_DUPLICATE" or random_id is None:
                raise
            # An earlier send, or the same send committed meanwhile in a concurrent transaction
            # (PostgreSQL: another connection or node): return the stored one.
            stored = await self.by_random_id(sender_id, random_id)
            if stored is None:
                raise
            return stored, []

    async def edit(self, chat_id: int, msg_id: int, text: str, entities: list[Entity], now: int
                   ) -> tuple[Message, Out]:
        async def op(db: Db) -> tuple[Message, Out]:
            await db.execute(
                "UPDATE messages SET text = $3, entities = $4, edit_date = $5"
                " WHERE chat_id = $1 AND id = $2", chat_id, msg_id, text,
                rows.json_text(entities), now)
            msg = await _message(db, chat_id, msg_id)
            assert msg is not None
            ev, _ = await _chat_event(db, chat_id, now, lambda p: up.EditMessage(chat_id, p, now, msg))
            return msg, [ev]

        return await self.database.write(op)

    async def delete(self, chat_id: int, ids: list[int], now: int) -> Out:
        async def op(db: Db) -> Out:
            gone = await _soft_delete(db, chat_id, ids)
            if not gone:
                return []
            ev, _ = await _chat_event(db, chat_id, now,
                                      lambda p: up.DeleteMessages(chat_id, p, now, gone))
            return [ev]

        return await self.database.write(op)

    async def delete_for_me(self, user_id: int, chat_id: int, ids: list[int], now: int) -> Out:
        async def op(db: Db) -> Out:
            for msg_id in ids:
                await db.execute(
                    "INSERT INTO hidden_messages (user_id, chat_id, msg_id) VALUES ($1, $2, $3)"
                    " ON CONFLICT DO NOTHING", user_id, chat_id, msg_id)
            return [await _user_event(db, user_id,
                                      lambda s: up.DeleteForMe(s, now, chat_id, ids))]

        return await self.database.write(op)

    async def pin(self, chat_id: int, msg_id: int, pinned: bool, now: int) -> Out:
        async def op(db: Db) -> Out:
            n = await db.execute(
                "UPDATE messages SET pinned = $3 WHERE chat_id = $1 AND id = $2 AND pinned != $3",
                chat_id, msg_id, int(pinned))
            if not n:
                return []
            ev, _ = await _chat_event(db, chat_id, now,
                                      lambda p: up.PinMessage(chat_id, p, now, msg_id, pinned))
            return [ev]

        return await self.database.write(op)

    async def read(self, chat_id: int, user_id: int, max_id: int, now: int) -> Out:
        async def op(db: Db) -> Out:
            n = await db.execute(
                "UPDATE members SET read_inbox_max_id = $3"
                " WHERE chat_id = $1 AND user_id = $2 AND read_inbox_max_id < $3",
                chat_id, user_id, max_id)
            if not n:
                return []
            ev, _ = await _chat_event(db, chat_id, now,
                                      lambda p: up.ReadHistory(chat_id, p, now, user_id, max_id))
            return [ev]

        return await self.database.write(op)
