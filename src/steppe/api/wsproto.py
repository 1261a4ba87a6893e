"""The WebSocket protocol Steppe serves with: uvicorn's sans-I/O protocol plus one fast path.

A server's frames are not masked, so one encoded frame is valid on every connection. The hub
encodes an event's frame once and hands the same bytes to each connection; through the ASGI
message `{"type": "steppe.frames", "bytes": ...}` (one or several whole frames) they go straight
to the socket, with no per-connection framing or copying. The app sees the fast path offered as
the scope extension `steppe.frames`; with any other server it falls back to `websocket.send`.
"""

from __future__ import annotations

import struct
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "steppe.frames"


def text_frame(payload: bytes) -> bytes:
    """One final, unmasked text frame carrying `payload` (RFC 6455 §5.2)."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", 0x81, 126, n) + payload
    return struct.pack("!BBQ", 0x81, 127, n) + payload


class SteppeWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None and scope.get("type") == "websocket":
            scope["extensions"][EXTENSION] = {}

    async def send(self, message: Any) -> None:
        if message["type"] != "steppe.frames":
            return await super().send(message)
        await self.writable.wait()
        if self.disconnected or self.close_sent or not self.handshake_complete:
            raise ClientDisconnected()
        self.transport.write(message["bytes"])
