"""A small async client for Steppe: HTTP calls, and a `Device` that keeps a WebSocket open and
applies the update sequence in order (gaps are filled from the difference, repeats skipped).

    api = Http("http://127.0.0.1:8080")
    sent = await api.call("auth.sendCode", phone="+77011234567")
    ...
    device = Device("http://127.0.0.1:8080", token, on_event=print)
    await device.connect()
    await device.call("messages.sendMessage", peer={"user_id": 2}, text="hi")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Callable
from typing import Any

import httpx
import msgspec
import websockets

_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder()


class ApiError(Exception):
    def __init__(self, error: dict[str, Any]):
        self.code: int = error.get("code", 0)
        self.type: str = error.get("type", "")
        self.message: str = error.get("message", "")
        self.retry_after: int | None = error.get("retry_after")
        super().__init__(f"{self.code} {self.type} {self.message}".strip())


def ws_url(base_url: str) -> str:
    return base_url.rstrip("/").replace("http://", "ws://").replace("https://", "wss://") + "/api/ws"


class Http:
    """Stateless calls over HTTP."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 30.0,
                 client: httpx.AsyncClient | None = None):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._client = client or httpx.AsyncClient(timeout=timeout)

    async def call(self, method: str, **params: Any) -> Any:
        headers = {"content-type": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        resp = await self._client.post(f"{self.base_url}/api/{method}", content=_enc.encode(params),
                                       headers=headers)
        body = _dec.decode(resp.content)
        if "error" in body:
            raise ApiError(body["error"])
        return body["result"]

    async def close(self) -> None:
        await self._client.aclose()


async def sign_in(base_url: str, phone: str, code_of: Callable[[str], Any], first_name: str = "",
                  last_name: str = "", password: str | None = None) -> dict[str, Any]:
    """The whole sign-in dance; `code_of(phone)` returns (or awaits) the code that was sent."""
    api = Http(base_url)
    try:
        sent = await api.call("auth.sendCode", phone=phone)
        code = code_of(sent["phone"])
        if asyncio.iscoroutine(code):
            code = await code
        args = {"phone": phone, "phone_code_hash": sent["phone_code_hash"]}
        try:
            result = await api.call("auth.signIn", code=code, **args)
        except ApiError as err:
            if err.type != "SESSION_PASSWORD_NEEDED" or password is None:
                raise
            return await api.call("auth.checkPassword", password=password, **args)  # type: ignore[no-any-return]
        if result.get("sign_up_required"):
            result = await api.call("auth.signUp", first_name=first_name or "User",
                                    last_name=last_name, **args)
        return result  # type: ignore[no-any-return]
    finally:
        await api.close()


class Device:
    """One signed-in device on the WebSocket.

    `seq` and `pts` are the device's place in its account's and its chats' sequences. Every event
    applied (once, in order) goes to `on_event`; `too_long` is reported as
    `{"type": "too_long", "chat_id": ...}` so the owner reloads that chat's history.
    """

    def __init__(self, base_url: str, token: str, *, on_event: Callable[[dict[str, Any]], None]
                 | None = None, reconnect: bool = False, open_timeout: float = 20.0):
        self.url = ws_url(base_url)
        self.token = token
        self.on_event = on_event or (lambda event: None)
        self.reconnect = reconnect
        self.open_timeout = open_timeout
        self.seq: int | None = None
        self.pts: dict[int, int] = {}
        self.user: dict[str, Any] | None = None
        self._ws: Any = None
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._syncing: asyncio.Task[None] | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._resync = False
        self.connected = asyncio.Event()
        self.closed_by_user = False
        self.disconnects = 0

    # ---- connection --------------------------------------------------------------------------

    async def connect(self) -> None:
        ws = await websockets.connect(self.url, open_timeout=self.open_timeout, max_size=None,
                                      ping_interval=None)
        self._ws = ws
        self._reader = asyncio.get_running_loop().create_task(self._read(ws))
        self.user = await self.call("connection.authorize", token=self.token)
        if self.seq is None:
            state = await self.call("updates.getState")
            self.seq = state["seq"]
            self.pts = {int(k): v for k, v in state["chats"].items()}
        else:
            await self.catch_up()
        self.connected.set()

    async def close(self) -> None:
        self.closed_by_user = True
        if self._ws is not None:
            await self._ws.close()
        for task in (self._reader, self._syncing, self._reconnecting):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    def cut(self) -> None:
        """Drop the socket abruptly, as a lost network would."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def _read(self, ws: Any) -> None:
        try:
            async for raw in ws:
                frame = _dec.decode(raw)
                if "update" in frame:
                    self._update(frame["update"])
                    continue
                fut = self._waiting.pop(frame.get("id"), None)
                if fut is not None and not fut.done():
                    if "error" in frame:
                        fut.set_exception(ApiError(frame["error"]))
                    else:
                        fut.set_result(frame.get("result"))
        except (websockets.ConnectionClosed, OSError):
            pass
        finally:
            self._lost(ws)

    def _lost(self, ws: Any) -> None:
        if ws is not self._ws:
            return  # a socket already replaced by a newer one
        self.connected.clear()
        self.disconnects += 1
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(ConnectionError("connection lost"))
        self._waiting.clear()
        # One reconnect loop at a time: a socket lost while reconnecting is its loop's to retry.
        busy = self._reconnecting is not None and not self._reconnecting.done()
        if self.reconnect and not self.closed_by_user and not busy:
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.05
        while not self.closed_by_user:
            try:
                await self.connect()
                return
            except (TimeoutError, OSError, websockets.InvalidHandshake, ConnectionError,
                    ApiError) as exc:
                if self._ws is not None:
                    await self._ws.close()  # a socket refused half-way is not left open
                if isinstance(exc, ApiError) and exc.code == 401:
                    return  # the authorization was ended: retrying cannot help
                await asyncio.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 5.0)

    async def call(self, method: str, **params: Any) -> Any:
        if self._ws is None:
            raise ConnectionError("not connected")
        call_id = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = fut
        try:
            await self._ws.send(_enc.encode({"id": call_id, "method": method, "params": params}))
        except websockets.ConnectionClosed as exc:
            self._waiting.pop(call_id, None)
            raise ConnectionError("connection lost") from exc
        return await fut

    # ---- the update sequence -----------------------------------------------------------------

    def _update(self, event: dict[str, Any]) -> None:
        if "pts" in event and "chat_id" in event and event.get("type") != "join_chat":
            chat_id = event["chat_id"]
            local = self.pts.get(chat_id)
            if local is None or event["pts"] > local + 1:
                self._gap()
            elif event["pts"] == local + 1:
                self.pts[chat_id] = event["pts"]
                self.on_event(event)
        elif "seq" in event:
            if self.seq is None or event["seq"] > self.seq + 1:
                self._gap()
            elif event["seq"] == self.seq + 1:
                self._apply_user(event)
        else:
            self.on_event(event)

    def _apply_user(self, event: dict[str, Any]) -> None:
        self.seq = event["seq"]
        if event["type"] == "join_chat":
            chat_id = event["chat"]["id"]
            self.pts[chat_id] = max(self.pts.get(chat_id, 0), event["pts"])
        elif event["type"] == "leave_chat":
            self.pts.pop(event["chat_id"], None)
        self.on_event(event)

    def _gap(self) -> None:
        if self._syncing is not None and not self._syncing.done():
            self._resync = True
            return
        self._syncing = asyncio.get_running_loop().create_task(self._catch_up_live())

    async def _catch_up_live(self) -> None:
        try:
            await self.catch_up()
        except ConnectionError:
            pass  # the socket went away; the next connect catches up

    async def catch_up(self) -> None:
        """Ask for the difference until nothing is missing."""
        while True:
            self._resync = False
            diff = await self.call("updates.getDifference", seq=self.seq,
                                   pts={str(k): v for k, v in self.pts.items()})
            for event in diff["user_events"]:
                if event["seq"] == self.seq + 1:  # type: ignore[operator]
                    self._apply_user(event)
            for chat in diff["chats"]:
                if chat.get("too_long"):
                    self.pts[chat["chat_id"]] = chat["pts"]
                    self.on_event({"type": "too_long", "chat_id": chat["chat_id"]})
                    continue
                for event in chat["events"]:
                    self._update(event)
            for chat_id in diff.get("left", []):
                self.pts.pop(chat_id, None)
            if not diff.get("more") and not self._resync:
                return
