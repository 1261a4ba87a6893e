"""The ceiling: the least a server can do for Steppe's load shapes on a given transport.

Two transports, each under the same uvicorn settings as `steppe serve` (uvloop, httptools, the
same size limit, keep-alive pings and log level):

- `--transport uvicorn` (the default): a bare ASGI app on uvicorn's WebSocket (websockets-sansio),
  the minimal Python server the benchmark issue names;
- `--transport steppe`: the same logic on Steppe's own WebSocket layer (`steppe.api.websocket`,
  which `steppe serve` uses), so "% of ceiling" can also be read against Steppe's own transport.

Both speak just enough of Steppe's WebSocket protocol for the load generator:

- `connection.authorize {token}`: the token is `ceil:<user_id>:<chat_id>,<chat_id>...`;
  the socket joins those chats' broadcast sets; answers a user object.
- `updates.getState`: `{"seq": 0, "chats": {chat_id: pts}}`.
- `messages.sendMessage {peer: {chat_id}, text, random_id}`: takes the chat's next pts and
  message id, answers the message, and sends one `{"update": {"type": "new_message", ...}}`
  frame, encoded once, to every socket in the chat (the sender's too, as Steppe does).

No database, no validation beyond decoding, no per-socket queues beyond the transport's own:
whatever Steppe spends above this is its own. Run alone: `python bench/ceiling.py --port 8090`.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import msgspec


class Peer(msgspec.Struct):
    chat_id: int = 0
    user_id: int = 0


class Params(msgspec.Struct):
    token: str = ""
    peer: Peer | None = None
    text: str = ""
    random_id: int | None = None


class Frame(msgspec.Struct):
    method: str
    id: int | str | None = None
    params: Params = msgspec.field(default_factory=Params)


class Message(msgspec.Struct, omit_defaults=True):
    chat_id: int
    id: int
    sender_id: int
    date: int
    text: str


class NewMessage(msgspec.Struct, tag_field="type", tag="new_message"):
    chat_id: int
    pts: int
    date: int
    message: Message


_dec = msgspec.json.Decoder(Frame)
_enc = msgspec.json.Encoder()


def post(pts: dict[int, int], chat: int, sender: int, text: str) -> tuple[bytes, bytes]:
    """Take the chat's next pts (also the message id): the message, and its update frame."""
    n = pts[chat] = pts.get(chat, 0) + 1
    now = int(time.time())
    msg = Message(chat, n, sender, now, text)
    return _enc.encode(msg), b'{"update":' + _enc.encode(NewMessage(chat, n, now, msg)) + b"}"


def token_of(token: str) -> tuple[int, list[int]]:
    """`ceil:<user_id>:<chat_id>,<chat_id>...` -> (user id, chats)."""
    _, uid, chat_list = token.split(":", 2)
    return int(uid), [int(c) for c in chat_list.split(",") if c]


