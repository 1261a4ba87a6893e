"""The WebSocket protocol itself (api/websocket.py), spoken byte by byte from a raw socket: the
handshake and its refusals, framing, fragmentation, control frames, limits, keepalive, a client
too slow to read, and a server that stops."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import socket
import struct
from typing import Any
from urllib.parse import urlsplit

import pytest

from steppe.api.websocket import CLOSE_TOO_SLOW
from steppe.services.core import Settings

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Raw:
    """A WebSocket client with no library in between."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str, *, path: str = "/api/ws", headers: dict[str, str] | None = None,
                   expect: int = 101, rcvbuf: int = 0) -> tuple[Raw, bytes]:
        parts = urlsplit(url)
        sock = socket.socket()
        if rcvbuf:  # a small receive window: a client that stops reading is soon noticed
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=rcvbuf or 2**16)
        key = base64.b64encode(os.urandom(16)).decode()
        head = {"Host": parts.netloc, "Upgrade": "websocket", "Connection": "Upgrade",
                "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13", **(headers or {})}
        lines = [f"GET {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in head.items() if v is not None]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        response = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        status = int(response.split(b" ", 2)[1])
        assert status == expect, response
        if status != 101:  # refused: the body, then the server hangs up
            response += await asyncio.wait_for(reader.read(), 5)
            writer.close()
        else:
            want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
            assert b"sec-websocket-accept: " + want in response
        return cls(reader, writer), response

    @staticmethod
    def encode(opcode: int, payload: bytes, *, fin: bool = True, mask: bool = True) -> bytes:
        n = len(payload)
        b0 = (0x80 if fin else 0) | opcode
        m = 0x80 if mask else 0
        if n < 126:
            head = bytes((b0, m | n))
        elif n < 65536:
            head = struct.pack("!BBH", b0, m | 126, n)
        else:
            head = struct.pack("!BBQ", b0, m | 127, n)
        if not mask:
            return head + payload
        key = os.urandom(4)
        return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    def send(self, opcode: int, payload: bytes, **kw: Any) -> None:
        self.writer.write(self.encode(opcode, payload, **kw))

    def request(self, method: str, frame_id: int, **params: Any) -> None:
        body = json.dumps({"method": method, "id": frame_id, "params": params}).encode()
        self.send(0x1, body)

    async def frame(self, timeout: float = 5.0) -> tuple[int, bytes]:
        """The next frame from the server: (opcode, payload). Server frames are never masked."""

        async def read() -> tuple[int, bytes]:
            b0, b1 = await self.reader.readexactly(2)
            assert not b1 & 0x80, "a server frame was masked"
            assert b0 & 0x80, "the server fragments nothing"
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            return b0 & 0x0F, await self.reader.readexactly(n)

        return await asyncio.wait_for(read(), timeout)

    async def reply(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            opcode, payload = await self.frame(timeout)
            if opcode == 0x1:
                body = json.loads(payload)
                if "id" in body:
                    return body

    async def closed_with(self, timeout: float = 5.0) -> int:
        """Read until the server's close frame; returns its code, then expects the hang-up."""
        while True:
            opcode, payload = await self.frame(timeout)
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0]
                self.send(0x8, payload[:2])  # answer it, as a client should
                assert await asyncio.wait_for(self.reader.read(), timeout) == b""
                self.close()
                return code

    async def authorize(self, token: str) -> None:
        self.request("connection.authorize", 0, token=token)
        assert "result" in await self.reply()

    def close(self) -> None:
        self.writer.close()


async def signed_in(server: Any, **kw: Any) -> Raw:
    user = await server.user()
    ws, _ = await Raw.open(server.url, **kw)
    await ws.authorize(user["token"])
    return ws


async def test_handshake_and_refusals(server: Any) -> None:
    ws, response = await Raw.open(server.url)
    assert b"upgrade: websocket" in response.lower()
    await ws.authorize((await server.user())["token"])
    ws.request("contacts.getContacts", 1)
    assert "result" in await ws.reply()
    ws.close()

    # Another path: 404, and the socket is closed.
    _, response = await Raw.open(server.url, path="/api/other", expect=404)
    # Another protocol version: 426 naming the one spoken.
    _, response = await Raw.open(server.url, headers={"Sec-WebSocket-Version": "8"}, expect=426)
    assert b"sec-websocket-version: 13" in response.lower()
    # A key that is not 16 bytes in base64: 400.
    await Raw.open(server.url, headers={"Sec-WebSocket-Key": "short"}, expect=400)
    await Raw.open(server.url, headers={"Sec-WebSocket-Key": "!!not base64!!"}, expect=400)


async def test_frames_split_joined_fragmented_and_binary(server: Any) -> None:
    ws = await signed_in(server)
    # One frame written a byte at a time.
    data = Raw.encode(0x1, json.dumps({"method": "contacts.getContacts", "id": 1}).encode())
    for i in range(len(data)):
        ws.writer.write(data[i:i + 1])
        await ws.writer.drain()
    assert (await ws.reply())["id"] == 1
    # Three requests in one write: three answers, each to its id.
    ws.writer.write(b"".join(Raw.encode(0x1, json.dumps(
        {"method": "contacts.getContacts", "id": i}).encode()) for i in (2, 3, 4)))
    assert sorted([(await ws.reply())["id"] for _ in range(3)]) == [2, 3, 4]
    # A message in three fragments with a ping between them: the pong comes back with the
    # ping's payload, then the answer to the whole message.
    body = json.dumps({"method": "contacts.getContacts", "id": 5}).encode()
    ws.send(0x1, body[:5], fin=False)
    ws.send(0x9, b"are you there")
    ws.send(0x0, body[5:10], fin=False)
    ws.send(0x0, body[10:])
    assert await ws.frame() == (0xA, b"are you there")
    assert (await ws.reply())["id"] == 5
    # A binary frame carrying the same JSON is a request too; a 70 KiB one (64-bit length).
    ws.send(0x2, json.dumps({"method": "contacts.getContacts", "id": 6}).encode())
    assert (await ws.reply())["id"] == 6
    big = json.dumps({"method": "contacts.getContacts", "id": 7, "params": {}, "pad": "x" * 70_000})
    ws.send(0x1, big.encode())
    assert (await ws.reply())["id"] == 7
    # Not JSON: an error answer, and the connection stays.
    ws.send(0x1, b"{nope")
    opcode, payload = await ws.frame()
    assert json.loads(payload)["error"]["type"] == "JSON_INVALID"
    # The client closes: the server answers with the same code and hangs up.
    ws.send(0x8, struct.pack("!H", 1000) + b"bye")
    opcode, payload = await ws.frame()
    assert (opcode, payload[:2]) == (0x8, struct.pack("!H", 1000))
    assert await asyncio.wait_for(ws.reader.read(), 5) == b""
    ws.close()


@pytest.mark.parametrize("bad, code", [
    (Raw.encode(0x1, b'{"method":"contacts.getContacts"}', mask=False), 1002),  # unmasked
    (bytes((0x81 | 0x40, 0x80)) + b"\0\0\0\0", 1002),  # RSV1 set, nothing negotiated
    (Raw.encode(0x3, b"x"), 1002),  # a reserved opcode
    (Raw.encode(0x0, b"x"), 1002),  # a continuation with nothing to continue
    (Raw.encode(0x9, b"x", fin=False), 1002),  # a fragmented control frame
    (Raw.encode(0x9, b"x" * 126), 1002),  # a control frame over 125 bytes
    (Raw.encode(0x1, b"\xff\xfe not utf-8"), 1007),  # text that is not UTF-8
    (struct.pack("!BBQ", 0x82, 0x80 | 127, 1 << 40), 1009),  # announces a terabyte
])
async def test_protocol_errors_close_with_their_code(server: Any, bad: bytes, code: int) -> None:
    ws, _ = await Raw.open(server.url)
    ws.writer.write(bad)
    assert await ws.closed_with() == code


async def test_new_message_inside_a_fragmented_one_and_too_big_in_fragments(server: Any) -> None:
    ws, _ = await Raw.open(server.url)
    ws.send(0x1, b'{"method":', fin=False)
    ws.send(0x1, b'"contacts.getContacts"}')
    assert await ws.closed_with() == 1002

    limit = server.app.websocket_protocol.server.max_size
    ws, _ = await Raw.open(server.url)
    chunk = b"x" * 60_000
    ws.send(0x1, chunk, fin=False)
    for _ in range(limit // len(chunk) + 1):
        ws.send(0x0, chunk, fin=False)
    assert await ws.closed_with() == 1009


async def test_keepalive_pings_a_silent_client_and_drops_a_dead_one(server: Any) -> None:
    first, _ = await Raw.open(server.url)  # configures the server from uvicorn's settings
    shared = server.app.websocket_protocol.server

    async def faster() -> None:
        shared.stop()
        shared.ping_interval = 0.2

    server.run(faster())
    alive = await signed_in(server)
    dead, _ = await Raw.open(server.url)
    assert await alive.frame(3) == (0x9, b"steppe")
    alive.send(0xA, b"steppe")
    # The one that never answers is cut off (no close frame: it is not listening).
    assert await asyncio.wait_for(dead.reader.read(), 5) in (b"\x89\x06steppe", b"")
    assert await asyncio.wait_for(dead.reader.read(), 5) == b""
    # The one that answers stays: it is pinged again and still gets answers.
    assert await alive.frame(3) == (0x9, b"steppe")
    alive.send(0xA, b"steppe")
    alive.request("contacts.getContacts", 1)
    assert (await alive.reply())["id"] == 1
    for ws in (first, alive, dead):
        ws.close()
    server.loop.call_soon_threadsafe(shared.stop)


async def test_a_client_that_does_not_read_is_closed_too_slow(tmp_path: Any, server_harness: Any
                                                              ) -> None:
    start, stop = server_harness
    srv = start(tmp_path, settings=Settings(data_dir=str(tmp_path), rate_per_second=0,
                                            send_queue=16))
    try:
        user = await srv.user("Slow")
        ws, _ = await Raw.open(srv.url, rcvbuf=4096)
        await ws.authorize(user["token"])
        # The client stops reading.
        sender = await srv.user("Chatty")
        http = srv.http(sender["token"])
        peer = {"user_id": user["user"]["id"]}
        pad = "y" * 4000
        for i in range(3000):
            await http.call("messages.sendMessage", peer=peer, text=f"{i} {pad}")
            conns = srv.run(_open_count(srv))
            if conns == 0:
                break
        assert srv.run(_open_count(srv)) == 0, "the connection that does not read stayed open"
        # What the client reads in the end: the frames sent before, then the close (4000).
        assert await ws.closed_with(10) == CLOSE_TOO_SLOW
        await http.close()
    finally:
        stop(srv)


async def _open_count(srv: Any) -> int:
    return len(srv.app.websocket_protocol.server.open)


async def test_server_shutdown_closes_with_1012(tmp_path: Any, server_harness: Any) -> None:
    start, stop = server_harness
    srv = start(tmp_path)
    ws = await signed_in(srv)
    ws.request("contacts.getContacts", 1)
    assert "result" in await ws.reply()
    stopping = asyncio.get_running_loop().run_in_executor(None, stop, srv)
    assert await ws.closed_with(10) == 1012
    await stopping


async def test_sockets_closed_while_authorizing_leave_nothing_behind(server: Any) -> None:
    user = await server.user()
    other = await server.user()
    http = server.http(user["token"])
    got = await http.call("messages.getChat", peer={"user_id": other["user"]["id"]})
    await http.close()
    chat = got["dialog"]["chat"]
    for _ in range(20):  # authorize, and hang up before the answer (on PostgreSQL, mid-read)
        ws, _ = await Raw.open(server.url)
        ws.request("connection.authorize", 1, token=user["token"])
        await ws.writer.drain()
        ws.writer.transport.abort()
        await asyncio.sleep(0)  # the socket closes on the loop's next turn

    async def state() -> tuple[int, int, int, int]:
        hub = server.app.hub
        return (len(server.app.websocket_protocol.server.open), hub.connections,
                len(hub.by_chat.get(chat["id"], ())), len(hub.by_user.get(user["user"]["id"], ())))

    # Once the server has seen every socket close, nothing of them is left.
    await wait_until(lambda: server.run(state())[0] == 0)
    for _ in range(3):  # the closes cancelled their requests: let the cancellations land
        server.run(asyncio.sleep(0))
    assert server.run(state()) == (0, 0, 0, 0)
    assert server.app.services.users.online.get(user["user"]["id"]) is None


async def wait_until(cond: Any, timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition did not hold in time")


async def test_answers_go_out_before_the_fan_out_of_the_same_turn(server: Any) -> None:
    """Within one turn of the loop the sockets carrying an answer to a request are written
    first (the sender goes on while the other members' sockets are written), and a socket
    queued for both writes once, its frames in the order they were queued."""
    from steppe.api.hub import Outgoing
    from steppe.api.websocket import protocol_class

    cls = protocol_class(server.app.api)
    writes: list[tuple[str, bytes]] = []

    class Wire:  # the socket's transport: what was written to it, in order
        def __init__(self, name: str):
            self.name = name

        def write(self, data: bytes) -> None:
            writes.append((self.name, data))

        def is_closing(self) -> bool:
            return False

    socks = {}
    for name in ("a", "b", "sender", "c"):
        ws = cls()
        ws.connection_made(Wire(name))  # type: ignore[arg-type]
        socks[name] = ws
    update = Outgoing(b'{"update":1}')
    for name in ("a", "b", "sender", "c"):  # the fan-out reaches the sender's socket too
        socks[name].push(update)
    socks["sender"].push(Outgoing(b'{"id":1,"result":{}}'), answer=True)
    await asyncio.sleep(0)  # the end of the turn
    await asyncio.sleep(0)
    assert [n for n, _ in writes] == ["sender", "a", "b", "c"]
    sent = writes[0][1]
    assert sent.index(b'"update"') < sent.index(b'"result"')  # one write, in queued order
