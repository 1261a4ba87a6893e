"""Reactions and polls, in every kind of chat. Who reacted and who voted are rows of their own;
the counts live on the message, and every change is one event in the chat's sequence."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from steppe.domain import access
from steppe.domain import updates as up
from steppe.domain.errors import bad_request
from steppe.domain.markup import Poll, PollOption
from steppe.domain.models import Message, ReactionCount
from steppe.store.db import Database, Db
from steppe.store.posts import CAS_TRIES, _rewrite, public_poll
from steppe.store.store import Out, _chat_event

_poll_dec = msgspec.json.Decoder(Poll)
_ints = msgspec.json.Decoder(list[int])
_enc = msgspec.json.Encoder()


def recount(counts: list[ReactionCount], removed: list[str], added: list[str]
            ) -> list[ReactionCount]:
    """Counts after one user's change, the most used first (ties keep their order)."""
    have = {c.reaction: c.count for c in counts}
    for r in removed:
        have[r] = have.get(r, 0) - 1
    for r in added:
        have[r] = have.get(r, 0) + 1
    kept = [ReactionCount(r, n) for r, n in have.items() if n > 0]
    return sorted(kept, key=lambda c: -c.count)


def tally(poll: Poll, before: list[int], after: list[int]) -> Poll:
    options = [PollOption(o.text, o.voter_count - (i in before) + (i in after), o.persistent_id)
               for i, o in enumerate(poll.options)]
    total = poll.total_voter_count - bool(before) + bool(after)
    return msgspec.structs.replace(poll, options=options, total_voter_count=total)


