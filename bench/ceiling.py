"""The ceiling: the least a server can do for Steppe's load shapes on a given transport.

Two transports, each under the same uvicorn settings as `steppe serve` (uvloop, httptools, the
same size limit, keep-alive pings and log level):

- `--transport uvicorn` (the default): a bare ASGI app on uvicorn's WebSocket (websockets-sansio),
  the minimal Python server the benchmark issue names;
- `--transport steppe`: the same logic on Steppe's own WebSocket layer (`steppe.api.websocket`,
  which `steppe serve` uses), so "% of ceiling" can also be read against Steppe's own transport.

HTTP is uvicorn's httptools on both. Both speak just enough of Steppe's protocols for the load
generator:

- WebSocket `connection.authorize {token}`: the token is `ceil:<user_id>:<chat_id>,<chat_id>...`;
  the socket joins those chats' broadcast sets; answers a user object.
- `updates.getState`: `{"seq": 0, "chats": {chat_id: pts}}`.
- `messages.sendMessage {peer: {chat_id}, text, random_id}`: takes the chat's next pts and
  message id, answers the message, and sends one `{"update": {"type": "new_message", ...}}`
  frame, encoded once, to every socket in the chat (the sender's too, as Steppe does). The
  event's bytes are kept: the last 100 of each chat, in memory.
- `updates.getDifference {seq, pts: {chat_id: pts}}`: the kept events of the socket's chats after
  the given pts, as Steppe answers them (at most 100 a chat, else `too_long`; at most 1,000 in
  all, else `more`); the ceiling has no account events, so `seq` comes back as it went.
- HTTP `POST /bot<token>/sendMessage` (a JSON or form body): the token looked up in a dict, the
  bot's private chat with the user `chat_id` too; takes that chat's next pts as the message id
  (a user's socket in the chat gets the update, as above) and answers a Bot API Message.
- `POST /bot<token>/getUpdates {offset, timeout, limit}`: the bot's updates from `offset` on,
  held in memory; with none, the poll waits up to `timeout` seconds for a user's
  `messages.sendMessage` into one of the bot's chats, which wakes it.
- `POST /ceiling/setup {bots, users, chats}`: the bots (token, id, name), users and private chats
  the Bot API load needs (set-up, as `steppe admin bot create` and the users' `messages.getChat`
  are for Steppe).

No database, no validation beyond decoding, no rate limits, no per-socket queues beyond the
transport's own: whatever Steppe spends above this is its own. Run alone:
`python bench/ceiling.py --port 8090`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import msgspec

KEEP = 100  # events kept per chat: a device further behind gets `too_long`, as from Steppe
BUDGET = 1000  # events in one difference; past that it says `more`, as Steppe's does


class Peer(msgspec.Struct):
    chat_id: int = 0
    user_id: int = 0


class Params(msgspec.Struct):
    token: str = ""
    peer: Peer | None = None
    text: str = ""
    random_id: int | None = None
    seq: int = 0
    pts: dict[int, int] = {}


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


# ---- the Bot API's shapes ----------------------------------------------------------------------

class BotParams(msgspec.Struct):
    chat_id: int = 0
    text: str = ""
    offset: int = 0
    timeout: float = 0.0
    limit: int = 100


class User(msgspec.Struct, omit_defaults=True):
    id: int
    is_bot: bool
    first_name: str
    username: str | None = None


class Chat(msgspec.Struct):
    id: int
    type: str
    first_name: str


class BotMessage(msgspec.Struct, rename={"sender": "from"}):
    message_id: int
    date: int
    chat: Chat
    sender: User
    text: str


class Update(msgspec.Struct):
    update_id: int
    message: BotMessage


class SetupBot(msgspec.Struct):
    token: str
    id: int
    name: str


class SetupChat(msgspec.Struct):
    id: int  # the chat's id in the client API (what a user's socket sends to)
    bot: int
    user: int


class Setup(msgspec.Struct):
    bots: list[SetupBot] = []
    users: list[User] = []
    chats: list[SetupChat] = []


_dec = msgspec.json.Decoder(Frame)
_bot_dec = msgspec.json.Decoder(BotParams)
_setup_dec = msgspec.json.Decoder(Setup)
_enc = msgspec.json.Encoder()
UNAUTHORIZED = b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
NO_CHAT = b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}'
NO_METHOD = b'{"ok":false,"error_code":404,"description":"Not Found: method not found"}'


def token_of(token: str) -> tuple[int, list[int]]:
    """`ceil:<user_id>:<chat_id>,<chat_id>...` -> (user id, chats)."""
    _, uid, chat_list = token.split(":", 2)
    return int(uid), [int(c) for c in chat_list.split(",") if c]


def answer(frame_id: Any, result: bytes) -> bytes:
    return b'{"id":' + _enc.encode(frame_id) + b',"result":' + result + b"}"


def bot_params(body: bytes, content_type: bytes) -> BotParams:
    """The Bot API's parameters from a JSON or a form body."""
    if not body:
        return BotParams()
    if b"x-www-form-urlencoded" in content_type:
        return msgspec.convert(dict(parse_qsl(body.decode())), BotParams, strict=False)
    return _bot_dec.decode(body)


