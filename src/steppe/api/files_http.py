"""The two byte routes of the client API, beside the JSON methods:

- `POST /api/upload/<upload_id>/<part>` with a bearer token: one part's raw bytes (at most
  512 KiB), streamed into the upload; answers `{"result": true}` or the usual error shape.
- `GET|HEAD /api/file/<file_id>` with a bearer token, or a signed `?u=&e=&s=` query from
  `files.getFileUrl` (what an <img> tag can use): the file, with single HTTP ranges (206, 416),
  its type, and a Content-Disposition that cannot carry a path or break the header.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from steppe.api.transport import SECURITY_HEADERS, http_status
from steppe.domain import limits, media
from steppe.domain.errors import RpcError, bad_request, unauthorized
from steppe.services.container import Services
from steppe.store.blobs import BlobMissing
from steppe.store.files import StoredFile

log = logging.getLogger(__name__)
_enc = msgspec.json.Encoder()
_PART = re.compile(r"([^/]{1,64})/(\d{1,9})")
FILE_CSP = b"default-src 'none'; style-src 'unsafe-inline'; sandbox"
_INTERNAL = RpcError(500, "INTERNAL", "internal error")


class ClientGone(Exception):
    """The client closed the connection in the middle of its request."""


class _Body:
    """A request body read chunk by chunk, as the client sends it."""

    def __init__(self, receive: Any):
        self.receive = receive
        self.done = False

    async def chunks(self) -> AsyncIterator[bytes]:
        while not self.done:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientGone()
            self.done = not message.get("more_body", False)
            chunk = message.get("body", b"")
            if chunk:
                yield chunk

    async def drain(self) -> None:
        with contextlib.suppress(ClientGone):
            async for _ in self.chunks():
                pass


def _bearer(headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization", b"").decode("latin-1")
    return auth[7:].strip() or None if auth[:7].lower() == "bearer " else None


async def _json(send: Any, status: int, body: bytes, extra: tuple[tuple[bytes, bytes], ...] = ()
                ) -> None:
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS, *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Any, err: RpcError, extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    await _json(send, http_status(err.code), _enc.encode({"error": err.as_dict()}), extra)


class FileRoutes:
    PREFIXES = ("/api/upload/", "/api/file/")

    def __init__(self, services: Services):
        self.services = services
        self.files = services.files

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any, path: str) -> None:
        if path.startswith("/api/upload/"):
            await self.upload(scope, receive, send, path[len("/api/upload/"):])
        else:
            await self.download(scope, receive, send, path[len("/api/file/"):])

    async def _user(self, headers: dict[bytes, bytes]) -> int:
        token = _bearer(headers)
        if not token:
            raise unauthorized("AUTH_KEY_UNREGISTERED")
        return (await self.services.auth.resolve(token)).user_id

    # ---- uploads -------------------------------------------------------------------------------

    async def upload(self, scope: dict[str, Any], receive: Any, send: Any, rest: str) -> None:
        headers = dict(scope.get("headers") or [])
        body = _Body(receive)
        declared: int | None = None
        try:
            if scope["method"] not in ("POST", "PUT"):
                raise RpcError(405, "METHOD_NOT_ALLOWED", "POST a part's bytes")
            match = _PART.fullmatch(rest)
            if match is None:
                raise bad_request("UPLOAD_ID_INVALID", "POST /api/upload/<upload_id>/<part>")
            length = headers.get(b"content-length", b"")
            declared = int(length) if length.isdigit() else None
            user = await self._user(headers)
            await self.files.save_part(user, match.group(1), int(match.group(2)), declared,
                                       body.chunks())
        except ClientGone:
            return
        except RpcError as err:
            if not body.done and (declared or 0) <= 2 * limits.UPLOAD_PART_MAX:
                await body.drain()  # let the client finish sending, so it reads the answer
            return await _error(send, err)
        except Exception:
            log.exception("upload part failed")
            return await _error(send, _INTERNAL)
        await _json(send, 200, b'{"result":true}')

    # ---- downloads -----------------------------------------------------------------------------

    async def download(self, scope: dict[str, Any], receive: Any, send: Any, file_id: str
                       ) -> None:
        headers = dict(scope.get("headers") or [])
        try:
            if scope["method"] not in ("GET", "HEAD"):
                raise RpcError(405, "METHOD_NOT_ALLOWED", "GET a file")
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if "s" in query:
                viewer = await self.files.signed_viewer(file_id, query)
            else:
                viewer = await self._user(headers)
            file = await self.files.accessible(viewer, file_id)
        except RpcError as err:
            return await _error(send, err)
        except Exception:
            log.exception("download failed")
            return await _error(send, _INTERNAL)
        await self._serve(scope, receive, send, headers, file)

    async def _serve(self, scope: dict[str, Any], receive: Any, send: Any,
                     headers: dict[bytes, bytes], file: StoredFile) -> None:
        etag = f'"{file.blob}"'.encode()
        ctype, inline = media.served_type(file.mime_type)
        common = [(b"etag", etag), (b"accept-ranges", b"bytes"),
                  (b"cache-control", b"private, max-age=3600"),
                  (b"content-security-policy", FILE_CSP), *SECURITY_HEADERS]
        if headers.get(b"if-none-match") == etag:
            await send({"type": "http.response.start", "status": 304, "headers": common})
            return await send({"type": "http.response.body", "body": b""})
        wanted = headers.get(b"range", b"").decode("latin-1")
        if_range = headers.get(b"if-range")
        try:
            span = media.parse_range(wanted if if_range in (None, etag) else None, file.size)
        except media.RangeNotSatisfiable:
            err = RpcError(416, "RANGE_NOT_SATISFIABLE", f"the file has {file.size} bytes")
            return await _error(send, err, ((b"content-range", f"bytes */{file.size}".encode()),))
        start, end = span or (0, file.size)
        out = [(b"content-type", ctype.encode()), (b"content-length", str(end - start).encode()),
               (b"content-disposition", media.content_disposition(file.name, inline).encode()),
               *common]
        if span:
            out.append((b"content-range", f"bytes {start}-{end - 1}/{file.size}".encode()))
        status = 206 if span else 200
        if scope["method"] == "HEAD":
            await send({"type": "http.response.start", "status": status, "headers": out})
            return await send({"type": "http.response.body", "body": b""})
        await self._stream(receive, send, status, out, self.files.open_range(file, start, end))

    @staticmethod
    async def _stream(receive: Any, send: Any, status: int, headers: list[tuple[bytes, bytes]],
                      chunks: AsyncIterator[bytes]) -> None:
        """Send the chunks as they are read, and stop reading when the client goes away."""
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            async with contextlib.aclosing(chunks):  # type: ignore[type-var]
                try:
                    first = await anext(chunks)
                except BlobMissing:
                    log.error("a stored file's contents are missing", exc_info=True)
                    return await _error(send, _INTERNAL)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": first, "more_body": True})
                async for chunk in chunks:
                    if gone.is_set():
                        return
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
        except BlobMissing:
            log.error("a stored file ended early", exc_info=True)
        finally:
            watcher.cancel()