class ReactionStore:
    def __init__(self, database: Database):
        self.database = database

    # ---- reactions ---------------------------------------------------------------------------

    async def react(self, chat_id: int, msg_id: int, user_id: int, chosen: list[str], now: int
                    ) -> tuple[Message | None, Out]:
        """Set the user's reactions on a message to `chosen` (empty: none)."""

        async def op(db: Db) -> tuple[Message | None, Out]:
            have = [r[0] for r in await db.fetch(
                "SELECT reaction FROM message_reactions WHERE chat_id = $1 AND msg_id = $2"
                " AND user_id = $3 ORDER BY date, reaction", chat_id, msg_id, user_id)]
            removed = [r for r in have if r not in chosen]
            added = [r for r in chosen if r not in have]
            if not removed and not added:
                return None, []
            for r in removed:
                await db.execute("DELETE FROM message_reactions WHERE chat_id = $1 AND msg_id = $2"
                                 " AND user_id = $3 AND reaction = $4", chat_id, msg_id, user_id, r)
            for r in added:
                await db.execute("INSERT INTO message_reactions (chat_id, msg_id, user_id,"
                                 " reaction, date) VALUES ($1, $2, $3, $4, $5)",
                                 chat_id, msg_id, user_id, r, now)
            msg = await _rewrite(db, chat_id, msg_id, lambda m: msgspec.structs.replace(
                m, reactions=recount(m.reactions, removed, added)))
            if msg is None:
                raise bad_request("MESSAGE_ID_INVALID")
            counts = msg.reactions
            ev, _ = await _chat_event(db, chat_id, now, lambda p: up.MessageReactions(
                chat_id, p, now, msg_id, counts, user_id, chosen, have))
            return msg, [ev]

        return await self.database.write(op)

    async def reactors(self, chat_id: int, msg_id: int, reaction: str | None,
                       after: tuple[int, int, str] | None, limit: int
                       ) -> list[tuple[int, str, int]]:
        """(user, reaction, date), the latest first, paged by (date, user, reaction)."""
        date, user, last = after or (2**62, 0, "")

        async def op(db: Db) -> list[tuple[int, str, int]]:
            found = await db.fetch(
                "SELECT user_id, reaction, date FROM message_reactions WHERE chat_id = $1"
                " AND msg_id = $2 AND (reaction = $3 OR $4 = 1) AND (date < $5 OR (date = $5"
                " AND (user_id < $6 OR (user_id = $6 AND reaction < $7))))"
                " ORDER BY date DESC, user_id DESC, reaction DESC LIMIT $8",
                chat_id, msg_id, reaction or "", int(reaction is None), date, user, last, limit)
            return [(r[0], r[1], r[2]) for r in found]

        return await self.database.read(op)

    async def chosen(self, chat_id: int, ids: list[int], user_id: int) -> dict[int, list[str]]:
        async def op(db: Db) -> dict[int, list[str]]:
            out: dict[int, list[str]] = {}
            for msg_id in ids:
                out[msg_id] = [r[0] for r in await db.fetch(
                    "SELECT reaction FROM message_reactions WHERE chat_id = $1 AND msg_id = $2"
                    " AND user_id = $3 ORDER BY date, reaction", chat_id, msg_id, user_id)]
            return out

        return await self.database.read(op)

    # ---- polls -------------------------------------------------------------------------------

    async def poll(self, poll_id: str) -> tuple[Poll, int] | None:
        """The poll as its creator made it, and its creator."""

        async def op(db: Db) -> tuple[Poll, int] | None:
            row = await db.fetchrow("SELECT poll, creator_id FROM polls WHERE id = $1", poll_id)
            return (_poll_dec.decode(row[0]), row[1]) if row else None

        return await self.database.read(op)

    async def vote_of(self, poll_id: str, user_id: int) -> list[int] | None:
        async def op(db: Db) -> list[int] | None:
            got = await db.fetchval("SELECT options FROM poll_votes WHERE poll_id = $1"
                                    " AND user_id = $2", poll_id, user_id)
            return _ints.decode(got) if got else None

        return await self.database.read(op)

    async def vote(self, poll_id: str, user_id: int, options: list[int], is_bot: bool, now: int
                   ) -> tuple[Poll, Out]:
        """Replace the user's answer (empty: retract it); every message showing the poll gets
        the new results."""

        async def op(db: Db) -> tuple[Poll, Out]:
            got = await db.fetchval("SELECT options FROM poll_votes WHERE poll_id = $1"
                                    " AND user_id = $2", poll_id, user_id)
            before = _ints.decode(got) if got else []

            def change(poll: Poll) -> Poll:
                access.check_vote(poll, options, bool(before), is_bot=is_bot)
                return tally(poll, before, options)

            poll = await self._change(db, poll_id, change)
            await db.execute("DELETE FROM poll_votes WHERE poll_id = $1 AND user_id = $2",
                             poll_id, user_id)
            if options:
                await db.execute("INSERT INTO poll_votes (poll_id, user_id, options, date)"
                                 " VALUES ($1, $2, $3, $4)", poll_id, user_id,
                                 _enc.encode(options).decode(), now)
            return poll, await self._show(db, poll, now)

        return await self.database.write(op)

    async def close(self, poll_id: str, now: int) -> tuple[Poll, Out]:
        async def op(db: Db) -> tuple[Poll, Out]:
            def change(poll: Poll) -> Poll:
                if poll.is_closed:
                    raise bad_request("MESSAGE_POLL_CLOSED")
                return msgspec.structs.replace(poll, is_closed=True)

            poll = await self._change(db, poll_id, change)
            return poll, await self._show(db, poll, now)

        return await self.database.write(op)

    async def voters(self, poll_id: str, option: int | None, offset_date: int, offset_user: int,
                     limit: int) -> list[tuple[int, list[int], int]]:
        async def op(db: Db) -> list[tuple[int, list[int], int]]:
            found = await db.fetch(
                "SELECT user_id, options, date FROM poll_votes WHERE poll_id = $1"
                " AND (date < $2 OR (date = $2 AND user_id < $3))"
                " ORDER BY date DESC, user_id DESC LIMIT $4", poll_id, offset_date or 2**62,
                offset_user or 2**62, limit * 4 if option is not None else limit)
            out = [(r[0], _ints.decode(r[1]), r[2]) for r in found]
            return [v for v in out if option is None or option in v[1]][:limit]

        return await self.database.read(op)

    @staticmethod
    async def _change(db: Db, poll_id: str, change: Callable[[Poll], Poll]) -> Poll:
        for _ in range(CAS_TRIES):
            raw = await db.fetchval("SELECT poll FROM polls WHERE id = $1", poll_id)
            if raw is None:
                raise bad_request("POLL_ID_INVALID")
            poll = change(_poll_dec.decode(raw))
            if await db.execute("UPDATE polls SET poll = $2 WHERE id = $1 AND poll = $3",
                                poll_id, _enc.encode(poll).decode(), raw):
                return poll
        raise RuntimeError(f"poll {poll_id} kept changing")

    @staticmethod
    async def _show(db: Db, poll: Poll, now: int) -> Out:
        """Put the poll's public view on every message showing it; one event in each chat."""
        shown = public_poll(poll)
        out: Out = []
        for chat_id, msg_id in await db.fetch("SELECT chat_id, msg_id FROM poll_messages"
                                              " WHERE poll_id = $1 ORDER BY chat_id, msg_id",
                                              poll.id):
            if await _rewrite(db, chat_id, msg_id,
                              lambda m: msgspec.structs.replace(m, poll=shown)) is None:
                continue
            ev, _ = await _chat_event(db, chat_id, now, lambda p, c=chat_id, i=msg_id:
                                      up.MessagePoll(c, p, now, i, shown))
            out.append(ev)
        return out
