"""Scheduled messages: stored until their time, so they survive a restart. Delivering one is
`PostStore.post` with the scheduled id: removing it and sending it is one transaction."""

from __future__ import annotations

from typing import Any, NamedTuple

import msgspec

from steppe.domain import updates as up
from steppe.domain.models import Message
from steppe.store.db import Database, Db
from steppe.store.store import Out, _user_event

COLUMNS = "id, chat_id, sender_id, schedule_date, payload, random_id"
_dec = msgspec.json.Decoder(Message)
_enc = msgspec.json.Encoder()


class Scheduled(NamedTuple):
    id: int
    chat_id: int
    sender_id: int
    schedule_date: int
    template: Message  # as it will be sent (id 0)
    random_id: int | None

    def view(self) -> Message:
        """The message as its sender sees it while it waits."""
        return msgspec.structs.replace(self.template, id=self.id, date=self.schedule_date,
                                       schedule_date=self.schedule_date)


def _row(r: Any) -> Scheduled:
    return Scheduled(r[0], r[1], r[2], r[3], _dec.decode(r[4]), r[5])


class ScheduledStore:
    def __init__(self, database: Database):
        self.database = database

    async def add(self, template: Message, sender_id: int, schedule_date: int,
                  random_id: int | None, now: int) -> tuple[Scheduled, Out]:
        """Store a message to send at `schedule_date`; a repeated random_id returns the one
        already scheduled."""

        async def op(db: Db) -> tuple[Scheduled, Out]:
            if random_id is not None:
                row = await db.fetchrow(f"SELECT {COLUMNS} FROM scheduled_messages"
                                        " WHERE sender_id = $1 AND random_id = $2",
                                        sender_id, random_id)
                if row:
                    return _row(row), []
            row = await db.fetchrow(
                "INSERT INTO scheduled_messages (chat_id, sender_id, schedule_date, payload,"
                f" random_id, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}",
                template.chat_id, sender_id, schedule_date, _enc.encode(template).decode(),
                random_id, now)
            item = _row(row)
            ev = await _user_event(db, sender_id, lambda s: up.NewScheduled(s, now, item.view()))
            return item, [ev]

        return await self.database.write(op)

    async def get(self, ids: list[int]) -> list[Scheduled]:
        async def op(db: Db) -> list[Scheduled]:
            out = []
            for sid in ids:
                row = await db.fetchrow(f"SELECT {COLUMNS} FROM scheduled_messages WHERE id = $1",
                                        sid)
                if row:
                    out.append(_row(row))
            return out

        return await self.database.read(op)

    async def for_chat(self, chat_id: int, sender_id: int | None, limit: int) -> list[Scheduled]:
        """A chat's scheduled messages (one sender's, or everyone's), soonest first."""

        async def op(db: Db) -> list[Scheduled]:
            found = await db.fetch(
                f"SELECT {COLUMNS} FROM scheduled_messages WHERE chat_id = $1"
                " AND (sender_id = $2 OR $3 = 1) ORDER BY schedule_date, id LIMIT $4",
                chat_id, sender_id or 0, int(sender_id is None), limit)
            return [_row(r) for r in found]

        return await self.database.read(op)

    async def count(self, chat_id: int) -> int:
        async def op(db: Db) -> int:
            return int(await db.fetchval("SELECT count(*) FROM scheduled_messages"
                                         " WHERE chat_id = $1", chat_id))

        return await self.database.read(op)

    async def due(self, now: int, limit: int) -> list[Scheduled]:
        async def op(db: Db) -> list[Scheduled]:
            found = await db.fetch(f"SELECT {COLUMNS} FROM scheduled_messages"
                                   " WHERE schedule_date <= $1 ORDER BY schedule_date, id LIMIT $2",
                                   now, limit)
            return [_row(r) for r in found]

        return await self.database.read(op)

    async def next_date(self) -> int | None:
        async def op(db: Db) -> int | None:
            return await db.fetchval(  # type: ignore[no-any-return]
                "SELECT schedule_date FROM scheduled_messages ORDER BY schedule_date LIMIT 1")

        return await self.database.read(op)

    async def edit(self, item: Scheduled, actor: int, now: int) -> Out:
        """Store the changed template and date of `item`; the editor's devices hear of it."""

        async def op(db: Db) -> Out:
            n = await db.execute("UPDATE scheduled_messages SET payload = $2, schedule_date = $3"
                                 " WHERE id = $1", item.id, _enc.encode(item.template).decode(),
                                 item.schedule_date)
            if not n:
                return []
            return [await _user_event(db, actor, lambda s: up.NewScheduled(s, now, item.view()))]

        return await self.database.write(op)

    async def delete(self, chat_id: int, ids: list[int], actor: int, now: int) -> Out:
        async def op(db: Db) -> Out:
            gone = []
            for sid in ids:
                if await db.execute("DELETE FROM scheduled_messages WHERE id = $1"
                                    " AND chat_id = $2", sid, chat_id):
                    gone.append(sid)
            if not gone:
                return []
            return [await _user_event(db, actor,
                                      lambda s: up.DeleteScheduled(s, now, chat_id, gone))]

        return await self.database.write(op)
