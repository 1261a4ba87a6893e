"""The composition root: settings → store, bus, services, hub, and one ASGI application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import msgspec

from steppe.api import methods
from steppe.api.files_http import FileRoutes
from steppe.api.hub import Hub
from steppe.api.openapi import docs_page, openapi
from steppe.api.transport import SECURITY_HEADERS, Api
from steppe.api.websocket import protocol_class
from steppe.botapi import BotApi
from steppe.bus import Bus, make_bus
from steppe.services.codes import CodeSender, LogCodeSender
from steppe.services.container import Services
from steppe.services.core import Clock, Core, Settings, SystemClock
from steppe.store import SqliteDatabase, Store
from steppe.store.chats import ChatStore
from steppe.store.db import Database
from steppe.store.messages import MessageStore

log = logging.getLogger("steppe")
INDEX_STEP = 64  # messages the search indexer moves into the index in one write
WEB = Path(__file__).parent / "web"
CSP = (b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
       b" connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
TYPES = {".html": b"text/html; charset=utf-8", ".js": b"text/javascript; charset=utf-8",
         ".css": b"text/css; charset=utf-8", ".svg": b"image/svg+xml", ".png": b"image/png",
         ".ico": b"image/x-icon", ".json": b"application/json", ".webmanifest":
         b"application/manifest+json"}


def open_database(settings: Settings, url: str | None = None) -> Database:
    url = url or f"sqlite:///{Path(settings.data_dir) / 'steppe.db'}"
    if url.startswith("sqlite:///"):
        return SqliteDatabase(url[len("sqlite:///"):], durable=settings.fsync)
    if url == "sqlite://:memory:":
        return SqliteDatabase(":memory:")
    if url.startswith(("postgresql://", "postgres://")):
        from steppe.store.postgres import PostgresDatabase

        return PostgresDatabase(url)
    raise ValueError(f"unsupported database {url!r} (this build has sqlite:///PATH and"
                     " postgresql://USER@HOST:PORT/DB)")


class Steppe:
    """The ASGI application: client API, WebSocket, docs, health and the web client."""

    def __init__(self, settings: Settings, *, database: Database | None = None,
                 bus: Bus | None = None, codes: CodeSender | None = None,
                 clock: Clock | None = None, database_url: str | None = None,
                 bus_url: str = "memory"):
        database = database or open_database(settings, database_url)
        self.core = Core(store=Store(database), chats=ChatStore(database),
                         messages=MessageStore(database), bus=bus or make_bus(bus_url),
                         clock=clock or SystemClock(), settings=settings)
        self.services = Services.build(self.core, codes or LogCodeSender())
        self.hub = Hub(self.services)
        self.registry = methods.build(self.services, self.hub)
        self.api = Api(self.services, self.registry, self.hub)
        # uvicorn's `ws=`: the WebSocket at /api/ws on Steppe's own protocol
        self.websocket_protocol = protocol_class(self.api)
        self.botapi = BotApi(self.services)
        self.file_routes = FileRoutes(self.services)  # upload parts and downloads
        self._openapi = msgspec.json.encode(openapi(self.registry))
        self._docs = docs_page(self.registry).encode()
        self._tasks: list[asyncio.Task[None]] = []

    async def startup(self) -> None:
        await self.core.store.open()
        await self.core.bus.start()
        await self.botapi.start()
        self._tasks.append(asyncio.get_running_loop().create_task(self._housekeeping()))
        self._tasks.append(asyncio.get_running_loop().create_task(self._search_indexer()))
        self._tasks.append(asyncio.get_running_loop().create_task(
            self.services.files.run_collector()))
        await self.services.channels.start()  # scheduled messages that fell due meanwhile
        self._tasks += [asyncio.get_running_loop().create_task(job)
                        for job in self.services.channels.background()]

    async def shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        self.websocket_protocol.server.stop()
        await self.botapi.stop()
        with contextlib.suppress(Exception):
            await self.services.auth.flush_activity()
        with contextlib.suppress(Exception):
            await self.services.stats.flush()
        with contextlib.suppress(Exception):
            await self.services.channels.stop()
        await self.core.bus.close()
        await self.core.store.close()

    async def _search_indexer(self) -> None:
        """New messages reach the search index a few times a second, all that queued up, in
        small batches: each is a write of its own, so the requests between them wait for one
        small batch at most (all at once, 250 messages held the loop for ms)."""
        store = self.services.search.store
        while True:
            await asyncio.sleep(0.25)
            try:
                while await store.index_pending(INDEX_STEP) == INDEX_STEP:
                    pass
            except Exception:
                log.exception("search indexing failed")

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(5)
            try:
                await self.services.auth.flush_activity()
                await self.services.stats.flush()
                await self.core.store.purge_logins(self.core.clock.now() - 86400)
            except Exception:
                log.exception("housekeeping failed")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        path: str = scope.get("path", "/")
        if kind == "http" and path.startswith(FileRoutes.PREFIXES):
            return await self.file_routes(scope, receive, send, path)
        if kind == "http" and path.startswith("/api/"):
            await self.api.http(scope, receive, send, path[5:])
        elif kind == "http" and path.startswith(("/bot", "/file/bot")):
            await self.botapi(scope, receive, send)
        elif kind == "websocket":
            if path == "/api/ws":
                await self.api.websocket(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 4404})
        elif kind == "http":
            await self._page(scope, send, path)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _page(self, scope: dict[str, Any], send: Any, path: str) -> None:
        if path == "/health":
            body = msgspec.json.encode({"ok": True, "connections": self.hub.connections})
            return await _respond(send, 200, b"application/json", body)
        if path == "/openapi.json":
            return await _respond(send, 200, b"application/json", self._openapi)
        if path == "/docs":
            return await _respond(send, 200, b"text/html; charset=utf-8", self._docs)
        name = "index.html" if path in ("/", "/index.html") else path.lstrip("/")
        file = (WEB / name).resolve()
        if WEB.resolve() not in file.parents or not file.is_file():
            file = WEB / "index.html" if "." not in name else WEB / "__missing__"
        if not file.is_file():
            return await _respond(send, 404, b"text/plain", b"not found")
        await _respond(send, 200, TYPES.get(file.suffix, b"application/octet-stream"),
                       file.read_bytes())


async def _respond(send: Any, status: int, ctype: bytes, body: bytes) -> None:
    headers = [(b"content-type", ctype), (b"content-security-policy", CSP),
               (b"cache-control", b"no-cache"), *SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
