"""Message and directory search: the only SQL that reads the search indexes.

SQLite: the trigram FTS5 tables of migration 006 (kept in step by triggers), joined back to the
messages (`_sqlite_indexed`). PostgreSQL: `ILIKE '%term%'` answered by pg_trgm GIN indexes. Both
then apply the same rules as the history: the reader is a member now, the message is live and
not hidden for them (`_conditions`). The SQL that differs by dialect is in `_Dialect`,
`_sqlite_indexed` and `_by_name`.
"""

from __future__ import annotations

from typing import Any

from steppe.domain import search as ds
from steppe.domain.models import Chat, Message, User
from steppe.store import rows
from steppe.store.db import Database, Db, SqliteDatabase
from steppe.store.rows import CHAT_COLUMNS, MESSAGE_COLUMNS, USER_COLUMNS

_M_COLUMNS = ", ".join("m." + c.strip() for c in MESSAGE_COLUMNS.split(","))
_U_COLUMNS = ", ".join("u." + c.strip() for c in USER_COLUMNS.split(","))
_C_COLUMNS = ", ".join("c." + c.strip() for c in CHAT_COLUMNS.split(","))
_PUBLIC = ("chat_settings s JOIN chats c ON c.id = s.chat_id"
           " WHERE s.username IS NOT NULL AND c.kind IN ('supergroup', 'channel')")
DIRECTORY_CANDIDATES = 500


