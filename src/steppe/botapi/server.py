"""The Bot API's HTTP surface: routing, the request shapes the frameworks send, the envelope.

`/bot<token>/<method>` (GET or POST, any case, also `/bot<token>/test/<method>` and a `method`
parameter instead of the path) answers `{"ok": true, "result": ...}`, or the error envelope with
the HTTP status equal to `error_code` (and `Retry-After` on 429). `/file/bot<token>/<path>`
serves downloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import unquote

import msgspec

from steppe.api.files_http import FileRoutes
from steppe.botapi import chat_methods as _chat_methods  # noqa: F401 - registers its methods
from steppe.botapi import files as _files
from steppe.botapi import methods as _methods  # noqa: F401 - registers its methods
from steppe.botapi import params as P
from steppe.botapi.context import METHODS, Ctx
from steppe.botapi.delivery import Delivery
from steppe.botapi.errors import BotApiError, from_rpc
from steppe.domain.errors import RpcError
from steppe.services.container import Services

log = logging.getLogger(__name__)
_enc = msgspec.json.Encoder()
MAX_BODY = 50 << 20
_NOT_FOUND = BotApiError(404, "Not Found: method not found")
# Methods that may wait (a long poll): they learn when the client goes away meanwhile.
WAITING = frozenset({"getUpdates"})
_HEADERS = [(b"content-type", b"application/json"), (b"x-content-type-options", b"nosniff")]


class BotApi:
    def __init__(self, services: Services):
        self.services = services
        self.core = services.core
        self.suite = services.bots
        self.delivery = Delivery(self)
        self.methods = METHODS
        self.file_routes = FileRoutes(services)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.suite.start()
        await self.delivery.start()
        self._tasks.append(asyncio.get_running_loop().create_task(self._housekeeping()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.delivery.stop()
        await self.suite.stop()

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(600)
            try:
                await self.suite.accounts.store.purge_expired(self.core.clock.now())
            except Exception:
                log.exception("purging expired bot updates failed")

    # ---- HTTP --------------------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path: str = scope.get("path", "/")
        if path.startswith("/file/bot"):
            await self._file(scope, receive, send, path[len("/file/bot"):])
            return
        status, body, extra = 200, b"", []
        try:
            result = await self._handle(scope, receive, path[len("/bot"):])
            body = b'{"ok":true,"result":' + _enc.encode(result) + b"}"
        except BotApiError as err:
            status, body = err.code, _enc.encode(err.envelope())
            if err.retry_after is not None:
                extra.append((b"retry-after", str(err.retry_after).encode()))
        except RpcError as err:
            mapped = from_rpc(err)
            status, body = mapped.code, _enc.encode(mapped.envelope())
            if mapped.retry_after is not None:
                extra.append((b"retry-after", str(mapped.retry_after).encode()))
        except Exception:
            log.exception("Bot API request %s failed", path.split("/")[-1][:64])
            err = BotApiError(500, "Internal Server Error: unexpected error")
            status, body = 500, _enc.encode(err.envelope())
        await send({"type": "http.response.start", "status": status,
                    "headers": [*_HEADERS, *extra]})
        await send({"type": "http.response.body", "body": body})

    async def _handle(self, scope: dict[str, Any], receive: Any, rest: str) -> Any:
        token, _, name = rest.partition("/")
        if name.startswith("test/"):
            name = name[5:]
        headers = dict(scope.get("headers") or [])
        body = await self._body(headers, receive)
        p = P.parse(scope.get("query_string", b""),
                    headers.get(b"content-type", b"").decode("latin-1"),
                    headers.get(b"content-encoding", b"").decode("latin-1"), body)
        if not name:
            name = p.str("method") or ""
        me, bot = await self.suite.accounts.authenticate(token)
        entry = self.methods.get(name.strip("/").lower())
        if entry is None:
            raise _NOT_FOUND
        ctx = Ctx(self, me, bot, p)
        if entry[0] not in WAITING:
            return await entry[1](ctx)
        loop = asyncio.get_running_loop()
        ctx.gone = loop.create_future()
        watcher = loop.create_task(_watch_disconnect(receive, ctx.gone))
        try:
            return await entry[1](ctx)
        finally:
            watcher.cancel()

    async def call(self, bot_id: int, name: str, p: P.Params) -> Any:
        """Run a method for a bot without HTTP (a method call in a webhook's reply)."""
        entry = self.methods.get(name.lower())
        if entry is None:
            raise _NOT_FOUND
        bot = await self.suite.accounts.get(bot_id)
        users = await self.core.store.get_users([bot_id])
        if bot is None or bot_id not in users:
            raise BotApiError(401, "Unauthorized")
        return await entry[1](Ctx(self, users[bot_id], bot, p))

    async def _body(self, headers: dict[bytes, bytes], receive: Any) -> bytes:
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
            raise BotApiError(413, "Request Entity Too Large")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BotApiError(400, "Bad Request: the client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                raise BotApiError(413, "Request Entity Too Large")
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def _file(self, scope: dict[str, Any], receive: Any, send: Any, rest: str) -> None:
        """A download: the file_path getFile gave (signed for an hour), for the bot it was
        given to, while it may still see the file; single HTTP ranges, streamed."""
        token, _, file_path = unquote(rest).partition("/")
        try:
            if scope.get("method", "GET") not in ("GET", "HEAD"):
                raise BotApiError(405, "Method Not Allowed")
            me, _ = await self.suite.accounts.authenticate(token)
            parsed = _files.parse_file_path(file_path)
            if parsed is None:
                raise BotApiError(404, "Not Found: file not found")
            files = self.services.files
            try:
                viewer = await files.signed_viewer(parsed[0], {"u": str(me.id), **parsed[1]})
                file = await files.accessible(viewer, parsed[0])
            except RpcError as err:
                text = "file link expired: call getFile again" \
                    if err.type == "FILE_URL_EXPIRED" else "file not found"
                raise BotApiError(404, f"Not Found: {text}") from None
        except BotApiError as err:
            return await self._file_error(send, err)
        except RpcError:
            return await self._file_error(send, BotApiError(401, "Unauthorized"))
        headers = dict(scope.get("headers") or [])
        await self.file_routes._serve(scope, receive, send, headers, file)

    @staticmethod
    async def _file_error(send: Any, err: BotApiError) -> None:
        await send({"type": "http.response.start", "status": err.code, "headers": _HEADERS})
        await send({"type": "http.response.body", "body": _enc.encode(err.envelope())})


async def _watch_disconnect(receive: Any, gone: asyncio.Future[None]) -> None:
    with contextlib.suppress(Exception):
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                if not gone.done():
                    gone.set_result(None)
                return
