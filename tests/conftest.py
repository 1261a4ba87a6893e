"""A real Steppe server on a loopback port for each test that asks for one."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import secrets
import socket
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import uvicorn

from steppe.app import Steppe
from steppe.client import Device, Http, sign_in
from steppe.services.codes import MemoryCodeSender
from steppe.services.core import ManualClock, Settings, SystemClock


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- PostgreSQL: a fresh database per test -------------------------------------------------------
# STEPPE_TEST_POSTGRES is the server to create them on; STEPPE_TEST_DATABASE=postgres runs every
# `server` fixture on PostgreSQL instead of SQLite. Unreachable: those tests skip and say why.

POSTGRES = os.environ.get("STEPPE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
_postgres_down: list[str] = []


def _blocking(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to the end from sync or async code (on a thread of its own)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES, timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_postgres_database() -> tuple[str, Callable[[], None]]:
    """A new empty database: its URL, and a function that drops it."""
    if _postgres_down:
        pytest.skip(_postgres_down[0])
    name = f"steppe_test_{secrets.token_hex(6)}"
    try:
        _blocking(_admin(f"CREATE DATABASE {name}"))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        _postgres_down.append(f"PostgreSQL is not reachable at {POSTGRES} ({exc}): start it to run"
                              " the PostgreSQL cases")
        pytest.skip(_postgres_down[0])
    base = POSTGRES.rsplit("/", 1)[0]
    return f"{base}/{name}", lambda: _blocking(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url, drop = create_postgres_database()
    yield url
    drop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say which services were missing, even without -rs: their cases were skipped, not passed."""
    missing: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
        if "not reachable" in reason:
            service = reason.removeprefix("Skipped: ").split(" is not reachable")[0]
            missing[service] = missing.get(service, 0) + 1
    for service, n in sorted(missing.items()):
        terminalreporter.write_line(f"{service} is not reachable: {n} case(s) skipped")


def server_database_url(tmp: Path) -> tuple[str, Callable[[], None] | None]:
    kind = os.environ.get("STEPPE_TEST_DATABASE", "sqlite")
    if kind == "postgres":
        return create_postgres_database()
    assert kind == "sqlite", f"STEPPE_TEST_DATABASE={kind!r}: expected sqlite or postgres"
    return f"sqlite:///{tmp / 'steppe.db'}", None


@dataclass
class Server:
    url: str
    app: Steppe
    codes: MemoryCodeSender
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    server: uvicorn.Server
    phones: list[str] = field(default_factory=list)
    drop_database: Callable[[], None] | None = None

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the server's own loop (for looking inside in tests)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def new_phone(self) -> str:
        n = len(self.phones) + 1
        phone = f"+7701{n:07d}"
        self.phones.append(phone)
        return phone

    async def user(self, first_name: str = "Test", phone: str | None = None,
                   password: str | None = None) -> dict[str, Any]:
        phone = phone or self.new_phone()
        return await sign_in(self.url, phone, lambda p: self.codes.codes[p], first_name,
                             password=password)

    async def device(self, token: str, **kw: Any) -> Device:
        events: list[dict[str, Any]] = []
        dev = Device(self.url, token, on_event=events.append, **kw)
        dev.events = events  # type: ignore[attr-defined]
        await dev.connect()
        return dev

    def http(self, token: str | None = None) -> Http:
        return Http(self.url, token)


def start_server(tmp: Path, *, clock: Any = None, settings: Settings | None = None,
                 ws: Any = None) -> Server:
    """A server on a loopback port, on its own thread; `ws` another WebSocket implementation
    for uvicorn than Steppe's own (the app then serves the socket through ASGI)."""
    settings = settings or Settings(data_dir=str(tmp), rate_per_second=0)
    codes = MemoryCodeSender()
    database_url, drop_database = server_database_url(tmp)
    app = Steppe(settings, codes=codes, clock=clock or SystemClock(), database_url=database_url)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, loop="asyncio",
                            ws=ws or app.websocket_protocol, ws_per_message_deflate=False,
                            lifespan="on", log_level="warning", ws_max_size=settings.max_body)
    server = uvicorn.Server(config)
    ready = threading.Event()
    holder: dict[str, Any] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        holder["loop"] = loop
        asyncio.set_event_loop(loop)
        task = loop.create_task(server.serve())
        while not server.started and not task.done():
            loop.run_until_complete(asyncio.sleep(0.01))
        ready.set()
        loop.run_until_complete(task)
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)
    assert server.started, "the server did not start"
    return Server(f"http://127.0.0.1:{port}", app, codes, holder["loop"], thread, server,
                  drop_database=drop_database)


def stop_server(srv: Server) -> None:
    srv.server.should_exit = True
    srv.thread.join(10)
    if srv.drop_database is not None:
        srv.drop_database()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path)
    yield srv
    stop_server(srv)


@pytest.fixture
def clocked_server(tmp_path: Path) -> Iterator[tuple[Server, ManualClock]]:
    clock = ManualClock(1_800_000_000)
    srv = start_server(tmp_path, clock=clock)
    yield srv, clock
    stop_server(srv)


@pytest.fixture
async def http_pool() -> AsyncIterator[list[Http]]:
    made: list[Http] = []
    yield made
    for h in made:
        await h.close()


@pytest.fixture
def server_harness() -> tuple[Any, Any]:
    """(start_server, stop_server), for a test that starts servers of its own."""
    return start_server, stop_server