class _Args:
    """Positional `$n` arguments collected while a query is built."""

    def __init__(self, *first: object):
        self.values: list[object] = list(first)

    def __call__(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


class _Dialect:
    def __init__(self, sqlite: bool):
        self.sqlite = sqlite

    def has_media(self) -> str:
        if self.sqlite:
            return "json_extract(m.extra, '$.media') IS NOT NULL"
        return "(m.extra IS NOT NULL AND (m.extra::jsonb -> 'media') IS NOT NULL)"


def _short_terms(terms: tuple[str, ...], arg: _Args) -> list[str]:
    """A condition per short term: any upper/lower spelling of it occurs in the text."""
    out = []
    for term in terms:
        spellings = [f"m.text LIKE {arg(ds.like_pattern(v))} ESCAPE '\\'"
                     for v in ds.case_variants(term)]
        out.append("(" + " OR ".join(spellings) + ")")
    return out


class SearchStore:
    def __init__(self, database: Database):
        self.database = database
        self.dialect = _Dialect(isinstance(database, SqliteDatabase))

    async def index_pending(self, batch: int = 1000) -> int:
        """Move up to `batch` queued new messages into the trigram index, in one transaction;
        returns how many queued entries were taken. A message an edit already indexed, or one
        deleted or emptied meanwhile, is passed over. Set at a time: four statements a batch."""

        async def op(db: Db) -> int:
            taken = await db.fetchrow(
                "SELECT count(*), max(id) FROM (SELECT id FROM search_queue ORDER BY id LIMIT $1)",
                batch)
            if not taken[0]:
                return 0
            upto = taken[1]
            # Keys count up: those above the largest one now are the ones made here.
            before = await db.fetchval("SELECT coalesce(max(key), 0) FROM message_keys")
            await db.execute(
                "INSERT INTO message_keys (chat_id, msg_id) SELECT q.chat_id, q.msg_id"
                " FROM search_queue q JOIN messages m ON m.chat_id = q.chat_id AND m.id = q.msg_id"
                " WHERE q.id <= $1 AND m.deleted = 0 AND m.text != '' ORDER BY q.id"
                " ON CONFLICT DO NOTHING", upto)
            await db.execute(
                "INSERT INTO messages_fts (rowid, text, chat) SELECT k.key, m.text,"
                " '<' || k.chat_id || '>' FROM message_keys k"
                " JOIN messages m ON m.chat_id = k.chat_id AND m.id = k.msg_id"
                " WHERE k.key > $1 ORDER BY k.key", before)
            await db.execute("DELETE FROM search_queue WHERE id <= $1", upto)
            return int(taken[0])

        if not self.dialect.sqlite:
            return 0
        return await self.database.write(op)

    async def messages(self, user_id: int, query: ds.Query, f: ds.Filters, *,
                       chat_id: int | None, before: tuple[int, int, int] | None, limit: int
                       ) -> list[Message]:
        """Messages `user_id` may read now that contain every term, newest first.

        One chat (`chat_id`): older than message `before[2]`; all chats: after the result
        `before` = (date, chat_id, id). With no indexed term the search must name a chat.

        SQLite walks the trigram index newest first (its keys count up as messages arrive) and
        stops at `limit` readable matches, so a common word costs no more than a rare one; one
        chat's search matches that chat's token in the index too. PostgreSQL sorts the matches
        its trigram index finds.
        """
        assert chat_id is not None or query.indexed
        while await self.index_pending() == 1000:
            pass
        if self.dialect.sqlite and query.indexed:
            return await self._sqlite_indexed(user_id, query, f, chat_id, before, limit)
        arg = _Args(user_id)
        where = [f"m.text ILIKE {arg(ds.like_pattern(t))} ESCAPE '\\'" for t in query.indexed]
        where += self._conditions(query, f, chat_id, arg)
        if chat_id is not None:
            order = "m.id DESC"
            if before:
                where.append(f"m.id < {arg(before[2])}")
        else:
            order = "m.date DESC, m.chat_id DESC, m.id DESC"
            if before:
                where.append(f"(m.date, m.chat_id, m.id) < ({arg(before[0])}, {arg(before[1])},"
                             f" {arg(before[2])})")
        sql = (f"SELECT {_M_COLUMNS} FROM messages m{self._joins(f, 'JOIN')}"
               f" WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {arg(limit)}")

        async def op(db: Db) -> list[Message]:
            return [rows.message(r) for r in await db.fetch(sql, *arg.values)]

        return await self.database.read(op)

    async def _sqlite_indexed(self, user_id: int, query: ds.Query, f: ds.Filters,
                              chat_id: int | None, before: tuple[int, int, int] | None,
                              limit: int) -> list[Message]:
        arg = _Args(user_id)
        match = ds.fts_match(query.indexed, chat_id)
        where = [f"messages_fts MATCH {arg(match)}", *self._conditions(query, f, chat_id, arg)]
        cursor = len(arg.values)
        if before:
            where.append(f"f.rowid < {arg(0)}")  # the cursor's key, looked up below
        # CROSS JOIN keeps SQLite's loops in this order: the index outermost, newest first.
        sql = (f"SELECT {_M_COLUMNS} FROM messages_fts f"
               " CROSS JOIN message_keys k ON k.key = f.rowid"
               " CROSS JOIN messages m ON m.chat_id = k.chat_id AND m.id = k.msg_id"
               f"{self._joins(f, 'CROSS JOIN')} WHERE {' AND '.join(where)}"
               f" ORDER BY f.rowid DESC LIMIT {arg(limit)}")

        async def op(db: Db) -> list[Message]:
            values = list(arg.values)
            if before:
                # The key of the cursor's message, or of the next one in its chat: within a chat
                # keys count up with message ids.
                key = await db.fetchval(
                    "SELECT min(key) FROM message_keys WHERE chat_id = $1 AND msg_id >= $2",
                    chat_id if chat_id is not None else before[1], before[2])
                values[cursor] = key if key is not None else 2**63 - 1
            return [rows.message(r) for r in await db.fetch(sql, *values)]

        return await self.database.read(op)

    @staticmethod
    def _joins(f: ds.Filters, join: str) -> str:
        out = f" {join} members mb ON mb.chat_id = m.chat_id AND mb.user_id = $1"
        if f.chat_kind:
            out += f" {join} chats c ON c.id = m.chat_id"
        return out

    def _conditions(self, query: ds.Query, f: ds.Filters, chat_id: int | None, arg: _Args
                    ) -> list[str]:
        """What every search asks beyond the words: readable now, and the filters."""
        where = _short_terms(query.short, arg)
        where += ["m.deleted = 0", "m.action IS NULL",
                  "NOT EXISTS (SELECT 1 FROM hidden_messages h WHERE h.user_id = $1"
                  " AND h.chat_id = m.chat_id AND h.msg_id = m.id)"]
        if f.chat_kind:
            where.append(f"c.kind = {arg(f.chat_kind)}")
        if chat_id is not None:
            where.append(f"m.chat_id = {arg(chat_id)}")
        if f.sender_id is not None:
            where.append(f"m.sender_id = {arg(f.sender_id)}")
        if f.min_date:
            where.append(f"m.date >= {arg(f.min_date)}")
        if f.max_date:
            where.append(f"m.date <= {arg(f.max_date)}")
        if f.has_media is not None:
            media = self.dialect.has_media()
            where.append(media if f.has_media else f"NOT ({media})")
        return where

    async def directory_users(self, prefix: str, limit: int) -> list[User]:
        """Public accounts (with a username; bots too) whose username starts with `prefix`, then
        those with a word of their name starting with it."""
        low = prefix.lower()

        async def op(db: Db) -> list[User]:
            found: dict[int, User] = {}
            for r in await db.fetch(
                    f"SELECT {USER_COLUMNS} FROM users WHERE username_lc >= $1 AND username_lc < $2"
                    " ORDER BY username_lc LIMIT $3", low, low + "\uffff", limit):
                found[r[0]] = rows.user(r)
            if len(prefix) >= ds.INDEXED_MIN and len(found) < limit:
                for user in await self._by_name(db, prefix):
                    if len(found) >= limit:
                        break
                    name = f"{user.first_name} {user.last_name}"
                    if user.id not in found and ds.name_matches(name, prefix):
                        found[user.id] = user
            return list(found.values())

        return await self.database.read(op)

    async def _by_name(self, db: Db, prefix: str) -> list[User]:
        if self.dialect.sqlite:
            sql = (f"SELECT {_U_COLUMNS} FROM directory_fts f JOIN users u ON u.id = f.rowid"
                   " WHERE directory_fts MATCH $1 ORDER BY u.id LIMIT $2")
            args: list[Any] = [ds.fts_match((prefix,), column="name"), DIRECTORY_CANDIDATES]
        else:
            sql = (f"SELECT {_U_COLUMNS} FROM users u WHERE u.username IS NOT NULL"
                   " AND (u.first_name || ' ' || u.last_name) ILIKE $1 ESCAPE '\\'"
                   " ORDER BY u.id LIMIT $2")
            args = [ds.like_pattern(prefix), DIRECTORY_CANDIDATES]
        return [rows.user(r) for r in await db.fetch(sql, *args)]

    async def directory_chats(self, prefix: str, limit: int) -> list[tuple[Chat, str]]:
        """Public supergroups and channels (those with a username) whose username starts with
        `prefix`, then those with a word of their title starting with it; with the username."""
        low = prefix.lower()
        head = ds.case_variants(prefix[:2])
        patterns = [ds.like_pattern(h + prefix[2:]) for h in head]
        title_sql = " OR ".join(f"c.title LIKE ${i + 2} ESCAPE '\\'" for i in range(len(patterns)))

        async def op(db: Db) -> list[tuple[Chat, str]]:
            found: dict[int, tuple[Chat, str]] = {}
            for r in await db.fetch(
                    f"SELECT {_C_COLUMNS}, s.username FROM {_PUBLIC} AND s.username_lc >= $1"
                    " AND s.username_lc < $2 ORDER BY s.username_lc LIMIT $3",
                    low, low + "\uffff", limit):
                found[r[0]] = (rows.chat(r), r[10])
            if len(found) < limit:
                for r in await db.fetch(
                        f"SELECT {_C_COLUMNS}, s.username FROM {_PUBLIC} AND ({title_sql})"
                        " ORDER BY c.member_count DESC, c.id LIMIT $1",
                        DIRECTORY_CANDIDATES, *patterns):
                    if len(found) >= limit:
                        break
                    if r[0] not in found and ds.name_matches(r[2], prefix):
                        found[r[0]] = (rows.chat(r), r[10])
            return list(found.values())

        return await self.database.read(op)