async def read_body(receive: Any) -> bytes:
    message = await receive()
    body = message.get("body", b"")
    while message.get("more_body"):
        message = await receive()
        body += message.get("body", b"")
    return body  # type: ignore[no-any-return]


class Who:
    """One socket's user and chats, once authorized."""

    __slots__ = ("user_id", "chats")

    def __init__(self) -> None:
        self.user_id = 0
        self.chats: list[int] = []


class Bot:
    """A bot: its user, its private chats by user id, and its updates not yet confirmed."""

    def __init__(self, user: User):
        self.user = user
        self.chats: dict[int, int] = {}  # user id -> chat id
        self.updates: list[tuple[int, bytes]] = []
        self.last_id = 0
        self.waiter: asyncio.Future[None] | None = None

    def deliver(self, message: BotMessage) -> None:
        self.last_id += 1
        self.updates.append((self.last_id, _enc.encode(Update(self.last_id, message))))
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    async def poll(self, offset: int, limit: int, timeout: float) -> bytes:
        if offset > 0:
            k = 0
            while k < len(self.updates) and self.updates[k][0] < offset:
                k += 1
            del self.updates[:k]
        if not self.updates and timeout > 0:
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(None)  # a newer poll takes over: the older returns
            loop = asyncio.get_running_loop()
            fut = self.waiter = loop.create_future()
            timer = loop.call_later(timeout, lambda: fut.done() or fut.set_result(None))
            await fut
            timer.cancel()
            if self.waiter is fut:
                self.waiter = None
        got = self.updates[:max(1, min(limit, 100))]
        return b'{"ok":true,"result":[' + b",".join(u for _, u in got) + b"]}"


