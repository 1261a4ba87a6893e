"""The database engines behind the store: how SQL runs, never what it says.

Operations are coroutines `op(db) -> result` written once against `Db` with `$1` placeholders.
SQLite runs them on the event loop thread without ever suspending: one connection, WAL, and a
group commit that puts every write queued during one loop iteration in one transaction. While no
write fails, that is all; a batch in which one fails is rolled back and run again with each
write in its own savepoint, so one failure does not undo its neighbours. A write's future
resolves only after its COMMIT is on disk: the commit itself does not wait for the disk
(`synchronous=NORMAL`), a thread of its own then flushes the write-ahead log (one fdatasync
covers every commit before it, as a PostgreSQL WAL flush does) and hands the results back to
the loop. So an acknowledged write survives a power cut, and the event loop never waits for the
disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
Row = Any


class Db(Protocol):
    async def fetch(self, sql: str, *args: object) -> list[Row]: ...
    async def fetchrow(self, sql: str, *args: object) -> Row | None: ...
    async def fetchval(self, sql: str, *args: object) -> Any: ...
    async def execute(self, sql: str, *args: object) -> int: ...
    async def executemany(self, sql: str, args: Sequence[Sequence[object]]) -> None: ...


Op = Callable[[Db], Coroutine[Any, Any, T]]


class Database(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def read(self, op: Op[T]) -> T: ...
    async def write(self, op: Op[T]) -> T: ...


class IntegrityError(Exception):
    """A uniqueness or foreign-key rule refused a write; the store turns it into a domain error."""

    def on(self, column: str) -> bool:
        """Whether the rule that refused the write is `column`'s (its name is in the message on
        SQLite, and in the constraint's name on PostgreSQL: users_username_lc_key)."""
        return column in str(self)


_PLACEHOLDER = re.compile(r"\$(\d+)")
CAREFUL_BATCHES = 8  # after a batch with a failing write, this many run one savepoint an op


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that must finish without suspending (SQLite calls never wait)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coro.close()
    raise RuntimeError("a SQLite operation suspended")


class SqliteDb:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._sql: dict[str, str] = {}

    def _q(self, sql: str) -> str:
        out = self._sql.get(sql)
        if out is None:
            out = self._sql[sql] = _PLACEHOLDER.sub(r"?\1", sql)
        return out

    def _run(self, sql: str, args: Sequence[object]) -> sqlite3.Cursor:
        try:
            return self.conn.execute(self._q(sql), args)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def fetch(self, sql: str, *args: object) -> list[Row]:
        return self._run(sql, args).fetchall()

    async def fetchrow(self, sql: str, *args: object) -> Row | None:
        return self._run(sql, args).fetchone()

    async def fetchval(self, sql: str, *args: object) -> Any:
        row = self._run(sql, args).fetchone()
        return None if row is None else row[0]

    async def execute(self, sql: str, *args: object) -> int:
        return self._run(sql, args).rowcount

    async def executemany(self, sql: str, args: Sequence[Sequence[object]]) -> None:
        try:
            self.conn.executemany(self._q(sql), args)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc


class SqliteDatabase:
    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL", durable: bool = True,
                 checkpoint_interval: float = 0.5, restart_frames: int = 4096):
        self.path = str(path)
        self.checkpoint_interval = checkpoint_interval
        self.restart_frames = restart_frames
        self.synchronous = synchronous
        self.durable = durable and self.path != ":memory:"
        self._syncer: WalSyncer | None = None
        self._conn: sqlite3.Connection | None = None
        self._db: SqliteDb | None = None
        self._pending: list[tuple[Op[Any], asyncio.Future[Any]]] = []
        self._checkpointer: Checkpointer | None = None
        self._scheduled = False
        self._held: threading.Event | None = None
        self.commits = 0
        self.writes = 0
        self._careful = 0  # batches still to run one savepoint an op, after one that failed

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA cache_size=-65536")
        self._conn = conn
        self._db = SqliteDb(conn)
        migrate_sqlite(conn)
        if self.path != ":memory:":
            # Copying the log back into the database is done by a thread of its own, never
            # inside a commit on the event loop (where it stalls every connection for ms).
            conn.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = Checkpointer(
                self.path, self, asyncio.get_running_loop(), interval=self.checkpoint_interval,
                restart_frames=self.restart_frames)
            self._checkpointer.start()
        if self.durable:
            self._syncer = WalSyncer(self.path, asyncio.get_running_loop())
            self._syncer.start()

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self._held = None
        if self._pending:
            self._flush()
        if self._syncer is not None:  # what was acknowledged is on disk before we go
            syncer, self._syncer = self._syncer, None
            await asyncio.get_running_loop().run_in_executor(None, syncer.stop)
            await asyncio.sleep(0)  # let its last results reach their futures
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def db(self) -> SqliteDb:
        assert self._db is not None, "database is not open"
        return self._db

    async def read(self, op: Op[T]) -> T:
        return run_sync(op(self.db))

    def write(self, op: Op[T]) -> Awaitable[T]:
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((op, fut))
        if not self._scheduled and self._held is None:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)
        return fut

    def hold_writes(self, held: threading.Event) -> None:
        """On the loop: start no transaction until `release_writes`; `held` tells the caller (the
        checkpoint thread) that none is open. Writes queue meanwhile, as they do between turns."""
        self._held = held
        held.set()

    def release_writes(self) -> None:
        self._held = None
        if self._pending and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        if self._held is not None:
            return  # release_writes schedules the next flush
        batch, self._pending = self._pending, []
        if not batch:
            return
        if self._careful or not self._all_or_nothing(batch):
            self._one_by_one(batch)

    def _all_or_nothing(self, batch: list[tuple[Op[Any], asyncio.Future[Any]]]) -> bool:
        """The usual batch, where no write fails: every op in one transaction with no savepoint
        of its own (a pair of statements less a write). When one fails, the transaction is
        rolled back whole and False says to run the batch again one savepoint an op (an op
        alone gets its error at once); the ops keep no state outside the database, so running
        one twice is as running it once (the next few batches start with savepoints)."""
        conn, db = self._conn, self.db
        assert conn is not None
        results: list[Any] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, _ in batch:
                results.append(run_sync(op(db)))
        except Exception as exc:  # noqa: BLE001 - the slower way below gives each op its outcome
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if len(batch) == 1:  # the op that failed was alone: its outcome is this error
                settle([(batch[0][1], False, exc)])
                return True
            self._careful = CAREFUL_BATCHES
            return False
        self._commit(batch, [(fut, True, result)
                             for (_, fut), result in zip(batch, results, strict=True)])
        return True

    def _one_by_one(self, batch: list[tuple[Op[Any], asyncio.Future[Any]]]) -> None:
        """Each op in its own savepoint, so one that fails undoes only itself."""
        if self._careful:
            self._careful -= 1
        conn, db = self._conn, self.db
        assert conn is not None
        outcomes: list[tuple[asyncio.Future[Any], bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, fut in batch:
                conn.execute("SAVEPOINT op")
                try:
                    result = run_sync(op(db))
                except Exception as exc:  # noqa: BLE001 - handed to the caller
                    conn.execute("ROLLBACK TO op")
                    conn.execute("RELEASE op")
                    outcomes.append((fut, False, exc))
                else:
                    conn.execute("RELEASE op")
                    outcomes.append((fut, True, result))
        except Exception as exc:  # noqa: BLE001 - the whole batch failed
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            settle([(fut, False, exc) for _, fut in batch])
            return
        self._commit(batch, outcomes)

    def _commit(self, batch: list[tuple[Op[Any], asyncio.Future[Any]]],
                outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
        """COMMIT, then the outcomes: now, or by the log flush thread once the commit is on
        disk."""
        conn = self._conn
        assert conn is not None
        try:
            conn.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - the whole batch failed to commit
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            settle([(fut, False, exc) for _, fut in batch])
            return
        self.commits += 1
        self.writes += len(batch)
        if self._syncer is not None:
            self._syncer.submit(outcomes)
        else:
            settle(outcomes)

    @property
    def syncs(self) -> int:
        return self._syncer.syncs if self._syncer is not None else 0


def settle(outcomes: list[tuple[asyncio.Future[Any], bool, Any]], error: Exception | None = None
           ) -> None:
    for fut, ok, value in outcomes:
        if fut.cancelled():
            continue
        if error is not None:
            fut.set_exception(error)
        elif ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)


class WalSyncer(threading.Thread):
    """Flushes the write-ahead log to disk off the event loop, then resolves the writes whose
    commits it covered (in commit order). An error from the disk fails those writes."""

    def __init__(self, path: str, loop: asyncio.AbstractEventLoop):
        super().__init__(name="steppe-wal-sync", daemon=True)
        self.path = path
        self.loop = loop
        self.cond = threading.Condition()
        self.queue: list[list[tuple[asyncio.Future[Any], bool, Any]]] = []
        self.stopping = False
        self.fd: int | None = None
        self.syncs = 0

    def submit(self, outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
        with self.cond:
            self.queue.append(outcomes)
            self.cond.notify()

    def run(self) -> None:
        try:
            while True:
                with self.cond:
                    while not self.queue and not self.stopping:
                        self.cond.wait()
                    if not self.queue:
                        return
                    batches, self.queue = self.queue, []
                error: Exception | None = None
                try:
                    self._sync()
                except OSError as exc:
                    error = exc
                self.loop.call_soon_threadsafe(self._resolve, batches, error)
        finally:
            if self.fd is not None:
                os.close(self.fd)

    def _sync(self) -> None:
        if self.fd is None:
            wal = self.path + "-wal"
            self.fd = os.open(wal if os.path.exists(wal) else self.path, os.O_RDONLY)
            folder = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
            try:  # the log's own directory entry, once
                os.fsync(folder)
            finally:
                os.close(folder)
        os.fdatasync(self.fd)
        self.syncs += 1

    @staticmethod
    def _resolve(batches: list[list[tuple[asyncio.Future[Any], bool, Any]]],
                 error: Exception | None) -> None:
        for outcomes in batches:
            settle(outcomes, error)

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify()
        self.join(10)


class Checkpointer(threading.Thread):
    """Checkpoints the write-ahead log from its own connection, off the event loop.

    A passive checkpoint never blocks the writer, but under a steady stream of commits it never
    reaches the end of the log, so SQLite never starts the log over: the file only grows, and
    every flush of a growing file costs the filesystem a journal commit (60-140 ms seen here).
    So once the log passes `restart_frames`, right after a passive round has copied nearly all of
    it, the loop is asked to hold its next transaction; a RESTART checkpoint copies the rest and
    makes the next commit start the log from its beginning, over the same blocks. Writes wait
    for that (milliseconds, at most `hold_limit`); the event loop itself never does.
    """

    def __init__(self, path: str, database: SqliteDatabase | None = None,
                 loop: asyncio.AbstractEventLoop | None = None, *, interval: float = 0.5,
                 restart_frames: int = 4096, hold_limit: float = 1.0):
        super().__init__(name="steppe-checkpoint", daemon=True)
        self.path = path
        self.database = database
        self.loop = loop
        self.interval = interval
        self.restart_frames = restart_frames
        self.hold_limit = hold_limit
        self.restarts = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=1000")
        try:
            while not self._stop_event.wait(self.interval):
                try:
                    _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if frames >= self.restart_frames:
                        self._restart(conn)
                except sqlite3.Error:  # busy: the next round tries again
                    continue
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error:
            pass
        finally:
            conn.close()

    def _restart(self, conn: sqlite3.Connection) -> None:
        if self.database is None or self.loop is None:
            return
        held = threading.Event()
        try:
            self.loop.call_soon_threadsafe(self.database.hold_writes, held)
        except RuntimeError:  # the loop is closing
            return
        try:
            if held.wait(self.hold_limit):
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                self.restarts += 0 if busy else 1
        finally:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.database.release_writes)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)


def migrate_sqlite(conn: sqlite3.Connection) -> int:
    """Apply the numbered migrations not applied yet; returns the schema version."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    current = row[0] or 0
    folder = resources.files("steppe.store.migrations").joinpath("sqlite")
    files = sorted(
        (int(f.name.split("_", 1)[0]), f) for f in folder.iterdir() if f.name.endswith(".sql")
    )
    for number, file in files:
        if number <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(file.read_text()):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?)", (number,))
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        current = number
    return current


def _statements(script: str) -> list[str]:
    parts, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        if line.rstrip().endswith(";") and sqlite3.complete_statement("\n".join(buf)):
            parts.append("\n".join(buf))
            buf = []
    if "".join(buf).strip():
        parts.append("\n".join(buf))
    return parts
