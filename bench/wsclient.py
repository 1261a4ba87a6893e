"""A lean RFC 6455 client for load generation: one asyncio.Protocol per socket, no task per socket.

The frames are the ones `steppe.client.Device` sends and reads (`{"id", "method", "params"}` in,
`{"id", "result"|"error"}` and `{"update": ...}` out); only the per-frame cost is lower, so that one
load process can drive tens of thousands of frames a second. Client frames are masked with a random
key through websockets' C `apply_mask`; server pings are answered; nothing is compressed (the
server's permessage-deflate is only used when a client offers it, and these clients do not).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import struct
import time
from collections.abc import Callable
from typing import Any

import msgspec

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - the pure-Python fallback
    from websockets.utils import apply_mask  # type: ignore[no-redef]

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_enc = msgspec.json.Encoder()
_getrandbits = random.getrandbits
_pack_h = struct.Struct("!BBH").pack
_pack_q = struct.Struct("!BBQ").pack


class Msg(msgspec.Struct):
    chat_id: int = 0
    id: int = 0
    sender_id: int = 0
    text: str = ""


class Event(msgspec.Struct):
    type: str = ""
    chat_id: int = 0
    pts: int = 0
    seq: int = 0
    message: Msg | None = None


class Incoming(msgspec.Struct):
    id: int | None = None
    result: msgspec.Raw = msgspec.Raw(b"")
    error: dict[str, Any] | None = None
    update: Event | None = None


decode_incoming = msgspec.json.Decoder(Incoming).decode
decode_msg = msgspec.json.Decoder(Msg).decode
decode_any = msgspec.json.Decoder().decode


class RpcFailed(Exception):
    def __init__(self, error: dict[str, Any]):
        super().__init__(f"{error.get('code')} {error.get('type')}")
        self.error = error


class WsClient(asyncio.Protocol):
    """One WebSocket. `on_reply(id, incoming)` / `on_update(event, now_ns)` are plain callbacks;
    `call()` is the awaitable RPC for set-up work."""

    __slots__ = ("transport", "buf", "opened", "closed", "key", "host", "path", "frag",
                 "ids", "waiting", "on_reply", "on_update", "on_closed", "lost", "state", "clock",
                 "close_code")

    def __init__(self, host: str, path: str = "/api/ws", clock: Callable[[], int] | None = None):
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.key = base64.b64encode(os.urandom(16))
        self.host = host
        self.path = path
        self.frag: list[bytes] | None = None
        self.ids = 0
        self.waiting: dict[int, asyncio.Future[Any]] = {}
        self.on_reply: Callable[[int, Incoming, int], None] | None = None
        self.on_update: Callable[[Event, int], None] | None = None
        self.on_closed: Callable[[], None] | None = None
        self.lost = False
        self.close_code: int | None = None  # the server's, when it closed the socket
        self.state: Any = None
        self.clock = clock or time.monotonic_ns

    # ---- transport ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(  # type: ignore[attr-defined]
            b"GET " + self.path.encode() + b" HTTP/1.1\r\nHost: " + self.host.encode()
            + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + self.key
            + b"\r\nSec-WebSocket-Version: 13\r\nUser-Agent: steppe-bench\r\n\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"handshake failed: {exc}"))
        for fut in self.waiting.values():
            if not fut.done():
                fut.set_exception(ConnectionError("connection lost"))
        self.waiting.clear()
        if not self.closed.done():
            self.closed.set_result(None)
        if self.on_closed is not None:
            self.on_closed()

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.opened.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).decode("latin-1")
            del buf[:end + 4]
            accept = base64.b64encode(hashlib.sha1(self.key + GUID).digest()).decode()
            if not head.startswith("HTTP/1.1 101") or accept not in head:
                self.opened.set_exception(ConnectionError(head.split("\r\n", 1)[0]))
                self.transport.close()  # type: ignore[union-attr]
                return
            self.opened.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buf = self.buf
        n = len(buf)
        pos = 0
        now = 0
        while n - pos >= 2:
            b0 = buf[pos]
            ln = buf[pos + 1] & 0x7F
            hl = 2
            if ln == 126:
                if n - pos < 4:
                    break
                ln = (buf[pos + 2] << 8) | buf[pos + 3]
                hl = 4
            elif ln == 127:
                if n - pos < 10:
                    break
                ln = int.from_bytes(buf[pos + 2:pos + 10], "big")
                hl = 10
            end = pos + hl + ln
            if end > n:
                break
            payload = buf[pos + hl:end]
            pos = end
            op = b0 & 0x0F
            if op == 1 or op == 2 or op == 0:
                if not b0 & 0x80:
                    self.frag = (self.frag or []) + [bytes(payload)]
                    continue
                if self.frag is not None:
                    payload = bytearray(b"".join(self.frag + [payload]))
                    self.frag = None
                if not now:
                    now = self.clock()
                self._message(payload, now)
            elif op == 9:
                self._send(0xA, bytes(payload))
            elif op == 8:
                if len(payload) >= 2 and self.close_code is None:
                    self.close_code = (payload[0] << 8) | payload[1]
                if not self.transport.is_closing():  # type: ignore[union-attr]
                    self._send(0x8, bytes(payload[:2]))
                    self.transport.close()  # type: ignore[union-attr]
        if pos:
            del buf[:pos]

    def _message(self, payload: bytes, now: int) -> None:
        frame = decode_incoming(payload)
        if frame.update is not None:
            if self.on_update is not None:
                self.on_update(frame.update, now)
            return
        fid = frame.id
        if fid is None:
            return
        fut = self.waiting.pop(fid, None)
        if fut is not None:
            if not fut.done():
                if frame.error is not None:
                    fut.set_exception(RpcFailed(frame.error))
                else:
                    fut.set_result(frame.result)
        elif self.on_reply is not None:
            self.on_reply(fid, frame, now)

    def _send(self, opcode: int, payload: bytes) -> None:
        ln = len(payload)
        if ln < 126:
            head = bytes((0x80 | opcode, 0x80 | ln))
        elif ln < 65536:
            head = _pack_h(0x80 | opcode, 0xFE, ln)
        else:
            head = _pack_q(0x80 | opcode, 0xFF, ln)
        mask = _getrandbits(32).to_bytes(4, "little")
        self.transport.write(head + mask + apply_mask(payload, mask))  # type: ignore[union-attr]

    # ---- RPC ---------------------------------------------------------------------------------

    def send_text(self, data: bytes) -> None:
        self._send(0x1, data)

    def next_id(self) -> int:
        self.ids += 1
        return self.ids

    def call(self, method: str, params: dict[str, Any] | None = None) -> asyncio.Future[Any]:
        """An RPC whose reply resolves the future to the raw `result` (decode it yourself)."""
        fid = self.next_id()
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.lost:
            fut.set_exception(ConnectionError("connection lost"))
            return fut
        self.waiting[fid] = fut
        self.send_text(_enc.encode({"id": fid, "method": method, "params": params or {}}))
        return fut

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            try:
                self._send(0x8, b"\x03\xe8")
            except Exception:  # noqa: BLE001 - already gone
                pass
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


async def connect(host: str, port: int, *, src: str | None = None, timeout: float = 30.0,
                  clock: Callable[[], int] | None = None) -> WsClient:
    loop = asyncio.get_running_loop()
    _, proto = await asyncio.wait_for(
        loop.create_connection(lambda: WsClient(f"{host}:{port}", clock=clock), host, port,
                               local_addr=(src, 0) if src else None),
        timeout)
    await asyncio.wait_for(proto.opened, timeout)
    return proto


async def call(ws: WsClient, method: str, params: dict[str, Any] | None = None,
               timeout: float = 60.0) -> Any:
    raw = await asyncio.wait_for(ws.call(method, params), timeout)
    return decode_any(raw) if raw else None