class Core:
    """The ceiling's state and requests, whatever the transport: each chat's pts and its last
    events, the bots. A transport sets `fan_out` (one update to every socket of a chat) and
    `count` (open sockets, for the health answer)."""

    def __init__(self) -> None:
        self.pts: dict[int, int] = {}
        self.logs: dict[int, list[bytes]] = {}
        self.tokens: dict[str, Bot] = {}
        self.users: dict[int, User] = {}
        self.bot_chats: dict[int, tuple[Bot, Chat, User]] = {}  # chat id -> bot, chat, its user
        self.fan_out: Callable[[int, bytes], Awaitable[None]] | None = None
        self.count: Callable[[], int] = lambda: 0

    def post(self, chat: int, sender: int, text: str) -> tuple[int, int, bytes, bytes]:
        """Take the chat's next pts (also the message id) and keep the event: (pts, date, the
        message, its update frame). A user's message in a bot's chat is also the bot's update."""
        n = self.pts[chat] = self.pts.get(chat, 0) + 1
        now = int(time.time())
        msg = Message(chat, n, sender, now, text)
        event = _enc.encode(NewMessage(chat, n, now, msg))
        log = self.logs.get(chat)
        if log is None:
            log = self.logs[chat] = []
        log.append(event)
        if len(log) > 2 * KEEP:
            del log[:-KEEP]
        link = self.bot_chats.get(chat)
        if link is not None and sender == link[2].id:
            link[0].deliver(BotMessage(n, now, link[1], link[2], text))
        return n, now, _enc.encode(msg), b'{"update":' + event + b"}"

    def difference(self, chats: list[int], seq: int, known: dict[int, int]) -> bytes:
        """Steppe's getDifference answer from the kept events."""
        budget, more, parts = BUDGET, False, []
        for chat in sorted(chats):
            pts = self.pts.get(chat, 0)
            have = known.get(chat, pts)
            if have >= pts:
                continue
            if pts - have > KEEP:
                parts.append(b'{"chat_id":%d,"pts":%d,"too_long":true}' % (chat, pts))
                continue
            if budget <= 0:
                more = True
                break
            take = min(budget, pts - have)
            log = self.logs[chat]
            first = len(log) - (pts - have)
            budget -= take
            more = more or have + take < pts
            parts.append(b'{"chat_id":%d,"pts":%d,"events":[%s]}'
                         % (chat, have + take, b",".join(log[first:first + take])))
        return (b'{"seq":%d,"user_events":[],"chats":[%s]%s}'
                % (seq, b",".join(parts), b',"more":true' if more else b""))

    def call(self, frame: Frame, who: Who) -> tuple[bytes, int, bytes | None]:
        """One WebSocket request: (the answer, and the chat and update frame to fan out)."""
        p = frame.params
        if frame.method == "messages.sendMessage" and p.peer is not None:
            chat = p.peer.chat_id
            _, _, msg, update = self.post(chat, who.user_id, p.text)
            return answer(frame.id, msg), chat, update
        if frame.method == "connection.authorize":
            who.user_id, who.chats = token_of(p.token)
            for chat in who.chats:
                self.pts.setdefault(chat, 0)
            return answer(frame.id, _enc.encode(
                {"id": who.user_id, "first_name": "Bench", "is_self": True})), 0, None
        if frame.method == "updates.getState":
            return answer(frame.id, _enc.encode(
                {"seq": 0, "date": int(time.time()),
                 "chats": {str(c): self.pts.get(c, 0) for c in who.chats}})), 0, None
        if frame.method == "updates.getDifference":
            return answer(frame.id, self.difference(who.chats, p.seq, p.pts)), 0, None
        return _enc.encode({"id": frame.id, "error": {"code": 400, "type": "METHOD_INVALID"}}), 0, None

    # ---- HTTP --------------------------------------------------------------------------------

    async def http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """ASGI lifespan; the Bot API; set-up; any other request answered with the socket count."""
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        status = 200
        if path.startswith("/bot"):
            body = await read_body(receive)
            content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
            status, out = await self.bot_api(path, bot_params(body, content_type))
        elif path == "/ceiling/setup":
            self.setup(_setup_dec.decode(await read_body(receive)))
            out = b'{"ok":true}'
        else:
            out = _enc.encode({"ok": True, "connections": self.count()})
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": out})

    async def bot_api(self, path: str, p: BotParams) -> tuple[int, bytes]:
        token, _, method = path[4:].partition("/")
        bot = self.tokens.get(token)
        if bot is None:
            return 401, UNAUTHORIZED
        if method == "sendMessage":
            chat = bot.chats.get(p.chat_id)
            if chat is None:
                return 400, NO_CHAT
            n, now, _, update = self.post(chat, bot.user.id, p.text)
            if self.fan_out is not None:
                await self.fan_out(chat, update)
            _, peer, _ = self.bot_chats[chat]
            return 200, (b'{"ok":true,"result":'
                         + _enc.encode(BotMessage(n, now, peer, bot.user, p.text)) + b"}")
        if method == "getUpdates":
            return 200, await bot.poll(p.offset, p.limit, p.timeout)
        return 404, NO_METHOD

    def setup(self, s: Setup) -> None:
        for b in s.bots:
            self.tokens[b.token] = Bot(User(b.id, True, b.name, b.name))
        by_id = {bot.user.id: bot for bot in self.tokens.values()}
        for u in s.users:
            self.users[u.id] = u
        for c in s.chats:
            bot, user = by_id[c.bot], self.users[c.user]
            bot.chats[user.id] = c.id
            self.bot_chats[c.id] = (bot, Chat(user.id, "private", user.first_name), user)
            self.pts.setdefault(c.id, 0)


