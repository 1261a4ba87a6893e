"""The client API over HTTP (`POST /api/<method>`) and over the WebSocket (`/api/ws`).

Both transports decode, authorize and dispatch through one function; an error is shaped once per
transport from its code. Anything unexpected is a plain 500 with the traceback in the log only.
`steppe serve` runs the WebSocket on its own protocol (api/websocket.py); `websocket()` below
serves it through ASGI for any other server.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec

from steppe.api.hub import AsgiConnection, Hub, Outgoing
from steppe.api.registry import Call, Method, Registry
from steppe.domain.errors import RpcError, bad_request, unauthorized
from steppe.domain.ratelimit import RateLimiter
from steppe.services.container import Services

log = logging.getLogger(__name__)
_enc = msgspec.json.Encoder()

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


def http_status(code: int) -> int:
    return 429 if code == 420 else code if 400 <= code < 600 else 500


class Frame(msgspec.Struct):
    method: str
    id: int | str | None = None
    params: msgspec.Raw = msgspec.Raw(b"{}")


_frame = msgspec.json.Decoder(Frame)
_INTERNAL = RpcError(500, "INTERNAL", "internal error")


class Api:
    def __init__(self, services: Services, registry: Registry, hub: Hub):
        self.services = services
        self.registry = registry
        self.hub = hub
        settings = services.core.settings
        self.max_body = settings.max_body
        self.send_queue = settings.send_queue
        self.limiter = RateLimiter(settings.rate_per_second, settings.rate_burst)
        self.calls = 0

    async def dispatch(self, method: Method, call: Call, params: Any) -> Any:
        now = self.services.core.clock.now()
        self.limiter.take(call.user_id or call.ip, now)
        if method.auth and not call.user_id:
            raise unauthorized("AUTH_KEY_UNREGISTERED")
        self.calls += 1
        return await method.handler(call, params)

    async def authenticate(self, call: Call, token: str | None) -> None:
        if token:
            auth = await self.services.auth.resolve(token)
            call.user_id, call.auth_id = auth.user_id, auth.id

    # ---- HTTP --------------------------------------------------------------------------------

    async def http(self, scope: dict[str, Any], receive: Any, send: Any, name: str) -> None:
        headers = dict(scope.get("headers") or [])
        status, body = 200, b""
        try:
            if scope["method"] != "POST":
                raise RpcError(405, "METHOD_NOT_ALLOWED", "use POST with a JSON body")
            method = self.registry.get(name)
            raw = await self._body(headers, receive)
            call = Call(ip=(scope.get("client") or ("", 0))[0],
                        device=headers.get(b"user-agent", b"").decode("latin-1")[:128],
                        app=headers.get(b"x-steppe-app", b"").decode("latin-1")[:128])
            auth = headers.get(b"authorization", b"").decode("latin-1")
            token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            await self.authenticate(call, token)
            result = await self.dispatch(method, call, method.decode(raw))
            body = b'{"result":' + _enc.encode(result) + b"}"
        except RpcError as err:
            status, body = http_status(err.code), _enc.encode({"error": err.as_dict()})
        except Exception:
            log.exception("method %s failed", name)
            status, body = 500, _enc.encode({"error": _INTERNAL.as_dict()})
        out = [(b"content-type", b"application/json"), *SECURITY_HEADERS]
        if status == 429:
            out.append((b"retry-after", str(self._retry(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _retry(body: bytes) -> int:
        return int(msgspec.json.decode(body)["error"].get("retry_after", 1))

    async def _body(self, headers: dict[bytes, bytes], receive: Any) -> bytes:
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise RpcError(413, "REQUEST_TOO_LARGE", f"the limit is {self.max_body} bytes")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise bad_request("INPUT_INVALID", "the client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise RpcError(413, "REQUEST_TOO_LARGE", f"the limit is {self.max_body} bytes")
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    # ---- WebSocket ---------------------------------------------------------------------------

    async def websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The WebSocket through ASGI (servers other than `steppe serve`)."""
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        headers = dict(scope.get("headers") or [])
        await send({"type": "websocket.accept"})
        call = Call(ip=(scope.get("client") or ("", 0))[0],
                    device=headers.get(b"user-agent", b"").decode("latin-1")[:128])
        conn = AsgiConnection(send, call, self.send_queue)
        call.connection = conn
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                payload = text.encode() if text is not None else message.get("bytes") or b""
                task = asyncio.get_running_loop().create_task(self.ws_request(conn, payload))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            conn.closed = True
            self.hub.unregister(conn)
            for task in list(tasks):
                task.cancel()

    async def ws_request(self, conn: Any, payload: bytes) -> None:
        """One request frame: `{"method", "id", "params"}` in, `{"id", "result" | "error"}` out."""
        frame_id: Any = None
        try:
            try:
                frame = _frame.decode(payload)
            except msgspec.ValidationError as exc:
                raise bad_request("INPUT_INVALID", str(exc)) from exc
            except (msgspec.DecodeError, RecursionError) as exc:  # deep nesting is refused too
                raise bad_request("JSON_INVALID", str(exc)) from exc
            frame_id = frame.id
            method = self.registry.get(frame.method)
            params = method.decode(bytes(frame.params))
            call = conn.call
            if call.auth_id and conn.closed:
                raise unauthorized("AUTH_KEY_UNREGISTERED")
            if call.user_id:  # a frame is a request too, past the token's resolve
                self.services.stats.note_active(call.user_id, self.services.core.clock.now())
            result = await self.dispatch(method, call, params)
            out = b'{"id":' + _enc.encode(frame_id) + b',"result":' + _enc.encode(result) + b"}"
        except RpcError as err:
            out = _enc.encode({"id": frame_id, "error": err.as_dict()})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("websocket frame failed")
            out = _enc.encode({"id": frame_id, "error": _INTERNAL.as_dict()})
        conn.push(Outgoing(out), answer=True)
