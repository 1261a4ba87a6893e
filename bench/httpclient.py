"""A lean keep-alive HTTP/1.1 client for load generation: one asyncio.Protocol per connection,
responses parsed by httptools (the parser uvicorn uses), one request in flight per connection.

Bot API load runs a small pool of these per bot (as a bot framework's connection pool does),
so that the load process spends its CPU on requests, not on a general-purpose client's layers.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools


class HttpClient(asyncio.Protocol):
    __slots__ = ("transport", "parser", "waiter", "status", "body", "host", "lost", "closed")

    def __init__(self, host: str):
        self.host = host.encode()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.status = 0
        self.body: list[bytes] = []
        self.lost = False
        self.closed = asyncio.get_running_loop().create_future()

    # ---- transport and parser callbacks ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_exception(ConnectionError(f"bad response: {exc}"))
            self.transport.close()  # type: ignore[union-attr]

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        body = b"".join(self.body)
        self.body = []
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, body))
        self.waiter = None

    # ---- requests ----------------------------------------------------------------------------

    def request(self, method: bytes, path: bytes, body: bytes = b"",
                content_type: bytes = b"application/json", headers: bytes = b""
                ) -> asyncio.Future[tuple[int, bytes]]:
        """Send one request (`headers`: more header lines, each ending in CRLF); the future
        resolves to (status, body)."""
        fut: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        if self.lost or self.transport is None:
            fut.set_exception(ConnectionError("connection lost"))
            return fut
        if self.waiter is not None:
            fut.set_exception(RuntimeError("one request at a time per connection"))
            return fut
        self.waiter = fut
        head = (method + b" " + path + b" HTTP/1.1\r\nHost: " + self.host
                + b"\r\nUser-Agent: steppe-bench\r\n" + headers + b"Content-Type: " + content_type
                + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        self.transport.write(head + body)
        return fut

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


async def connect(host: str, port: int, *, src: str | None = None, timeout: float = 30.0
                  ) -> HttpClient:
    loop = asyncio.get_running_loop()
    _, proto = await asyncio.wait_for(
        loop.create_connection(lambda: HttpClient(f"{host}:{port}"), host, port,
                               local_addr=(src, 0) if src else None), timeout)
    return proto


async def call(client: HttpClient, path: str, body: bytes, timeout: float = 60.0) -> Any:
    """POST a JSON body; returns (status, body bytes)."""
    return await asyncio.wait_for(client.request(b"POST", path.encode(), body), timeout)
