"""Set-up over HTTP: sign users in with the codes the server logs, create chats, read state.

Sign-ins run with bounded concurrency on keep-alive connections (a tiny HTTP/1.1 client: the
set-up of thousands of users is then bound by the server, not by the client). Phones are
distinct (+7701xxxxxxx), so sendCode's per-phone flood limit never applies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from bench.server import ServerProcess

_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder()


class HttpError(Exception):
    def __init__(self, status: int, body: Any):
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class HttpConn:
    """One keep-alive HTTP/1.1 connection for `POST /api/<method>`."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def call(self, method: str, token: str | None = None, **params: Any) -> Any:
        for attempt in range(3):
            if self.writer is None:
                await self._open()
            assert self.reader is not None and self.writer is not None
            body = _enc.encode(params)
            head = (f"POST /api/{method} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                    f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                    "User-Agent: steppe-bench\r\n")
            if token:
                head += f"Authorization: Bearer {token}\r\n"
            try:
                self.writer.write(head.encode() + b"\r\n" + body)
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionError("closed")
                status = int(status_line.split()[1])
                length, chunked = 0, False
                while True:
                    line = await self.reader.readline()
                    if line in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value.strip())
                    elif name == b"transfer-encoding" and b"chunked" in value.lower():
                        chunked = True
                if chunked:
                    parts = []
                    while True:
                        size = int((await self.reader.readline()).split(b";")[0].strip(), 16)
                        if size == 0:
                            await self.reader.readline()
                            break
                        parts.append(await self.reader.readexactly(size))
                        await self.reader.readline()
                    data = b"".join(parts)
                else:
                    data = await self.reader.readexactly(length)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                await self.close()
                if attempt == 2:
                    raise
                continue
            out = _dec.decode(data)
            if "error" in out:
                raise HttpError(status, out["error"])
            return out["result"]
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except Exception:  # noqa: BLE001
                pass
        self.reader = self.writer = None


@dataclass
class User:
    phone: str
    id: int
    token: str


def phone_of(n: int) -> str:
    return f"+7701{n:07d}"


async def _code(server: ServerProcess, phone: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        code = server.code(phone)
        if code is not None:
            return code
        if time.monotonic() > deadline:
            raise TimeoutError(f"no login code for {phone} in the server log")
        await asyncio.sleep(0.002)


async def sign_up(conn: HttpConn, server: ServerProcess, phone: str, name: str) -> User:
    sent = await conn.call("auth.sendCode", phone=phone)
    code = await _code(server, sent["phone"])
    args = {"phone": phone, "phone_code_hash": sent["phone_code_hash"]}
    result = await conn.call("auth.signIn", code=code, **args)
    if result.get("sign_up_required"):
        result = await conn.call("auth.signUp", first_name=name, **args)
    return User(phone=phone, id=result["user"]["id"], token=result["token"])


async def for_each(items: Sequence[Any], work: Callable[[HttpConn, Any], Awaitable[Any]],
                   server: ServerProcess, concurrency: int = 32) -> list[Any]:
    """Run `work(conn, item)` over the items with `concurrency` keep-alive connections."""
    results: list[Any] = [None] * len(items)
    next_index = 0

    async def lane() -> None:
        nonlocal next_index
        conn = HttpConn(server.host, server.port)
        try:
            while next_index < len(items):
                i = next_index
                next_index += 1
                results[i] = await work(conn, items[i])
        finally:
            await conn.close()

    await asyncio.gather(*(lane() for _ in range(max(1, min(concurrency, len(items))))))
    return results


async def sign_up_many(server: ServerProcess, count: int, first: int = 1,
                       concurrency: int = 32) -> list[User]:
    phones = [phone_of(first + i) for i in range(count)]
    return await for_each(phones, lambda c, p: sign_up(c, server, p, f"B{p[-6:]}"), server,
                          concurrency)


async def create_group(server: ServerProcess, owner: User, members: Sequence[User],
                       title: str = "bench") -> int:
    conn = HttpConn(server.host, server.port)
    try:
        chat = await conn.call("messages.createChat", owner.token, title=title,
                               user_ids=[u.id for u in members])
        return int(chat["id"])
    finally:
        await conn.close()


async def create_private_chats(server: ServerProcess, pairs: Sequence[tuple[User, User]],
                               concurrency: int = 32) -> list[int]:
    async def one(conn: HttpConn, pair: tuple[User, User]) -> int:
        got = await conn.call("messages.getChat", pair[0].token, peer={"user_id": pair[1].id})
        return int(got["dialog"]["chat"]["id"])

    return await for_each(pairs, one, server, concurrency)


async def states(server: ServerProcess, users: Sequence[User], concurrency: int = 32
                 ) -> list[dict[str, Any]]:
    async def one(conn: HttpConn, user: User) -> dict[str, Any]:
        return await conn.call("updates.getState", user.token)  # type: ignore[no-any-return]

    return await for_each(users, one, server, concurrency)


async def create_channel(server: ServerProcess, owner: User, members: Sequence[User],
                         title: str = "bench channel", batch: int = 100, concurrency: int = 4) -> int:
    """A broadcast channel (`channels.createChannel`) with `members` added as subscribers through
    `channels.inviteToChannel`, at most 100 users a call, a few calls at a time."""
    conn = HttpConn(server.host, server.port)
    try:
        chat = await conn.call("channels.createChannel", owner.token, title=title, broadcast=True)
    finally:
        await conn.close()
    chat_id = int(chat["id"])
    batches = [list(members[i:i + batch]) for i in range(0, len(members), batch)]

    async def invite(c: HttpConn, some: list[User]) -> None:
        await c.call("channels.inviteToChannel", owner.token, peer={"chat_id": chat_id},
                     user_ids=[u.id for u in some])

    await for_each(batches, invite, server, concurrency)
    return chat_id


async def open_bot_chats(server: ServerProcess, pairs: Sequence[tuple[User, int]],
                         concurrency: int = 32) -> list[int]:
    """Each user opens its private chat with a bot (`messages.getChat` by the bot's user id), as
    a client does before /start: afterwards the bot may write to the user."""
    async def one(conn: HttpConn, pair: tuple[User, int]) -> int:
        got = await conn.call("messages.getChat", pair[0].token, peer={"user_id": pair[1]})
        return int(got["dialog"]["chat"]["id"])

    return await for_each(pairs, one, server, concurrency)
