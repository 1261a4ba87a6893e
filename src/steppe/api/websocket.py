"""The client WebSocket (`/api/ws`), served from the event loop's protocol callbacks.

uvicorn parses the HTTP request and, on an upgrade, hands the socket to the protocol class that
`protocol_class(api)` builds (uvicorn's `ws` setting). From there on there is no ASGI and no task
per connection: frames are parsed in `data_received` (RFC 6455), a request runs as a task only
while it runs, and everything the hub queues for a socket during one turn of the loop goes out
in one write at the end of that turn, as the same pre-encoded frame bytes for every socket. An
idle connection costs this object, its transport and its place in the hub's indexes.

Flow control: while the transport asks us to pause writing, frames wait in the connection's
list; a connection with more than the send-queue limit waiting is closed (4000 TOO_SLOW) and its
device catches up through the update sequence. Keepalive: one timer per server sweeps all
connections; a connection silent for one interval is pinged, silent for two is dropped.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import struct
from typing import TYPE_CHECKING, Any, ClassVar

from steppe.api.registry import Call

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - the C speed-up is in every wheel we install
    from websockets.utils import apply_mask

if TYPE_CHECKING:
    from steppe.api.hub import Outgoing
    from steppe.api.transport import Api

log = logging.getLogger(__name__)

PATH = b"/api/ws"
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 16 * 1024

CLOSE_NORMAL, CLOSE_PROTOCOL, CLOSE_NO_STATUS, CLOSE_INVALID_TEXT = 1000, 1002, 1005, 1007
CLOSE_TOO_BIG, CLOSE_RESTART = 1009, 1012
CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED = 4000, 4001  # Steppe's own
# Close codes a peer may send (RFC 6455 §7.4); anything else is a protocol error.
_VALID_CODES = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

# Connection states.
HANDSHAKE, OPEN, CLOSING, CLOSED = 0, 1, 2, 3


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame (a server's frames are never masked, RFC 6455 §5.1)."""
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x80 | opcode, 126, n) + payload
    return struct.pack("!BBQ", 0x80 | opcode, 127, n) + payload


def text_frame(payload: bytes) -> bytes:
    return frame(OP_TEXT, payload)


def close_frame(code: int, reason: str = "") -> bytes:
    return frame(OP_CLOSE, struct.pack("!H", code) + reason.encode()[:120])


def accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def _response(status: bytes, body: bytes, extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n"
            + extra + b"\r\n" + body)