async def lifespan_or_health(scope: dict[str, Any], receive: Any, send: Any, connections: int
                             ) -> None:
    """ASGI lifespan, and any HTTP request answered with the open-connection count."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    elif scope["type"] == "http":
        body = _enc.encode({"ok": True, "connections": connections})
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


class Ceiling:
    def __init__(self) -> None:
        self.by_chat: dict[int, list[Any]] = {}
        self.pts: dict[int, int] = {}
        self.connections = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await self.websocket(receive, send)
        else:
            await lifespan_or_health(scope, receive, send, self.connections)

    async def websocket(self, receive: Any, send: Any) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        user_id = 0
        chats: list[int] = []
        self.connections += 1
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                frame = _dec.decode(message.get("text") or message.get("bytes") or b"{}")
                p = frame.params
                if frame.method == "messages.sendMessage" and p.peer is not None:
                    chat = p.peer.chat_id
                    msg, update_bytes = post(self.pts, chat, user_id, p.text)
                    await send({"type": "websocket.send", "text": (
                        b'{"id":' + _enc.encode(frame.id) + b',"result":' + msg + b"}").decode()})
                    update = update_bytes.decode()
                    for other in self.by_chat.get(chat, ()):
                        await other({"type": "websocket.send", "text": update})
                elif frame.method == "connection.authorize":
                    user_id, chats = token_of(p.token)
                    for chat in chats:
                        self.by_chat.setdefault(chat, []).append(send)
                        self.pts.setdefault(chat, 0)
                    result = {"id": user_id, "first_name": "Bench", "is_self": True}
                    await send({"type": "websocket.send", "text": (
                        b'{"id":' + _enc.encode(frame.id) + b',"result":' + _enc.encode(result)
                        + b"}").decode()})
                elif frame.method == "updates.getState":
                    state = {"seq": 0, "date": int(time.time()),
                             "chats": {str(c): self.pts.get(c, 0) for c in chats}}
                    await send({"type": "websocket.send", "text": (
                        b'{"id":' + _enc.encode(frame.id) + b',"result":' + _enc.encode(state)
                        + b"}").decode()})
                else:
                    await send({"type": "websocket.send", "text": _enc.encode(
                        {"id": frame.id, "error": {"code": 400, "type": "METHOD_INVALID"}}
                    ).decode()})
        finally:
            self.connections -= 1
            for chat in chats:
                members = self.by_chat.get(chat)
                if members is not None and send in members:
                    members.remove(send)


class OwnTransport:
    """The ceiling's logic as the `api` that Steppe's WebSocket layer calls: `ws_request` per
    request frame, `hub.unregister` when a socket goes, frames queued with `push`."""

    def __init__(self) -> None:
        from steppe.api.hub import Outgoing

        self.outgoing = Outgoing
        self.send_queue = 1024
        self.max_body = 1 << 20
        self.hub = self
        self.by_chat: dict[int, set[Any]] = {}
        self.pts: dict[int, int] = {}
        self.chats_of: dict[Any, list[int]] = {}

    def _answer(self, conn: Any, frame_id: Any, result: bytes) -> None:
        conn.push(self.outgoing(b'{"id":' + _enc.encode(frame_id) + b',"result":' + result + b"}"))

    async def ws_request(self, conn: Any, payload: bytes) -> None:
        frame = _dec.decode(payload)
        p = frame.params
        if frame.method == "messages.sendMessage" and p.peer is not None:
            chat = p.peer.chat_id
            msg, update_bytes = post(self.pts, chat, conn.call.user_id, p.text)
            self._answer(conn, frame.id, msg)
            update = self.outgoing(update_bytes)
            for other in self.by_chat.get(chat, ()):
                other.push(update)
        elif frame.method == "connection.authorize":
            conn.call.user_id, chats = token_of(p.token)
            self.chats_of[conn] = chats
            for chat in chats:
                self.by_chat.setdefault(chat, set()).add(conn)
                self.pts.setdefault(chat, 0)
            self._answer(conn, frame.id, _enc.encode(
                {"id": conn.call.user_id, "first_name": "Bench", "is_self": True}))
        elif frame.method == "updates.getState":
            chats = self.chats_of.get(conn, [])
            self._answer(conn, frame.id, _enc.encode(
                {"seq": 0, "date": int(time.time()),
                 "chats": {str(c): self.pts.get(c, 0) for c in chats}}))
        else:
            conn.push(self.outgoing(_enc.encode(
                {"id": frame.id, "error": {"code": 400, "type": "METHOD_INVALID"}})))

    def unregister(self, conn: Any) -> None:
        for chat in self.chats_of.pop(conn, []):
            self.by_chat.get(chat, set()).discard(conn)

    @property
    def connections(self) -> int:
        return len(self.chats_of)


class Plain:
    """The HTTP side of the ceiling on Steppe's transport: lifespan and /health only."""

    def __init__(self, own: OwnTransport):
        self.own = own

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await lifespan_or_health(scope, receive, send, self.own.connections)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--transport", choices=["uvicorn", "steppe"], default="uvicorn",
                        help="uvicorn's WebSocket (websockets-sansio) or Steppe's own")
    args = parser.parse_args()
    print(f"ceiling ({args.transport}) serving http://{args.host}:{args.port}/", flush=True)
    app: Any = Ceiling()
    ws: Any = "websockets-sansio"
    if args.transport == "steppe":
        from steppe.api.websocket import protocol_class

        own = OwnTransport()
        app, ws = Plain(own), protocol_class(own)  # type: ignore[arg-type]
    uvicorn.run(app, host=args.host, port=args.port, loop="uvloop", http="httptools",
                ws=ws, ws_max_size=1 << 20, ws_ping_interval=30,
                ws_ping_timeout=60, lifespan="on", access_log=False, log_level=args.log_level,
                backlog=4096)


if __name__ == "__main__":
    main()
