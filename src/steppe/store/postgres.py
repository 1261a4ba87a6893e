"""PostgreSQL behind the same `Database` interface, on asyncpg: the store's SQL runs unchanged.

Every dialect difference lives here and in `migrations/postgres/`:

- placeholders are already PostgreSQL's (`$1`); `execute` returns the row count parsed from the
  command status (`UPDATE 3` -> 3);
- a violated unique, foreign-key, not-null or check rule raises `IntegrityError` whose message
  names the constraint (`users_phone_key`), never the offending value, so `"phone" in str(exc)`
  tells a taken phone number from a taken username;
- `read(op)` runs on a pooled connection in autocommit: each statement sees committed data only;
- `write(op)` runs the operation inside a READ COMMITTED transaction. An operation must not go on
  after catching `IntegrityError`: PostgreSQL has aborted its (sub)transaction by then (the store
  raises instead).

Group commit, as on SQLite: the writes queued while the node's writer is busy go together in the
next transaction (at most `BATCH_MAX`), each in a savepoint, so one that fails is rolled back
alone and the rest commit; every future resolves only after COMMIT. One transaction for many
sends costs one commit (one WAL flush) and takes a hot chat's row lock once, instead of once per
send with the lock held across each commit's flush. A batch waits at most `LOCK_WAIT` for a row
lock another node holds; past that, or on a deadlock, its operations run again one transaction
each (retried a few times on a deadlock or serialization failure), so two nodes' batches that
lock the same chats in opposite orders cost a few milliseconds, not PostgreSQL's one-second
deadlock check.

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
from collections.abc import Awaitable, Sequence
from importlib import resources
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from steppe.store.db import CAREFUL_BATCHES, IntegrityError, Op, Row

T = TypeVar("T")
log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x57E99E  # pg_advisory_lock key: one node migrates at a time
WRITE_TRIES = 5
RETRY = (asyncpg.exceptions.DeadlockDetectedError, asyncpg.exceptions.SerializationError)
BATCH_MAX = 64
LOCK_WAIT = "200ms"
# A batch that meets these runs again one operation per transaction.
SPLIT = (*RETRY, asyncpg.exceptions.LockNotAvailableError)


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
        self._pending: list[tuple[Op[Any], asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.commits = 0
        self.writes = 0
        self.retries = 0
        self.splits = 0
        self._careful = 0  # batches still to run one savepoint a write, after one that failed

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.dsn, min_size=self.pool_min, max_size=self.pool_max, reset=_keep_session,
            server_settings={"application_name": "steppe"})
        async with self._pool.acquire() as conn:
            await migrate_postgres(conn)

    async def close(self) -> None:
        if self._writer is not None:  # what was asked to be written, is
            await asyncio.wait({self._writer}, timeout=30)
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

    def write(self, op: Op[T]) -> Awaitable[T]:
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((op, fut))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_batches())
        return fut

    async def _write_batches(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:BATCH_MAX]
                del self._pending[:BATCH_MAX]
                if len(batch) == 1:
                    await self._alone(*batch[0])
                else:
                    await self._together(batch)
        finally:
            self._writer = None

    async def _together(self, batch: list[tuple[Op[Any], asyncio.Future[Any]]]) -> None:
        """A batch in one transaction. While no write in it fails, the writes run with no
        savepoint of their own (two round trips less a write); when one fails, the transaction
        is rolled back and the batch runs again one savepoint a write (as do the next few
        batches). Write ops keep no state outside the database, so running one twice is as
        running it once."""
        if self._careful:
            self._careful -= 1
            return await self._one_by_one(batch)
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                db = PostgresDb(conn)
                await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                results = []
                for op, _ in batch:
                    try:
                        results.append(await op(db))
                    except SPLIT:
                        raise
                    except Exception as exc:
                        raise _WriteFailed from exc
        except SPLIT:
            self.splits += 1
            await asyncio.gather(*(self._alone(op, fut) for op, fut in batch))
            return
        except _WriteFailed:
            self._careful = CAREFUL_BATCHES
            return await self._one_by_one(batch)
        except Exception as exc:  # noqa: BLE001 - the transaction as a whole failed
            for _, fut in batch:
                _settle(fut, False, exc)
            return
        self.commits += 1
        self.writes += len(batch)
        for (_, fut), result in zip(batch, results, strict=True):
            _settle(fut, True, result)

    async def _one_by_one(self, batch: list[tuple[Op[Any], asyncio.Future[Any]]]) -> None:
        """A batch in one transaction, each write in a savepoint of its own."""
        outcomes: list[tuple[asyncio.Future[Any], bool, Any]] = []
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                db = PostgresDb(conn)
                await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                for op, fut in batch:
                    savepoint = conn.transaction()
                    await savepoint.start()
                    try:
                        result = await op(db)
                    except SPLIT:
                        raise
                    except Exception as exc:  # noqa: BLE001 - handed to the caller
                        await savepoint.rollback()
                        outcomes.append((fut, False, exc))
                    else:
                        await savepoint.commit()
                        outcomes.append((fut, True, result))
        except SPLIT:
            self.splits += 1
            await asyncio.gather(*(self._alone(op, fut) for op, fut in batch))
            return
        except Exception as exc:  # noqa: BLE001 - the transaction as a whole failed
            outcomes = [(fut, False, exc) for _, fut in batch]
        else:
            self.commits += 1
            self.writes += len(batch)
        for fut, ok, value in outcomes:
            _settle(fut, ok, value)

    async def _alone(self, op: Op[Any], fut: asyncio.Future[Any]) -> None:
        for attempt in range(WRITE_TRIES):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    result = await op(PostgresDb(conn))
            except RETRY as exc:
                if attempt == WRITE_TRIES - 1:
                    return _settle(fut, False, exc)
                self.retries += 1
                await asyncio.sleep(random.uniform(0.001, 0.01) * 2**attempt)
                continue
            except Exception as exc:  # noqa: BLE001 - handed to the caller
                return _settle(fut, False, exc)
            self.commits += 1
            self.writes += 1
            return _settle(fut, True, result)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What the pool does to a connection handed back, after rolling back a transaction left
    open: nothing more. Steppe leaves no session state behind an operation (no LISTEN, open
    cursors, session settings or advisory locks; settings are SET LOCAL), so asyncpg's default
    reset query would only cost a round trip on every release."""


class _WriteFailed(Exception):
    """A write of a batch run without savepoints failed: the batch runs again with them."""


def _settle(fut: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if fut.cancelled():
        return
    if ok:
        fut.set_result(value)
    else:
        fut.set_exception(value)


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