class Server:
    """What every connection of one server shares: the API, limits, the end-of-turn writer and
    the keepalive sweep."""

    def __init__(self, api: Api):
        self.api = api
        self.limit = api.send_queue
        self.max_size = api.max_body
        self.ping_interval: float | None = 30.0
        self.trusted: set[str] = {"127.0.0.1"}
        self.open: set[WebSocket] = set()
        self.dirty: list[WebSocket] = []
        self.answering: list[WebSocket] = []  # of `dirty`, those with an answer to a request
        self.flush_scheduled = False
        self.sweeper: asyncio.TimerHandle | None = None
        self.configured = False

    def configure(self, config: Any) -> None:
        """Take uvicorn's settings, once (from the first connection's `config`)."""
        if self.configured:
            return
        self.configured = True
        self.max_size = min(self.max_size, config.ws_max_size or self.max_size)
        self.ping_interval = config.ws_ping_interval
        allowed = config.forwarded_allow_ips
        if isinstance(allowed, str):
            allowed = allowed.split(",")
        self.trusted = {a.strip() for a in allowed or ()}

    def mark(self, ws: WebSocket, answer: bool = False) -> None:
        (self.answering if answer else self.dirty).append(ws)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Write what this turn queued: first the sockets that carry an answer (a client waiting
        for its request goes on while the other sockets are written), then the rest. A socket
        listed twice writes once."""
        self.flush_scheduled = False
        answering, self.answering = self.answering, []
        dirty, self.dirty = self.dirty, []
        for ws in answering:
            ws.flush()
        for ws in dirty:
            ws.flush()

    def added(self, ws: WebSocket) -> None:
        self.open.add(ws)
        if self.sweeper is None and self.ping_interval:
            self.sweeper = asyncio.get_running_loop().call_later(self.ping_interval, self.sweep)

    def sweep(self) -> None:
        self.sweeper = None
        for ws in list(self.open):
            ws.idle += 1
            if ws.idle == 2:
                ws.write(frame(OP_PING, b"steppe"))
            elif ws.idle > 2:
                ws.drop()
        if self.open and self.ping_interval:
            self.sweeper = asyncio.get_running_loop().call_later(self.ping_interval, self.sweep)

    def stop(self) -> None:
        if self.sweeper is not None:
            self.sweeper.cancel()
            self.sweeper = None


class WebSocket(asyncio.Protocol):
    """One client connection. The hub sees it as a connection: `call`, `chats`, `closed`,
    `push()` and `close()`."""

    __slots__ = ("buf", "call", "chats", "closed", "fragments", "fragsize", "idle", "need",
                 "paused", "pending", "server_state", "state", "tasks", "transport")

    server: ClassVar[Server]

    def __init__(self, config: Any = None, server_state: Any = None, app_state: Any = None,
                 **_: Any):
        self.server_state = server_state
        self.transport: asyncio.Transport | None = None
        self.call = Call(connection=self)
        self.chats: set[int] = set()
        self.state = HANDSHAKE
        self.closed = False
        self.buf: bytearray | None = None
        self.need = 0
        self.fragments: list[bytes] | None = None
        self.fragsize = 0
        self.pending: list[bytes] | None = None
        self.paused = False
        self.tasks: set[asyncio.Task[None]] | None = None
        self.idle = 0

    # ---- the event loop's side ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        if self.server_state is not None:
            self.server_state.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.server_state is not None:
            self.server_state.connections.discard(self)
        self.state = CLOSED
        self._closed()
        self.transport = None

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.pending:
            self.flush()

    def data_received(self, data: bytes) -> None:
        self.idle = 0
        if self.buf is not None:
            self.buf += data
            if len(self.buf) < self.need:
                return
            data, self.buf = bytes(self.buf), None
        if self.state == HANDSHAKE:
            self._handshake(data)
        elif self.state != CLOSED:
            self._frames(data)

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def shutdown(self) -> None:
        """The server is stopping (uvicorn calls this on every connection)."""
        if self.state == OPEN:
            self.close(CLOSE_RESTART, "server restarting")
        elif self.transport is not None:
            self.transport.close()

    # ---- the handshake (RFC 6455 §4.2) --------------------------------------------------------

    def _handshake(self, data: bytes) -> None:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            if len(data) > MAX_HEAD:
                return self._refuse(b"431 Request Header Fields Too Large", b"headers too large")
            self.buf, self.need = bytearray(data), len(data) + 1
            return
        lines = data[:end].split(b"\r\n")
        parts = lines[0].split(b" ")
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if len(parts) != 3 or parts[0] != b"GET":
            return self._refuse(b"405 Method Not Allowed", b"a WebSocket opens with GET")
        if parts[1].partition(b"?")[0] != PATH:
            return self._refuse(b"404 Not Found", b"the WebSocket is at /api/ws")
        key = headers.get(b"sec-websocket-key", b"")
        if headers.get(b"upgrade", b"").lower() != b"websocket" or \
                b"upgrade" not in headers.get(b"connection", b"").lower():
            return self._refuse(b"400 Bad Request", b"expected an upgrade to websocket")
        if headers.get(b"sec-websocket-version") != b"13":
            return self._refuse(b"426 Upgrade Required", b"WebSocket version 13 only",
                                b"sec-websocket-version: 13\r\n")
        try:
            valid_key = len(base64.b64decode(key, validate=True)) == 16
        except ValueError:
            valid_key = False
        if not valid_key:
            return self._refuse(b"400 Bad Request", b"Sec-WebSocket-Key is not valid")
        self._identify(headers)
        self.transport.write(  # type: ignore[union-attr]
            b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
            b"sec-websocket-accept: " + accept_key(key) + b"\r\n\r\n")
        self.state = OPEN
        self.server.added(self)
        rest = data[end + 4:]
        if rest:
            self._frames(rest)

    def _identify(self, headers: dict[bytes, bytes]) -> None:
        peer = self.transport.get_extra_info("peername") if self.transport else None  # type: ignore[union-attr]
        ip = peer[0] if isinstance(peer, tuple) else ""
        forwarded = headers.get(b"x-forwarded-for")
        trusted = self.server.trusted
        if forwarded and ("*" in trusted or ip in trusted):
            ip = forwarded.split(b",")[-1].strip().decode("latin-1")[:64]
        self.call.ip = ip
        self.call.device = headers.get(b"user-agent", b"").decode("latin-1")[:128]

    def _refuse(self, status: bytes, body: bytes, extra: bytes = b"") -> None:
        self.state = CLOSED
        if self.transport is not None:
            self.transport.write(_response(status, body, extra))
            self.transport.close()

    # ---- frames (RFC 6455 §5) ----------------------------------------------------------------

    def _frames(self, data: bytes) -> None:
        pos, n, max_size = 0, len(data), self.server.max_size
        while n - pos >= 2:
            b0, b1 = data[pos], data[pos + 1]
            size, head = b1 & 0x7F, pos + 2
            if size == 126:
                if n - pos < 4:
                    break
                size, head = int.from_bytes(data[head:head + 2], "big"), head + 2
            elif size == 127:
                if n - pos < 10:
                    break
                size, head = int.from_bytes(data[head:head + 8], "big"), head + 8
            if not b1 & 0x80:
                return self._fail(CLOSE_PROTOCOL, "client frames must be masked")
            if b0 & 0x70:
                return self._fail(CLOSE_PROTOCOL, "no extension was negotiated")
            if size > max_size:
                return self._fail(CLOSE_TOO_BIG, f"a frame may carry at most {max_size} bytes")
            end = head + 4 + size
            if end > n:
                break
            payload = apply_mask(data[head + 4:end], data[head:head + 4]) if size else b""
            pos = end
            self._frame(b0 & 0x80, b0 & 0x0F, payload)
            if self.state == CLOSED:
                return
        if pos < n:
            rest = data[pos:]
            self.buf = bytearray(rest)
            self.need = self._needed(rest)

    @staticmethod
    def _needed(rest: bytes) -> int:
        """Bytes needed before the frame that starts `rest` can be parsed."""
        if len(rest) < 2:
            return 2
        size = rest[1] & 0x7F
        if size == 126:
            return 8 if len(rest) < 4 else 8 + int.from_bytes(rest[2:4], "big")
        if size == 127:
            return 14 if len(rest) < 10 else 14 + int.from_bytes(rest[2:10], "big")
        return 6 + size

    def _frame(self, fin: int, opcode: int, payload: bytes) -> None:
        if opcode >= OP_CLOSE:
            if not fin or len(payload) > 125:
                return self._fail(CLOSE_PROTOCOL, "control frames are whole and short")
            if opcode == OP_PING:
                self.write(frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                self._peer_closed(payload)
            elif opcode != OP_PONG:
                self._fail(CLOSE_PROTOCOL, f"unknown opcode {opcode}")
            return
        if opcode == OP_CONT:
            if self.fragments is None:
                return self._fail(CLOSE_PROTOCOL, "a continuation frame with nothing to continue")
            self.fragments.append(payload)
            self.fragsize += len(payload)
            if self.fragsize > self.server.max_size:
                return self._fail(CLOSE_TOO_BIG, f"a message may carry at most "
                                                 f"{self.server.max_size} bytes")
            if fin:
                parts, self.fragments = self.fragments, None
                self._message(parts[0][0], b"".join(parts[1:]))
            return
        if opcode not in (OP_TEXT, OP_BINARY):
            return self._fail(CLOSE_PROTOCOL, f"unknown opcode {opcode}")
        if self.fragments is not None:
            return self._fail(CLOSE_PROTOCOL, "a new message before the last one ended")
        if fin:
            self._message(opcode, payload)
        else:  # the first element remembers the opcode
            self.fragments, self.fragsize = [bytes((opcode,)), payload], len(payload)

    def _message(self, opcode: int, payload: bytes) -> None:
        if self.state != OPEN:  # after a close is sent, data is not read (RFC 6455 §1.4)
            return
        if opcode == OP_TEXT:
            try:
                payload.decode()
            except UnicodeDecodeError:
                return self._fail(CLOSE_INVALID_TEXT, "text frames carry UTF-8")
        task = asyncio.get_running_loop().create_task(self.server.api.ws_request(self, payload))
        if self.tasks is None:
            self.tasks = set()
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        if self.tasks is not None:
            self.tasks.discard(task)
            if not self.tasks:
                self.tasks = None

    def _peer_closed(self, payload: bytes) -> None:
        code = CLOSE_NO_STATUS
        if len(payload) >= 2:
            code = int.from_bytes(payload[:2], "big")
            try:
                payload[2:].decode()
            except UnicodeDecodeError:
                code = CLOSE_INVALID_TEXT
        elif payload:
            code = CLOSE_PROTOCOL
        if self.state == OPEN:  # answer the close, then hang up
            reply = code if code in _VALID_CODES or 3000 <= code < 5000 else CLOSE_PROTOCOL
            if code == CLOSE_NO_STATUS:
                reply = CLOSE_NORMAL
            self.closed = True
            self.pending = None
            self.write(close_frame(reply))
        self.state = CLOSED
        self._closed()
        if self.transport is not None:
            self.transport.close()

    def _fail(self, code: int, reason: str) -> None:
        log.debug("websocket closed: %s", reason)
        self.close(code, reason)

    # ---- writing -----------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def push(self, out: Outgoing, answer: bool = False) -> None:
        """Queue a frame; it goes out at the end of this turn of the loop (with `answer`, the
        answer to a request, among the first)."""
        if self.closed:
            return
        pending = self.pending
        if pending is None:
            self.pending = [out.frame]
            if not self.paused:
                self.server.mark(self, answer)
            return
        if len(pending) >= self.server.limit:
            self.close(CLOSE_TOO_SLOW, "TOO_SLOW")
            return
        pending.append(out.frame)
        if answer and not self.paused:
            self.server.mark(self, answer)

    def flush(self) -> None:
        pending = self.pending
        if not pending or self.paused:
            return
        self.pending = None
        self.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self, code: int, reason: str, *, flush: bool = False) -> None:
        """Stop taking frames and close; with `flush`, what is queued goes out first. The socket
        stays open until the client answers the close (or for at most 5 s)."""
        if self.closed or self.state != OPEN:
            return
        self.closed = True
        if flush and self.pending:
            self.write(b"".join(self.pending))
        self.pending = None
        self.write(close_frame(code, reason))
        self.state = CLOSING
        self._closed()
        asyncio.get_running_loop().call_later(5.0, self.drop)

    def drop(self) -> None:
        """Hang up without further ado (no answer to a close or a ping)."""
        if self.transport is not None:
            self.transport.abort()

    def _closed(self) -> None:
        """Once: leave the hub and stop what this connection's requests are doing."""
        self.closed = True
        self.pending = None
        server = self.server
        if self in server.open:
            server.open.discard(self)
            server.api.hub.unregister(self)
        if self.tasks:
            for task in list(self.tasks):
                task.cancel()
            self.tasks = None


def protocol_class(api: Api) -> type[WebSocket]:
    """The class to give uvicorn as `ws=`: its connections serve `api`."""
    server = Server(api)

    class Bound(WebSocket):
        __slots__ = ()

        def __init__(self, config: Any = None, server_state: Any = None, app_state: Any = None,
                     **kw: Any):
            if config is not None:
                server.configure(config)
            super().__init__(config, server_state, app_state, **kw)

    Bound.server = server
    return Bound
