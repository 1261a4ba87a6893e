"""A real Steppe server on a loopback port for each test that asks for one."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass
class Server:
    url: str
    app: Steppe
    codes: MemoryCodeSender
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    server: uvicorn.Server
    phones: list[str] = field(default_factory=list)

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


def start_server(tmp: Path, *, clock: Any = None, settings: Settings | None = None) -> Server:
    settings = settings or Settings(data_dir=str(tmp), rate_per_second=0)
    codes = MemoryCodeSender()
    app = Steppe(settings, codes=codes, clock=clock or SystemClock(),
                 database_url=f"sqlite:///{tmp / 'steppe.db'}")
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, loop="asyncio", ws="websockets-sansio",
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
    return Server(f"http://127.0.0.1:{port}", app, codes, holder["loop"], thread, server)


def stop_server(srv: Server) -> None:
    srv.server.should_exit = True
    srv.thread.join(10)


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
