"""Live connections on this node and the fan-out of committed events to them.

An event arrives from the bus as bytes, is framed once, and the same frame is queued on every
connection that should have it. Each connection has a bounded queue (api/websocket.py writes it
out at the end of the loop's turn); a connection whose queue fills is closed and its device
catches up through the update sequence.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from steppe.api.ordering import ChatOrder
from steppe.api.registry import Call
from steppe.api.websocket import CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED, text_frame
from steppe.domain import limits
from steppe.domain.models import Authorization, User
from steppe.services.auth import SignedIn
from steppe.services.container import Services

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]


class Outgoing:
    """One message for the wire, encoded once however many connections send it: `frame` is the
    whole WebSocket frame Steppe's own WebSocket writes, `text` the payload for an ASGI send."""

    __slots__ = ("_frame", "_text", "payload")

    def __init__(self, payload: bytes):
        self.payload = payload
        self._frame: bytes | None = None
        self._text: str | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = text_frame(self.payload)
        return self._frame

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.payload.decode()
        return self._text


class AsgiConnection:
    """A WebSocket served through ASGI (any server other than `steppe serve`, whose connections
    are api/websocket.py's): a bounded queue drained by a writer task that exists only while
    there is something to send."""

    __slots__ = ("call", "chats", "closed", "limit", "queue", "send", "writer")

    def __init__(self, send: Send, call: Call, limit: int):
        self.send = send
        self.call = call
        self.queue: deque[Outgoing] = deque()
        self.writer: asyncio.Task[None] | None = None
        self.closed = False
        self.chats: set[int] = set()
        self.limit = limit

    def push(self, frame: Outgoing, answer: bool = False) -> None:
        if self.closed:
            return
        if len(self.queue) >= self.limit:
            self.close(CLOSE_TOO_SLOW, "TOO_SLOW")
            return
        self.queue.append(frame)
        if self.writer is None:
            self.writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.queue:
                await self.send({"type": "websocket.send", "text": self.queue.popleft().text})
        except Exception:  # noqa: BLE001 - the peer went away; the reader will notice
            self.closed = True
        finally:
            self.writer = None

    def close(self, code: int, reason: str, *, flush: bool = False) -> None:
        """Stop taking frames and close; with `flush`, what is queued goes out first."""
        if self.closed:
            return
        self.closed = True
        if not flush:
            self.queue.clear()

        async def closing() -> None:
            try:
                if self.writer is not None:
                    await self.writer
                await self.send({"type": "websocket.close", "code": code, "reason": reason})
            except Exception:  # noqa: BLE001 - already gone
                pass

        asyncio.get_running_loop().create_task(closing())


Connection = Any  # an AsgiConnection or an api.websocket.WebSocket


def _frame(data: bytes) -> Outgoing:
    return Outgoing(b'{"update":' + data + b"}")


class Hub:
    def __init__(self, services: Services):
        self.services = services
        self.by_user: dict[int, set[Connection]] = {}
        self.by_chat: dict[int, set[Connection]] = {}
        self.by_auth: dict[int, set[Connection]] = {}
        self.connections = 0
        self.order = ChatOrder(lambda chat_id, data: self._fan(self.by_chat.get(chat_id), data))
        services.core.bus.subscribe(self.on_bus)

    # ---- the bus -----------------------------------------------------------------------------

    def on_bus(self, topic: str, data: bytes) -> None:
        kind, _, ident = topic.partition(".")
        key = int(ident)
        if kind == "c":
            self.order.accept(key, data)
        elif kind == "e":
            self._fan(self.by_chat.get(key), data)
        elif kind == "u":
            self._fan(self.by_user.get(key), data)
        elif kind == "j":
            for conn in list(self.by_user.get(int(data), ())):
                conn.chats.add(key)
                self.by_chat.setdefault(key, set()).add(conn)
        elif kind == "l":
            for conn in list(self.by_user.get(int(data), ())):
                conn.chats.discard(key)
                self._discard(self.by_chat, key, conn)
        elif kind == "r":
            self.services.auth.forget({key})
            loop = asyncio.get_running_loop()
            for conn in list(self.by_auth.get(key, ())):
                # After this turn of the loop, so the answer to a logOut on this very
                # connection is queued before the close.
                loop.call_soon(lambda c=conn: c.close(CLOSE_UNAUTHORIZED, "AUTH_KEY_UNREGISTERED",
                                                      flush=True))

    @staticmethod
    def _fan(conns: set[Connection] | None, data: bytes) -> None:
        if not conns:
            return
        frame = _frame(data)
        for conn in list(conns):
            conn.push(frame)

    # ---- connections -------------------------------------------------------------------------

    async def bind(self, call: Call, result: object) -> None:
        if isinstance(result, SignedIn):
            await self.bind_auth(call, result.authorization)

    async def bind_auth(self, call: Call, auth: Authorization) -> User | None:
        """Bind the call's connection to the authorization: indexed by user, chats and token,
        its chats' events from now on, the user's online status told. Returns the user as read
        with the chats (None without a connection, or when it closed or rebound meanwhile)."""
        conn = call.connection
        if conn is None:
            return None
        if conn.call.auth_id:
            self.unregister(conn)
        # Counted and indexed by user before the read below, so a join that commits meanwhile
        # reaches this connection (the "j" topic); `unregister` undoes exactly this.
        conn.call.user_id, conn.call.auth_id = auth.user_id, auth.id
        self.by_user.setdefault(auth.user_id, set()).add(conn)
        self.by_auth.setdefault(auth.id, set()).add(conn)
        self.connections += 1
        came_online = self.services.users.connected(auth.user_id)
        chats, private, user = await self.services.core.chats.session(auth.user_id,
                                                                      limits.STATUS_PEERS_MAX)
        if conn.closed or conn.call.auth_id != auth.id:
            return None  # closed (and unregistered) or bound to another token meanwhile
        for chat_id in chats:
            conn.chats.add(chat_id)
            self.by_chat.setdefault(chat_id, set()).add(conn)
        if came_online:
            self.services.users.announce_to(auth.user_id, True, private)
        return user

    def unregister(self, conn: Connection) -> None:
        user_id, auth_id = conn.call.user_id, conn.call.auth_id
        if not auth_id:
            return
        self._discard(self.by_user, user_id, conn)
        self._discard(self.by_auth, auth_id, conn)
        for chat_id in conn.chats:
            self._discard(self.by_chat, chat_id, conn)
        conn.chats = set()
        conn.call.user_id = conn.call.auth_id = 0
        self.connections -= 1
        if self.services.users.disconnected(user_id):
            asyncio.get_running_loop().create_task(
                self.services.users.announce_status(user_id, False))

    @staticmethod
    def _discard(index: dict[int, set[Connection]], key: int, conn: Connection) -> None:
        conns = index.get(key)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del index[key]

    async def set_status(self, user_id: int, online: bool) -> None:
        await self.services.users.announce_status(user_id, online)