class Ceiling:
    """The core on uvicorn's WebSocket: one ASGI app."""

    def __init__(self) -> None:
        self.core = Core()
        self.core.fan_out = self.fan_out
        self.core.count = lambda: self.connections
        self.by_chat: dict[int, list[Any]] = {}
        self.connections = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await self.websocket(receive, send)
        else:
            await self.core.http(scope, receive, send)

    async def fan_out(self, chat: int, update: bytes) -> None:
        text = update.decode()
        for other in self.by_chat.get(chat, ()):
            await other({"type": "websocket.send", "text": text})

    async def websocket(self, receive: Any, send: Any) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        who = Who()
        self.connections += 1
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                frame = _dec.decode(message.get("text") or message.get("bytes") or b"{}")
                reply, chat, update = self.core.call(frame, who)
                if frame.method == "connection.authorize":
                    for c in who.chats:
                        self.by_chat.setdefault(c, []).append(send)
                await send({"type": "websocket.send", "text": reply.decode()})
                if update is not None:
                    await self.fan_out(chat, update)
        finally:
            self.connections -= 1
            for c in who.chats:
                members = self.by_chat.get(c)
                if members is not None and send in members:
                    members.remove(send)


class OwnTransport:
    """The core as the `api` that Steppe's WebSocket layer calls: `ws_request` per request
    frame, `hub.unregister` when a socket goes, frames queued with `push`. `__call__` is the
    ASGI app for HTTP (lifespan, the Bot API, set-up)."""

    def __init__(self) -> None:
        from steppe.api.hub import Outgoing

        self.outgoing = Outgoing
        self.send_queue = 1024
        self.max_body = 1 << 20
        self.hub = self
        self.core = Core()
        self.core.fan_out = self.fan_out
        self.core.count = lambda: len(self.who)
        self.by_chat: dict[int, set[Any]] = {}
        self.who: dict[Any, Who] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.core.http(scope, receive, send)

    def push(self, chat: int, update: bytes) -> None:
        out = self.outgoing(update)
        for other in self.by_chat.get(chat, ()):
            other.push(out)

    async def fan_out(self, chat: int, update: bytes) -> None:
        self.push(chat, update)

    async def ws_request(self, conn: Any, payload: bytes) -> None:
        frame = _dec.decode(payload)
        who = self.who.get(conn) or Who()
        reply, chat, update = self.core.call(frame, who)
        if frame.method == "connection.authorize":
            conn.call.user_id = who.user_id
            self.who[conn] = who
            for c in who.chats:
                self.by_chat.setdefault(c, set()).add(conn)
        conn.push(self.outgoing(reply))
        if update is not None:
            self.push(chat, update)

    def unregister(self, conn: Any) -> None:
        who = self.who.pop(conn, None)
        for c in who.chats if who else ():
            self.by_chat.get(c, set()).discard(conn)


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

        app = OwnTransport()
        ws = protocol_class(app)
    from steppe.cli import tune_gc

    tune_gc()  # the garbage collector as `steppe serve` sets it: the same process settings
    uvicorn.run(app, host=args.host, port=args.port, loop="uvloop", http="httptools",
                ws=ws, ws_max_size=1 << 20, ws_ping_interval=30,
                ws_ping_timeout=60, lifespan="on", access_log=False, log_level=args.log_level,
                backlog=4096)


if __name__ == "__main__":
    main()
