"""PostgreSQL behind the same `Database` interface, on asyncpg: the store's SQL runs unchanged.

Every dialect difference lives here and in `migrations/postgres/`:

- placeholders are already PostgreSQL's (`$1`); `execute` returns the row count parsed from the
  command status (`UPDATE 3` -> 3);
- a violated unique, foreign-key, not-null or check rule raises `IntegrityError` whose message
  names the constraint (`users_phone_key`), never the offending value, so `"phone" in str(exc)`
  tells a taken phone number from a taken username;
- `read(op)` runs on a pooled connection in autocommit: each statement sees committed data only;
- `write(op)` runs the operation in one READ COMMITTED transaction and retries it a few times on
  a deadlock or serialization failure. An operation must not go on after catching
  `IntegrityError`: PostgreSQL has aborted its transaction by then (the store raises instead).

Group commit: SQLite batches concurrent writes into one transaction; here each write is its own
transaction on its own pooled connection, and PostgreSQL's WAL writer flushes the commits that
arrive together with one fsync, which is the same effect without one writer per node.

Per-chat order: `UPDATE chats SET pts = pts + 1 ... RETURNING` takes the chat row's lock until
the commit, so writers on every node take a chat's pts one at a time; a transaction that rolls
back gives its pts back. The sequence stays gapless and unique across nodes.

Migrations are the numbered files in `migrations/postgres/`, applied at start-up under a session
advisory lock, so nodes starting together apply each file once.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from steppe.store.db import IntegrityError, Op, Row

T = TypeVar("T")
log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x57E99E  # pg_advisory_lock key: one node migrates at a time
WRITE_TRIES = 5
RETRY = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError)


def _integrity(exc: asyncpg.exceptions.IntegrityConstraintViolationError) -> IntegrityError:
    where = exc.constraint_name or exc.column_name or ""
    table = f" on {exc.table_name}" if exc.table_name else ""
    return IntegrityError(f"{type(exc).__name__}: {where}{table}")


def _count(status: str) -> int:
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


class PostgresDb:
    """`Db` over one asyncpg connection."""

    __slots__ = ("conn",)

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        try:
            return await self.conn.fetch(sql, *args)  # type: ignore[no-any-return]
        except asyncpg.exceptions.IntegrityConstraintViolationError as exc:
            raise _integrity(exc) from exc

    async def fetchrow(self, sql: str, *args: object) -> Row | None:
        try:
            return await self.conn.fetchrow(sql, *args)
        except asyncpg.exceptions.IntegrityConstraintViolationError as exc:
            raise _integrity(exc) from exc

    async def fetchval(self, sql: str, *args: object) -> Any:
        try:
            return await self.conn.fetchval(sql, *args)
        except asyncpg.exceptions.IntegrityConstraintViolationError as exc:
            raise _integrity(exc) from exc

    async def execute(self, sql: str, *args: object) -> int:
        try:
            return _count(await self.conn.execute(sql, *args))
        except asyncpg.exceptions.IntegrityConstraintViolationError as exc:
            raise _integrity(exc) from exc

    async def executemany(self, sql: str, args: Sequence[Sequence[object]]) -> None:
        if not args:
            return
        try:
            await self.conn.executemany(sql, args)
        except asyncpg.exceptions.IntegrityConstraintViolationError as exc:
            raise _integrity(exc) from exc


def split_url(url: str) -> tuple[str, dict[str, int]]:
    """`postgres://...?pool_min=2&pool_max=20` -> (the DSN for asyncpg, the pool options)."""
    parts = urlsplit(url)
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    query, pool = [], {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in ("pool_min", "pool_max"):
            pool[key] = int(value)
        else:
            query.append((key, value))
    dsn = urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
    return dsn, pool


class PostgresDatabase:
    def __init__(self, url: str, *, pool_min: int = 2, pool_max: int = 20):
        self.dsn, pool = split_url(url)
        self.pool_min = pool.get("pool_min", pool_min)
        self.pool_max = max(pool.get("pool_max", pool_max), self.pool_min, 1)
        self._pool: asyncpg.Pool | None = None
        self.commits = 0
        self.writes = 0
        self.retries = 0

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.dsn, min_size=self.pool_min, max_size=self.pool_max,
            server_settings={"application_name": "steppe"})
        async with self._pool.acquire() as conn:
            await migrate_postgres(conn)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "database is not open"
        return self._pool

    async def read(self, op: Op[T]) -> T:
        async with self.pool.acquire() as conn:
            return await op(PostgresDb(conn))

    async def write(self, op: Op[T]) -> T:
        for attempt in range(WRITE_TRIES):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    result = await op(PostgresDb(conn))
            except RETRY:
                if attempt == WRITE_TRIES - 1:
                    raise
                self.retries += 1
                await asyncio.sleep(random.uniform(0.001, 0.01) * 2**attempt)
                continue
            self.commits += 1
            self.writes += 1
            return result
        raise AssertionError("unreachable")


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("steppe.store.migrations").joinpath("postgres")
    return sorted((int(f.name.split("_", 1)[0]), f.read_text())
                  for f in folder.iterdir() if f.name.endswith(".sql"))


async def migrate_postgres(conn: asyncpg.Connection) -> int:
    """Apply the numbered migrations not applied yet, one node at a time; returns the version."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        current = await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
        for number, script in _migrations():
            if number <= current:
                continue
            async with conn.transaction():
                await conn.execute(script)
                await conn.execute("INSERT INTO schema_version VALUES ($1)", number)
            log.info("applied PostgreSQL migration %03d", number)
            current = number
        return int(current)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
